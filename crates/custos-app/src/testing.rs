//! Fixtures for tests of any crate (the `test-support` feature): an application on a fresh
//! SQLite store and ledger in a temporary directory, on a clock the test moves; and the
//! records tests build again and again.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use custos_core::CipPolicy;
/// The store, for tests that look under the application.
pub use custos_store;
use custos_store::{FileKeyring, SqlStore, Store};

use custos_core::verification::{MethodOutcome, MethodResult};
use custos_core::{
    AccountId, AccountKind, Country, CustomerId, CustomerProfile, DocumentKind, Method, Offering,
    SubjectId,
};

use crate::intake::AddDocument;
use crate::service::{App, NewAccount};

/// An application on its own data directory.
#[derive(Debug)]
pub struct Fixture {
    pub app: App,
    pub clock: Arc<Mutex<DateTime<Utc>>>,
    pub dir: tempfile::TempDir,
}

/// When every fixture's clock starts: 2026-11-24 09:00 UTC.
pub fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap()
}

impl Fixture {
    /// A fresh application with `policy`, its ledger, and (when given) an IP-country database.
    pub async fn new(
        policy: CipPolicy,
        ip_countries: Option<Arc<custos_screen::geo::IpCountries>>,
    ) -> Fixture {
        let dir = tempfile::tempdir().unwrap();
        let keyring =
            Arc::new(FileKeyring::open_or_create(&dir.path().join("keyring.json")).unwrap());
        let store = SqlStore::open_sqlite(&dir.path().join("custos.db"), keyring)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let clock = Arc::new(Mutex::new(start()));
        let c2 = clock.clone();
        let app = App::new(
            store,
            Arc::new(policy),
            Arc::new(move || *c2.lock().unwrap()),
        )
        .with_ip_countries(ip_countries)
        .with_ledger(Some(Arc::new(
            custos_ledger::Ledger::open(&dir.path().join("ledger"), "custos.test/ledger").unwrap(),
        )));
        Fixture { app, clock, dir }
    }

    pub fn advance(&self, d: Duration) {
        *self.clock.lock().unwrap() += d;
    }
}

/// Passes `methods` for a subject of customer `c`, a document on file first for `document`,
/// as the sign-up flow reports them.
pub async fn pass(app: &App, c: &CustomerId, subject: &SubjectId, methods: &[Method]) {
    if methods.contains(&Method::Document) {
        app.add_document(
            c,
            AddDocument {
                subject_id: Some(subject.clone()),
                kind: DocumentKind::Other,
                issuing_country: Country::parse("CH").unwrap(),
                number: "TEST-DOC-1".into(),
                nationality: None,
                expires_on: None,
                mrz: None,
            },
        )
        .await
        .unwrap();
    }
    for m in methods {
        let result = MethodResult {
            method: *m,
            outcome: MethodOutcome::Pass,
            at: app.now(),
            provider: None,
            reference: None,
            recorded_by: "test".into(),
        };
        app.record_result(c, Some(subject.clone()), result)
            .await
            .unwrap();
    }
}

/// A verified foreign reseller (Polder Hosting B.V., organised and addressed in the
/// Netherlands; its document and address checks passed) and its open reseller account.
pub async fn verified_foreign_reseller(app: &App) -> (CustomerId, AccountId) {
    let entity = serde_json::from_value(serde_json::json!({
        "legal_name": "Polder Hosting B.V.", "jurisdiction": "NL",
        "addresses": [{"line1": "1 Harbour Street", "city": "Capital", "country": "NL"}]
    }))
    .unwrap();
    let c = app
        .create_customer(CustomerProfile::Entity(entity), vec![], None)
        .await
        .unwrap();
    pass(
        app,
        &c.id,
        c.customer_subject(),
        &[Method::Document, Method::Address],
    )
    .await;
    let a = app
        .open_account(NewAccount {
            customer_id: c.id.clone(),
            kind: AccountKind::Reseller,
            offering: Offering::Paid,
            parent_id: None,
        })
        .await
        .unwrap();
    (c.id, a.id)
}
