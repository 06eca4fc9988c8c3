//! ISO 3166-1 countries and territories: alpha-2, alpha-3, numeric code or English name.

use crate::Parsed;
use crate::countries_data::COUNTRIES;

/// A country of the ISO 3166-1 table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CountryInfo {
    pub alpha2: &'static str,
    pub alpha3: &'static str,
    pub numeric: u16,
    pub name: &'static str,
}

fn info(row: &'static (&'static str, &'static str, u16, &'static [&'static str])) -> CountryInfo {
    CountryInfo {
        alpha2: row.0,
        alpha3: row.1,
        numeric: row.2,
        name: row.3.first().copied().unwrap_or(""),
    }
}

/// Finds a country by any of its codes or names (case-insensitive).
pub fn lookup(s: &str) -> Option<CountryInfo> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    if t.bytes().all(|b| b.is_ascii_digit()) {
        let n: u16 = t.parse().ok()?;
        return COUNTRIES.iter().find(|r| r.2 == n).map(info);
    }
    let up = t.to_uppercase();
    COUNTRIES
        .iter()
        .find(|r| match up.len() {
            2 => r.0 == up,
            3 => r.1 == up,
            _ => r.3.iter().any(|n| n.to_uppercase() == up),
        })
        .map(info)
}

/// Whether `s` is an assigned ISO 3166-1 alpha-2 code.
pub fn is_alpha2(s: &str) -> bool {
    s.len() == 2 && COUNTRIES.iter().any(|r| r.0 == s)
}

pub fn check(value: &str) -> Result<Parsed, String> {
    let c = lookup(value).ok_or("not an ISO 3166-1 code or country name")?;
    Ok(Parsed::new(c.alpha2)
        .country(c.alpha2)
        .detail("alpha3", c.alpha3)
        .detail("numeric", format!("{:03}", c.numeric))
        .detail("name", c.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names() {
        for s in [
            "DE",
            "deu",
            "276",
            "Germany",
            "germany",
            "Federal Republic of Germany",
        ] {
            assert_eq!(lookup(s).map(|c| c.alpha2), Some("DE"), "{s}");
        }
        assert_eq!(lookup("PR").unwrap().alpha3, "PRI");
        assert_eq!(lookup("AQ").unwrap().numeric, 10);
        assert!(lookup("XX").is_none());
        assert!(lookup("999").is_none());
        assert!(lookup("").is_none());
    }
}
