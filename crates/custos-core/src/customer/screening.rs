//! What of a customer is screened: each subject by name (with birth date, a country, identifiers and an address), and the countries it is linked to for designated jurisdictions.

use super::*;

/// What of a subject is screened by name: its name, type, birth date, a country, identifiers and
/// an address.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScreeningSubject {
    pub subject_id: SubjectId,
    pub name: String,
    pub organization: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birth_date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<Country>,
    /// `(kind, value)`: document and national-id numbers, emails, phones, wallets.
    pub identifiers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

pub(super) fn address_line(a: &Address) -> String {
    [
        Some(a.line1.as_str()),
        a.line2.as_deref(),
        a.postal_code.as_deref(),
        Some(a.city.as_str()),
        a.region.as_deref(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(", ")
}

impl Customer {
    /// Every active subject as it is screened by name.
    pub fn screening_subjects(&self) -> Vec<ScreeningSubject> {
        let mut out = vec![];
        for s in self.subjects.iter().filter(|s| s.is_active()) {
            let mut ids: Vec<(String, String)> = self
                .documents
                .iter()
                .filter(|d| d.subject_id == s.id)
                .map(|d| ("document".to_owned(), d.number.clone()))
                .collect();
            ids.extend(self.contacts.iter().filter(|c| c.subject_id == s.id).map(
                |c| match c.kind {
                    ContactKind::Email => ("email".to_owned(), c.value.clone()),
                    ContactKind::Phone => ("phone".to_owned(), c.value.clone()),
                },
            ));
            let person = |i: &Individual, ids: &mut Vec<(String, String)>| {
                ids.extend(
                    i.national_ids
                        .iter()
                        .map(|n| ("national_id".to_owned(), n.number.clone())),
                );
                ScreeningSubject {
                    subject_id: s.id.clone(),
                    name: i.full_name.clone(),
                    organization: false,
                    birth_date: i.date_of_birth,
                    country: i
                        .citizenships
                        .first()
                        .cloned()
                        .or_else(|| i.residence.as_ref().map(|a| a.country.clone())),
                    identifiers: vec![],
                    address: i.residence.as_ref().map(address_line),
                }
            };
            let mut subject = match (s.role, &self.profile, &s.owner) {
                (SubjectRole::Customer, CustomerProfile::Individual(i), _) => person(i, &mut ids),
                (SubjectRole::Customer, CustomerProfile::Entity(e), _) => {
                    ids.extend(
                        e.registration_number
                            .iter()
                            .map(|r| ("registration".to_owned(), r.clone())),
                    );
                    ScreeningSubject {
                        subject_id: s.id.clone(),
                        name: e.legal_name.clone(),
                        organization: true,
                        birth_date: None,
                        country: Some(e.jurisdiction.clone()),
                        identifiers: vec![],
                        address: e.addresses.first().map(address_line),
                    }
                }
                (SubjectRole::BeneficialOwner, _, Some(o)) => person(&o.person, &mut ids),
                (SubjectRole::BeneficialOwner, _, None) => continue,
            };
            if s.role == SubjectRole::Customer {
                ids.extend(
                    self.payment_means
                        .iter()
                        .filter_map(|p| match &p.instrument {
                            PaymentInstrument::Wallet { chain, address } => {
                                Some(("wallet".to_owned(), format!("{chain}:{address}")))
                            }
                            _ => None,
                        }),
                );
            }
            subject.identifiers = ids;
            out.push(subject);
        }
        out
    }

    /// Every link of every active subject to a country: addresses, nationalities, the issuing
    /// states of documents and national ids, telephone numbers, payment instruments, and the
    /// countries of the IPs the customer connected from (the customer's own, not its owners').
    pub fn country_links(&self) -> Vec<CountryLink> {
        let mut out = vec![];
        let mut add = |subject_id: &SubjectId, country: &Country, kind: LinkKind| {
            let l = CountryLink {
                subject_id: subject_id.clone(),
                country: country.clone(),
                kind,
            };
            if !out.contains(&l) {
                out.push(l);
            }
        };
        for s in self.subjects.iter().filter(|s| s.is_active()) {
            let person = |i: &Individual, add: &mut dyn FnMut(&SubjectId, &Country, LinkKind)| {
                for c in &i.citizenships {
                    add(&s.id, c, LinkKind::Nationality);
                }
                if let Some(a) = &i.residence {
                    add(&s.id, &a.country, LinkKind::Address);
                }
                for n in &i.national_ids {
                    add(&s.id, &n.country, LinkKind::Document);
                }
            };
            match (s.role, &self.profile, &s.owner) {
                (SubjectRole::Customer, CustomerProfile::Individual(i), _) => person(i, &mut add),
                (SubjectRole::Customer, CustomerProfile::Entity(e), _) => {
                    add(&s.id, &e.jurisdiction, LinkKind::Organisation);
                    for a in &e.addresses {
                        add(&s.id, &a.country, LinkKind::Address);
                    }
                }
                (SubjectRole::BeneficialOwner, _, Some(o)) => person(&o.person, &mut add),
                (SubjectRole::BeneficialOwner, _, None) => {}
            }
            for d in self.documents.iter().filter(|d| d.subject_id == s.id) {
                add(&s.id, &d.issuing_country, LinkKind::Document);
                if let Some(n) = &d.nationality {
                    add(&s.id, n, LinkKind::Nationality);
                }
            }
            for c in self.contacts.iter().filter(|c| c.subject_id == s.id) {
                if c.kind == ContactKind::Phone
                    && let Ok(p) = custos_ids::phone::check(&c.value)
                    && let Some(cc) = p.country.as_deref().and_then(|cc| Country::parse(cc).ok())
                {
                    add(&s.id, &cc, LinkKind::Phone);
                }
            }
            if s.role == SubjectRole::Customer {
                for p in &self.payment_means {
                    let country = match &p.instrument {
                        PaymentInstrument::Card { country, .. } => country.clone(),
                        PaymentInstrument::BankAccount { iban, country, .. } => {
                            country.clone().or_else(|| {
                                iban.as_deref()
                                    .and_then(|i| Country::parse(i.get(..2)?).ok())
                            })
                        }
                        PaymentInstrument::Wallet { .. } => None,
                    };
                    if let Some(c) = country {
                        add(&s.id, &c, LinkKind::Payment);
                    }
                }
                for o in &self.observations {
                    add(&s.id, &o.country, LinkKind::Ip);
                }
            }
        }
        out
    }
}

pub(super) fn individual_countries(i: &Individual, out: &mut Vec<Country>) {
    out.extend(i.citizenships.iter().cloned());
    if let Some(a) = &i.residence {
        out.push(a.country.clone());
    }
    out.extend(i.national_ids.iter().map(|n| n.country.clone()));
}

impl CustomerSummary {
    pub fn active_subjects(&self) -> impl Iterator<Item = &SubjectSummary> {
        self.subjects.iter().filter(|s| s.qualifies && !s.removed)
    }

    /// EO 5(k): the customer and all its beneficial owners are United States persons.
    pub fn all_us_persons(&self) -> bool {
        self.active_subjects().all(|s| s.us_person)
    }
}
