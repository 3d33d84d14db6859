//! Hash functions, for anonymizing and bucketing keys: `md5` and `sha256` of a string's
//! UTF-8 bytes as lower-case hex, and `xxhash64`, the 64-bit xxHash with seed 42 over a
//! value's bytes the way Spark's `xxhash64` reads them (UTF-8 text, an int64 or a
//! timestamp's microseconds as 8 little-endian bytes, a date's days or a bool as 4, a
//! float64's bits with NaN canonical), so both engines give the same numbers.

use super::{KernelError, KernelResult, text_arg};
use crate::value::Columnar;
use arrow::array::{Array, AsArray, Int64Array, StringArray};
use arrow::datatypes::{
    DataType as A, Date32Type, Float64Type, Int64Type, TimestampMicrosecondType,
};
use sha2::Digest;
use std::sync::Arc;

const SEED: u64 = 42;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn xx(bytes: &[u8]) -> i64 {
    twox_hash::XxHash64::oneshot(SEED, bytes) as i64
}

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    Ok(match name {
        "md5" | "sha256" => {
            let text = text_arg(args, 0, len)?;
            let out: StringArray = text
                .iter()
                .map(|v| {
                    v.map(|s| {
                        if name == "md5" {
                            hex(&md5::Md5::digest(s.as_bytes()))
                        } else {
                            hex(&sha2::Sha256::digest(s.as_bytes()))
                        }
                    })
                })
                .collect();
            Arc::new(out)
        }
        "xxhash64" => {
            let a = args[0].to_array(len);
            let out: Int64Array = match a.data_type() {
                A::Utf8 => a
                    .as_string::<i32>()
                    .iter()
                    .map(|v| v.map(|s| xx(s.as_bytes())))
                    .collect(),
                A::Int64 => a
                    .as_primitive::<Int64Type>()
                    .iter()
                    .map(|v| v.map(|x| xx(&x.to_le_bytes())))
                    .collect(),
                A::Float64 => a
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|v| {
                        v.map(|x| {
                            let bits = if x.is_nan() {
                                f64::NAN.to_bits()
                            } else {
                                x.to_bits()
                            };
                            xx(&bits.to_le_bytes())
                        })
                    })
                    .collect(),
                A::Boolean => a
                    .as_boolean()
                    .iter()
                    .map(|v| v.map(|b| xx(&i32::from(b).to_le_bytes())))
                    .collect(),
                A::Date32 => a
                    .as_primitive::<Date32Type>()
                    .iter()
                    .map(|v| v.map(|d| xx(&d.to_le_bytes())))
                    .collect(),
                A::Timestamp(_, _) => a
                    .as_primitive::<TimestampMicrosecondType>()
                    .iter()
                    .map(|v| v.map(|t| xx(&t.to_le_bytes())))
                    .collect(),
                A::Null => Int64Array::new_null(len),
                other => return Err(KernelError(format!("xxhash64 of {other}"))),
            };
            Arc::new(out)
        }
        other => return Err(KernelError(format!("no hash kernel `{other}`"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_their_published_values() {
        assert_eq!(
            hex(&md5::Md5::digest(b"")),
            "d41d8cd98f00b204e9800998ecf8427e"
        );
        assert_eq!(
            hex(&sha2::Sha256::digest(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // The XXH64 reference vector (seed 0), and this module's seed, 42.
        assert_eq!(twox_hash::XxHash64::oneshot(0, b""), 0xEF46_DB37_51D8_E999);
        assert_eq!(xx(b"abc"), twox_hash::XxHash64::oneshot(42, b"abc") as i64);
        assert_ne!(xx(b""), 0xEF46_DB37_51D8_E999_u64 as i64);
    }
}
