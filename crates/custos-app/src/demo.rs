//! Realistic demo records, with well-known ids so that the examples in the OpenAPI document
//! work against a fresh `custos demo` server: US and foreign individuals, a foreign entity with
//! beneficial owners, a US entity with a foreign owner, a reseller with sub-lessees (one of
//! them linked to a designated jurisdiction), a customer with a possible match on the demo's
//! designations awaiting review, a customer whose verification failed, and one under legal
//! hold.

use chrono::NaiveDate;
use custos_core::customer::BeneficialOwner;
use custos_core::verification::{Method, MethodOutcome, MethodResult};
use custos_core::{
    AccountId, AccountKind, Address, ContactKind, Country, CustomerId, CustomerProfile,
    DocumentKind, Entity, Individual, LegalHold, NationalId, Offering, SubjectId,
};

use crate::error::Error;
use crate::service::{App, NewAccount};

fn cc(s: &str) -> Country {
    Country::parse(s).expect("demo country codes are valid")
}

fn addr(line1: &str, city: &str, postal: &str, country: &str) -> Address {
    Address {
        line1: line1.into(),
        line2: None,
        city: city.into(),
        region: None,
        postal_code: Some(postal.into()),
        country: cc(country),
    }
}

fn person(name: &str, dob: (i32, u32, u32), citizenship: &str, residence: Address) -> Individual {
    let (given, family) = name.split_once(' ').unwrap_or((name, ""));
    Individual {
        full_name: name.into(),
        given_names: Some(given.into()),
        family_name: Some(family.into()),
        date_of_birth: NaiveDate::from_ymd_opt(dob.0, dob.1, dob.2),
        citizenships: vec![cc(citizenship)],
        us_lawful_permanent_resident: false,
        residence: Some(residence),
        national_ids: vec![],
    }
}

fn company(
    name: &str,
    country: &str,
    subdivision: Option<&str>,
    reg: &str,
    address: Address,
) -> CustomerProfile {
    CustomerProfile::Entity(Entity {
        legal_name: name.into(),
        jurisdiction: cc(country),
        jurisdiction_subdivision: subdivision.map(Into::into),
        registration_number: Some(reg.into()),
        lei: None,
        addresses: vec![address],
    })
}

fn owner(p: Individual, pct: f64) -> BeneficialOwner {
    BeneficialOwner {
        person: p,
        ownership_percent: Some(pct),
        substantial_control: false,
        title: None,
    }
}

fn cid(s: &str) -> CustomerId {
    CustomerId::parse(s).expect("demo ids are valid")
}

fn sid(s: &str) -> SubjectId {
    SubjectId::parse(s).expect("demo ids are valid")
}

fn aid(s: &str) -> AccountId {
    AccountId::parse(s).expect("demo ids are valid")
}

struct Seeder<'a> {
    svc: &'a App,
}

impl Seeder<'_> {
    async fn customer(
        &self,
        id: &str,
        subjects: &[&str],
        profile: CustomerProfile,
        owners: Vec<BeneficialOwner>,
    ) -> Result<CustomerId, Error> {
        let c = self
            .svc
            .create_customer_with_ids(
                cid(id),
                subjects.iter().map(|s| sid(s)).collect(),
                profile,
                owners,
                None,
            )
            .await?;
        Ok(c.id)
    }

    async fn email(&self, c: &CustomerId, email: &str) -> Result<(), Error> {
        let req = crate::intake::AddContact {
            subject_id: None,
            kind: ContactKind::Email,
            value: email.to_owned(),
            verified_at: Some(self.svc.now()),
        };
        self.svc.add_contact(c, req).await?;
        Ok(())
    }

    /// Files an identity document for a subject, as the sign-up flow does before it reports a
    /// documentary check.
    async fn document(
        &self,
        c: &CustomerId,
        subject: &str,
        kind: DocumentKind,
        issuer: &str,
        number: &str,
    ) -> Result<(), Error> {
        let req = crate::intake::AddDocument {
            subject_id: Some(sid(subject)),
            kind,
            issuing_country: cc(issuer),
            number: number.into(),
            nationality: None,
            expires_on: None,
            mrz: None,
        };
        self.svc.add_document(c, req).await?;
        Ok(())
    }

    async fn pass(
        &self,
        c: &CustomerId,
        subject: &str,
        methods: &[Method],
        outcome: MethodOutcome,
    ) -> Result<(), Error> {
        for m in methods {
            let r = MethodResult {
                method: *m,
                outcome,
                at: self.svc.now(),
                provider: Some("demo-kyc".into()),
                reference: Some(format!("chk_{subject}_{m:?}")),
                recorded_by: "demo".into(),
            };
            self.svc.record_result(c, Some(sid(subject)), r).await?;
        }
        Ok(())
    }

    async fn account(
        &self,
        id: &str,
        c: &CustomerId,
        kind: AccountKind,
        parent: Option<&str>,
    ) -> Result<(), Error> {
        self.svc
            .open_account_with_id(
                aid(id),
                NewAccount {
                    customer_id: c.clone(),
                    kind,
                    offering: Offering::Paid,
                    parent_id: parent.map(aid),
                },
            )
            .await?;
        Ok(())
    }
}

/// The demo's list of special-measure designations (custos TOML), imported as a list version.
const DEMO_DESIGNATIONS: &str = r#"
[[designation]]
id = "demo-001"
subject = { kind = "person", name = "Example Hosting Ltd", aliases = ["EHL", "Primer Hosting OOO"], countries = ["RU"], entity_kind = "organization" }
measure = "prohibition"
effective = 2026-01-15
reference = "Demo designation, not a real determination"

[[designation]]
id = "demo-002"
subject = { kind = "jurisdiction", country = "KP" }
measure = "prohibition"
effective = 2026-01-15
reference = "Demo designation, not a real determination"
"#;

async fn seed_lists(svc: &App) -> Result<(), Error> {
    let p = crate::lists::Publication {
        list: crate::designations::API_LIST.into(),
        format: "custos-toml".into(),
        source: "custos demo".into(),
        // The designations carry their own measures.
        measure: Default::default(),
        allow_shrink: false,
        name_guessed: false,
        based_on: None,
    };
    match svc
        .publish_list(
            custos_screen::import::Format::CustosToml,
            DEMO_DESIGNATIONS.as_bytes(),
            "designations.toml",
            p,
        )
        .await?
    {
        crate::lists::Published::Saved { .. } | crate::lists::Published::Unchanged { .. } => {}
        other => {
            return Err(Error::Conflict(format!(
                "the demo's designations were not published: {other:?}"
            )));
        }
    }
    // One entered as a compliance officer would, scheduled: the lead time after today.
    svc.add_designation(
        crate::designations::NewDesignation {
            id: "demo-003".into(),
            subject: custos_screen::model::DesignationSubject::Jurisdiction {
                country: "BY".into(),
            },
            measure: custos_screen::model::Measure::Conditions,
            conditions: vec![
                "account.offering != 'trial'".into(),
                "account.kind != 'sub_lessee' || account.monitoring == 'enhanced'".into(),
            ],
            determined: None,
            effective: None,
            expires: None,
            reference: "Demo designation, not a real determination".into(),
        },
        &crate::service::Actor {
            id: "demo".into(),
            role: "admin".into(),
        },
    )
    .await?;
    Ok(())
}

/// Seeds the demo records into an empty store.
/// One console user per role, to sign in with (`ROLE@console.example`), with their passwords
/// and second factors.
pub async fn console_users(svc: &App) -> Result<Vec<crate::users::Credentials>, Error> {
    let actor = crate::Actor {
        id: "demo".into(),
        role: "admin".into(),
    };
    let mut out = vec![];
    for role in crate::keys::Role::ALL {
        let email = format!("{}@console.example", role.as_str().replace('_', "-"));
        out.push(svc.create_user(&actor, &email, role, false).await?);
    }
    Ok(out)
}

pub async fn seed(svc: &App) -> Result<(), Error> {
    seed_lists(svc).await?;
    use AccountKind::*;
    use Method::*;
    let s = Seeder { svc };
    let ind = CustomerProfile::Individual;

    let us = s
        .customer(
            "cus_demo_us_individual",
            &["sub_demo_us_individual"],
            ind(person(
                "Jordan Ellis",
                (1985, 7, 2),
                "US",
                addr("400 Congress Ave", "Austin", "78701", "US"),
            )),
            vec![],
        )
        .await?;
    s.email(&us, "jordan.ellis@example.com").await?;
    s.account("acc_demo_us_direct", &us, Direct, None).await?;

    let mut lena = person(
        "Lena Fischer",
        (1988, 4, 12),
        "DE",
        addr("Unter den Linden 5", "Berlin", "10117", "DE"),
    );
    lena.national_ids.push(NationalId {
        country: cc("DE"),
        kind: Some("national_id".into()),
        number: "36574261809".into(),
    });
    let foreign = s
        .customer(
            "cus_demo_foreign_individual",
            &["sub_demo_foreign_individual"],
            ind(lena),
            vec![],
        )
        .await?;
    s.email(&foreign, "lena.fischer@example.de").await?;
    s.account("acc_demo_foreign_direct", &foreign, Direct, None)
        .await?;

    let entity = s
        .customer(
            "cus_demo_foreign_entity",
            &[
                "sub_demo_foreign_entity",
                "sub_demo_owner_1",
                "sub_demo_owner_2",
            ],
            company(
                "Nordlicht Rechenzentrum GmbH",
                "DE",
                None,
                "HRB 123456 B",
                addr("Friedrichstrasse 68", "Berlin", "10117", "DE"),
            ),
            vec![
                owner(
                    person(
                        "Jonas Weber",
                        (1979, 1, 23),
                        "DE",
                        addr("Kastanienallee 12", "Berlin", "10435", "DE"),
                    ),
                    60.0,
                ),
                owner(
                    person(
                        "Maria Lopez",
                        (1983, 11, 5),
                        "US",
                        addr("77 Mass Ave", "Cambridge", "02139", "US"),
                    ),
                    30.0,
                ),
            ],
        )
        .await?;
    s.account("acc_demo_entity_direct", &entity, Direct, None)
        .await?;

    let mesa = s
        .customer(
            "cus_demo_us_entity",
            &["sub_demo_us_entity", "sub_demo_owner_3", "sub_demo_owner_4"],
            company(
                "Blue Mesa Compute LLC",
                "US",
                Some("DE"),
                "7215583",
                addr("1209 Orange St", "Wilmington", "19801", "US"),
            ),
            vec![
                owner(
                    person(
                        "Sam Carter",
                        (1975, 3, 30),
                        "US",
                        addr("12 Pine St", "Denver", "80202", "US"),
                    ),
                    70.0,
                ),
                owner(
                    person(
                        "Chen Wei",
                        (1990, 9, 9),
                        "CN",
                        addr("88 Century Ave", "Shanghai", "200120", "CN"),
                    ),
                    30.0,
                ),
            ],
        )
        .await?;
    s.account("acc_demo_us_entity_direct", &mesa, Direct, None)
        .await?;

    let reseller = s
        .customer(
            "cus_demo_reseller",
            &["sub_demo_reseller", "sub_demo_owner_5"],
            company(
                "Polder Hosting B.V.",
                "NL",
                None,
                "KvK 81234567",
                addr("Keizersgracht 100", "Amsterdam", "1015 AA", "NL"),
            ),
            vec![owner(
                person(
                    "Daan de Vries",
                    (1982, 6, 14),
                    "NL",
                    addr("Prinsengracht 2", "Amsterdam", "1015 DV", "NL"),
                ),
                100.0,
            )],
        )
        .await?;
    s.document(
        &reseller,
        "sub_demo_reseller",
        DocumentKind::CompanyRegistration,
        "NL",
        "KvK 81234567",
    )
    .await?;
    s.document(
        &reseller,
        "sub_demo_owner_5",
        DocumentKind::Passport,
        "NL",
        "NW3H81K27",
    )
    .await?;
    s.pass(
        &reseller,
        "sub_demo_reseller",
        &[Document, Address],
        MethodOutcome::Pass,
    )
    .await?;
    s.pass(
        &reseller,
        "sub_demo_owner_5",
        &[Document, Address],
        MethodOutcome::Pass,
    )
    .await?;
    s.account("acc_demo_reseller", &reseller, Reseller, None)
        .await?;
    // A second reseller account of the same reseller (another region), with no case open.
    s.account("acc_demo_reseller_apac", &reseller, Reseller, None)
        .await?;
    let sub1 = s
        .customer(
            "cus_demo_sublessee_1",
            &["sub_demo_sublessee_1"],
            ind(person(
                "Marek Nowak",
                (1992, 2, 17),
                "PL",
                addr("ul. Mazowiecka 11", "Warszawa", "00-052", "PL"),
            )),
            vec![],
        )
        .await?;
    s.account(
        "acc_demo_sublessee_1",
        &sub1,
        SubLessee,
        Some("acc_demo_reseller"),
    )
    .await?;
    // A sub-lessee linked to a designated jurisdiction by nationality: a review case, and
    // the reseller above shows the exposure.
    let mut kim = person(
        "Kim Chol-su",
        (1986, 3, 3),
        "KP",
        addr("Jianguo Rd 9", "Dandong", "118000", "CN"),
    );
    kim.citizenships = vec![cc("KP")];
    let sub3 = s
        .customer(
            "cus_demo_sublessee_3",
            &["sub_demo_sublessee_3"],
            ind(kim),
            vec![],
        )
        .await?;
    s.account(
        "acc_demo_sublessee_3",
        &sub3,
        SubLessee,
        Some("acc_demo_reseller"),
    )
    .await?;
    let sub2 = s
        .customer(
            "cus_demo_sublessee_2",
            &["sub_demo_sublessee_2"],
            ind(person(
                "Riley Brooks",
                (1994, 12, 1),
                "US",
                addr("500 Pike St", "Seattle", "98101", "US"),
            )),
            vec![],
        )
        .await?;
    s.account(
        "acc_demo_sublessee_2",
        &sub2,
        SubLessee,
        Some("acc_demo_reseller"),
    )
    .await?;

    // A possible match with a designated person's alias: its account is held for review.
    let screened = s
        .customer(
            "cus_demo_screened",
            &["sub_demo_screened"],
            company(
                "Primer Hosting LLC",
                "AM",
                None,
                "286.110.1234567",
                addr("Abovyan St 20", "Yerevan", "0001", "AM"),
            ),
            vec![],
        )
        .await?;
    s.account("acc_demo_screened", &screened, Direct, None)
        .await?;

    let failed = s
        .customer(
            "cus_demo_failed",
            &["sub_demo_failed"],
            ind(person(
                "Viktor Petrenko",
                (1987, 8, 8),
                "UA",
                addr("Khreshchatyk 22", "Kyiv", "01001", "UA"),
            )),
            vec![],
        )
        .await?;
    s.pass(&failed, "sub_demo_failed", &[Email], MethodOutcome::Fail)
        .await?;
    s.account("acc_demo_failed", &failed, Direct, None).await?;

    let held = s
        .customer(
            "cus_demo_held",
            &["sub_demo_held"],
            ind(person(
                "Omar Haddad",
                (1980, 5, 19),
                "JO",
                addr("Rainbow St 14", "Amman", "11181", "JO"),
            )),
            vec![],
        )
        .await?;
    svc.store()
        .place_hold(
            &held,
            &LegalHold {
                id: "hold_demo_1".into(),
                reason: "preservation request".into(),
                reference: Some("PR-2026-031".into()),
                placed_by: "demo".into(),
                placed_at: svc.now(),
                released_by: None,
                released_at: None,
                expires_at: None,
            },
        )
        .await?;
    seed_legal(svc).await?;
    seed_abuse(svc).await?;
    seed_sharing(svc).await?;
    // Reseller oversight: the provider's CIP, and a non-compliance case on the reseller.
    let demo = crate::service::Actor {
        id: "demo".into(),
        role: "admin".into(),
    };
    svc.put_document(
        crate::resellers::PROVIDER,
        "cip",
        "provider-cip.md",
        "text/markdown",
        DEMO_CIP.as_bytes(),
        &demo,
    )
    .await?;
    svc.flag_non_compliance_as(
        "nc_demo".into(),
        &aid("acc_demo_reseller"),
        "its CIP was not produced when requested".into(),
        &demo,
    )
    .await?;
    svc.put_program_profile(
        &crate::report::ProgramProfile {
            provider_name: "Demo Cloud LLC".into(),
            provider_address: Some("1 Example Way, Reston, VA 20190, United States".into()),
            cip_contact: crate::report::CipContact {
                name: "Dana Whitfield".into(),
                title: Some("CIP officer".into()),
                email: "cip@demo-cloud.example".into(),
                phone: None,
            },
            detection_resources: vec!["24x7 abuse desk".into(), "NetFlow anomaly detection".into()],
            reseller_oversight: "Foreign resellers give their CIP yearly and record their \
                sub-lessees through the API."
                .into(),
            verification_notes: None,
        },
        &demo,
    )
    .await?;
    // The Abuse Deterrence Program: a deviation to notify, and a report due on an AI-training
    // transaction, under well-known ids.
    let now = svc.now();
    let days = |d: u32| chrono::Duration::days(i64::from(d));
    let c = &svc.policy().compliance;
    svc.keep(&crate::program::AdpDeviation {
        id: "adpdev_demo".into(),
        occurred_at: now,
        description: "Red-flag alerts were not triaged for 72 hours during an outage".into(),
        notify_by: now + days(c.adp_deviation_notice_days),
        notified_at: None,
        notice_reference: None,
        recorded_by: "demo".into(),
    })
    .await?;
    let foreign = cid("cus_demo_foreign_individual");
    svc.keep(&crate::program::AiTrainingReport {
        id: "aird_demo".into(),
        customer_id: foreign.clone(),
        transaction_reference: "order-77310".into(),
        detected_at: now,
        due_at: now + days(c.ai_training_report_days),
        filed_at: None,
        filing_reference: None,
        recorded_by: "demo".into(),
    })
    .await?;
    Ok(())
}

/// The demo provider's CIP document.
const DEMO_CIP: &str = "# Customer Identification Program (demo)\n\n\
This is the demo provider's CIP. It follows `policy/default-cip.toml`: foreign customers and \
foreign beneficial owners are verified by documentary and non-documentary methods before an \
account may be used without restriction.\n";

/// Legal process: a subpoena waiting for its second person, a 2703(d) order approved, and a
/// preservation in force (the ids the OpenAPI examples name).
async fn seed_legal(svc: &App) -> Result<(), Error> {
    use crate::keys::{Caller, Role};
    use crate::legal::{Officer, RequestInput, ScopeInput};
    use custos_core::legal::Instrument;
    let officer = Caller {
        key_id: "demo".into(),
        role: Role::ComplianceOfficer,
        scope: None,
    };
    let second = Caller {
        key_id: "demo-second".into(),
        role: Role::ComplianceOfficer,
        scope: None,
    };
    let served = svc.now() - chrono::Duration::days(2);
    let request = |instrument, accounts: &[&str]| RequestInput {
        agency: "FBI Cyber Division".into(),
        case_number: "2026-CY-0117".into(),
        instrument,
        court: (instrument == Instrument::CourtOrder2703d)
            .then(|| "U.S. District Court for the Eastern District of Virginia".into()),
        served_at: served,
        served_how: Some("email".into()),
        due: Some((served + chrono::Duration::days(14)).date_naive()),
        ndo_expires: Some((served + chrono::Duration::days(180)).date_naive()),
        officer: Some(Officer {
            name: "Special Agent Dana Whitfield".into(),
            email: Some("dana.whitfield@fbi.example".into()),
            phone: Some("+1 202 555 0143".into()),
        }),
        contact_verified: Some("called back the field office's published number".into()),
        justification: None,
        scope: ScopeInput {
            accounts: accounts.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        },
    };
    svc.add_legal_request_with_id(
        &officer,
        "lreq_demo_subpoena".into(),
        request(Instrument::Subpoena, &["acc_demo_foreign_direct"]),
    )
    .await?;
    svc.add_legal_request_with_id(
        &officer,
        "lreq_demo_order".into(),
        request(Instrument::CourtOrder2703d, &["acc_demo_screened"]),
    )
    .await?;
    svc.approve_legal(&second, "lreq_demo_order").await?;
    let mut p = request(Instrument::Preservation, &["acc_demo_entity_direct"]);
    p.due = None;
    p.ndo_expires = None;
    svc.add_legal_request_with_id(&officer, "lreq_demo_preservation".into(), p)
        .await?;
    Ok(())
}

/// An abuse report on an account, its case open (the id the OpenAPI examples name).
async fn seed_abuse(svc: &App) -> Result<(), Error> {
    use crate::keys::{Caller, Role};
    let desk = Caller {
        key_id: "demo-abuse-desk".into(),
        role: Role::Integrator,
        scope: None,
    };
    svc.report_abuse_with_id(
        &desk,
        Some("abc_demo_phishing".into()),
        crate::abuse::AbuseReport {
            ip: None,
            at: Some(svc.now() - chrono::Duration::hours(3)),
            account_id: Some("acc_demo_us_direct".into()),
            category: custos_core::abuse::Category::Phishing,
            evidence: "A copy of a bank's login page served from the account's instance at \
                       /secure/login, reported by the bank's CERT."
                .into(),
            references: vec!["CERT ticket 2026-8812".into()],
            domains: vec![],
            wallets: vec![],
        },
    )
    .await?;
    Ok(())
}

/// The collection every peer key may read (its id the OpenAPI examples name), with a report
/// of an address shared into it: an indicator, its sighting and the incident, so that a TAXII
/// client pointed at the demo finds them at once.
pub const DEMO_COLLECTION: &str = "8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10";
/// The demo's trust group key id.
pub const DEMO_TRUST_KEY: &str = "trust-group-1-2026-12";

/// A share into the demo's collection under TLP:GREEN, nothing of an account with it.
fn green_share() -> crate::sharing::ShareCase {
    crate::sharing::ShareCase {
        collection: DEMO_COLLECTION.into(),
        tlp: Some(crate::sharing::stix::Tlp::Green),
        include_access_addresses: false,
        include_ssh_keys: false,
        note: None,
    }
}

async fn seed_sharing(svc: &App) -> Result<(), Error> {
    use crate::keys::{Caller, Role};
    let officer = Caller {
        key_id: "demo-compliance-officer".into(),
        role: Role::ComplianceOfficer,
        scope: None,
    };
    svc.create_collection_with_id(
        &officer,
        DEMO_COLLECTION.into(),
        crate::sharing::NewCollection {
            title: "Abuse indicators".into(),
            description: Some(
                "Addresses abuse of the provider came from, their sightings and the incidents"
                    .into(),
            ),
            readers: vec![crate::sharing::EVERY_PEER.into()],
            writers: vec![],
        },
    )
    .await?;
    let desk = Caller {
        key_id: "demo-abuse-desk".into(),
        role: Role::Integrator,
        scope: None,
    };
    svc.report_abuse_with_id(
        &desk,
        Some("abc_demo_scanning".into()),
        crate::abuse::AbuseReport {
            ip: Some("203.0.113.66".into()),
            at: Some(svc.now() - chrono::Duration::hours(5)),
            account_id: None,
            category: custos_core::abuse::Category::Scanning,
            evidence: "SSH brute force against a customer's instances: 14,000 attempts in an \
                       hour from one address."
                .into(),
            references: vec!["abuse desk ticket 4411".into()],
            domains: vec!["ssh-keys-check.example".into()],
            wallets: vec![],
        },
    )
    .await?;
    // The demo's trust group key (a real group makes its own and gives it to its members).
    svc.put_trust_key(
        &officer,
        DEMO_TRUST_KEY,
        Some("ZGVtbyB0cnVzdCBncm91cCBrZXksIG5vdCBzZWNyZXQ="),
    )
    .await?;
    svc.share_abuse_case(&officer, "abc_demo_scanning", green_share())
        .await?;
    // Two more reports from the same /24, one of them naming the wallet its miners paid out
    // to: with three addresses of one network shared, the network is shared as well.
    for (case, ip, category, evidence, wallets) in [
        (
            "abc_demo_mining",
            "203.0.113.67",
            custos_core::abuse::Category::CryptoMining,
            "Cryptocurrency miners dropped on compromised instances connected back to this \
             address; their pool configuration paid out to the wallet named.",
            vec!["bitcoin:bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4".to_owned()],
        ),
        (
            "abc_demo_scanning_2",
            "203.0.113.70",
            custos_core::abuse::Category::Scanning,
            "Port scans of the provider's whole address space, 2,000 ports an address.",
            vec![],
        ),
    ] {
        svc.report_abuse_with_id(
            &desk,
            Some(case.into()),
            crate::abuse::AbuseReport {
                ip: Some(ip.into()),
                at: Some(svc.now() - chrono::Duration::hours(4)),
                account_id: None,
                category,
                evidence: evidence.into(),
                references: vec![],
                domains: vec![],
                wallets,
            },
        )
        .await?;
        svc.share_abuse_case(&officer, case, green_share()).await?;
    }
    use crate::sharing::incident::{IncidentActivity, NewIncident, PointOfContact, Severity};
    svc.record_incident_with_id(
        &officer,
        "inc_demo_scanning".into(),
        NewIncident {
            occurred_at: svc.now() - chrono::Duration::hours(6),
            detected_at: Some(svc.now() - chrono::Duration::hours(5)),
            location: "the provider's SSH bastions and 14 customer instances".into(),
            activity: IncidentActivity::UnauthorizedAccess,
            narrative: "SSH brute force from one address against the instances of several \
                        customers; the address is shared with peers."
                .into(),
            systems_affected: 14,
            accounts_affected: 0,
            organisation: "Demo Cloud LLC".into(),
            contact: PointOfContact {
                name: "Security desk".into(),
                email: "security@demo-cloud.example".into(),
                phone: None,
            },
            severity: Severity::Medium,
            sector: "information technology".into(),
            told: vec![],
            covered: true,
            abuse_cases: vec!["abc_demo_scanning".into()],
        },
    )
    .await?;
    // The incident's bundle goes in the collection too: a peer sees the incident beside the
    // indicator.
    svc.share_incident(&officer, "inc_demo_scanning", green_share())
        .await?;
    Ok(())
}
