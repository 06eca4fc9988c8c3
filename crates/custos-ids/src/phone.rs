//! Telephone numbers in international (E.164) form, checked against libphonenumber's metadata
//! through the `phonenumber` crate: validity, region and number type.

use phonenumber::Mode;

use crate::Parsed;

/// The `phonenumber` crate keeps the metadata's compiled patterns in an LRU cache of 100
/// entries, fewer than the metadata has patterns; numbers of many countries in one batch then
/// recompile patterns on nearly every call (about a millisecond each). The cache is shared by
/// every pattern through a mutex, so replacing it with one large enough for the whole metadata
/// makes each pattern compile once.
fn widen_pattern_cache() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        if let Ok(mut cache) = phonenumber::metadata::DATABASE.cache().lock() {
            *cache = regex_cache::RegexCache::new(50_000);
        }
    });
}

pub fn check(value: &str) -> Result<Parsed, String> {
    widen_pattern_cache();
    let v = value.trim();
    let v = match v.strip_prefix("00") {
        Some(rest) => format!("+{rest}"),
        None => v.to_owned(),
    };
    if !v.starts_with('+') {
        return Err("an international number starts with + and the country calling code".into());
    }
    let n = phonenumber::parse(None, &v).map_err(|_| "not a telephone number".to_owned())?;
    if !phonenumber::is_valid(&n) {
        return Err("not a valid number for its country calling code".into());
    }
    let e164 = n.format().mode(Mode::E164).to_string();
    // In international form nothing may be added or dropped: a number that only parses by
    // rewriting its digits (a local-dialling transform) is not what the customer typed.
    let typed: String = v.chars().filter(char::is_ascii_digit).collect();
    if e164[1..] != typed {
        return Err("not a complete international number".into());
    }
    let mut p = Parsed::new(e164)
        .detail("calling_code", n.code().value())
        .detail(
            "international",
            n.format().mode(Mode::International).to_string(),
        )
        .detail(
            "type",
            format!("{:?}", n.number_type(&phonenumber::metadata::DATABASE)).to_lowercase(),
        );
    if let Some(id) = n.country().id() {
        p = p.country(format!("{id:?}"));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        let p = check("+49 30 901820").unwrap();
        assert_eq!(p.normalized.as_deref(), Some("+4930901820"));
        assert_eq!(p.country.as_deref(), Some("DE"));
        let us = check("+1 650-253-0000").unwrap();
        assert_eq!(us.country.as_deref(), Some("US"));
        assert!(check("0049 30 901820").is_ok());
        assert!(check("030 901820").is_err());
        assert!(check("+49 1").is_err());
        assert!(check("+999 123456").is_err());
        assert!(check("call me").is_err());
    }

    #[test]
    fn digits_are_neither_added_nor_dropped() {
        assert!(
            check("+14734031").is_err(),
            "a local 7-digit form is not E.164"
        );
    }
}
