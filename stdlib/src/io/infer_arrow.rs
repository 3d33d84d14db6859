//! Arrow IPC schema inference: the schema message at the start of an Arrow IPC file
//! (or stream), read without decoding any batch.

use super::damaged::{damaged_message, guarded};
use super::infer_parquet::from_arrow;
use super::{InferError, open};
use crate::types::Schema;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

pub fn infer(path: &Path) -> Result<Schema, InferError> {
    let mut file = open(path)?;
    let damaged = |detail: String| InferError::new(damaged_message(path, "Arrow IPC", &detail));
    if let Ok(Ok(reader)) = guarded(|| arrow_ipc::reader::FileReader::try_new(&mut file, None)) {
        return from_arrow(&reader.schema(), path);
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| InferError::new(format!("cannot read `{}`: {e}", path.display())))?;
    let reader = guarded(|| arrow_ipc::reader::StreamReader::try_new(BufReader::new(file), None))
        .map_err(damaged)?
        .map_err(|e| {
            InferError::new(format!(
                "`{}` is not an Arrow IPC file or stream: {e}",
                path.display()
            ))
        })?;
    from_arrow(&reader.schema(), path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow_array::{Int64Array, RecordBatch, StringArray};
    use std::sync::Arc;

    fn batch() -> RecordBatch {
        let schema = Arc::new(arrow_schema::Schema::new(vec![
            arrow_schema::Field::new("id", arrow_schema::DataType::Int64, false),
            arrow_schema::Field::new("name", arrow_schema::DataType::Utf8, true),
        ]));
        RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1])),
                Arc::new(StringArray::from(vec![Some("a")])),
            ],
        )
        .unwrap()
    }

    #[test]
    fn reads_the_schema_of_an_ipc_file_and_of_a_stream() {
        let b = batch();
        let file = tempfile::NamedTempFile::new().unwrap();
        let mut w =
            arrow_ipc::writer::FileWriter::try_new(file.reopen().unwrap(), &b.schema()).unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
        assert_eq!(
            infer(file.path()).unwrap().to_string(),
            "(id: int64, name: string?)"
        );

        let stream = tempfile::NamedTempFile::new().unwrap();
        let mut w = arrow_ipc::writer::StreamWriter::try_new(stream.reopen().unwrap(), &b.schema())
            .unwrap();
        w.write(&b).unwrap();
        w.finish().unwrap();
        assert_eq!(
            infer(stream.path()).unwrap().to_string(),
            "(id: int64, name: string?)"
        );
    }
}
