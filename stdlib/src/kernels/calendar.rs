//! Calendar functions: `date_trunc`, `make_date`, `strftime`, `day_of_week` (ISO, Monday
//! is 1), `week` (ISO week), `quarter`, epoch seconds (`epoch`, `from_epoch`) and time
//! zones (`from_utc`, `to_utc`: a UTC instant as an IANA zone's wall clock and back, as
//! Spark's `from_utc_timestamp` / `to_utc_timestamp`). A date argument keeps its type
//! where the function returns the argument's type (`date_trunc` of a date is a date).

use super::dates::{
    MICROS_PER_DAY, civil_from_days, days, days_from_civil, days_in_month, is_date, micros,
};
use super::{KernelError, KernelResult, arg_as};
use crate::value::{Columnar, ScalarValue};
use arrow::array::{
    Array, Date32Array, Float64Array, Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow::datatypes::DataType as A;
use chrono::{DateTime, NaiveDateTime, Offset, TimeZone};
use std::sync::Arc;

fn constant_text<'a>(args: &'a [Columnar], i: usize, what: &str) -> Result<&'a str, KernelError> {
    match args.get(i).and_then(Columnar::as_scalar) {
        Some(ScalarValue::String(s)) => Ok(s),
        _ => Err(KernelError(format!("{what} must be a constant string"))),
    }
}

fn timestamps(values: impl IntoIterator<Item = Option<i64>>) -> KernelResult {
    Ok(Arc::new(
        values
            .into_iter()
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    ))
}

/// The ISO weekday (1 = Monday) of a day number.
fn iso_weekday(day: i64) -> i64 {
    // 1970-01-01 was a Thursday.
    (day + 3).rem_euclid(7) + 1
}

/// The ISO week (1-53) of a day number.
fn iso_week(day: i64) -> i64 {
    // The week's Thursday decides its year; its week is its day of year / 7.
    let thursday = day - iso_weekday(day) + 4;
    let (year, _, _) = civil_from_days(thursday);
    let jan1 = days_from_civil(year, 1, 1);
    (thursday - jan1) / 7 + 1
}

/// Microseconds `us` cut down to the start of `unit`.
fn truncate(unit: &str, us: i64) -> i64 {
    let day = us.div_euclid(MICROS_PER_DAY);
    let (y, m, _) = civil_from_days(day);
    let start_of_day = |d: i64| d.saturating_mul(MICROS_PER_DAY);
    match unit {
        "year" => start_of_day(days_from_civil(y, 1, 1)),
        "quarter" => start_of_day(days_from_civil(y, (m - 1) / 3 * 3 + 1, 1)),
        "month" => start_of_day(days_from_civil(y, m, 1)),
        "week" => start_of_day(day - iso_weekday(day) + 1),
        "day" => start_of_day(day),
        "hour" => us - us.rem_euclid(3_600_000_000),
        "minute" => us - us.rem_euclid(60_000_000),
        _ => us - us.rem_euclid(1_000_000),
    }
}

fn zone(args: &[Columnar], i: usize) -> Result<chrono_tz::Tz, KernelError> {
    let name = constant_text(args, i, "the time zone")?;
    name.parse::<chrono_tz::Tz>()
        .map_err(|_| KernelError(format!("unknown time zone `{name}`")))
}

/// The offset of `tz` from UTC at the UTC instant `us`, in microseconds.
fn offset_at_utc(tz: &chrono_tz::Tz, us: i64) -> Option<i64> {
    let utc = DateTime::from_timestamp_micros(us)?.naive_utc();
    Some(i64::from(tz.offset_from_utc_datetime(&utc).fix().local_minus_utc()) * 1_000_000)
}

/// The UTC instant of the wall-clock time `us` in `tz`; a time skipped by a daylight
/// saving change is moved forward by the change, an ambiguous one takes the earlier.
fn utc_of_local(tz: &chrono_tz::Tz, us: i64) -> Option<i64> {
    let local: NaiveDateTime = DateTime::from_timestamp_micros(us)?.naive_utc();
    match tz.from_local_datetime(&local) {
        chrono::LocalResult::Single(t) => Some(t.timestamp_micros()),
        chrono::LocalResult::Ambiguous(a, _) => Some(a.timestamp_micros()),
        chrono::LocalResult::None => {
            // In a gap: read it with the offset before the gap.
            let before = offset_at_utc(tz, us - 3_600_000_000 * 3)?;
            Some(us - before)
        }
    }
}

pub(super) fn call(name: &str, args: &[Columnar], len: usize) -> KernelResult {
    Ok(match name {
        "date_trunc" => {
            let unit = constant_text(args, 0, "the unit")?;
            if is_date(args, 1) {
                let out: Date32Array = days(args, 1, len)?
                    .into_iter()
                    .map(|d| {
                        d.map(|d| {
                            (truncate(unit, d * MICROS_PER_DAY).div_euclid(MICROS_PER_DAY)) as i32
                        })
                    })
                    .collect();
                Arc::new(out)
            } else {
                timestamps(
                    micros(args, 1, len)?
                        .into_iter()
                        .map(|v| v.map(|us| truncate(unit, us))),
                )?
            }
        }
        "time_bucket" => {
            let width = arg_as(args, 0, len, &A::Int64)?;
            let width = width
                .as_any()
                .downcast_ref::<Int64Array>()
                .ok_or_else(|| KernelError("duration".into()))?;
            let at = micros(args, 1, len)?;
            timestamps((0..len).map(|i| {
                let w = (!width.is_null(i))
                    .then(|| width.value(i))
                    .filter(|w| *w > 0)?;
                at[i].map(|us| us.div_euclid(w) * w)
            }))?
        }
        "make_date" => {
            let part = |i: usize| -> Result<Int64Array, KernelError> {
                let a = arg_as(args, i, len, &A::Int64)?;
                a.as_any()
                    .downcast_ref::<Int64Array>()
                    .cloned()
                    .ok_or_else(|| KernelError("int64".into()))
            };
            let (y, m, d) = (part(0)?, part(1)?, part(2)?);
            let out: Date32Array = (0..len)
                .map(|i| {
                    if y.is_null(i) || m.is_null(i) || d.is_null(i) {
                        return None;
                    }
                    let (y, m, d) = (y.value(i), m.value(i), d.value(i));
                    if !(1..=12).contains(&m) || !(-5_000_000..=5_000_000).contains(&y) {
                        return None;
                    }
                    if d < 1 || d > i64::from(days_in_month(y, m as u32)) {
                        return None;
                    }
                    i32::try_from(days_from_civil(y, m as u32, d as u32)).ok()
                })
                .collect();
            Arc::new(out)
        }
        "strftime" => {
            let format = constant_text(args, 1, "the format")?;
            let items: Vec<chrono::format::Item<'_>> =
                chrono::format::StrftimeItems::new(format).collect();
            let out: StringArray = micros(args, 0, len)?
                .into_iter()
                .map(|v| {
                    let t = DateTime::from_timestamp_micros(v?)?;
                    Some(t.format_with_items(items.iter()).to_string())
                })
                .collect();
            Arc::new(out)
        }
        "day_of_week" | "week" | "quarter" => {
            let out: Int64Array = days(args, 0, len)?
                .into_iter()
                .map(|d| {
                    d.map(|d| match name {
                        "day_of_week" => iso_weekday(d),
                        "week" => iso_week(d),
                        _ => i64::from((civil_from_days(d).1 - 1) / 3 + 1),
                    })
                })
                .collect();
            Arc::new(out)
        }
        "epoch" => {
            let out: Float64Array = micros(args, 0, len)?
                .into_iter()
                .map(|v| v.map(|us| us as f64 / 1e6))
                .collect();
            Arc::new(out)
        }
        "from_epoch" => {
            let s = arg_as(args, 0, len, &A::Float64)?;
            let s = s
                .as_any()
                .downcast_ref::<Float64Array>()
                .ok_or_else(|| KernelError("float64".into()))?;
            timestamps(s.iter().map(|v| {
                let us = (v? * 1e6).round();
                (us.is_finite() && us.abs() < 9.2e18).then_some(us as i64)
            }))?
        }
        "from_utc" | "to_utc" => {
            let tz = zone(args, 1)?;
            let to_local = name == "from_utc";
            timestamps(micros(args, 0, len)?.into_iter().map(|v| {
                let us = v?;
                if to_local {
                    us.checked_add(offset_at_utc(&tz, us)?)
                } else {
                    utc_of_local(&tz, us)
                }
            }))?
        }
        other => return Err(KernelError(format!("no calendar kernel `{other}`"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i64, m: u32, d: u32) -> i64 {
        days_from_civil(y, m, d)
    }

    #[test]
    fn iso_weeks_and_weekdays() {
        assert_eq!(iso_weekday(day(2024, 1, 1)), 1, "a Monday");
        assert_eq!(iso_weekday(day(2023, 12, 31)), 7, "a Sunday");
        assert_eq!(
            iso_week(day(2021, 1, 3)),
            53,
            "2021-01-03 is in 2020's week 53"
        );
        assert_eq!(
            iso_week(day(2024, 12, 30)),
            1,
            "2024-12-30 is in 2025's week 1"
        );
        assert_eq!(iso_week(day(2015, 6, 15)), 25);
    }

    #[test]
    fn truncation_to_each_unit() {
        let us = day(2015, 8, 19) * MICROS_PER_DAY + 13 * 3_600_000_000 + 61_000_001;
        assert_eq!(truncate("quarter", us), day(2015, 7, 1) * MICROS_PER_DAY);
        assert_eq!(truncate("week", us), day(2015, 8, 17) * MICROS_PER_DAY);
        assert_eq!(
            truncate("minute", us),
            day(2015, 8, 19) * MICROS_PER_DAY + 13 * 3_600_000_000 + 60_000_000
        );
        let before_1970 = day(1969, 12, 31) * MICROS_PER_DAY + 5;
        assert_eq!(
            truncate("day", before_1970),
            day(1969, 12, 31) * MICROS_PER_DAY
        );
    }

    #[test]
    fn time_zones_round_trip() {
        let tz: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
        let summer = day(2024, 7, 1) * MICROS_PER_DAY;
        let local = summer + offset_at_utc(&tz, summer).unwrap();
        assert_eq!(local - summer, 2 * 3_600_000_000);
        assert_eq!(utc_of_local(&tz, local), Some(summer));
        // 2024-03-31 02:30 does not exist in Paris: moved forward to 03:30 local.
        let gap = day(2024, 3, 31) * MICROS_PER_DAY + 150 * 60_000_000;
        assert_eq!(utc_of_local(&tz, gap), Some(gap - 3_600_000_000));
    }
}
