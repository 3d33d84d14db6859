//! Run-time errors: what went wrong, where in which data file when known, and how to fix it.

use std::fmt;

/// A place in a data file: 1-based line and column (field number for delimited text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataLocation {
    pub file: String,
    pub line: u64,
    pub column: Option<u64>,
}

impl fmt::Display for DataLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)?;
        if let Some(c) = self.column {
            write!(f, ":{c}")?;
        }
        Ok(())
    }
}

/// Why a run failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunError {
    pub message: String,
    pub location: Option<DataLocation>,
    pub help: Option<String>,
}

impl RunError {
    pub fn new(message: impl Into<String>) -> RunError {
        RunError {
            message: message.into(),
            location: None,
            help: None,
        }
    }
    pub fn at(mut self, location: DataLocation) -> RunError {
        self.location = Some(location);
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> RunError {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(l) = &self.location {
            write!(f, "{l}: ")?;
        }
        f.write_str(&self.message)?;
        if let Some(h) = &self.help {
            write!(f, "\n  help: {h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RunError {}

impl From<arrow::error::ArrowError> for RunError {
    fn from(e: arrow::error::ArrowError) -> Self {
        RunError::new(format!("internal error in an Arrow kernel: {e}"))
    }
}

impl From<sluice_stdlib::kernels::KernelError> for RunError {
    fn from(e: sluice_stdlib::kernels::KernelError) -> Self {
        match e.0.strip_prefix(sluice_stdlib::kernels::LIMIT_PREFIX) {
            Some(limit) => RunError::new(limit.to_string())
                .with_help("strings are at most 1 GiB; make the count or length smaller"),
            None => RunError::new(format!("internal error in a function: {e}")),
        }
    }
}

impl From<parquet::errors::ParquetError> for RunError {
    fn from(e: parquet::errors::ParquetError) -> Self {
        RunError::new(format!("Parquet: {e}"))
    }
}

pub type RunResult<T> = Result<T, RunError>;
