#![doc = include_str!("../README.md")]

pub mod bank;
pub mod card;
mod countries_data;
pub mod country;
pub mod email;
pub mod lei;
pub mod national_id;
pub mod phone;
pub mod travel;
pub mod us;
pub mod wallet;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::{Map, Value};

/// A kind of identifier.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Mrz,
    Iban,
    Bic,
    Card,
    Aba,
    Ein,
    Lei,
    Wallet,
    Phone,
    Email,
    Country,
    /// A personal identification number of the given country (ISO alpha-2).
    NationalId(String),
}

impl Kind {
    /// Parses a kind as the CLI names it: `iban`, `national-id:BR`, ...
    pub fn parse(s: &str) -> Result<Kind, String> {
        Ok(match s {
            "mrz" => Kind::Mrz,
            "iban" => Kind::Iban,
            "bic" => Kind::Bic,
            "card" => Kind::Card,
            "aba" => Kind::Aba,
            "ein" => Kind::Ein,
            "lei" => Kind::Lei,
            "wallet" => Kind::Wallet,
            "phone" => Kind::Phone,
            "email" => Kind::Email,
            "country" => Kind::Country,
            _ => match s.strip_prefix("national-id:") {
                Some(cc) => {
                    let cc = cc.to_ascii_uppercase();
                    if !national_id::supported(&cc) {
                        return Err(format!(
                            "no national ID scheme for `{cc}`; supported: {}",
                            national_id::countries().join(", ")
                        ));
                    }
                    Kind::NationalId(cc)
                }
                None => {
                    return Err(format!(
                        "unknown kind `{s}`: one of mrz, iban, bic, card, aba, ein, lei, wallet, \
                         phone, email, country, national-id:CC"
                    ));
                }
            },
        })
    }

    pub fn name(&self) -> String {
        match self {
            Kind::Mrz => "mrz".into(),
            Kind::Iban => "iban".into(),
            Kind::Bic => "bic".into(),
            Kind::Card => "card".into(),
            Kind::Aba => "aba".into(),
            Kind::Ein => "ein".into(),
            Kind::Lei => "lei".into(),
            Kind::Wallet => "wallet".into(),
            Kind::Phone => "phone".into(),
            Kind::Email => "email".into(),
            Kind::Country => "country".into(),
            Kind::NationalId(cc) => format!("national-id:{cc}"),
        }
    }
}

/// The answer for one value.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Checked {
    pub kind: String,
    pub valid: bool,
    /// The canonical form, when valid. Never a full card number or an SSN.
    pub normalized: Option<String>,
    /// The issuing or home country, where the format carries one.
    pub country: Option<String>,
    pub details: Map<String, Value>,
    /// Why the value is invalid.
    pub error: Option<String>,
}

/// What a kind's parser returns: the canonical form, its country and details.
#[derive(Debug, Default)]
pub struct Parsed {
    pub normalized: Option<String>,
    pub country: Option<String>,
    pub details: Map<String, Value>,
}

impl Parsed {
    pub fn new(normalized: impl Into<String>) -> Self {
        Parsed {
            normalized: Some(normalized.into()),
            ..Default::default()
        }
    }

    pub fn country(mut self, c: impl Into<String>) -> Self {
        self.country = Some(c.into());
        self
    }

    pub fn detail(mut self, k: &str, v: impl Into<Value>) -> Self {
        self.details.insert(k.to_owned(), v.into());
        self
    }
}

/// Upper bound on input length: nothing valid is longer, and hostile input stays cheap.
pub const MAX_INPUT: usize = 512;

/// Checks one value. Never panics.
pub fn check(kind: &Kind, value: &str, on: Option<NaiveDate>) -> Checked {
    let result = if value.len() > MAX_INPUT {
        Err(format!("longer than {MAX_INPUT} bytes"))
    } else {
        match kind {
            Kind::Mrz => travel::check(value, on),
            Kind::Iban => bank::iban(value),
            Kind::Bic => bank::bic(value),
            Kind::Card => card::check(value),
            Kind::Aba => us::aba(value),
            Kind::Ein => us::ein(value),
            Kind::Lei => lei::check(value),
            Kind::Wallet => wallet::check(value),
            Kind::Phone => phone::check(value),
            Kind::Email => email::check(value),
            Kind::Country => country::check(value),
            Kind::NationalId(cc) => national_id::check(cc, value),
        }
    };
    match result {
        Ok(p) => Checked {
            kind: kind.name(),
            valid: true,
            normalized: p.normalized,
            country: p.country,
            details: p.details,
            error: None,
        },
        Err(e) => Checked {
            kind: kind.name(),
            valid: false,
            normalized: None,
            country: None,
            details: Map::new(),
            error: Some(e),
        },
    }
}

/// ISO 7064 MOD 97-10 over letters and digits (letters count 10..35): IBAN and LEI.
pub(crate) fn mod97(s: &str) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in s.bytes() {
        let v = match c {
            b'0'..=b'9' => u32::from(c - b'0'),
            b'A'..=b'Z' => u32::from(c - b'A') + 10,
            _ => return None,
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    Some(rem)
}

/// Strips the spaces, dashes and dots people type inside numbers.
pub(crate) fn compact(s: &str) -> String {
    s.chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '/' | '\u{a0}'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse() {
        assert_eq!(
            Kind::parse("national-id:br").unwrap(),
            Kind::NationalId("BR".into())
        );
        assert!(
            Kind::parse("national-id:XX")
                .unwrap_err()
                .contains("supported")
        );
        assert!(Kind::parse("passport").is_err());
    }

    #[test]
    fn oversized_input_is_refused_not_parsed() {
        let c = check(&Kind::Email, &"a".repeat(10_000), None);
        assert!(!c.valid);
    }
}
