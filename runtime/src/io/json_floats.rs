//! How the JSON and JSON-lines sinks write float64 values. JSON has no NaN or infinity,
//! and Arrow's writer turns them into `null`, which loses them. Like Spark's JSON
//! writer, Sluice writes them as the strings `"NaN"`, `"inf"` and `"-inf"` (the
//! spellings its readers and casts accept), so a file written by one pipeline reads
//! back with the same values; finite values are numbers in their shortest round-trip
//! form (`1.5`, `-0.0`, `1e300`).

use arrow::array::{Array, AsArray};
use arrow::datatypes::{DataType, FieldRef, Float64Type};
use arrow::error::ArrowError;
use arrow::json::writer::{Encoder, EncoderFactory, EncoderOptions, NullableEncoder};

/// Installs [`FloatEncoder`] for every float64 column (nested ones included).
#[derive(Debug)]
pub struct FloatEncoders;

impl EncoderFactory for FloatEncoders {
    fn make_default_encoder<'a>(
        &self,
        _field: &'a FieldRef,
        array: &'a dyn Array,
        _options: &'a EncoderOptions,
    ) -> Result<Option<NullableEncoder<'a>>, ArrowError> {
        if array.data_type() != &DataType::Float64 {
            return Ok(None);
        }
        let values = array.as_primitive::<Float64Type>();
        Ok(Some(NullableEncoder::new(
            Box::new(FloatEncoder(values.values())),
            values.nulls().cloned(),
        )))
    }
}

struct FloatEncoder<'a>(&'a [f64]);

impl Encoder for FloatEncoder<'_> {
    fn encode(&mut self, idx: usize, out: &mut Vec<u8>) {
        let x = self.0[idx];
        let text = if x.is_nan() {
            "\"NaN\"".to_string()
        } else if x.is_infinite() {
            if x > 0.0 { "\"inf\"" } else { "\"-inf\"" }.to_string()
        } else {
            format!("{x:?}")
        };
        out.extend_from_slice(text.as_bytes());
    }
}
