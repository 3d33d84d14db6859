//! What type a text field holds: the rules CSV inference uses, and which the CSV reader
//! applies when it converts fields.
//!
//! - bool: `true` / `false` in any case;
//! - int64: an optional sign and digits that fit in 64 bits (ids above 2^53 stay exact);
//! - float64: decimal or scientific notation (`6.38E-05`), `nan`, `inf`, `-inf`;
//! - date: ISO `YYYY-MM-DD`;
//! - timestamp: ISO `YYYY-MM-DD` then `T` or a space, `HH:MM[:SS[.fff]]`, and an optional
//!   `Z`, `±HH:MM` or `±HHMM` (with or without a space before it);
//! - string: anything else.
//!
//! US dates (`01/02/1965`) are strings: they are ambiguous with European ones, so they
//! are parsed only by an explicit `parse_date(col, "%m/%d/%Y")`.

use crate::types::DataType;

/// The narrowest type that can hold `text` (which is not a null marker).
pub fn classify(text: &str) -> DataType {
    // ASCII spaces only, as the readers trim them (`" 1 "` is an int64 there too).
    let t = text.trim_ascii();
    let Some(&first) = t.as_bytes().first() else {
        return DataType::String;
    };
    // Numbers, dates and timestamps start with a digit, a sign or a dot; bools with t/f;
    // `nan` and `inf` with n/i. Anything else is text, without trying every parser.
    if !(first.is_ascii_digit()
        || matches!(
            first,
            b'+' | b'-' | b'.' | b't' | b'T' | b'f' | b'F' | b'n' | b'N' | b'i' | b'I'
        ))
    {
        return DataType::String;
    }
    if t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false") {
        return DataType::Bool;
    }
    if t.parse::<i64>().is_ok()
        && t.bytes()
            .all(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        return DataType::Int64;
    }
    if is_float(t) {
        return DataType::Float64;
    }
    if parse_iso_date(t).is_some() {
        return DataType::Date;
    }
    if parse_iso_timestamp(t).is_some() {
        return DataType::Timestamp;
    }
    DataType::String
}

fn is_float(t: &str) -> bool {
    let body = t.trim_start_matches(['+', '-']);
    if ["nan", "inf", "infinity"]
        .iter()
        .any(|w| body.eq_ignore_ascii_case(w))
    {
        return true;
    }
    // Rust's parser accepts "1e5", "1.", ".5"; refuse words it would otherwise take.
    body.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && body
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'))
        && t.parse::<f64>().is_ok()
}

/// Days since 1970-01-01 for an ISO `YYYY-MM-DD` date, or one with an expanded year
/// (`+10000-01-01`, `-0044-03-15`: what Sluice's sinks write beyond year 9999 and
/// before year 0).
pub fn parse_iso_date(t: &str) -> Option<i32> {
    if t.len() != 10 || t.as_bytes()[4] != b'-' || t.as_bytes()[7] != b'-' {
        return parse_expanded_date(t);
    }
    let date = chrono::NaiveDate::parse_from_str(t, "%Y-%m-%d").ok()?;
    Some((date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days() as i32)
}

/// `±YYYYY-MM-DD`: a sign, or more than four year digits, then month and day.
fn parse_expanded_date(t: &str) -> Option<i32> {
    let (sign, rest) = match t.as_bytes().first()? {
        b'+' => (1, &t[1..]),
        b'-' => (-1, &t[1..]),
        _ => (1, t),
    };
    let (year, month_day) = rest.split_once('-')?;
    let (month, day) = month_day.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let expanded = sign < 0 || t.starts_with('+') || year.len() > 4;
    if !expanded || year.len() < 4 || month.len() != 2 || day.len() != 2 {
        return None;
    }
    if !(digits(year) && digits(month) && digits(day)) {
        return None;
    }
    let date = chrono::NaiveDate::from_ymd_opt(
        sign * year.parse::<i32>().ok()?,
        month.parse().ok()?,
        day.parse().ok()?,
    )?;
    i32::try_from((date - chrono::NaiveDate::from_ymd_opt(1970, 1, 1)?).num_days()).ok()
}

/// Microseconds since the epoch (UTC) for an ISO 8601 timestamp.
pub fn parse_iso_timestamp(t: &str) -> Option<i64> {
    use chrono::{DateTime, NaiveDateTime};
    if t.len() < 16 || !matches!(t.as_bytes().get(10), Some(b'T' | b' ')) {
        return None;
    }
    if let Some(us) = common_iso_timestamp(t.as_bytes()) {
        return Some(us);
    }
    let normalized = t.replacen(' ', "T", 1);
    let s = normalized.as_str();
    if let Ok(dt) = DateTime::parse_from_rfc3339(s) {
        return Some(dt.timestamp_micros());
    }
    for format in [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M:%S%.f %#z",
        "%Y-%m-%dT%H:%M%#z",
    ] {
        if let Ok(dt) = DateTime::parse_from_str(s, format) {
            return Some(dt.timestamp_micros());
        }
    }
    let naive = s.strip_suffix('Z').unwrap_or(s);
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(naive, format) {
            return Some(dt.and_utc().timestamp_micros());
        }
    }
    None
}

/// The common shape, read without allocating: `YYYY-MM-DD[T ]HH:MM:SS`, an optional
/// fraction (to the microsecond; more digits are cut, as chrono does), then `Z` or
/// `±HH:MM`, or nothing (UTC). Anything else (other offsets, leap seconds, minutes
/// only) is left to the general parser, which gives the same value for this shape.
fn common_iso_timestamp(b: &[u8]) -> Option<i64> {
    let digits = |from: usize, n: usize| -> Option<i64> {
        let part = b.get(from..from + n)?;
        part.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let (year, month, day) = (digits(0, 4)?, digits(5, 2)? as u32, digits(8, 2)? as u32);
    let (hour, minute, second) = (digits(11, 2)?, digits(14, 2)?, digits(17, 2)?);
    if !(1..=12).contains(&month)
        || day == 0
        || day > crate::kernels::dates::days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let mut at = 19;
    let mut micros = 0i64;
    if b.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while b.get(at).is_some_and(u8::is_ascii_digit) {
            if at - start < 6 {
                micros = micros * 10 + i64::from(b[at] - b'0');
            }
            at += 1;
        }
        if at == start {
            return None;
        }
        for _ in (at - start)..6 {
            micros *= 10;
        }
    }
    let offset_seconds = match &b[at..] {
        [] | [b'Z'] | [b'z'] => 0,
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (h, m) = (digits(at + 1, 2)?, digits(at + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = h * 3600 + m * 60;
            if *sign == b'+' { s } else { -s }
        }
        _ => return None,
    };
    let days = crate::kernels::dates::days_from_civil(year, month, day);
    let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds;
    Some(seconds * 1_000_000 + micros)
}

/// Microseconds for an ISO 8601 duration, the form every text sink writes durations in
/// (`PT36000S`, `-PT0.5S`, `P1DT2H3M4.000005S`, `P2W`): an optional sign, `P`, then weeks
/// or days, and after `T` hours, minutes and (fractional, to the microsecond) seconds.
/// Years and months are refused: their length depends on the calendar.
pub fn parse_iso_duration(t: &str) -> Option<i64> {
    let (negative, rest) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let rest = rest.strip_prefix(['P', 'p'])?;
    let (date, time) = match rest.find(['T', 't']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let mut total: i128 = 0;
    let mut parts = 0;
    let mut read = |text: &str, units: &[(u8, i128)], fraction_ok: bool| -> Option<()> {
        let mut i = 0;
        let b = text.as_bytes();
        let mut next_unit = 0;
        while i < b.len() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
                i += 1;
            }
            let number = &text[start..i];
            let unit = b.get(i)?.to_ascii_uppercase();
            i += 1;
            let k = units[next_unit..].iter().position(|(u, _)| *u == unit)? + next_unit;
            next_unit = k + 1;
            let scale = units[k].1;
            let (whole, frac) = match number.split_once('.') {
                Some((w, f)) if fraction_ok && k + 1 == units.len() => (w, f),
                Some(_) => return None,
                None => (number, ""),
            };
            if whole.is_empty() && frac.is_empty() || frac.len() > 6 {
                return None;
            }
            let whole: i128 = if whole.is_empty() {
                0
            } else {
                whole.parse().ok()?
            };
            let frac_us: i128 = format!("{frac:0<6}").parse().ok()?;
            total = total.checked_add(whole.checked_mul(scale)?.checked_add(frac_us)?)?;
            parts += 1;
        }
        Some(())
    };
    read(
        date,
        &[(b'W', 604_800_000_000), (b'D', 86_400_000_000)],
        false,
    )?;
    if let Some(time) = time {
        if time.is_empty() {
            return None;
        }
        read(
            time,
            &[(b'H', 3_600_000_000), (b'M', 60_000_000), (b'S', 1_000_000)],
            true,
        )?;
    }
    if parts == 0 {
        return None;
    }
    i64::try_from(if negative { -total } else { total }).ok()
}

/// The type of a column whose values were seen with types `a` and then `b`: the common
/// supertype, or `string` when there is none (text always holds the value).
pub fn widen(a: &DataType, b: &DataType) -> DataType {
    DataType::common_supertype(a, b).unwrap_or(DataType::String)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The general parser's answer, bypassing the fast path.
    fn general(t: &str) -> Option<i64> {
        use chrono::{DateTime, NaiveDateTime};
        let s = t.replacen(' ', "T", 1);
        if let Ok(dt) = DateTime::parse_from_rfc3339(&s) {
            return Some(dt.timestamp_micros());
        }
        let naive = s.strip_suffix('Z').unwrap_or(&s);
        NaiveDateTime::parse_from_str(naive, "%Y-%m-%dT%H:%M:%S%.f")
            .ok()
            .map(|dt| dt.and_utc().timestamp_micros())
    }

    #[test]
    fn the_fast_timestamp_path_agrees_with_chrono() {
        let cases = [
            "2026-07-01T12:00:06.086192Z",
            "2026-07-01 12:00:06Z",
            "1965-01-02T13:44:18",
            "1900-02-28T23:59:59.9999999Z",
            "2000-02-29T00:00:00+05:30",
            "2000-02-29T00:00:00-00:45",
            "1969-12-31T23:59:59.5Z",
            "2024-12-31T23:59:59.1z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.999999Z",
        ];
        for t in cases {
            assert_eq!(common_iso_timestamp(t.as_bytes()), general(t), "{t}");
            assert_eq!(parse_iso_timestamp(t), general(t), "{t}");
        }
        // Shapes the fast path leaves to the general parser.
        for t in [
            "2023-02-29T00:00:00Z",
            "2026-07-01T24:00:00Z",
            "2026-07-01T12:00Z",
            "2026-07-01T12:00:00.Z",
        ] {
            assert_eq!(common_iso_timestamp(t.as_bytes()), None, "{t}");
        }
        // Every second of a day and a spread of dates.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let secs = (state % (400 * 365 * 86_400)) as i64 - 200 * 365 * 86_400;
            let dt = chrono::DateTime::from_timestamp(secs, (state % 1_000_000) as u32 * 1000)
                .expect("in range");
            let t = dt.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string();
            assert_eq!(common_iso_timestamp(t.as_bytes()), general(&t), "{t}");
        }
    }

    #[test]
    fn classifies_the_shapes_found_in_the_seed_data() {
        assert_eq!(classify("6"), DataType::Int64);
        assert_eq!(classify("5.8"), DataType::Float64);
        assert_eq!(classify("-1.1"), DataType::Float64);
        assert_eq!(classify("6.38E-05"), DataType::Float64);
        assert_eq!(classify("570306133677760513"), DataType::Int64);
        assert_eq!(classify("99999999999999999999"), DataType::Float64);
        assert_eq!(classify("01/02/1965"), DataType::String);
        assert_eq!(classify("13:44:18"), DataType::String);
        assert_eq!(classify("1965-01-02"), DataType::Date);
        assert_eq!(classify("1975-02-23T02:58:41.000Z"), DataType::Timestamp);
        assert_eq!(classify("2015-02-24 11:35:52 -0800"), DataType::Timestamp);
        assert_eq!(classify("TRUE"), DataType::Bool);
        assert_eq!(classify("NA"), DataType::String);
        assert_eq!(classify("nan"), DataType::Float64);
        assert_eq!(classify("e5"), DataType::String);
        assert_eq!(classify("Earthquake"), DataType::String);
    }

    #[test]
    fn timestamps_honour_offsets() {
        let utc = parse_iso_timestamp("2015-02-24T19:35:52Z").unwrap();
        assert_eq!(parse_iso_timestamp("2015-02-24 11:35:52 -0800"), Some(utc));
        assert_eq!(parse_iso_timestamp("2015-02-24T11:35:52-08:00"), Some(utc));
        assert_eq!(parse_iso_date("1970-01-02"), Some(1));
        assert_eq!(parse_iso_date("1970-13-02"), None);
        assert_eq!(parse_iso_date("+10000-01-01"), Some(2_932_897));
        assert_eq!(
            parse_iso_date("-0001-12-31"),
            parse_iso_date("0000-01-01").map(|d| d - 1)
        );
        assert_eq!(parse_iso_date("10000-01-01"), Some(2_932_897));
        for bad in ["+1000-01-01x", "+10000-1-01", "12345", "-", "+-1-01-01"] {
            assert_eq!(parse_iso_date(bad), None, "{bad}");
        }
    }

    #[test]
    fn iso_durations_parse_to_microseconds() {
        assert_eq!(parse_iso_duration("PT36000S"), Some(36_000_000_000));
        assert_eq!(parse_iso_duration("PT86399.999999S"), Some(86_399_999_999));
        assert_eq!(parse_iso_duration("-PT0.5S"), Some(-500_000));
        assert_eq!(
            parse_iso_duration("P1DT2H3M4.000005S"),
            Some(93_784_000_005)
        );
        assert_eq!(parse_iso_duration("P2W"), Some(1_209_600_000_000));
        assert_eq!(parse_iso_duration("PT0S"), Some(0));
        for bad in [
            "P",
            "PT",
            "P1M",
            "PT1.5M",
            "PT1S2M",
            "PT1.0000001S",
            "10s",
            "",
            "-",
        ] {
            assert_eq!(parse_iso_duration(bad), None, "{bad}");
        }
    }

    #[test]
    fn widening_falls_back_to_string() {
        assert_eq!(
            widen(&DataType::Int64, &DataType::Float64),
            DataType::Float64
        );
        assert_eq!(widen(&DataType::Int64, &DataType::Date), DataType::String);
    }
}
