//! IBAN (ISO 13616, through the SWIFT registry's per-country BBAN formats) and BIC (ISO 9362).

use iban::{Iban, IbanLike};

use crate::Parsed;
use crate::country::is_alpha2;

/// SWIFT-registry countries that the `iban_validate` release does not carry yet: the IBAN
/// length and the BBAN format, as the registry states them.
const SUPPLEMENT: &[(&str, usize, &str)] = &[("HN", 28, "4!a20!n"), ("PK", 24, "4!a16!c")];

/// Whether `bban` matches a registry format such as `4!a16!c` (n digits, a upper-case
/// letters, c letters or digits; every `!` length is exact).
fn bban_matches(bban: &str, spec: &str) -> bool {
    let mut rest = bban.as_bytes();
    for part in spec.split_inclusive(['n', 'a', 'c']) {
        let (count, class) = part.split_at(part.len() - 1);
        let Ok(count) = count.trim_end_matches('!').parse::<usize>() else {
            return false;
        };
        if rest.len() < count {
            return false;
        }
        let (head, tail) = rest.split_at(count);
        let ok = head.iter().all(|b| match class {
            "n" => b.is_ascii_digit(),
            "a" => b.is_ascii_uppercase(),
            _ => b.is_ascii_digit() || b.is_ascii_uppercase(),
        });
        if !ok {
            return false;
        }
        rest = tail;
    }
    rest.is_empty()
}

fn supplement(compact: &str) -> Option<Result<Parsed, String>> {
    let cc = compact.get(..2)?;
    let (_, len, spec) = SUPPLEMENT.iter().find(|(c, _, _)| *c == cc)?;
    Some(if compact.len() != *len {
        Err(format!("an IBAN of {cc} has {len} characters"))
    } else if !bban_matches(&compact[4..], spec) {
        Err("the account part does not have the format the country registered".into())
    } else if crate::mod97(&format!("{}{}", &compact[4..], &compact[..4])) != Some(1) {
        Err("not an IBAN: wrong characters, length or mod-97 check digits".into())
    } else {
        Ok(Parsed::new(compact)
            .country(cc)
            .detail("bban", &compact[4..])
            .detail("check_digits", &compact[2..4]))
    })
}

pub fn iban(value: &str) -> Result<Parsed, String> {
    let compact: String = value
        .split_whitespace()
        .collect::<String>()
        .to_ascii_uppercase();
    if let Some(r) = supplement(&compact) {
        return r;
    }
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

/// A BIC (ISO 9362:2014): 4-character alphanumeric institution code, the country, a 2-character location and an optional
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
    // ISO 9362:2014 made the institution ("business party prefix") alphanumeric; the country
    // code stays two letters.
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
        assert!(
            bic("D3UTDEFF").is_ok(),
            "alphanumeric institution codes since ISO 9362:2014"
        );
        assert!(bic("DEUTDEF").is_err());
        assert_eq!(bic("NEDSZAJ0").unwrap().details["test"], true);
    }

    #[test]
    fn registry_countries_the_crate_lacks() {
        assert!(iban("PK36SCBL0000001123456702").is_ok());
        assert!(iban("PK36SCBL000000112345670").is_err());
        assert!(iban("PK37SCBL0000001123456702").is_err());
        assert!(iban("HN88CABF00000000000250005469").is_ok());
    }
}
