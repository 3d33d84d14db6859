//! More string functions: cutting (`substr`, `left`, `right`, `split_part`), padding and
//! trimming (`lpad`, `rpad`, `ltrim`, `rtrim`), searching (`strpos`, `like`, `ilike`),
//! regular expressions (`regex_replace`, `regex_extract`, Rust regex syntax), and
//! `reverse`, `repeat`, `initcap`, `mask`. Positions and lengths count characters
//! (Unicode scalar values), not bytes, and are 1-based as in SQL.

use super::{KernelError, KernelResult, arg_as, text_arg};
use crate::value::{Columnar, ScalarValue};
use arrow::array::{Array, BooleanArray, Int64Array, StringArray};
use arrow::datatypes::DataType as A;
use std::sync::Arc;

/// The longest string `repeat` and the padding functions make.
const MAX_STRING_BYTES: usize = 1 << 30;

fn ints(args: &[Columnar], i: usize, len: usize) -> Result<Int64Array, KernelError> {
    let a = arg_as(args, i, len, &A::Int64)?;
    a.as_any()
        .downcast_ref::<Int64Array>()
        .cloned()
        .ok_or_else(|| KernelError("expected int64".into()))
}

/// Characters `[from, to)` of `s` (clamped to the text).
fn chars_between(s: &str, from: i64, to: i64) -> String {
    let from = from.max(0) as usize;
    let to = to.max(0) as usize;
    if to <= from {
        return String::new();
    }
    s.chars().skip(from).take(to - from).collect()
}

/// DuckDB's `substring`: 1-based, a negative start counts from the end, positions before
/// the first count against the length.
fn substr(s: &str, start: i64, length: Option<i64>) -> Option<String> {
    let n = s.chars().count() as i64;
    let begin = if start >= 0 { start - 1 } else { n + start };
    let end = match length {
        Some(l) if l < 0 => return None,
        Some(l) => begin.saturating_add(l),
        None => n,
    };
    Some(chars_between(s, begin, end.min(n)))
}

fn pad(s: &str, length: i64, with: &str, left: bool) -> Result<String, KernelError> {
    let length = length.max(0) as usize;
    let n = s.chars().count();
    if length <= n || with.is_empty() {
        return Ok(s.chars().take(length).collect());
    }
    if length.saturating_mul(4) > MAX_STRING_BYTES {
        return Err(KernelError::limit(format!(
            "padding to {length} characters would make a string over 1 GiB"
        )));
    }
    let fill: String = with.chars().cycle().take(length - n).collect();
    Ok(if left {
        format!("{fill}{s}")
    } else {
        format!("{s}{fill}")
    })
}

fn initcap(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if c.is_whitespace() {
            start = true;
            out.push(c);
        } else if start {
            out.extend(c.to_uppercase());
            start = false;
        } else {
            out.extend(c.to_lowercase());
        }
    }
    out
}

fn mask(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_uppercase() {
                'X'
            } else if c.is_lowercase() {
                'x'
            } else if c.is_ascii_digit() {
                'n'
            } else {
                c
            }
        })
        .collect()
}

/// A SQL LIKE pattern as an anchored regex: `%` any run, `_` one character, `\` escapes.
pub fn like_regex(pattern: &str, ignore_case: bool) -> Result<regex::Regex, KernelError> {
    let mut re = String::from(if ignore_case { "(?is)^" } else { "(?s)^" });
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        match c {
            '%' => re.push_str(".*"),
            '_' => re.push('.'),
            '\\' => match chars.next() {
                Some(e) => re.push_str(&regex::escape(&e.to_string())),
                None => re.push_str(&regex::escape("\\")),
            },
            c => re.push_str(&regex::escape(&c.to_string())),
        }
    }
    re.push('$');
    regex::Regex::new(&re).map_err(|e| KernelError(format!("LIKE pattern: {e}")))
}

/// The constant regex of argument `i`.
fn constant_regex(args: &[Columnar], i: usize, what: &str) -> Result<regex::Regex, KernelError> {
    match args.get(i).and_then(Columnar::as_scalar) {
        Some(ScalarValue::String(p)) => {
            regex::Regex::new(p).map_err(|e| KernelError(e.to_string()))
        }
        _ => Err(KernelError(format!("{what} needs a constant pattern"))),
    }
}

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    let text = text_arg(args, 0, len)?;
    let map =
        |f: &dyn Fn(&str) -> String| -> StringArray { text.iter().map(|v| v.map(f)).collect() };
    Ok(match name {
        "ltrim" => Arc::new(map(&|s| s.trim_start().to_string())),
        "rtrim" => Arc::new(map(&|s| s.trim_end().to_string())),
        "reverse" => Arc::new(map(&|s| s.chars().rev().collect())),
        "initcap" => Arc::new(map(&initcap)),
        "mask" => Arc::new(map(&mask)),
        "substr" => {
            let start = ints(args, 1, len)?;
            let length = if args.len() > 2 {
                Some(ints(args, 2, len)?)
            } else {
                None
            };
            let out: StringArray = (0..len)
                .map(|i| {
                    if text.is_null(i) || start.is_null(i) {
                        return None;
                    }
                    let l = match &length {
                        Some(l) if l.is_null(i) => return None,
                        Some(l) => Some(l.value(i)),
                        None => None,
                    };
                    substr(text.value(i), start.value(i), l)
                })
                .collect();
            Arc::new(out)
        }
        "left" | "right" => {
            let n = ints(args, 1, len)?;
            let out: StringArray = (0..len)
                .map(|i| {
                    if text.is_null(i) || n.is_null(i) {
                        return None;
                    }
                    let s = text.value(i);
                    let total = s.chars().count() as i64;
                    let k = n.value(i);
                    let keep = if k >= 0 {
                        k.min(total)
                    } else {
                        (total + k).max(0)
                    };
                    Some(if name == "left" {
                        chars_between(s, 0, keep)
                    } else {
                        chars_between(s, total - keep, total)
                    })
                })
                .collect();
            Arc::new(out)
        }
        "lpad" | "rpad" => {
            let n = ints(args, 1, len)?;
            let with = if args.len() > 2 {
                Some(text_arg(args, 2, len)?)
            } else {
                None
            };
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                if text.is_null(i) || n.is_null(i) || with.as_ref().is_some_and(|w| w.is_null(i)) {
                    out.push(None);
                    continue;
                }
                let w = with.as_ref().map_or(" ", |w| w.value(i));
                out.push(Some(pad(text.value(i), n.value(i), w, name == "lpad")?));
            }
            Arc::new(StringArray::from(out))
        }
        "strpos" => {
            let pattern = text_arg(args, 1, len)?;
            let out: Int64Array = text
                .iter()
                .zip(pattern.iter())
                .map(|(s, p)| {
                    let (s, p) = (s?, p?);
                    Some(match s.find(p) {
                        Some(byte) => s[..byte].chars().count() as i64 + 1,
                        None => 0,
                    })
                })
                .collect();
            Arc::new(out)
        }
        "repeat" => {
            let n = ints(args, 1, len)?;
            let mut out = Vec::with_capacity(len);
            for i in 0..len {
                if text.is_null(i) || n.is_null(i) {
                    out.push(None);
                    continue;
                }
                let (s, k) = (text.value(i), n.value(i).max(0) as usize);
                if s.len().saturating_mul(k) > MAX_STRING_BYTES {
                    return Err(KernelError::limit(format!(
                        "repeat would make a string of {} bytes (over 1 GiB)",
                        s.len().saturating_mul(k)
                    )));
                }
                out.push(Some(s.repeat(k)));
            }
            Arc::new(StringArray::from(out))
        }
        "split_part" => {
            let (delim, index) = (text_arg(args, 1, len)?, ints(args, 2, len)?);
            let out: StringArray = (0..len)
                .map(|i| {
                    if text.is_null(i) || delim.is_null(i) || index.is_null(i) {
                        return None;
                    }
                    let (s, d, k) = (text.value(i), delim.value(i), index.value(i));
                    let parts: Vec<&str> = if d.is_empty() {
                        vec![s]
                    } else {
                        s.split(d).collect()
                    };
                    let at = if k > 0 {
                        Some((k - 1) as usize)
                    } else if k < 0 {
                        (parts.len() as i64 + k).try_into().ok()
                    } else {
                        None
                    };
                    Some(
                        at.and_then(|a| parts.get(a))
                            .map_or(String::new(), |p| p.to_string()),
                    )
                })
                .collect();
            Arc::new(out)
        }
        "regex_replace" => {
            let re = constant_regex(args, 1, "regex_replace")?;
            let with = text_arg(args, 2, len)?;
            let out: StringArray = text
                .iter()
                .zip(with.iter())
                .map(|(s, w)| Some(re.replace_all(s?, w?).into_owned()))
                .collect();
            Arc::new(out)
        }
        "regex_extract" => {
            let re = constant_regex(args, 1, "regex_extract")?;
            let group = match args.get(2).and_then(Columnar::as_scalar) {
                Some(ScalarValue::Int(g)) => (*g).max(0) as usize,
                _ => 0,
            };
            let out: StringArray = text
                .iter()
                .map(|s| {
                    re.captures(s?)
                        .and_then(|c| c.get(group))
                        .map(|m| m.as_str().to_string())
                })
                .collect();
            Arc::new(out)
        }
        "like" | "ilike" => {
            let ignore_case = name == "ilike";
            let out: BooleanArray = match args.get(1).and_then(Columnar::as_scalar) {
                Some(ScalarValue::String(p)) => {
                    let re = like_regex(p, ignore_case)?;
                    text.iter().map(|s| s.map(|s| re.is_match(s))).collect()
                }
                _ => {
                    let pattern = text_arg(args, 1, len)?;
                    let mut out = Vec::with_capacity(len);
                    let mut cache: Option<(String, regex::Regex)> = None;
                    for (s, p) in text.iter().zip(pattern.iter()) {
                        let (Some(s), Some(p)) = (s, p) else {
                            out.push(None);
                            continue;
                        };
                        if cache.as_ref().is_none_or(|(q, _)| q != p) {
                            cache = Some((p.to_string(), like_regex(p, ignore_case)?));
                        }
                        out.push(cache.as_ref().map(|(_, re)| re.is_match(s)));
                    }
                    BooleanArray::from(out)
                }
            };
            Arc::new(out)
        }
        other => return Err(KernelError(format!("no text kernel `{other}`"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substr_follows_duckdb() {
        assert_eq!(substr("hello", 2, Some(3)).as_deref(), Some("ell"));
        assert_eq!(substr("hello", 0, Some(2)).as_deref(), Some("h"));
        assert_eq!(substr("3.5", 0, Some(3)).as_deref(), Some("3."));
        assert_eq!(substr("hello", -3, None).as_deref(), Some("llo"));
        assert_eq!(substr("hello", 9, Some(2)).as_deref(), Some(""));
        assert_eq!(substr("héllo", 2, Some(2)).as_deref(), Some("él"));
        assert_eq!(substr("hello", 1, Some(-1)), None);
    }

    #[test]
    fn like_patterns_escape_and_anchor() {
        let re = like_regex("a%b_", false).unwrap();
        assert!(re.is_match("axxbc") && !re.is_match("axxb") && !re.is_match("zaxbc"));
        assert!(like_regex("100\\%", false).unwrap().is_match("100%"));
        assert!(!like_regex("100\\%", false).unwrap().is_match("1000"));
        assert!(like_regex("A.B", true).unwrap().is_match("a.b"));
        assert!(!like_regex("A.B", true).unwrap().is_match("axb"));
    }

    #[test]
    fn padding_cuts_and_fills() {
        assert_eq!(pad("hello", 3, "*", true).unwrap(), "hel");
        assert_eq!(pad("7", 3, "0", true).unwrap(), "007");
        assert_eq!(pad("ab", 5, "xy", false).unwrap(), "abxyx");
        assert_eq!(initcap("hELLO wORLD"), "Hello World");
        assert_eq!(mask("Ab1-z"), "Xxn-x");
    }
}
