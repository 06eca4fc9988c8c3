//! Which values of a customer record get blind indexes, and how each is normalised first, so
//! that the same email, phone, ID number, card, IBAN or wallet typed two ways finds the same
//! customers.

use custos_core::customer::PaymentInstrument;
use custos_core::{ContactKind, Customer, CustomerProfile, Individual};
use serde::{Deserialize, Serialize};

use crate::crypto::{SecretKey, keyed_digest};

/// A kind of indexed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IndexKind {
    Email,
    Phone,
    NationalId,
    CardFingerprint,
    Iban,
    Wallet,
}

impl IndexKind {
    pub fn as_str(self) -> &'static str {
        match self {
            IndexKind::Email => "email",
            IndexKind::Phone => "phone",
            IndexKind::NationalId => "national_id",
            IndexKind::CardFingerprint => "card_fingerprint",
            IndexKind::Iban => "iban",
            IndexKind::Wallet => "wallet",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "email" => IndexKind::Email,
            "phone" => IndexKind::Phone,
            "national_id" => IndexKind::NationalId,
            "card_fingerprint" => IndexKind::CardFingerprint,
            "iban" => IndexKind::Iban,
            "wallet" => IndexKind::Wallet,
            _ => return None,
        })
    }

    pub const ALL: [IndexKind; 6] = [
        IndexKind::Email,
        IndexKind::Phone,
        IndexKind::NationalId,
        IndexKind::CardFingerprint,
        IndexKind::Iban,
        IndexKind::Wallet,
    ];
}

/// Normalises a value of the given kind for indexing.
pub fn normalise(kind: IndexKind, value: &str) -> String {
    let v = value.trim();
    match kind {
        // The provider-aware form: case folded, and dots and plus-tags removed only where the
        // provider ignores them (custos-ids knows which).
        IndexKind::Email => custos_ids::email::check(v)
            .ok()
            .and_then(|p| p.details.get("index_form")?.as_str().map(str::to_owned))
            .unwrap_or_else(|| v.to_lowercase()),
        IndexKind::Phone => {
            let digits: String = v.chars().filter(char::is_ascii_digit).collect();
            format!("+{digits}")
        }
        IndexKind::NationalId | IndexKind::Iban => v
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase(),
        IndexKind::CardFingerprint => v.to_ascii_lowercase(),
        IndexKind::Wallet => {
            // `chain:address`. EVM addresses are case-insensitive (mixed case is only a
            // checksum); others, such as base58 addresses, are case-sensitive.
            let (chain, addr) = match v.split_once(':') {
                Some((c, a)) => (c.trim().to_ascii_lowercase(), a.trim()),
                None => (String::new(), v),
            };
            let addr = if addr.len() == 42 && (addr.starts_with("0x") || addr.starts_with("0X")) {
                addr.to_ascii_lowercase()
            } else {
                addr.to_owned()
            };
            if chain.is_empty() {
                addr
            } else {
                format!("{chain}:{addr}")
            }
        }
    }
}

/// The digest stored for a value.
pub fn digest(key: &SecretKey, kind: IndexKind, value: &str) -> [u8; 32] {
    keyed_digest(key, kind.as_str(), &normalise(kind, value))
}

fn person_ids(p: &Individual, out: &mut Vec<(IndexKind, String)>) {
    for n in &p.national_ids {
        out.push((IndexKind::NationalId, format!("{}:{}", n.country, n.number)));
    }
}

/// Every (kind, value) of a customer record that is indexed.
pub fn entries(c: &Customer) -> Vec<(IndexKind, String)> {
    let mut out = vec![];
    if let CustomerProfile::Individual(i) = &c.profile {
        person_ids(i, &mut out);
    }
    for s in &c.subjects {
        if let Some(o) = &s.owner {
            person_ids(&o.person, &mut out);
        }
    }
    for d in &c.documents {
        out.push((
            IndexKind::NationalId,
            format!("{}:{}", d.issuing_country, d.number),
        ));
    }
    for ct in &c.contacts {
        let kind = match ct.kind {
            ContactKind::Email => IndexKind::Email,
            ContactKind::Phone => IndexKind::Phone,
        };
        out.push((kind, ct.value.clone()));
    }
    for p in &c.payment_means {
        match &p.instrument {
            // A card given as its BIN and last four digits has no fingerprint: nothing to
            // index (an empty one would link every such card to every other).
            PaymentInstrument::Card { fingerprint, .. } if fingerprint.trim().is_empty() => {}
            PaymentInstrument::Card { fingerprint, .. } => {
                out.push((IndexKind::CardFingerprint, fingerprint.clone()))
            }
            PaymentInstrument::BankAccount {
                iban,
                account_number,
                routing_number,
                ..
            } => {
                if let Some(i) = iban {
                    out.push((IndexKind::Iban, i.clone()));
                }
                if let Some(a) = account_number {
                    let r = routing_number.as_deref().unwrap_or("");
                    out.push((IndexKind::Iban, format!("{r}:{a}")));
                }
            }
            PaymentInstrument::Wallet { chain, address } => out.push((
                IndexKind::Wallet,
                format!("{}:{}", chain.to_ascii_lowercase(), address),
            )),
        }
    }
    out.sort();
    out.dedup();
    out
}

/// The key under which custos-ids fingerprints full card numbers: derived from the index key,
/// so that "which customers share this card?" can be answered after the number itself is gone.
pub fn card_fingerprint_key(index_key: &SecretKey) -> [u8; 32] {
    crate::crypto::derived_key(index_key, "card_pan")
}

/// The keyed fingerprint of a full card number (as custos-ids computes it under
/// [`card_fingerprint_key`]).
pub fn card_fingerprint(key: &SecretKey, pan_digits: &str) -> String {
    hex::encode(keyed_digest(key, "card_pan", pan_digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: IndexKind, a: &str, b: &str) {
        assert_eq!(normalise(kind, a), normalise(kind, b), "{a} ~ {b}");
    }

    #[test]
    fn same_values_typed_differently_match() {
        check(IndexKind::Email, " Lena@Example.DE", "lena@example.de");
        check(
            IndexKind::Email,
            "Lena.Fischer+cloud@gmail.com",
            "lenafischer@googlemail.com",
        );
        check(IndexKind::Phone, "+49 30 1234-567", "+49301234567");
        check(
            IndexKind::Iban,
            "de89 3704 0044 0532 0130 00",
            "DE89370400440532013000",
        );
        check(
            IndexKind::Wallet,
            "Ethereum:0x52908400098527886E0F7030069857D2E4169EE7",
            "ethereum:0x52908400098527886e0f7030069857d2e4169ee7",
        );
        assert_ne!(
            normalise(
                IndexKind::Wallet,
                "bitcoin:1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
            ),
            normalise(
                IndexKind::Wallet,
                "bitcoin:1bvbmseystwetqtfn5au4m4gfg7xjanvn2"
            )
        );
    }

    #[test]
    fn card_fingerprints_agree_with_custos_ids() {
        let k = SecretKey::generate();
        let f = custos_ids::card::facts("4111 1111 1111 1111", &card_fingerprint_key(&k)).unwrap();
        assert_eq!(f.fingerprint, card_fingerprint(&k, "4111111111111111"));
    }
}
