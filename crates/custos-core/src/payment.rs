//! Checks on payment identifiers that the record needs before storing: enough to refuse a
//! mistyped card number or IBAN and to keep only what may be kept of a card.
//! Full identifier validation (every IIN range, every country's BBAN format) is the job of the
//! identifiers crate; this module is what account opening needs today.

use crate::CoreError;

/// Luhn (mod 10) check of a string of digits.
pub fn luhn_ok(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
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

/// The card brand from the leading digits (the major networks' IIN ranges).
pub fn card_brand(digits: &str) -> &'static str {
    let p = |n: usize| {
        digits
            .get(..n)
            .and_then(|s| s.parse::<u32>().ok())
            .unwrap_or(0)
    };
    match () {
        _ if digits.starts_with('4') => "visa",
        _ if (51..=55).contains(&p(2)) || (2221..=2720).contains(&p(4)) => "mastercard",
        _ if p(2) == 34 || p(2) == 37 => "amex",
        _ if p(4) == 6011 || p(2) == 65 || (644..=649).contains(&p(3)) => "discover",
        _ if (3528..=3589).contains(&p(4)) => "jcb",
        _ if p(2) == 36 || p(2) == 38 || p(2) == 39 || (300..=305).contains(&p(3)) => "diners",
        _ if p(2) == 62 => "unionpay",
        _ => "unknown",
    }
}

/// What may be kept of a full card number: brand, BIN and last four digits. The caller makes
/// the keyed fingerprint from the digits and then drops them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardFacts {
    pub brand: &'static str,
    pub bin: String,
    pub last4: String,
}

/// Checks a full card number (spaces and dashes allowed) and returns its digits and facts.
pub fn parse_card_number(raw: &str) -> Result<(String, CardFacts), CoreError> {
    let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(CoreError::invalid(
            "card.number",
            "must contain only digits",
        ));
    }
    if !(12..=19).contains(&digits.len()) {
        return Err(CoreError::invalid(
            "card.number",
            "must have 12 to 19 digits",
        ));
    }
    if !luhn_ok(&digits) {
        return Err(CoreError::invalid("card.number", "fails the Luhn check"));
    }
    let facts = CardFacts {
        brand: card_brand(&digits),
        bin: digits[..if digits.len() >= 16 { 8 } else { 6 }].to_owned(),
        last4: digits[digits.len() - 4..].to_owned(),
    };
    Ok((digits, facts))
}

/// ISO 13616 IBAN check: shape and the mod-97 check digits. Returns the compact form.
pub fn check_iban(raw: &str) -> Result<String, CoreError> {
    let compact: String = raw
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    let bad = |r: &str| Err(CoreError::invalid("iban", r));
    if !(15..=34).contains(&compact.len()) {
        return bad("must have 15 to 34 characters");
    }
    let b = compact.as_bytes();
    let shape = b[0].is_ascii_uppercase()
        && b[1].is_ascii_uppercase()
        && b[2].is_ascii_digit()
        && b[3].is_ascii_digit()
        && b.iter().all(u8::is_ascii_alphanumeric);
    if !shape {
        return bad("must be a country code, two check digits and letters or digits");
    }
    let rearranged = compact[4..].bytes().chain(compact[..4].bytes());
    let mut rem: u32 = 0;
    for c in rearranged {
        let v = if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        };
        rem = if v >= 10 {
            (rem * 100 + v) % 97
        } else {
            (rem * 10 + v) % 97
        };
    }
    if rem != 1 {
        return bad("fails the mod-97 check");
    }
    Ok(compact)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cards() {
        let (d, f) = parse_card_number("4111 1111 1111 1111").unwrap();
        assert_eq!(d, "4111111111111111");
        assert_eq!(
            f,
            CardFacts {
                brand: "visa",
                bin: "41111111".into(),
                last4: "1111".into()
            }
        );
        assert_eq!(
            parse_card_number("5555555555554444").unwrap().1.brand,
            "mastercard"
        );
        assert_eq!(
            parse_card_number("378282246310005").unwrap().1.brand,
            "amex"
        );
        assert!(parse_card_number("4111111111111112").is_err());
        assert!(parse_card_number("41111").is_err());
        assert!(parse_card_number("4111x11111111111").is_err());
    }

    #[test]
    fn ibans() {
        assert_eq!(
            check_iban("de89 3704 0044 0532 0130 00").unwrap(),
            "DE89370400440532013000"
        );
        assert_eq!(
            check_iban("GB82WEST12345698765432").unwrap(),
            "GB82WEST12345698765432"
        );
        assert!(check_iban("DE89370400440532013001").is_err());
        assert!(check_iban("DE8937").is_err());
    }
}
