//! IBAN (ISO 13616, through the SWIFT registry's per-country BBAN formats) and BIC (ISO 9362).

use iban::{Iban, IbanLike};

use crate::Parsed;
use crate::country::is_alpha2;

pub fn iban(value: &str) -> Result<Parsed, String> {
    let compact: String = value
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    let iban: Iban = compact.parse().map_err(|e: iban::ParseIbanError| match e {
        iban::ParseIbanError::InvalidBaseIban { .. } => {
            "not an IBAN: wrong characters, length or mod-97 check digits".to_owned()
        }
        iban::ParseIbanError::InvalidBban(_) => {
            "the account part does not have the format the country registered".to_owned()
        }
        iban::ParseIbanError::UnknownCountry(_) => {
            "the country does not use IBANs (not in the SWIFT registry)".to_owned()
        }
    })?;
    let mut p = Parsed::new(iban.electronic_str())
        .country(iban.country_code())
        .detail("bban", iban.bban())
        .detail("check_digits", iban.check_digits_str());
    if let Some(b) = iban.bank_identifier() {
        p = p.detail("bank_identifier", b);
    }
    if let Some(b) = iban.branch_identifier() {
        p = p.detail("branch_identifier", b);
    }
    Ok(p)
}

/// A BIC: 4-character institution code, the country, a 2-character location and an optional
/// 3-character branch. A location whose second character is `0` marks a test BIC.
pub fn bic(value: &str) -> Result<Parsed, String> {
    let b: String = value
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    if b.len() != 8 && b.len() != 11 {
        return Err("a BIC has 8 or 11 characters".into());
    }
    if !b.bytes().all(|c| c.is_ascii_alphanumeric()) {
        return Err("a BIC has only letters and digits".into());
    }
    if !b[..4].bytes().all(|c| c.is_ascii_uppercase()) {
        return Err("the institution code must be four letters".into());
    }
    let cc = &b[4..6];
    if !is_alpha2(cc) {
        return Err("the country code is not an ISO 3166-1 code".into());
    }
    let location = &b[6..8];
    let branch = if b.len() == 11 { &b[8..] } else { "XXX" };
    Ok(Parsed::new(b.clone())
        .country(cc)
        .detail("institution", &b[..4])
        .detail("location", location)
        .detail("branch", branch)
        .detail("test", location.as_bytes()[1] == b'0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ibans() {
        let p = iban("GB82 WEST 1234 5698 7654 32").unwrap();
        assert_eq!(p.normalized.as_deref(), Some("GB82WEST12345698765432"));
        assert_eq!(p.country.as_deref(), Some("GB"));
        assert_eq!(p.details["bank_identifier"], "WEST");
        assert!(iban("GB82WEST12345698765433").is_err());
        assert!(iban("US82WEST12345698765432").is_err());
        assert!(
            iban("DE89 3704 0044 0532 0130 0").is_err(),
            "too short for DE"
        );
    }

    #[test]
    fn bics() {
        assert_eq!(bic("DEUTDEFF").unwrap().details["branch"], "XXX");
        assert_eq!(
            bic("deutdeff500").unwrap().normalized.as_deref(),
            Some("DEUTDEFF500")
        );
        assert!(bic("DEUTXXFF").is_err());
        assert!(bic("DEUT1EFF").is_err());
        assert!(bic("DEUTDEF").is_err());
        assert_eq!(bic("NEDSZAJ0").unwrap().details["test"], true);
    }
}
