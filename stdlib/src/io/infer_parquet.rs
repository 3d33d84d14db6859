//! Parquet schema inference: the schema stored in the file's footer, read without
//! touching any data page. Narrow Arrow types widen to the language's (`int32` is
//! `int64`); a column of a type the language has no name for is an error naming it.

use super::{InferError, open};
use crate::types::{DataType, Field, Schema};
use std::path::Path;

pub fn infer(path: &Path) -> Result<Schema, InferError> {
    let file = open(path)?;
    let builder = super::damaged::guarded(|| {
        parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
    })
    .map_err(|detail| InferError::new(super::damaged::damaged_message(path, "Parquet", &detail)))?
    .map_err(|e| {
        InferError::new(format!(
            "`{}` is not a readable Parquet file: {e}",
            path.display()
        ))
    })?;
    from_arrow(builder.schema(), path)
}

/// Converts an Arrow schema read from `path` to a language schema.
pub(crate) fn from_arrow(schema: &arrow_schema::Schema, path: &Path) -> Result<Schema, InferError> {
    let mut fields = Vec::with_capacity(schema.fields().len());
    for f in schema.fields() {
        let data_type = DataType::from_arrow(f.data_type()).ok_or_else(|| {
            InferError::new(format!(
                "column `{}` of `{}` has the type {}, which Sluice does not read yet",
                f.name(),
                path.display(),
                f.data_type()
            ))
        })?;
        fields.push(Field::new(f.name().clone(), data_type, f.is_nullable()));
    }
    Ok(Schema::new(fields))
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Float64Array, Int32Array, RecordBatch, StringArray};
    use std::sync::Arc;

    #[test]
    fn reads_the_footer_schema_and_widens() {
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("year", arrow_schema::DataType::Int32, false),
            arrow_schema::Field::new("mag", arrow_schema::DataType::Float64, true),
            arrow_schema::Field::new("Depth Error", arrow_schema::DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int32Array::from(vec![1965])),
                Arc::new(Float64Array::from(vec![Some(6.0)])),
                Arc::new(StringArray::from(vec![None::<&str>])),
            ],
        )
        .unwrap();
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut writer =
            parquet::arrow::ArrowWriter::try_new(file.reopen().unwrap(), schema, None).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let inferred = infer(file.path()).unwrap();
        assert_eq!(
            inferred.to_string(),
            "(year: int64, mag: float64?, `Depth Error`: string?)"
        );
    }

    #[test]
    fn a_text_file_is_not_parquet() {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(file.path(), "a,b\n1,2\n").unwrap();
        let err = infer(file.path()).unwrap_err();
        assert!(err.message.contains("not a readable Parquet file"));
    }
}
