//! Email addresses: practical RFC 5321/5322 syntax (a dot-atom local part, as mail systems
//! accept in practice; no quoted strings or comments), internationalised domains through IDNA
//! (UTS 46), a disposable-domain flag from the `mailchecker` list, and the form used for
//! blind indexes: lower case, with a provider's dots and plus-tags removed only where that
//! provider is known to ignore them.

use crate::Parsed;

/// Providers that ignore dots in the local part and everything after a `+`.
const DOTS_AND_PLUS: &[&str] = &["gmail.com", "googlemail.com"];
/// Providers that ignore everything after a `+` (sub-addressing) but not dots.
const PLUS_ONLY: &[&str] = &[
    "outlook.com",
    "hotmail.com",
    "live.com",
    "msn.com",
    "icloud.com",
    "me.com",
    "mac.com",
    "protonmail.com",
    "proton.me",
    "pm.me",
    "fastmail.com",
    "yandex.ru",
    "yandex.com",
];

const LOCAL_SPECIALS: &str = "!#$%&'*+/=?^_`{|}~-";

fn local_ok(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local.chars().all(|c| {
            c.is_alphanumeric()
                || c == '.'
                || LOCAL_SPECIALS.contains(c)
                || (!c.is_ascii() && !c.is_control())
        })
}

/// The domain in ASCII (punycode) form, or why it is not a domain.
pub fn domain_ascii(domain: &str) -> Result<String, String> {
    let ascii = idna::domain_to_ascii(domain)
        .map_err(|_| "the domain is not a valid (internationalised) domain name".to_owned())?;
    if ascii.len() > 253 || !ascii.contains('.') {
        return Err("the domain must be a fully qualified name".into());
    }
    for label in ascii.split('.') {
        if label.is_empty() || label.len() > 63 || label.starts_with('-') || label.ends_with('-') {
            return Err("the domain has an empty, overlong or hyphen-edged label".into());
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err("the domain has characters a host name cannot have".into());
        }
    }
    let tld = ascii.rsplit('.').next().unwrap_or("");
    if tld.bytes().all(|b| b.is_ascii_digit()) {
        return Err("the top-level domain cannot be numeric".into());
    }
    Ok(ascii)
}

/// Whether the domain, or a domain it belongs to, is on the `mailchecker` list of disposable
/// mail providers. The list is held in a hash set: `mailchecker`'s own look-up scans its list
/// for every suffix, about 30 microseconds an address.
pub fn disposable(domain_ascii: &str) -> bool {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let list = LIST.get_or_init(|| mailchecker::blacklist().into_iter().collect());
    let d = domain_ascii.to_ascii_lowercase();
    let labels: Vec<&str> = d.split('.').collect();
    (0..labels.len().saturating_sub(1)).any(|i| list.contains(labels[i..].join(".").as_str()))
}

/// The form an address takes in a blind index.
pub fn index_form(local: &str, domain_ascii: &str) -> String {
    let mut l = local.to_lowercase();
    let d = if domain_ascii == "googlemail.com" {
        "gmail.com"
    } else {
        domain_ascii
    };
    if DOTS_AND_PLUS.contains(&d) {
        l = l.split('+').next().unwrap_or("").replace('.', "");
    } else if PLUS_ONLY.contains(&d) {
        l = l.split('+').next().unwrap_or("").to_owned();
    }
    format!("{l}@{d}")
}

pub fn check(value: &str) -> Result<Parsed, String> {
    let v = value.trim();
    if v.len() > 254 {
        return Err("longer than 254 characters".into());
    }
    let (local, domain) = v.rsplit_once('@').ok_or("no @")?;
    if !local_ok(local) {
        return Err("the part before @ is not a valid mailbox name".into());
    }
    let ascii = domain_ascii(domain)?;
    let normalized = format!("{local}@{ascii}");
    let disposable = disposable(&ascii);
    Ok(Parsed::new(normalized)
        .detail("domain", ascii.clone())
        .detail("index_form", index_form(local, &ascii))
        .detail("disposable", disposable)
        .detail("internationalised", !v.is_ascii()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(v: &str) -> String {
        check(v).unwrap().details["index_form"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn syntax() {
        for ok in [
            "a@b.co",
            "first.last+tag@example.org",
            "o'hara@example.ie",
            "用户@例子.广告",
            "x@münchen.de",
        ] {
            assert!(check(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "plain",
            "@example.com",
            "a@",
            "a..b@example.com",
            ".a@example.com",
            "a@localhost",
            "a@-x.com",
            "a b@example.com",
            "a@example.123",
        ] {
            assert!(check(bad).is_err(), "{bad}");
        }
        assert_eq!(
            check("x@MÜNCHEN.de").unwrap().details["domain"],
            "xn--mnchen-3ya.de"
        );
    }

    #[test]
    fn normalisation_only_where_the_provider_ignores_it() {
        assert_eq!(
            index("John.Smith+promo@GoogleMail.com"),
            "johnsmith@gmail.com"
        );
        assert_eq!(
            index("john.smith+promo@outlook.com"),
            "john.smith@outlook.com"
        );
        assert_eq!(
            index("john.smith+promo@example.com"),
            "john.smith+promo@example.com"
        );
    }

    #[test]
    fn disposable() {
        assert_eq!(
            check("a@mailinator.com").unwrap().details["disposable"],
            true
        );
        assert_eq!(check("a@example.org").unwrap().details["disposable"], false);
        assert!(
            super::disposable("ok.33mail.com"),
            "subdomains of a listed domain count"
        );
        for d in [
            "mailinator.com",
            "guerrillamailblock.com",
            "gmail.com",
            "example.org",
        ] {
            assert_eq!(
                super::disposable(d),
                !mailchecker::is_valid(&format!("a@{d}")),
                "{d}"
            );
        }
    }
}
