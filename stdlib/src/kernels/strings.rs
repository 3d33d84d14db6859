//! String functions. Lengths count characters (Unicode scalar values), not bytes;
//! `lower`/`upper` are Unicode-aware; `contains`, `starts_with`, `ends_with` and
//! `replace` match plain text; `regex_match` uses Rust regex syntax and matches
//! anywhere unless anchored.

use super::{KernelError, KernelResult};
use crate::value::Columnar;
use arrow::array::{Array, BooleanArray, Int64Array, ListBuilder, StringArray, StringBuilder};
use std::sync::Arc;

use super::text_arg as strings;

fn map_str(a: &StringArray, f: impl Fn(&str) -> String) -> StringArray {
    a.iter().map(|v| v.map(&f)).collect()
}

fn pairwise_bool(a: &StringArray, b: &StringArray, f: impl Fn(&str, &str) -> bool) -> BooleanArray {
    a.iter()
        .zip(b.iter())
        .map(|(x, y)| Some(f(x?, y?)))
        .collect()
}

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    Ok(match name {
        "lower" => Arc::new(map_str(&strings(args, 0, len)?, str::to_lowercase)),
        "upper" => Arc::new(map_str(&strings(args, 0, len)?, str::to_uppercase)),
        "trim" => Arc::new(map_str(&strings(args, 0, len)?, |s| s.trim().to_string())),
        "length" => {
            let a = args[0].to_array(len);
            if let Some(list) = a.as_any().downcast_ref::<arrow::array::ListArray>() {
                let out: Int64Array = (0..list.len())
                    .map(|i| list.is_valid(i).then(|| list.value_length(i) as i64))
                    .collect();
                Arc::new(out)
            } else {
                let s = strings(args, 0, len)?;
                Arc::new(
                    s.iter()
                        .map(|v| v.map(|x| x.chars().count() as i64))
                        .collect::<Int64Array>(),
                )
            }
        }
        "contains" => Arc::new(pairwise_bool(
            &strings(args, 0, len)?,
            &strings(args, 1, len)?,
            |a, b| a.contains(b),
        )),
        "starts_with" => Arc::new(pairwise_bool(
            &strings(args, 0, len)?,
            &strings(args, 1, len)?,
            |a, b| a.starts_with(b),
        )),
        "ends_with" => Arc::new(pairwise_bool(
            &strings(args, 0, len)?,
            &strings(args, 1, len)?,
            |a, b| a.ends_with(b),
        )),
        "replace" => {
            let (a, p, r) = (
                strings(args, 0, len)?,
                strings(args, 1, len)?,
                strings(args, 2, len)?,
            );
            let out: StringArray = (0..a.len())
                .map(|i| {
                    if a.is_null(i) || p.is_null(i) || r.is_null(i) {
                        return None;
                    }
                    let pat = p.value(i);
                    Some(if pat.is_empty() {
                        a.value(i).to_string()
                    } else {
                        a.value(i).replace(pat, r.value(i))
                    })
                })
                .collect();
            Arc::new(out)
        }
        "regex_match" => {
            let a = strings(args, 0, len)?;
            let Some(crate::value::ScalarValue::String(pattern)) =
                args.get(1).and_then(Columnar::as_scalar)
            else {
                return Err(KernelError("regex_match needs a constant pattern".into()));
            };
            let re = regex::Regex::new(pattern).map_err(|e| KernelError(e.to_string()))?;
            Arc::new(
                a.iter()
                    .map(|v| v.map(|s| re.is_match(s)))
                    .collect::<BooleanArray>(),
            )
        }
        "concat_ws" => {
            let sep = strings(args, 0, len)?;
            let lists = args[1].to_array(len);
            let Some(lists) = lists.as_any().downcast_ref::<arrow::array::ListArray>() else {
                return Err(KernelError("concat_ws needs a list".into()));
            };
            let items = arrow::compute::cast(lists.values(), &arrow::datatypes::DataType::Utf8)?;
            let items = items
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| KernelError("concat_ws: items as text".into()))?;
            let offsets = lists.value_offsets();
            let out: StringArray = (0..len)
                .map(|i| {
                    if lists.is_null(i) || sep.is_null(i) {
                        return None;
                    }
                    let range = offsets[i] as usize..offsets[i + 1] as usize;
                    let present: Vec<&str> = range
                        .filter(|&k| items.is_valid(k))
                        .map(|k| items.value(k))
                        .collect();
                    Some(present.join(sep.value(i)))
                })
                .collect();
            Arc::new(out)
        }
        "split" => {
            let (a, sep) = (strings(args, 0, len)?, strings(args, 1, len)?);
            let mut b = ListBuilder::new(StringBuilder::new());
            for i in 0..a.len() {
                if a.is_null(i) || sep.is_null(i) {
                    b.append(false);
                    continue;
                }
                let s = sep.value(i);
                if s.is_empty() {
                    b.values().append_value(a.value(i));
                } else {
                    for piece in a.value(i).split(s) {
                        b.values().append_value(piece);
                    }
                }
                b.append(true);
            }
            Arc::new(b.finish())
        }
        "concat" => {
            let parts: Vec<StringArray> = (0..args.len())
                .map(|i| strings(args, i, len))
                .collect::<Result<_, _>>()?;
            let out: StringArray = (0..len)
                .map(|row| {
                    let mut s = String::new();
                    for p in &parts {
                        if p.is_null(row) {
                            return None;
                        }
                        s.push_str(p.value(row));
                    }
                    Some(s)
                })
                .collect();
            Arc::new(out)
        }
        other => return Err(KernelError(format!("no kernel `{other}`"))),
    })
}
