//! Properties that hold for every input: no kind panics or misbehaves on arbitrary text, a
//! valid value's normalized form is itself valid and normalises to itself, and the check
//! digits of LEIs (a digit for a digit, a letter for a letter) and ABA numbers catch every
//! single-character substitution. (MOD 97-10 over letters expanded to two digits does not
//! promise to catch a letter typed for a digit.)

use custos_ids::{Kind, check};
use proptest::prelude::*;

fn kinds() -> Vec<Kind> {
    let mut k = vec![
        Kind::Mrz,
        Kind::Iban,
        Kind::Bic,
        Kind::Card,
        Kind::Aba,
        Kind::Ein,
        Kind::Lei,
        Kind::Wallet,
        Kind::Phone,
        Kind::Email,
        Kind::Country,
    ];
    k.extend(
        custos_ids::national_id::countries()
            .into_iter()
            .map(|c| Kind::NationalId(c.into())),
    );
    k
}

/// Kinds whose normalized form is a value of the same kind (a card's is masked; an SSN's too).
fn reparseable(k: &Kind) -> bool {
    !matches!(k, Kind::Card) && *k != Kind::NationalId("US".into())
}

fn mod97_check(body: &str) -> String {
    let digits: String = format!("{body}00")
        .chars()
        .map(|c| c.to_digit(36).unwrap().to_string())
        .collect();
    let rem = digits
        .bytes()
        .fold(0u32, |r, b| (r * 10 + u32::from(b - b'0')) % 97);
    format!("{body}{:02}", 98 - rem)
}

fn aba_check(body: &str) -> String {
    let w = [3, 7, 1, 3, 7, 1, 3, 7];
    let s: u32 = body
        .bytes()
        .zip(w)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    format!("{body}{}", (10 - s % 10) % 10)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn arbitrary_text_never_panics_and_answers_consistently(s in "\\PC{0,80}|[0-9A-Za-z<+@.:\\n -]{0,120}") {
        for k in kinds() {
            let c = check(&k, &s, None);
            prop_assert_eq!(c.valid, c.error.is_none(), "{:?} {:?}", k, s);
            prop_assert_eq!(c.valid, c.normalized.is_some(), "{:?} {:?}", k, s);
            if c.valid && reparseable(&k) {
                let n = c.normalized.clone().unwrap();
                let again = check(&k, &n, None);
                prop_assert!(again.valid, "{:?}: {:?} normalised to {:?}, which is invalid", k, s, n);
                prop_assert_eq!(again.normalized, Some(n));
            }
        }
    }

    #[test]
    fn leis_with_computed_check_digits_are_valid_and_catch_substitutions(
        body in "[0-9A-Z]{18}", pos in 0usize..20, with in "[0-9A-Z]"
    ) {
        let lei = mod97_check(&body);
        prop_assert!(check(&Kind::Lei, &lei, None).valid, "{}", lei);
        let mut b = lei.clone().into_bytes();
        let w = with.as_bytes()[0];
        prop_assume!(b[pos] != w && b[pos].is_ascii_digit() == w.is_ascii_digit());
        b[pos] = w;
        let bad = String::from_utf8(b).unwrap();
        prop_assert!(!check(&Kind::Lei, &bad, None).valid, "{} -> {}", lei, bad);
    }

    #[test]
    fn aba_numbers_catch_every_substitution(
        prefix in prop::sample::select(vec!["01", "12", "21", "32", "61", "72"]),
        rest in "[0-9]{6}", pos in 0usize..9, digit in 0u8..10
    ) {
        let aba = aba_check(&format!("{prefix}{rest}"));
        prop_assert!(check(&Kind::Aba, &aba, None).valid, "{}", aba);
        let mut b = aba.clone().into_bytes();
        prop_assume!(b[pos] != b'0' + digit);
        b[pos] = b'0' + digit;
        prop_assert!(!check(&Kind::Aba, std::str::from_utf8(&b).unwrap(), None).valid);
    }

    #[test]
    fn card_facts_never_include_the_middle_digits(digits in "4[0-9]{14}") {
        let check_digit = (0..10)
            .map(|d| format!("{digits}{d}"))
            .find(|n| custos_ids::card::luhn(n))
            .unwrap();
        let c = check(&Kind::Card, &check_digit, None);
        prop_assert!(c.valid);
        let text = serde_json::to_string(&c).unwrap();
        prop_assert!(!text.contains(&check_digit));
        prop_assert!(!text.contains(&check_digit[8..12]) || check_digit[8..12] == check_digit[12..16]
            || check_digit[..8].contains(&check_digit[8..12]));
    }
}
