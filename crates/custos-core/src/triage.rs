//! US-person triage, exactly as EO 13984 section 5(k) defines a United States person: a citizen,
//! a lawful permanent resident, an entity organised under US law (foreign branches included), or
//! any person located in the United States. Everyone else is a foreign person.
//!
//! Each conclusion carries the evidence it rests on, and is recomputed whenever that evidence
//! changes (a new document, a new address, a new place the customer was seen connecting from).

use chrono::{DateTime, Duration, Utc};

use crate::ids::Country;
use crate::policy::TriagePolicy;
use crate::records::{Document, DocumentKind, Entity, Individual, LocationObservation};

pub use crate::us_person::{Evidence, EvidenceKind, Triage, UsPersonBasis};

fn ev(kind: EvidenceKind, country: Option<&Country>, us: bool, detail: String) -> Evidence {
    Evidence {
        kind,
        country: country.cloned(),
        points_to_us: us,
        detail,
    }
}

/// Triage of a natural person.
///
/// Citizenship and permanent residence come from declarations and documents. "Located in the
/// United States" needs a US residence address, and, when the person was seen connecting in the
/// policy's window, at least the policy's share of those connections from the US: a US address
/// with every recent connection from abroad is doubt, and doubt means verification.
pub fn individual(
    person: &Individual,
    documents: &[&Document],
    observations: &[LocationObservation],
    policy: &TriagePolicy,
    now: DateTime<Utc>,
) -> Triage {
    let mut evidence = vec![];
    let mut citizen = false;
    let mut lpr = false;
    for c in &person.citizenships {
        let us = c.is_us();
        citizen |= us;
        evidence.push(ev(
            EvidenceKind::DeclaredCitizenship,
            Some(c),
            us,
            format!("declared citizenship {c}"),
        ));
    }
    if person.us_lawful_permanent_resident {
        lpr = true;
        evidence.push(ev(
            EvidenceKind::DeclaredLawfulPermanentResident,
            Some(&Country::us()),
            true,
            "declared US lawful permanent resident".into(),
        ));
    }
    for d in documents {
        let (us, detail) = match d.kind {
            DocumentKind::Passport => {
                let nat = d.nationality.as_ref().unwrap_or(&d.issuing_country);
                let us = nat.is_us() && d.issuing_country.is_us();
                citizen |= us;
                (us, format!("passport issued by {}", d.issuing_country))
            }
            DocumentKind::PermanentResidentCard => {
                let us = d.issuing_country.is_us();
                lpr |= us;
                (
                    us,
                    format!("permanent resident card issued by {}", d.issuing_country),
                )
            }
            other => (
                false,
                format!("{} issued by {}", doc_name(other), d.issuing_country),
            ),
        };
        evidence.push(ev(
            EvidenceKind::Document,
            Some(&d.issuing_country),
            us,
            detail,
        ));
    }
    let address_us = person.residence.as_ref().map(|a| a.country.is_us());
    if let Some(a) = &person.residence {
        evidence.push(ev(
            EvidenceKind::ResidenceAddress,
            Some(&a.country),
            a.country.is_us(),
            format!("residence address in {}", a.country),
        ));
    }
    let since = now - Duration::days(i64::from(policy.location_window_days));
    let recent: Vec<&LocationObservation> = observations.iter().filter(|o| o.at >= since).collect();
    let us_seen = recent.iter().filter(|o| o.country.is_us()).count();
    if !recent.is_empty() {
        let mut countries: Vec<&Country> = recent.iter().map(|o| &o.country).collect();
        countries.sort();
        countries.dedup();
        for c in countries {
            let n = recent.iter().filter(|o| &o.country == c).count();
            evidence.push(ev(
                EvidenceKind::IpLocation,
                Some(c),
                c.is_us(),
                format!(
                    "{n} connection(s) from {c} in the last {} days",
                    policy.location_window_days
                ),
            ));
        }
    }
    let ip_ok =
        recent.is_empty() || (us_seen as f64) / (recent.len() as f64) >= policy.min_us_ip_share;
    let located = address_us == Some(true) && ip_ok;
    let basis = if citizen {
        UsPersonBasis::Citizen
    } else if lpr {
        UsPersonBasis::LawfulPermanentResident
    } else if located {
        UsPersonBasis::LocatedInUs
    } else {
        UsPersonBasis::Foreign
    };
    Triage {
        us_person: basis != UsPersonBasis::Foreign,
        basis,
        evidence,
    }
}

fn doc_name(k: DocumentKind) -> &'static str {
    match k {
        DocumentKind::Passport => "passport",
        DocumentKind::NationalIdCard => "national identity card",
        DocumentKind::ResidencePermit => "residence permit",
        DocumentKind::PermanentResidentCard => "permanent resident card",
        DocumentKind::DrivingLicence => "driving licence",
        DocumentKind::CompanyRegistration => "company registration",
        DocumentKind::Other => "document",
    }
}

/// Triage of a legal person: a US person when organised under the law of the United States or
/// of any jurisdiction within it. Where its offices are does not change that; its beneficial
/// owners are triaged separately.
pub fn entity(e: &Entity) -> Triage {
    let us = e.jurisdiction.is_us();
    let mut evidence = vec![ev(
        EvidenceKind::Jurisdiction,
        Some(&e.jurisdiction),
        us,
        format!("organised under the law of {}", e.jurisdiction),
    )];
    for a in &e.addresses {
        evidence.push(ev(
            EvidenceKind::ResidenceAddress,
            Some(&a.country),
            a.country.is_us(),
            format!("address in {}", a.country),
        ));
    }
    Triage {
        us_person: us,
        basis: if us {
            UsPersonBasis::UsEntity
        } else {
            UsPersonBasis::Foreign
        },
        evidence,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::SubjectId;
    use crate::records::Address;

    fn c(s: &str) -> Country {
        Country::parse(s).unwrap()
    }

    fn person(citizenships: &[&str], residence: Option<&str>, lpr: bool) -> Individual {
        Individual {
            full_name: "A Person".into(),
            given_names: None,
            family_name: None,
            date_of_birth: None,
            citizenships: citizenships.iter().map(|s| c(s)).collect(),
            us_lawful_permanent_resident: lpr,
            residence: residence.map(|r| Address {
                line1: "1 Main St".into(),
                line2: None,
                city: "Town".into(),
                region: None,
                postal_code: None,
                country: c(r),
            }),
            national_ids: vec![],
        }
    }

    fn obs(now: DateTime<Utc>, countries: &[&str]) -> Vec<LocationObservation> {
        countries
            .iter()
            .enumerate()
            .map(|(i, cc)| LocationObservation {
                at: now - Duration::hours(i as i64 + 1),
                ip: "192.0.2.1".into(),
                country: c(cc),
                account_id: None,
            })
            .collect()
    }

    fn check(p: &Individual, seen: &[&str], expect: UsPersonBasis) {
        let now = Utc::now();
        let t = individual(p, &[], &obs(now, seen), &TriagePolicy::default(), now);
        assert_eq!(t.basis, expect, "{p:?} seen from {seen:?}");
        assert_eq!(t.us_person, expect != UsPersonBasis::Foreign);
    }

    #[test]
    fn individual_cases() {
        check(
            &person(&["US"], Some("DE"), false),
            &["DE"],
            UsPersonBasis::Citizen,
        );
        check(
            &person(&["DE", "US"], None, false),
            &[],
            UsPersonBasis::Citizen,
        );
        check(
            &person(&["MX"], Some("MX"), true),
            &["MX"],
            UsPersonBasis::LawfulPermanentResident,
        );
        check(
            &person(&["CA"], Some("US"), false),
            &[],
            UsPersonBasis::LocatedInUs,
        );
        check(
            &person(&["CA"], Some("US"), false),
            &["US", "CA"],
            UsPersonBasis::LocatedInUs,
        );
        check(
            &person(&["CA"], Some("US"), false),
            &["CA", "CA"],
            UsPersonBasis::Foreign,
        );
        check(
            &person(&["CA"], Some("PR"), false),
            &["PR"],
            UsPersonBasis::LocatedInUs,
        );
        check(
            &person(&["FR"], Some("FR"), false),
            &["US"],
            UsPersonBasis::Foreign,
        );
        check(&person(&[], None, false), &[], UsPersonBasis::Foreign);
    }

    #[test]
    fn old_observations_do_not_count() {
        let now = Utc::now();
        let p = person(&[], Some("US"), false);
        let old = vec![LocationObservation {
            at: now - Duration::days(400),
            ip: "192.0.2.1".into(),
            country: c("RU"),
            account_id: None,
        }];
        let t = individual(&p, &[], &old, &TriagePolicy::default(), now);
        assert_eq!(t.basis, UsPersonBasis::LocatedInUs);
    }

    #[test]
    fn us_passport_makes_a_citizen() {
        let now = Utc::now();
        let d = Document {
            id: "doc_1".into(),
            subject_id: SubjectId::parse("sub_1").unwrap(),
            kind: DocumentKind::Passport,
            issuing_country: c("US"),
            number: "X".into(),
            nationality: Some(c("US")),
            expires_on: None,
            mrz: None,
            added_at: now,
        };
        let t = individual(
            &person(&[], Some("GB"), false),
            &[&d],
            &[],
            &TriagePolicy::default(),
            now,
        );
        assert_eq!(t.basis, UsPersonBasis::Citizen);
        assert!(
            t.evidence
                .iter()
                .any(|e| e.kind == EvidenceKind::Document && e.points_to_us)
        );
    }

    #[test]
    fn entities() {
        let mut e = Entity {
            legal_name: "X".into(),
            jurisdiction: c("US"),
            jurisdiction_subdivision: Some("DE".into()),
            registration_number: None,
            lei: None,
            addresses: vec![],
        };
        assert_eq!(entity(&e).basis, UsPersonBasis::UsEntity);
        e.jurisdiction = c("KY");
        assert_eq!(entity(&e).basis, UsPersonBasis::Foreign);
    }
}
