//! Arrow IPC schema inference: the schema message at the start of an Arrow IPC file
//! (or stream), read without decoding any batch.

use super::infer_parquet::from_arrow;
use super::{InferError, open};
use crate::types::Schema;
use std::io::{BufReader, Seek, SeekFrom};
use std::path::Path;

pub fn infer(path: &Path) -> Result<Schema, InferError> {
    let mut file = open(path)?;
    if let Ok(reader) = arrow_ipc::reader::FileReader::try_new(&mut file, None) {
        return from_arrow(&reader.schema(), path);
    }
    file.seek(SeekFrom::Start(0))
        .map_err(|e| InferError::new(format!("cannot read `{}`: {e}", path.display())))?;
    let reader =
        arrow_ipc::reader::StreamReader::try_new(BufReader::new(file), None).map_err(|e| {
            InferError::new(format!(
                "`{}` is not an Arrow IPC file or stream: {e}",
                path.display()
            ))
        })?;
    from_arrow(&reader.schema(), path)
}
