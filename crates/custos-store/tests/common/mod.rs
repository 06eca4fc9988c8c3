//! The conformance suite's harness: a store on each backend, and the records its cases
//! build.

#![allow(dead_code, reason = "each case uses part of this")]

use std::sync::Arc;

use chrono::{TimeZone, Utc};
use custos_core::account::{AccountDecision, Decision};
use custos_core::customer::{PaymentInstrument, PaymentMeans, PaymentSource};
use custos_core::{
    Account, AccountId, AccountKind, AccountStatus, Address, CipPolicy, Contact, ContactKind,
    Country, Customer, CustomerId, CustomerProfile, Individual, NationalId, Offering, RiskLevel,
    SubjectId,
};
use custos_store::blind::card_fingerprint;
use custos_store::crypto::FileKeyring;
use custos_store::{SqlStore, Store};

pub struct Harness {
    pub store: SqlStore,
    pub keyring: Arc<FileKeyring>,
    pub dir: tempfile::TempDir,
    pub pg: Option<(String, String)>,
}

impl Harness {
    /// Every byte the database keeps: the SQLite files (after a checkpoint), or a `pg_dump`.
    pub async fn dump(&self) -> Vec<u8> {
        match &self.pg {
            None => {
                self.store
                    .execute_unchecked("PRAGMA wal_checkpoint(TRUNCATE)")
                    .await
                    .unwrap();
                let mut all = vec![];
                for e in std::fs::read_dir(self.dir.path()).unwrap() {
                    let p = e.unwrap().path();
                    if p.to_string_lossy().contains("custos.db") {
                        all.extend(std::fs::read(&p).unwrap());
                    }
                }
                all
            }
            Some((admin, name)) => {
                let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
                let out = std::process::Command::new("pg_dump")
                    .arg(&url)
                    .output()
                    .unwrap();
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert!(String::from_utf8_lossy(&out.stdout).contains("COPY public.customers"));
                out.stdout
            }
        }
    }
}

impl Drop for Harness {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.pg {
            let _ = std::process::Command::new("psql")
                .args([
                    admin.as_str(),
                    "-qc",
                    &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
                ])
                .output();
        }
    }
}

pub fn pg_admin_url() -> String {
    std::env::var("CUSTOS_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

pub async fn harness(backend: &str) -> Harness {
    let dir = tempfile::tempdir().unwrap();
    let keyring = Arc::new(FileKeyring::open_or_create(&dir.path().join("keyring.json")).unwrap());
    let (store, pg) = match backend {
        "sqlite" => (
            SqlStore::open_sqlite(&dir.path().join("custos.db"), keyring.clone())
                .await
                .unwrap(),
            None,
        ),
        _ => {
            let admin = pg_admin_url();
            let name = format!("custos_test_{}", uuid_like());
            let out = std::process::Command::new("psql")
                .args([admin.as_str(), "-qc", &format!("CREATE DATABASE {name}")])
                .output()
                .expect("psql runs");
            assert!(
                out.status.success(),
                "PostgreSQL is needed for these tests ({admin}): {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let url = match admin.rsplit_once('/') {
                Some((base, _)) => format!("{base}/{name}"),
                None => panic!("bad CUSTOS_TEST_POSTGRES_URL"),
            };
            (
                SqlStore::open_postgres(&url, keyring.clone())
                    .await
                    .unwrap(),
                Some((admin, name)),
            )
        }
    };
    assert_eq!(store.migrate().await.unwrap(), 15);
    assert_eq!(store.migrate().await.unwrap(), 0, "migrations apply once");
    Harness {
        store,
        keyring,
        dir,
        pg,
    }
}

/// A name no other test, in this process or another, is using: the time, the process id and a
/// counter (tests start in parallel, within the clock's resolution of each other).
pub fn uuid_like() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::time::{SystemTime, UNIX_EPOCH};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let n = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let k = NEXT.fetch_add(1, Ordering::Relaxed);
    format!("{n:x}_{:x}_{k}", std::process::id())
}

pub fn now() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap()
}

pub fn cc(s: &str) -> Country {
    Country::parse(s).unwrap()
}

pub const NAME: &str = "Ksenia Volkonskaya";
pub const EMAIL: &str = "ksenia.v@example.org";
pub const PHONE: &str = "+79161234567";
pub const ID_NUMBER: &str = "4509123456";
pub const PAN: &str = "4111111111111111";

pub fn customer(n: u32, store: &SqlStore) -> Customer {
    let policy = CipPolicy::default();
    let id = CustomerId::from_suffix(&format!("t{n:04}")).unwrap();
    let mut c = Customer::new(
        id,
        now(),
        CustomerProfile::Individual(Individual {
            full_name: NAME.into(),
            given_names: Some("Ksenia".into()),
            family_name: Some("Volkonskaya".into()),
            date_of_birth: chrono::NaiveDate::from_ymd_opt(1990, 3, 4),
            citizenships: vec![cc("RU")],
            us_lawful_permanent_resident: false,
            residence: Some(Address {
                line1: "Tverskaya 7".into(),
                line2: None,
                city: "Moskva".into(),
                region: None,
                postal_code: Some("125009".into()),
                country: cc("RU"),
            }),
            national_ids: vec![NationalId {
                country: cc("RU"),
                kind: Some("passport".into()),
                number: ID_NUMBER.into(),
            }],
        }),
        vec![],
        vec![SubjectId::from_suffix(&format!("t{n:04}")).unwrap()],
        None,
        &policy,
    )
    .unwrap();
    let sid = c.customer_subject().clone();
    c.add_contact(Contact {
        id: "con_1".into(),
        subject_id: sid.clone(),
        kind: ContactKind::Email,
        value: EMAIL.into(),
        verified_at: Some(now()),
        added_at: now(),
    })
    .unwrap();
    c.add_contact(Contact {
        id: "con_2".into(),
        subject_id: sid,
        kind: ContactKind::Phone,
        value: PHONE.into(),
        verified_at: None,
        added_at: now(),
    })
    .unwrap();
    c.add_payment_means(PaymentMeans {
        id: "pay_1".into(),
        instrument: PaymentInstrument::Card {
            brand: "visa".into(),
            bin: "411111".into(),
            last4: "1111".into(),
            expiry_month: 12,
            expiry_year: 2030,
            fingerprint: card_fingerprint(store.keyring().index_key(), PAN),
            country: Some(Country::parse("US").unwrap()),
        },
        financial_institution: None,
        provider_customer_ref: Some("cus_stripe_123".into()),
        transaction_ids: vec!["ch_1".into()],
        source: PaymentSource::Customer,
        added_at: now(),
    })
    .unwrap();
    c
}

pub fn account(n: u32, c: &CustomerId, parent: Option<&AccountId>, decision: Decision) -> Account {
    Account {
        id: AccountId::from_suffix(&format!("t{n:04}")).unwrap(),
        customer_id: c.clone(),
        kind: if parent.is_some() {
            AccountKind::SubLessee
        } else {
            AccountKind::Direct
        },
        offering: Offering::Paid,
        parent_id: parent.cloned(),
        opened_at: now(),
        closed_at: None,
        close_reason: None,
        last_access_at: None,
        pending_since: None,
        profile: Default::default(),
        pending_history: vec![],
        abuse_holds: vec![],
        decision: AccountDecision {
            decision,
            account_status: match decision {
                Decision::Approve => AccountStatus::Active,
                Decision::Pending => AccountStatus::Restricted,
                Decision::Refuse => AccountStatus::Closed,
            },
            required_steps: vec![],
            reasons: vec![],
            risk: RiskLevel::Low,
            restrictions: Default::default(),
            special_measures: vec![],
            exemptions: vec![],
        },
    }
}
