//! Times as people write them where a range is meant: an RFC 3339 time
//! (`2026-11-01T09:30:00Z`), or a day (`2026-11-01`, in UTC). A day as the start of a range is
//! its first instant; as the end, the first instant of the next day, so that `from=2026-11-01`
//! and `to=2026-11-30` cover all of November.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Deserializer};

/// Which end of a range a time bounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    Start,
    End,
}

/// What a time must look like, for error messages.
pub const EXPECTED: &str = "expected an RFC 3339 time (2026-11-01T09:30:00Z) or a day (2026-11-01)";

/// Reads a bound of a range.
pub fn parse(s: &str, end: End) -> Result<DateTime<Utc>, String> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    let day = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| EXPECTED.to_owned())?;
    let day = match end {
        End::Start => day,
        End::End => day.succ_opt().ok_or_else(|| EXPECTED.to_owned())?,
    };
    Ok(day.and_time(chrono::NaiveTime::MIN).and_utc())
}

fn bound<'de, D: Deserializer<'de>>(d: D, end: End) -> Result<Option<DateTime<Utc>>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) => parse(&s, end).map(Some).map_err(serde::de::Error::custom),
    }
}

/// `#[serde(default, deserialize_with = "custos_app::when::start")]` on an
/// `Option<DateTime<Utc>>` that starts a range.
pub fn start<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    bound(d, End::Start)
}

/// Likewise for the end of a range.
pub fn end<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    bound(d, End::End)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_day_covers_itself_whole() {
        let p = |s, e| parse(s, e).map(|t| t.to_rfc3339());
        assert_eq!(
            p("2026-11-01", End::Start).unwrap(),
            "2026-11-01T00:00:00+00:00"
        );
        assert_eq!(
            p("2026-11-30", End::End).unwrap(),
            "2026-12-01T00:00:00+00:00"
        );
        assert_eq!(
            p("2026-11-01T09:30:00+01:00", End::End).unwrap(),
            "2026-11-01T08:30:00+00:00"
        );
        assert_eq!(p("2026-13-01", End::Start).unwrap_err(), EXPECTED);
        assert_eq!(p("yesterday", End::Start).unwrap_err(), EXPECTED);
    }
}
