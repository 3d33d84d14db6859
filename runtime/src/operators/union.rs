//! `union`: the rows of every input in order, columns matched by name and brought to
//! the output's types.

use crate::error::RunResult;
use crate::partitions::Partitions;
use arrow::array::RecordBatch;
use arrow::compute::cast;
use arrow::datatypes::SchemaRef;

pub fn run(inputs: &[&Partitions], out: SchemaRef) -> RunResult<Partitions> {
    let mut parts = Vec::new();
    for input in inputs {
        for part in &input.parts {
            let mut out_part = Vec::with_capacity(part.len());
            for batch in part {
                let columns = out
                    .fields()
                    .iter()
                    .map(|f| {
                        let c = batch.column_by_name(f.name()).cloned().unwrap_or_else(|| {
                            arrow::array::new_null_array(f.data_type(), batch.num_rows())
                        });
                        if c.data_type() == f.data_type() {
                            Ok(c)
                        } else {
                            cast(&c, f.data_type())
                        }
                    })
                    .collect::<Result<Vec<_>, _>>()?;
                let rows =
                    arrow::array::RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
                out_part.push(RecordBatch::try_new_with_options(
                    out.clone(),
                    columns,
                    &rows,
                )?);
            }
            parts.push(out_part);
        }
    }
    Ok(Partitions::new(out, parts))
}
