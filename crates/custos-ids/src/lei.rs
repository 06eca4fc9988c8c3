//! Legal Entity Identifiers (ISO 17442): 18 letters or digits and two check digits, ISO 7064
//! MOD 97-10 over the whole.

use crate::{Parsed, compact, mod97};

pub fn check(value: &str) -> Result<Parsed, String> {
    let v = compact(value).to_ascii_uppercase();
    if v.len() != 20 {
        return Err("an LEI has 20 characters".into());
    }
    if !v
        .bytes()
        .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
    {
        return Err("an LEI has only letters and digits".into());
    }
    if !v[18..].bytes().all(|b| b.is_ascii_digit()) {
        return Err("the last two characters of an LEI are check digits".into());
    }
    if mod97(&v) != Some(1) {
        return Err("fails the ISO 7064 MOD 97-10 check".into());
    }
    Ok(Parsed::new(v.clone()).detail("lou", &v[..4]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leis() {
        assert!(check("5493001KJTIIGC8Y1R12").is_ok());
        assert!(check("213800d1ei4b9wtwwd28").is_ok());
        assert!(check("5493001KJTIIGC8Y1R13").is_err());
        assert!(check("5493001KJTIIGC8Y1R1").is_err());
    }
}
