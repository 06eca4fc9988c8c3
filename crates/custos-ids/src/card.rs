//! Payment cards: the Luhn check, the brand from the networks' published IIN ranges, the BIN.
//!
//! [`facts`] takes a full number and gives back only what may be kept: brand, BIN, last four
//! digits and a keyed fingerprint (HMAC-SHA256 under the caller's key), so that the full number
//! never leaves this module. [`CardNumber`] holds the digits only while it lives, and wipes
//! them when dropped.

use crate::Parsed;

/// One row of the IIN table: the prefix range (inclusive, compared on `digits` leading
/// digits), the brand and the lengths the brand issues.
struct Range {
    lo: u32,
    hi: u32,
    digits: usize,
    brand: &'static str,
    lengths: &'static [usize],
}

const fn r(
    lo: u32,
    hi: u32,
    digits: usize,
    brand: &'static str,
    lengths: &'static [usize],
) -> Range {
    Range {
        lo,
        hi,
        digits,
        brand,
        lengths,
    }
}

const L16: &[usize] = &[16];
const L16_19: &[usize] = &[16, 17, 18, 19];
const L12_19: &[usize] = &[12, 13, 14, 15, 16, 17, 18, 19];

/// Most specific ranges first: the first match wins.
static IIN: &[Range] = &[
    r(2200, 2204, 4, "mir", L16_19),
    r(2221, 2720, 4, "mastercard", L16),
    r(34, 34, 2, "amex", &[15]),
    r(37, 37, 2, "amex", &[15]),
    r(3528, 3589, 4, "jcb", L16_19),
    r(300, 305, 3, "diners", &[14, 15, 16, 17, 18, 19]),
    r(3095, 3095, 4, "diners", &[14, 15, 16, 17, 18, 19]),
    r(36, 36, 2, "diners", &[14, 15, 16, 17, 18, 19]),
    r(38, 39, 2, "diners", L16_19),
    r(4, 4, 1, "visa", &[13, 16, 19]),
    r(5019, 5019, 4, "dankort", L16),
    r(506099, 506198, 6, "verve", &[16, 18, 19]),
    r(650002, 650027, 6, "verve", &[16, 18, 19]),
    r(5018, 5018, 4, "maestro", L12_19),
    r(5020, 5020, 4, "maestro", L12_19),
    r(5038, 5038, 4, "maestro", L12_19),
    r(5893, 5893, 4, "maestro", L12_19),
    r(6304, 6304, 4, "maestro", L12_19),
    r(6759, 6759, 4, "maestro", L12_19),
    r(6761, 6763, 4, "maestro", L12_19),
    r(51, 55, 2, "mastercard", L16),
    r(6011, 6011, 4, "discover", L16_19),
    r(622126, 622925, 6, "discover", L16_19),
    r(644, 649, 3, "discover", L16_19),
    r(65, 65, 2, "discover", L16_19),
    r(62, 62, 2, "unionpay", L16_19),
    r(81, 81, 2, "unionpay", L16_19),
    r(636, 636, 3, "interpayment", L16_19),
    r(9792, 9792, 4, "troy", L16),
    r(1, 1, 1, "uatp", &[15]),
];

/// Luhn (ISO/IEC 7812-1) over a string of ASCII digits.
pub fn luhn(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b.wrapping_sub(b'0'));
        if d > 9 {
            return false;
        }
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum.is_multiple_of(10)
}

/// The brand for a number's leading digits, and the lengths it issues.
pub fn brand(digits: &str) -> Option<(&'static str, &'static [usize])> {
    IIN.iter()
        .find(|r| {
            digits
                .get(..r.digits)
                .and_then(|p| p.parse::<u32>().ok())
                .is_some_and(|p| (r.lo..=r.hi).contains(&p))
        })
        .map(|r| (r.brand, r.lengths))
}

/// What may be kept of a card number.
#[derive(Clone, PartialEq, Eq)]
pub struct CardNumber {
    digits: String,
    pub brand: &'static str,
    pub bin: String,
    pub last4: String,
}

impl std::fmt::Debug for CardNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CardNumber")
            .field("brand", &self.brand)
            .field("bin", &self.bin)
            .field("last4", &self.last4)
            .finish_non_exhaustive()
    }
}

impl Drop for CardNumber {
    fn drop(&mut self) {
        // Overwrite the digits before the memory is freed.
        // SAFETY is not needed: the string is replaced by zeros of the same length.
        let n = self.digits.len();
        self.digits.clear();
        self.digits.extend(std::iter::repeat_n('0', n));
    }
}

impl CardNumber {
    /// Checks a full number (spaces and dashes allowed).
    pub fn parse(raw: &str) -> Result<CardNumber, String> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err("a card number has only digits".into());
        }
        if !(12..=19).contains(&digits.len()) {
            return Err("a card number has 12 to 19 digits".into());
        }
        if !luhn(&digits) {
            return Err("fails the Luhn check".into());
        }
        let (brand, lengths) = brand(&digits).unwrap_or(("unknown", L12_19));
        if !lengths.contains(&digits.len()) {
            return Err(format!("{brand} cards do not have {} digits", digits.len()));
        }
        // An 8-digit BIN where the number is long enough to keep 6 digits hidden (PCI DSS
        // allows first 8 and last 4 for 16+ digit numbers), 6 otherwise.
        let bin_len = if digits.len() >= 16 { 8 } else { 6 };
        Ok(CardNumber {
            bin: digits[..bin_len].to_owned(),
            last4: digits[digits.len() - 4..].to_owned(),
            brand,
            digits,
        })
    }

    /// The keyed fingerprint of the full number: hex HMAC-SHA256 under `key`. Without the key
    /// it says nothing about the number; with it, the same card always gives the same value.
    pub fn fingerprint(&self, key: &[u8]) -> String {
        use hmac::{Hmac, Mac};
        let mut mac = <Hmac<sha2::Sha256> as Mac>::new_from_slice(key)
            .expect("HMAC takes keys of any length");
        mac.update(self.digits.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }

    pub fn len(&self) -> usize {
        self.digits.len()
    }

    pub fn is_empty(&self) -> bool {
        self.digits.is_empty()
    }
}

/// What may be kept of a card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFacts {
    pub brand: &'static str,
    pub bin: String,
    pub last4: String,
    pub fingerprint: String,
}

/// Checks a full card number and returns only brand, BIN, last four digits and the keyed
/// fingerprint; the number itself is wiped before this returns.
pub fn facts(raw: &str, fingerprint_key: &[u8]) -> Result<CardFacts, String> {
    let c = CardNumber::parse(raw)?;
    Ok(CardFacts {
        brand: c.brand,
        bin: c.bin.clone(),
        last4: c.last4.clone(),
        fingerprint: c.fingerprint(fingerprint_key),
    })
}

pub fn check(value: &str) -> Result<Parsed, String> {
    let c = CardNumber::parse(value)?;
    // No normalized form: the full number is never echoed.
    let mut p = Parsed::default()
        .detail("brand", c.brand)
        .detail("bin", c.bin.clone())
        .detail("last4", c.last4.clone())
        .detail("length", c.len());
    p.normalized = Some(format!(
        "{}{}{}",
        c.bin,
        "*".repeat(c.len() - c.bin.len() - 4),
        c.last4
    ));
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_brand(n: &str, expect: &str) {
        assert_eq!(CardNumber::parse(n).map(|c| c.brand), Ok(expect), "{n}");
    }

    #[test]
    fn brands_of_the_networks_test_numbers() {
        check_brand("4111 1111 1111 1111", "visa");
        check_brand("4222222222222", "visa");
        check_brand("5555555555554444", "mastercard");
        check_brand("2223003122003222", "mastercard");
        check_brand("378282246310005", "amex");
        check_brand("6011111111111117", "discover");
        check_brand("3530111333300000", "jcb");
        check_brand("30569309025904", "diners");
        check_brand("6200000000000005", "unionpay");
        check_brand("2200000000000004", "mir");
    }

    #[test]
    fn bad_numbers() {
        assert!(CardNumber::parse("4111111111111112").is_err());
        assert!(
            CardNumber::parse("37828224631000").is_err(),
            "amex has 15 digits"
        );
        assert!(CardNumber::parse("").is_err());
        assert!(
            CardNumber::parse("٤١١١١١١١١١١١١١١١").is_err(),
            "non-ASCII digits"
        );
    }

    #[test]
    fn the_full_number_never_shows() {
        let c = CardNumber::parse("4111111111111111").unwrap();
        assert!(!format!("{c:?}").contains("4111111111111111"));
        let p = check("4111111111111111").unwrap();
        assert_eq!(p.normalized.as_deref(), Some("41111111****1111"));
        assert!(
            !serde_json::to_string(&p.details)
                .unwrap()
                .contains("4111111111111111")
        );
    }

    #[test]
    fn facts_are_all_that_comes_back() {
        let f = facts("4111-1111-1111-1111", b"key").unwrap();
        assert_eq!(
            (f.brand, f.bin.as_str(), f.last4.as_str()),
            ("visa", "41111111", "1111")
        );
        assert_eq!(
            f.fingerprint,
            facts("4111111111111111", b"key").unwrap().fingerprint
        );
        assert_ne!(
            f.fingerprint,
            facts("4111111111111111", b"other").unwrap().fingerprint
        );
        assert!(!format!("{f:?}").contains("4111111111111111"));
    }
}
