//! US numbers: ABA routing transit numbers, EINs, and the format rules of SSNs.

use crate::{Parsed, compact};

/// An ABA routing number: nine digits, a Federal Reserve routing symbol in the first two, and
/// the 3-7-1 weighted checksum.
pub fn aba(value: &str) -> Result<Parsed, String> {
    let v = compact(value);
    if v.len() != 9 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err("an ABA routing number has nine digits".into());
    }
    let d: Vec<u32> = v.bytes().map(|b| u32::from(b - b'0')).collect();
    let sum: u32 = d
        .iter()
        .zip([3, 7, 1, 3, 7, 1, 3, 7, 1])
        .map(|(a, w)| a * w)
        .sum();
    if !sum.is_multiple_of(10) {
        return Err("fails the ABA checksum".into());
    }
    let prefix = d[0] * 10 + d[1];
    let kind = match prefix {
        0 => "government",
        1..=12 => "primary",
        21..=32 => "thrift",
        61..=72 => "electronic",
        80 => "traveler_cheque",
        _ => return Err("the first two digits are not a Federal Reserve routing symbol".into()),
    };
    Ok(Parsed::new(v.clone())
        .country("US")
        .detail("federal_reserve_district", prefix % 20)
        .detail("kind", kind))
}

/// An Employer Identification Number: nine digits whose two-digit prefix the IRS assigned.
pub fn ein(value: &str) -> Result<Parsed, String> {
    let v = stdnum::country::us::EIN
        .validate(value)
        .map_err(|e| format!("not an EIN: {e}"))?;
    Ok(Parsed::new(format!("{}-{}", &v.compact[..2], &v.compact[2..])).country("US"))
}

/// SSN format rules (area not 000, 666 or 900-999; group not 00; serial not 0000, and not a
/// number the SSA published as an example). A valid SSN is only flagged: its digits are never
/// echoed, so that they are not logged or stored in clear downstream.
pub fn ssn(value: &str) -> Result<Parsed, String> {
    stdnum::country::us::SSN
        .validate(value)
        .map_err(|e| format!("not an SSN: {e}"))?;
    let mut p = Parsed::default().country("US").detail("ssn", true);
    p.normalized = Some("***-**-****".into());
    Ok(p)
}

use stdnum::Validator;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routing_numbers() {
        assert!(aba("011000015").is_ok());
        assert!(aba("021000021").is_ok());
        assert!(aba("021000022").is_err());
        assert!(aba("991000020").is_err(), "99 is no routing symbol");
        assert!(aba("12345678").is_err());
    }

    #[test]
    fn eins_and_ssns() {
        assert_eq!(
            ein("04-2103594").unwrap().normalized.as_deref(),
            Some("04-2103594")
        );
        assert!(ein("07-2103594").is_err(), "07 was never assigned");
        let s = ssn("536-90-4399").unwrap();
        assert!(!format!("{s:?}").contains("4399"));
        assert!(ssn("666-12-3456").is_err());
        assert!(ssn("123-00-4567").is_err());
    }
}
