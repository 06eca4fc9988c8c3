//! Fixtures for tests of any crate (the `test-support` feature): an application on a fresh
//! SQLite store and ledger in a temporary directory, on a clock the test moves; and the
//! records tests build again and again.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use custos_core::CipPolicy;
/// The store, for tests that look under the application.
pub use custos_store;
use custos_store::{FileKeyring, SqlStore, Store};

use crate::service::App;

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
