//! Date and time functions. Dates are days since 1970-01-01; timestamps microseconds
//! since the epoch in UTC. `parse_date`/`parse_timestamp` give null for text that does
//! not match; without a format they read ISO 8601 (and `parse_date` takes the date part
//! of an ISO timestamp, so `1975-02-23T02:58:41.000Z` is 1975-02-23). Date parts of a
//! date are read at midnight (its `hour` is 0). `date_diff` counts whole units from start
//! to end, truncated toward zero (negative when end is earlier), for every part: a month
//! is whole when `start` moved that many months on (the day clamped to the month's end,
//! as in `2001-01-31` + 1 month = `2001-02-28`) is not past `end`, and a year is twelve
//! whole months; from a later start the count is the same, negated. This is DuckDB's `date_sub` (not its `date_diff`, which counts calendar
//! boundaries) and Spark's `floor(months_between(end, start))` for months.

use super::{KernelError, KernelResult, arg_as, text_arg};
use crate::io::value_types::{parse_iso_date, parse_iso_timestamp};
use crate::value::{Columnar, ScalarValue};
use arrow::array::{Array, Date32Array, Int64Array, TimestampMicrosecondArray};
use arrow::datatypes::{DataType as A, TimeUnit};
use chrono::format::{Item, Parsed, StrftimeItems};
use std::sync::Arc;

pub(super) const MICROS_PER_DAY: i64 = 86_400_000_000;

/// (year, month, day) of a day number, exact over the whole `i32` range (Hinnant's
/// civil-from-days).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A compiled strftime format, parsed once and used for every row.
struct Format(Vec<Item<'static>>);

impl Format {
    fn new(format: &str) -> Format {
        Format(StrftimeItems::new(format).map(|i| i.to_owned()).collect())
    }
    fn parse(&self, text: &str) -> Option<Parsed> {
        let mut parsed = Parsed::new();
        chrono::format::parse(&mut parsed, text.trim(), self.0.iter()).ok()?;
        Some(parsed)
    }
}

/// `MM/DD/YYYY` with both numbers padded, the commonest non-ISO layout, parsed without
/// chrono. `None` means "not this exact shape, or not a real day": the caller then asks
/// chrono, so the fast path never rejects what the general path accepts (`1/5/2001`).
fn us_date(t: &str) -> Option<i32> {
    let b = t.as_bytes();
    if b.len() != 10 || b[2] != b'/' || b[5] != b'/' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |acc, c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = chrono::NaiveDate::from_ymd_opt(num(6..10)? as i32, num(0..2)?, num(3..5)?)?;
    Some(days_of(date))
}

fn days_of(date: chrono::NaiveDate) -> i32 {
    date.signed_duration_since(chrono::NaiveDate::default())
        .num_days() as i32
}

/// Parses a date with an optional strftime format (None: ISO).
pub fn parse_date_with(text: &str, format: Option<&str>) -> Option<i32> {
    match format {
        None => parse_iso_date(text.trim()).or_else(|| {
            let t = text.trim();
            if t.len() > 10 && matches!(t.as_bytes()[10], b'T' | b' ') {
                parse_iso_date(&t[..10])
            } else {
                None
            }
        }),
        Some(f @ "%m/%d/%Y") => us_date(text.trim()).or_else(|| parse_date_general(text, f)),
        Some(f) => parse_date_general(text, f),
    }
}

/// Parses a date with chrono's strftime parser.
fn parse_date_general(text: &str, format: &str) -> Option<i32> {
    Format::new(format)
        .parse(text)?
        .to_naive_date()
        .ok()
        .map(days_of)
}

/// Parses a timestamp (microseconds, UTC) with an optional strftime format (None: ISO).
pub fn parse_timestamp_with(text: &str, format: Option<&str>) -> Option<i64> {
    match format {
        None => parse_iso_timestamp(text.trim())
            .or_else(|| parse_iso_date(text.trim()).map(|d| d as i64 * MICROS_PER_DAY)),
        Some(f) => timestamp_of(&Format::new(f).parse(text)?),
    }
}

fn timestamp_of(p: &Parsed) -> Option<i64> {
    if p.offset.is_some() {
        return p.to_datetime().ok().map(|dt| dt.timestamp_micros());
    }
    let date = p.to_naive_date().ok()?;
    let time = p.to_naive_time().unwrap_or_default();
    Some(date.and_time(time).and_utc().timestamp_micros())
}

fn format_arg(args: &[Columnar]) -> Result<Option<String>, KernelError> {
    match args.get(1).map(|a| a.as_scalar()) {
        None | Some(Some(ScalarValue::Null)) => Ok(None),
        Some(Some(ScalarValue::String(s))) => Ok(Some(s.clone())),
        _ => Err(KernelError("the format must be a constant string".into())),
    }
}

pub(super) fn is_date(args: &[Columnar], i: usize) -> bool {
    match &args[i] {
        Columnar::Array(a) => a.data_type() == &A::Date32,
        Columnar::Scalar(v) => matches!(v, ScalarValue::Date(_)),
    }
}

/// A date or timestamp column as day numbers (a timestamp's day, in UTC), exact for
/// every date.
pub(super) fn days(
    args: &[Columnar],
    i: usize,
    len: usize,
) -> Result<Vec<Option<i64>>, KernelError> {
    if is_date(args, i) {
        let a = args[i].to_array(len);
        let d = a
            .as_any()
            .downcast_ref::<Date32Array>()
            .ok_or_else(|| KernelError("date".into()))?;
        return Ok(d.iter().map(|v| v.map(i64::from)).collect());
    }
    Ok(micros(args, i, len)?
        .into_iter()
        .map(|v| v.map(|us| us.div_euclid(MICROS_PER_DAY)))
        .collect())
}

/// A date or timestamp column as microseconds since the epoch (dates beyond the
/// timestamp range, ±292,000 years, saturate).
pub(super) fn micros(
    args: &[Columnar],
    i: usize,
    len: usize,
) -> Result<Vec<Option<i64>>, KernelError> {
    let a = args[i].to_array(len);
    Ok(match a.data_type() {
        A::Date32 => {
            let d = a
                .as_any()
                .downcast_ref::<Date32Array>()
                .ok_or_else(|| KernelError("date".into()))?;
            d.iter()
                .map(|v| v.map(|x| i64::from(x).saturating_mul(MICROS_PER_DAY)))
                .collect()
        }
        A::Null => vec![None; len],
        _ => {
            let t = arg_as(
                args,
                i,
                len,
                &A::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            )?;
            let t = t
                .as_any()
                .downcast_ref::<TimestampMicrosecondArray>()
                .ok_or_else(|| KernelError("timestamp".into()))?;
            t.iter().collect()
        }
    })
}

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    match name {
        "parse_date" => {
            let text = text_arg(args, 0, len)?;
            let format = format_arg(args)?;
            let compiled = format
                .as_deref()
                .filter(|f| *f != "%m/%d/%Y")
                .map(Format::new);
            let out: Date32Array = text
                .iter()
                .map(|v| {
                    let v = v?;
                    match &compiled {
                        Some(f) => f.parse(v)?.to_naive_date().ok().map(days_of),
                        None => parse_date_with(v, format.as_deref()),
                    }
                })
                .collect();
            Ok(Arc::new(out))
        }
        "parse_timestamp" => {
            let text = text_arg(args, 0, len)?;
            let format = format_arg(args)?;
            let compiled = format.as_deref().map(Format::new);
            let out: TimestampMicrosecondArray = text
                .iter()
                .map(|v| match &compiled {
                    Some(f) => timestamp_of(&f.parse(v?)?),
                    None => parse_timestamp_with(v?, None),
                })
                .collect();
            Ok(Arc::new(out.with_timezone("UTC")))
        }
        "year" | "month" | "day" => {
            let out: Int64Array = days(args, 0, len)?
                .into_iter()
                .map(|v| {
                    let (y, m, d) = civil_from_days(v?);
                    Some(match name {
                        "year" => y,
                        "month" => m as i64,
                        _ => d as i64,
                    })
                })
                .collect();
            Ok(Arc::new(out))
        }
        "hour" | "minute" | "second" => {
            let (unit, modulo) = match name {
                "hour" => (3_600_000_000, 24),
                "minute" => (60_000_000, 60),
                _ => (1_000_000, 60),
            };
            let out: Int64Array = if is_date(args, 0) {
                // A date is read at midnight.
                days(args, 0, len)?
                    .into_iter()
                    .map(|v| v.map(|_| 0))
                    .collect()
            } else {
                micros(args, 0, len)?
                    .into_iter()
                    .map(|v| Some(v?.div_euclid(unit).rem_euclid(modulo)))
                    .collect()
            };
            Ok(Arc::new(out))
        }
        "date_diff" => {
            let part = match args.first().and_then(Columnar::as_scalar) {
                Some(ScalarValue::String(p)) => p.clone(),
                _ => return Err(KernelError("date_diff needs a constant part".into())),
            };
            let (start, end) = (micros(args, 1, len)?, micros(args, 2, len)?);
            let out: Int64Array = start
                .into_iter()
                .zip(end)
                .map(|(s, e)| Some(diff(&part, s?, e?)))
                .collect();
            Ok(Arc::new(out))
        }
        other => Err(KernelError(format!("no kernel `{other}`"))),
    }
}

fn diff(part: &str, start: i64, end: i64) -> i64 {
    let unit = match part {
        "week" => 7 * MICROS_PER_DAY,
        "day" => MICROS_PER_DAY,
        "hour" => 3_600_000_000,
        "minute" => 60_000_000,
        "second" => 1_000_000,
        _ => {
            let months = whole_months(start, end);
            return if part == "year" { months / 12 } else { months };
        }
    };
    (end - start) / unit
}

/// The whole months from `start` to `end` (microseconds), truncated toward zero: the
/// largest `n` for which the earlier moved `n` months on is not past the later, negative
/// when `end` is earlier (so `whole_months(a, b) == -whole_months(b, a)`, as DuckDB's
/// `date_sub` and Spark's `months_between` are).
fn whole_months(start: i64, end: i64) -> i64 {
    if end < start {
        return -whole_months(end, start);
    }
    let (ys, ms, _) = civil_from_days(start.div_euclid(MICROS_PER_DAY));
    let (ye, me, _) = civil_from_days(end.div_euclid(MICROS_PER_DAY));
    let boundaries = (ye - ys) * 12 + me as i64 - ms as i64;
    if boundaries > 0 && add_months(start, boundaries) > end {
        boundaries - 1
    } else {
        boundaries
    }
}

/// `micros` moved `months` calendar months on, its day clamped to the target month's
/// last day, its time of day kept.
fn add_months(micros: i64, months: i64) -> i64 {
    let day = micros.div_euclid(MICROS_PER_DAY);
    let time = micros.rem_euclid(MICROS_PER_DAY);
    let (y, m, d) = civil_from_days(day);
    let index = y * 12 + (m as i64 - 1) + months;
    let (ty, tm) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
    let td = d.min(days_in_month(ty, tm));
    (days_from_civil(ty, tm, td) as i128 * MICROS_PER_DAY as i128 + time as i128)
        .clamp(i64::MIN as i128, i64::MAX as i128) as i64
}

pub(crate) fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// The day number of a civil date (Hinnant's days-from-civil), the inverse of
/// [`civil_from_days`].
pub(crate) fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (month as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_chrono() {
        for days in [-719_468i64, -1, 0, 1, 59, 365, 11_016, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            let chrono = chrono::NaiveDate::default() + chrono::Duration::days(days);
            assert_eq!(
                (y as i32, m, d),
                (
                    chrono::Datelike::year(&chrono),
                    chrono::Datelike::month(&chrono),
                    chrono::Datelike::day(&chrono)
                )
            );
        }
    }

    /// The `MM/DD/YYYY` fast path agrees with chrono on every text it accepts, and the
    /// whole function accepts exactly what chrono accepts.
    #[test]
    fn us_date_fast_path_matches_the_general_parser() {
        let months = [
            "1", "01", "9", "09", "12", "13", "0", "00", "001", "+1", " 1", "a",
        ];
        let days = [
            "5", "05", "28", "29", "30", "31", "32", "0", "00", "1 ", "-1",
        ];
        let years = [
            "2001", "2000", "1900", "0001", "99", "10000", "-200", "+2001", "20o1",
        ];
        let seps = ["/", "-", "//", ""];
        let mut checked = 0;
        for m in months {
            for d in days {
                for y in years {
                    for s in seps {
                        for text in [format!("{m}{s}{d}{s}{y}"), format!(" {m}{s}{d}{s}{y} ")] {
                            let general = parse_date_general(&text, "%m/%d/%Y");
                            if let Some(fast) = us_date(text.trim()) {
                                assert_eq!(Some(fast), general, "{text:?}");
                            }
                            assert_eq!(
                                parse_date_with(&text, Some("%m/%d/%Y")),
                                general,
                                "{text:?}"
                            );
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 5000);
        assert_eq!(
            parse_date_with("1/5/2001", Some("%m/%d/%Y")),
            parse_date_with("2001-01-05", None)
        );
    }

    fn at(date: &str, time_us: i64) -> i64 {
        parse_date_with(date, None).expect("date") as i64 * MICROS_PER_DAY + time_us
    }

    /// Months and years count whole units, like days: truncated toward zero.
    #[test]
    fn date_diff_counts_whole_months_and_years() {
        let cases = [
            ("2001-01-31", "2001-02-01", "month", 0),
            ("2001-01-31", "2001-02-28", "month", 1),
            ("2001-01-15", "2001-02-14", "month", 0),
            ("2001-01-15", "2001-02-15", "month", 1),
            ("2001-12-31", "2002-01-01", "year", 0),
            ("2001-06-01", "2002-06-01", "year", 1),
            ("2000-02-29", "2001-02-28", "year", 1),
            ("2002-01-01", "2001-12-31", "year", 0),
            ("2001-02-01", "2001-01-31", "month", 0),
            ("2001-03-15", "2001-01-15", "month", -2),
            ("2001-03-15", "2001-01-16", "month", -1),
            ("2001-12-31", "2002-01-01", "day", 1),
            ("2001-12-31", "2002-01-06", "week", 0),
        ];
        for (start, end, part, expected) in cases {
            assert_eq!(
                diff(part, at(start, 0), at(end, 0)),
                expected,
                "{part} from {start} to {end}"
            );
        }
        // The time of day counts: 12:00 on the 15th to 11:00 a month later is not a month.
        let hour = 3_600_000_000;
        assert_eq!(
            diff(
                "month",
                at("2001-01-15", 12 * hour),
                at("2001-02-15", 11 * hour)
            ),
            0
        );
        // The whole timestamp range does not overflow (about 584,554 years).
        let all = diff("month", i64::MIN, i64::MAX);
        assert!((584_553 * 12..=584_555 * 12).contains(&all), "{all}");
    }

    #[test]
    fn parse_date_reads_us_iso_and_iso_timestamps() {
        assert_eq!(
            parse_date_with("01/02/1965", Some("%m/%d/%Y")),
            parse_date_with("1965-01-02", None)
        );
        assert_eq!(
            parse_date_with("1975-02-23T02:58:41.000Z", None),
            parse_date_with("1975-02-23", None)
        );
        assert_eq!(
            parse_date_with("1975-02-23T02:58:41.000Z", Some("%m/%d/%Y")),
            None
        );
        assert_eq!(parse_date_with("13/40/1965", Some("%m/%d/%Y")), None);
        assert_eq!(
            parse_date_with("2015 02 24", Some("%Y %m %d")),
            parse_date_with("2015-02-24", None)
        );
        assert_eq!(
            parse_timestamp_with("2015-02-24 11:35:52 -0800", Some("%Y-%m-%d %H:%M:%S %z")),
            parse_timestamp_with("2015-02-24T19:35:52Z", None)
        );
    }

    #[test]
    fn date_parts_and_differences() {
        let ts = parse_timestamp_with("2015-02-24T19:35:52Z", None).unwrap();
        let args = [Columnar::Scalar(ScalarValue::Timestamp(ts))];
        let get = |n: &str| {
            call(n, &args, 1)
                .unwrap()
                .as_any()
                .downcast_ref::<Int64Array>()
                .unwrap()
                .value(0)
        };
        assert_eq!(
            (
                get("year"),
                get("month"),
                get("day"),
                get("hour"),
                get("minute"),
                get("second")
            ),
            (2015, 2, 24, 19, 35, 52)
        );
        assert_eq!(diff("day", 0, 3 * MICROS_PER_DAY + 5), 3);
        assert_eq!(diff("month", 0, 40 * MICROS_PER_DAY), 1);
        assert_eq!(diff("day", 3 * MICROS_PER_DAY, 0), -3);
    }
}
