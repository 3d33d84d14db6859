//! Values the reference kernels take: a column ([`Columnar::Array`]) or one constant
//! standing for every row ([`Columnar::Scalar`]), so a format string or a literal is not
//! copied once per row.

use crate::types::DataType;
use arrow::array::{
    ArrayRef, BooleanArray, Date32Array, DurationMicrosecondArray, Float64Array, Int64Array,
    NullArray, StringArray, TimestampMicrosecondArray, new_null_array,
};
use std::sync::Arc;

/// One constant value of a language type.
#[derive(Clone, Debug, PartialEq)]
pub enum ScalarValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since the epoch, UTC.
    Timestamp(i64),
    /// Microseconds.
    Duration(i64),
}

impl ScalarValue {
    pub fn data_type(&self) -> DataType {
        match self {
            ScalarValue::Null => DataType::Null,
            ScalarValue::Bool(_) => DataType::Bool,
            ScalarValue::Int(_) => DataType::Int64,
            ScalarValue::Float(_) => DataType::Float64,
            ScalarValue::String(_) => DataType::String,
            ScalarValue::Date(_) => DataType::Date,
            ScalarValue::Timestamp(_) => DataType::Timestamp,
            ScalarValue::Duration(_) => DataType::Duration,
        }
    }

    /// The value repeated `len` times.
    pub fn to_array(&self, len: usize) -> ArrayRef {
        match self {
            ScalarValue::Null => Arc::new(NullArray::new(len)),
            ScalarValue::Bool(b) => Arc::new(BooleanArray::from(vec![*b; len])),
            ScalarValue::Int(i) => Arc::new(Int64Array::from_value(*i, len)),
            ScalarValue::Float(f) => Arc::new(Float64Array::from_value(*f, len)),
            ScalarValue::String(s) => {
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(s, len)))
            }
            ScalarValue::Date(d) => Arc::new(Date32Array::from_value(*d, len)),
            ScalarValue::Timestamp(t) => {
                Arc::new(TimestampMicrosecondArray::from_value(*t, len).with_timezone("UTC"))
            }
            ScalarValue::Duration(d) => Arc::new(DurationMicrosecondArray::from_value(*d, len)),
        }
    }

    /// A typed all-null column.
    pub fn nulls(data_type: &DataType, len: usize) -> ArrayRef {
        new_null_array(&data_type.to_arrow(), len)
    }
}

/// An argument of a kernel.
#[derive(Clone, Debug)]
pub enum Columnar {
    Array(ArrayRef),
    Scalar(ScalarValue),
}

impl Columnar {
    /// As a column of `len` rows.
    pub fn to_array(&self, len: usize) -> ArrayRef {
        match self {
            Columnar::Array(a) => a.clone(),
            Columnar::Scalar(s) => s.to_array(len),
        }
    }

    pub fn as_scalar(&self) -> Option<&ScalarValue> {
        match self {
            Columnar::Scalar(s) => Some(s),
            Columnar::Array(_) => None,
        }
    }
}
