//! Text to typed values, with the same rules schema inference uses
//! (`sluice_stdlib::io::value_types`): the CSV reader and `as` casts both call these.

use arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, DurationMicrosecondBuilder, Float64Builder,
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use sluice_stdlib::DataType;
use sluice_stdlib::io::value_types::{parse_iso_date, parse_iso_duration, parse_iso_timestamp};
use std::sync::Arc;

/// An int64: optional sign and digits, exact over the whole range.
pub fn parse_int(b: &[u8]) -> Option<i64> {
    let (neg, digits) = match b.first()? {
        b'-' => (true, &b[1..]),
        b'+' => (false, &b[1..]),
        _ => (false, b),
    };
    if digits.is_empty() || digits.len() > 19 {
        return None;
    }
    let mut v: i64 = 0;
    for &c in digits {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(i64::from(c - b'0'))?
        } else {
            v.checked_add(i64::from(c - b'0'))?
        };
    }
    Some(v)
}

/// A float64: decimal or scientific notation, `nan`, `inf`, `-inf` (any case); `-nan` is
/// the one NaN (see [`sluice_stdlib::nan`]).
pub fn parse_float(b: &[u8]) -> Option<f64> {
    if b.is_empty() {
        return None;
    }
    let value = match fast_float2::parse_partial::<f64, _>(b) {
        Ok((v, n)) if n == b.len() => Some(v),
        _ => std::str::from_utf8(b).ok()?.trim().parse().ok(),
    };
    value.map(sluice_stdlib::nan::canonical)
}

pub fn parse_bool(b: &[u8]) -> Option<bool> {
    if b.eq_ignore_ascii_case(b"true") {
        Some(true)
    } else if b.eq_ignore_ascii_case(b"false") {
        Some(false)
    } else {
        None
    }
}

/// A builder for one column of text converted to `data_type`.
pub enum ColumnBuilder {
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
    Str(TextBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
    Duration(DurationMicrosecondBuilder),
}

impl ColumnBuilder {
    pub fn new(data_type: &DataType, capacity: usize) -> ColumnBuilder {
        match data_type {
            DataType::Int64 => ColumnBuilder::Int(Int64Builder::with_capacity(capacity)),
            DataType::Float64 => ColumnBuilder::Float(Float64Builder::with_capacity(capacity)),
            DataType::Bool => ColumnBuilder::Bool(BooleanBuilder::with_capacity(capacity)),
            DataType::Date => ColumnBuilder::Date(Date32Builder::with_capacity(capacity)),
            DataType::Timestamp => ColumnBuilder::Timestamp(
                TimestampMicrosecondBuilder::with_capacity(capacity).with_timezone("UTC"),
            ),
            DataType::Duration => {
                ColumnBuilder::Duration(DurationMicrosecondBuilder::with_capacity(capacity))
            }
            _ => ColumnBuilder::Str(TextBuilder::with_capacity(capacity)),
        }
    }

    /// Appends a field; `false` when the text is not of the column's type (nothing appended).
    /// Appends one field's text; `false` (nothing appended) when it is not a value of
    /// the column's type. Numbers, booleans, dates, timestamps and durations may be
    /// padded with spaces (`" 1 "`), as schema inference accepts them; text must be
    /// valid UTF-8.
    pub fn append_text(&mut self, b: &[u8]) -> bool {
        let b = match self {
            ColumnBuilder::Str(x) => {
                if !b.is_ascii() && std::str::from_utf8(b).is_err() {
                    return false;
                }
                x.append(b);
                return true;
            }
            _ => b.trim_ascii(),
        };
        match self {
            ColumnBuilder::Int(x) => parse_int(b).map(|v| x.append_value(v)).is_some(),
            ColumnBuilder::Float(x) => parse_float(b).map(|v| x.append_value(v)).is_some(),
            ColumnBuilder::Bool(x) => parse_bool(b).map(|v| x.append_value(v)).is_some(),
            ColumnBuilder::Str(_) => false,
            ColumnBuilder::Date(x) => std::str::from_utf8(b)
                .ok()
                .and_then(parse_iso_date)
                .map(|v| x.append_value(v))
                .is_some(),
            ColumnBuilder::Timestamp(x) => std::str::from_utf8(b)
                .ok()
                .and_then(parse_iso_timestamp)
                .map(|v| x.append_value(v))
                .is_some(),
            ColumnBuilder::Duration(x) => std::str::from_utf8(b)
                .ok()
                .and_then(parse_iso_duration)
                .map(|v| x.append_value(v))
                .is_some(),
        }
    }

    pub fn append_null(&mut self) {
        match self {
            ColumnBuilder::Int(x) => x.append_null(),
            ColumnBuilder::Float(x) => x.append_null(),
            ColumnBuilder::Bool(x) => x.append_null(),
            ColumnBuilder::Str(x) => x.append_null(),
            ColumnBuilder::Date(x) => x.append_null(),
            ColumnBuilder::Timestamp(x) => x.append_null(),
            ColumnBuilder::Duration(x) => x.append_null(),
        }
    }

    pub fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Int(x) => Arc::new(x.finish()),
            ColumnBuilder::Float(x) => Arc::new(x.finish()),
            ColumnBuilder::Bool(x) => Arc::new(x.finish()),
            ColumnBuilder::Str(x) => x.finish(),
            ColumnBuilder::Date(x) => Arc::new(x.finish()),
            ColumnBuilder::Timestamp(x) => Arc::new(x.finish()),
            ColumnBuilder::Duration(x) => Arc::new(x.finish()),
        }
    }
}

/// A string column built from raw bytes: appends are copies, and UTF-8 is checked once
/// for the whole column when it is finished (invalid bytes are replaced, never lost).
pub struct TextBuilder {
    values: Vec<u8>,
    offsets: Vec<i32>,
    nulls: arrow::array::NullBufferBuilder,
}

impl TextBuilder {
    pub fn with_capacity(rows: usize) -> TextBuilder {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        TextBuilder {
            values: Vec::with_capacity(rows * 8),
            offsets,
            nulls: arrow::array::NullBufferBuilder::new(rows),
        }
    }

    pub fn append(&mut self, bytes: &[u8]) {
        self.values.extend_from_slice(bytes);
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_non_null();
    }

    pub fn append_null(&mut self) {
        self.offsets.push(self.values.len() as i32);
        self.nulls.append_null();
    }

    pub fn finish(&mut self) -> ArrayRef {
        // The buffer is reference-counted: the fallback below can still read it.
        let values = arrow::buffer::Buffer::from_vec(std::mem::take(&mut self.values));
        let offsets = std::mem::replace(&mut self.offsets, vec![0]);
        let nulls = self.nulls.finish();
        if std::str::from_utf8(values.as_slice()).is_ok() {
            let offset_buffer = arrow::buffer::OffsetBuffer::new(offsets.clone().into());
            if let Ok(a) =
                arrow::array::StringArray::try_new(offset_buffer, values.clone(), nulls.clone())
            {
                return Arc::new(a);
            }
        }
        // Some field is not valid UTF-8: convert field by field, replacing what is invalid.
        let bytes = values.as_slice();
        let mut b = StringBuilder::with_capacity(offsets.len(), bytes.len());
        for i in 0..offsets.len() - 1 {
            if nulls.as_ref().is_some_and(|n| n.is_null(i)) {
                b.append_null();
            } else {
                b.append_value(String::from_utf8_lossy(
                    &bytes[offsets[i] as usize..offsets[i + 1] as usize],
                ));
            }
        }
        Arc::new(b.finish())
    }
}

/// Converts a column of text; text that does not parse becomes null.
pub fn parse_column<'a>(values: impl Iterator<Item = Option<&'a str>>, to: &DataType) -> ArrayRef {
    let mut b = ColumnBuilder::new(to, 0);
    for v in values {
        match v {
            Some(s) if b.append_text(s.trim().as_bytes()) => {}
            _ => b.append_null(),
        }
    }
    b.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_exactly() {
        assert_eq!(
            parse_int(b"570306133677760513"),
            Some(570_306_133_677_760_513)
        );
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"1.5"), None);
        assert_eq!(parse_float(b"6.38E-05"), Some(6.38e-5));
        assert_eq!(parse_float(b"-1.1"), Some(-1.1));
        assert!(parse_float(b"nan").is_some_and(f64::is_nan));
        assert_eq!(parse_float(b"NA"), None);
        assert_eq!(parse_bool(b"TRUE"), Some(true));
    }
}
