//! The facts of a customer that rules read, drawn from its record: classifications only (a
//! line type, whether a domain is throwaway, a card's funding), each from the record's newest
//! identifier of its kind, and the countries they come from.

use std::net::IpAddr;

use super::{
    CardFacts, CountryFacts, EmailFacts, Facts, IbanFacts, IpFacts, PersonFacts, PhoneFacts,
};
use crate::records::{ContactKind, Customer, CustomerProfile, PaymentInstrument};

/// What the reference lists say of an identifier (the application's imported lists).
pub trait Classify {
    /// Whether an email domain (IDNA-encoded) is a throwaway one.
    fn disposable(&self, domain_ascii: &str) -> bool;
    /// The kind of an address (`tor`, `vpn`, `hosting`, ... or `unknown`) and every label.
    fn ip(&self, ip: IpAddr) -> (String, Vec<String>);
    /// A card's brand, funding (`credit`, `debit`, `prepaid`, ...) and issuing country, from
    /// its first six to eight digits.
    fn bin(&self, bin: &str) -> Option<(String, String, String)>;
}

/// The line type of a number as libphonenumber names it (`FixedLineOrMobile`, lower-cased),
/// in the rules' words.
fn line_type(t: &str) -> &'static str {
    match t {
        "mobile" => "mobile",
        "fixedline" => "fixed",
        "fixedlineormobile" => "fixed_or_mobile",
        "voip" => "voip",
        "tollfree" => "toll_free",
        "premiumrate" => "premium",
        "sharedcost" => "shared_cost",
        "personalnumber" => "personal",
        "pager" => "pager",
        "uan" => "uan",
        "voicemail" => "voicemail",
        _ => "unknown",
    }
}

impl Facts<'static> {
    /// The facts of `c` its record holds (the counts of sharing customers are the caller's).
    pub fn of(c: &Customer, classify: &dyn Classify) -> Facts<'static> {
        let mut f = Facts::default();
        let newest = |kind: ContactKind| {
            c.contacts
                .iter()
                .filter(|x| x.kind == kind)
                .max_by_key(|x| x.added_at)
        };
        if let Some(e) = newest(ContactKind::Email) {
            let domain = custos_ids::email::check(&e.value)
                .ok()
                .and_then(|p| p.details.get("domain")?.as_str().map(str::to_owned))
                .unwrap_or_default();
            f.email = EmailFacts {
                present: true,
                disposable: !domain.is_empty() && classify.disposable(&domain),
                domain,
            };
        }
        if let Some(p) = newest(ContactKind::Phone) {
            let parsed = custos_ids::phone::check(&p.value).ok();
            f.phone = PhoneFacts {
                present: true,
                line_type: line_type(
                    parsed
                        .as_ref()
                        .and_then(|p| p.details.get("type")?.as_str())
                        .unwrap_or(""),
                )
                .to_owned(),
                country: parsed.and_then(|p| p.country).unwrap_or_default(),
            };
        }
        let mut means: Vec<_> = c.payment_means.iter().collect();
        means.sort_by_key(|m| std::cmp::Reverse(m.added_at));
        for m in &means {
            match &m.instrument {
                PaymentInstrument::Card {
                    brand,
                    bin,
                    country,
                    ..
                } if !f.card.present => {
                    let looked = classify.bin(bin);
                    let funding = looked
                        .as_ref()
                        .map_or("unknown".to_owned(), |l| l.1.clone());
                    f.card = CardFacts {
                        present: true,
                        brand: looked
                            .as_ref()
                            .map(|l| l.0.clone())
                            .filter(|b| !b.is_empty())
                            .unwrap_or_else(|| brand.to_ascii_lowercase()),
                        prepaid: funding == "prepaid",
                        funding,
                        country: country
                            .as_ref()
                            .map(|c| c.as_str().to_owned())
                            .or_else(|| looked.map(|l| l.2))
                            .unwrap_or_default(),
                    };
                }
                PaymentInstrument::BankAccount { iban, country, .. } if !f.iban.present => {
                    f.iban = IbanFacts {
                        present: true,
                        country: country
                            .as_ref()
                            .map(|c| c.as_str().to_owned())
                            .or_else(|| {
                                iban.as_ref()
                                    .map(|i| i.trim().chars().take(2).collect::<String>())
                                    .filter(|c| c.chars().all(|x| x.is_ascii_alphabetic()))
                                    .map(|c| c.to_ascii_uppercase())
                            })
                            .unwrap_or_default(),
                    };
                }
                _ => {}
            }
        }
        if let Some(o) = c.observations.iter().max_by_key(|o| o.at) {
            let (kind, labels) =
                o.ip.parse::<IpAddr>()
                    .map(|ip| classify.ip(ip))
                    .unwrap_or_else(|_| ("unknown".into(), vec![]));
            f.ip = IpFacts {
                present: true,
                country: o.country.as_str().to_owned(),
                kind,
                labels,
            };
        }
        let (nationalities, addresses): (Vec<String>, Vec<String>) = match &c.profile {
            CustomerProfile::Individual(i) => (
                i.citizenships
                    .iter()
                    .map(|c| c.as_str().to_owned())
                    .collect(),
                i.residence
                    .iter()
                    .map(|a| a.country.as_str().to_owned())
                    .collect(),
            ),
            CustomerProfile::Entity(e) => (
                vec![],
                e.addresses
                    .iter()
                    .map(|a| a.country.as_str().to_owned())
                    .collect(),
            ),
        };
        f.countries = CountryFacts::of([
            addresses.first().map_or("", String::as_str),
            f.card.country.as_str(),
            f.phone.country.as_str(),
            f.iban.country.as_str(),
            f.ip.country.as_str(),
        ]);
        f.customer = PersonFacts {
            entity: c.profile.is_entity(),
            us_person: c.subjects.first().is_some_and(|s| s.triage.us_person),
            nationalities,
            address_countries: addresses,
        };
        f
    }
}
