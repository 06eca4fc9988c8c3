//! A test application: a fresh SQLite store in a temporary directory, a clock the test moves,
//! one API key per role, and requests driven through the router in-process.

#![allow(dead_code, reason = "each test binary uses part of this")]

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, TimeZone, Utc};
use custos_core::CipPolicy;
use custos_server::auth::{Role, create_key};
use custos_server::service::Service;
use custos_server::{AppState, router};
use custos_store::{FileKeyring, SqlStore, Store};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub struct TestApp {
    pub router: Router,
    pub service: Service,
    pub keys: HashMap<Role, String>,
    pub clock: Arc<Mutex<DateTime<Utc>>>,
    pub dir: tempfile::TempDir,
}

pub struct Resp {
    pub status: StatusCode,
    pub content_type: String,
    pub headers: axum::http::HeaderMap,
    pub body: Value,
    pub raw: Vec<u8>,
}

impl TestApp {
    pub async fn new() -> Self {
        Self::with_policy(CipPolicy::default()).await
    }

    pub async fn with_policy(policy: CipPolicy) -> Self {
        Self::build(policy, None).await
    }

    /// With an IP country database for accesses reported without a country.
    pub async fn with_ip_countries(db: custos_screen::geo::IpCountries) -> Self {
        Self::build(CipPolicy::default(), Some(Arc::new(db))).await
    }

    async fn build(policy: CipPolicy, ip: Option<Arc<custos_screen::geo::IpCountries>>) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let keyring =
            Arc::new(FileKeyring::open_or_create(&dir.path().join("keyring.json")).unwrap());
        let store = SqlStore::open_sqlite(&dir.path().join("custos.db"), keyring)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let store: Arc<dyn Store> = Arc::new(store);
        let clock = Arc::new(Mutex::new(
            Utc.with_ymd_and_hms(2026, 11, 24, 9, 0, 0).unwrap(),
        ));
        let c2 = clock.clone();
        let service = Service::new(
            store.clone(),
            Arc::new(policy),
            Arc::new(move || *c2.lock().unwrap()),
        )
        .with_ip_countries(ip)
        .with_ledger(Some(Arc::new(
            custos_ledger::Ledger::open(&dir.path().join("ledger"), "custos.test/ledger").unwrap(),
        )));
        let mut keys = HashMap::new();
        for role in Role::ALL {
            let (token, _) = create_key(store.as_ref(), role.as_str(), role, Utc::now())
                .await
                .unwrap();
            keys.insert(role, token);
        }
        TestApp {
            router: router(AppState::new(service.clone())),
            service,
            keys,
            clock,
            dir,
        }
    }

    pub fn advance(&self, d: Duration) {
        *self.clock.lock().unwrap() += d;
    }

    pub fn key(&self, r: Role) -> &str {
        &self.keys[&r]
    }

    /// Sends a request. `body` is sent as JSON when given.
    pub async fn send(
        &self,
        method: &str,
        path: &str,
        role: Option<Role>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Resp {
        let raw = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.send_raw(method, path, role, raw, "application/json", headers)
            .await
    }

    pub async fn send_raw(
        &self,
        method: &str,
        path: &str,
        role: Option<Role>,
        body: Option<Vec<u8>>,
        content_type: &str,
        headers: &[(&str, &str)],
    ) -> Resp {
        let mut b = Request::builder().method(method).uri(path);
        if let Some(r) = role {
            b = b.header("authorization", format!("Bearer {}", self.key(r)));
        }
        if body.is_some() {
            b = b.header("content-type", content_type);
        }
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        let req = b
            .body(body.map(Body::from).unwrap_or_else(Body::empty))
            .unwrap();
        self.send_request(req).await
    }

    /// Sends a request as it is.
    #[allow(dead_code, reason = "each test binary uses part of this")]
    pub async fn send_request(&self, req: Request<Body>) -> Resp {
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let content_type = headers
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        let raw = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        let body = serde_json::from_slice(&raw).unwrap_or(Value::Null);
        Resp {
            status,
            content_type,
            headers,
            body,
            raw,
        }
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.send("POST", path, Some(Role::Integrator), Some(body), &[])
            .await
    }

    pub async fn get(&self, path: &str, role: Role) -> Resp {
        self.send("GET", path, Some(role), None, &[]).await
    }

    /// Creates a customer and returns its id, checking the response.
    pub async fn customer(&self, body: Value) -> String {
        let r = self.post("/v1/customers", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["customer_id"].as_str().unwrap().to_owned()
    }

    pub async fn open(&self, customer: &str, kind: &str, offering: &str) -> Resp {
        self.post(
            "/v1/accounts",
            serde_json::json!({"customer_id": customer, "kind": kind, "offering": offering}),
        )
        .await
    }

    /// Stores `entities` as the new current version of `list`, with its diff.
    pub async fn import(&self, list: &str, entities: Vec<custos_screen::ListEntity>) {
        self.import_as(list, Default::default(), entities).await
    }

    /// [`TestApp::import`], the list's hits asking `measure` of the provider.
    pub async fn import_as(
        &self,
        list: &str,
        measure: custos_core::screening::ListMeasure,
        entities: Vec<custos_screen::ListEntity>,
    ) {
        let store = self.service.store();
        let prev = match store
            .list_versions(Some(list))
            .await
            .unwrap()
            .into_iter()
            .find(|v| v.current)
        {
            Some(v) => store.list_entries(v.id).await.unwrap(),
            None => vec![],
        };
        let v = custos_screen::ListVersion {
            list: list.into(),
            format: "test".into(),
            source: "test".into(),
            retrieved_at: Utc::now(),
            content_hash: custos_screen::version::content_hash(&entities),
            entries: entities.len(),
            measure,
        };
        let d = custos_screen::version::diff(&prev, &entities);
        store.save_list_version(&v, &entities, &d).await.unwrap();
    }

    /// How many rows of each table hold data: to check that a refused request stored nothing.
    pub async fn counts(&self) -> Vec<usize> {
        let s = self.service.store();
        let mut ids = s.customer_ids(None, 10_000).await.unwrap();
        ids.sort();
        let mut accounts = 0;
        let mut records = 0;
        for id in &ids {
            accounts += s.accounts_of(id).await.unwrap().len();
            let c = s.load_customer(id).await.unwrap().value;
            records +=
                c.contacts.len() + c.payment_means.len() + c.documents.len() + c.subjects.len();
        }
        vec![
            ids.len(),
            accounts,
            records,
            s.audit_entries(0, 10_000).await.unwrap().len(),
        ]
    }
}

/// An entity organised and addressed in `country`, with these beneficial owners.
#[allow(dead_code, reason = "each test binary uses part of this")]
pub fn entity(name: &str, country: &str, owners: Value) -> Value {
    serde_json::json!({"entity": {"legal_name": name, "jurisdiction": country,
        "addresses": [{"line1": "1 Harbour Street", "city": "Capital", "country": country}]},
        "beneficial_owners": owners})
}

#[allow(dead_code, reason = "each test binary uses part of this")]
impl TestApp {
    /// The id of customer `c`'s own subject.
    pub async fn own_subject(&self, c: &str) -> Value {
        let view = self
            .get(&format!("/v1/customers/{c}"), Role::Integrator)
            .await
            .body;
        view["subjects"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["role"] == "customer")
            .unwrap_or_else(|| panic!("{view}"))["subject_id"]
            .clone()
    }

    /// Files an identity document for a subject of customer `c`, as the flow does before it
    /// reports a documentary check (issued by a country no test designates).
    pub async fn document(&self, c: &str, subject: &Value) {
        let r = self
            .post(
                &format!("/v1/customers/{c}/documents"),
                serde_json::json!({"subject_id": subject, "kind": "other",
                                   "issuing_country": "CH", "number": "TEST-DOC-1"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

    /// Passes `methods` for a subject of customer `c` (its own when `subject` is `None`), a
    /// document on file first for `document`.
    pub async fn pass(&self, c: &str, subject: Option<&Value>, methods: &[&str]) {
        let subject = match subject {
            Some(s) => s.clone(),
            None => self.own_subject(c).await,
        };
        if methods.contains(&"document") {
            self.document(c, &subject).await;
        }
        for m in methods {
            let body = serde_json::json!({"method": m, "outcome": "pass", "subject_id": subject});
            let r = self
                .post(&format!("/v1/customers/{c}/verification-results"), body)
                .await;
            assert!(r.status.is_success(), "{}", r.body);
        }
    }

    /// Creates a customer and passes `methods` for it; its id.
    pub async fn verified(&self, body: Value, methods: &[&str]) -> String {
        let c = self.customer(body).await;
        self.pass(&c, None, methods).await;
        c
    }

    /// Opens an account, checking that it was; its id.
    pub async fn open_id(&self, customer: &str, kind: &str, offering: &str) -> String {
        let r = self.open(customer, kind, offering).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["account_id"].as_str().unwrap().to_owned()
    }

    /// Opens a paid account of `kind` under the reseller account `parent`; its id.
    pub async fn open_under(&self, customer: &str, kind: &str, parent: &str) -> String {
        let r = self
            .post(
                "/v1/accounts",
                serde_json::json!({"customer_id": customer, "kind": kind, "offering": "paid",
                       "parent_account_id": parent}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        r.body["account_id"].as_str().unwrap().to_owned()
    }

    /// An account as the integrator reads it.
    pub async fn account(&self, id: &str) -> Value {
        self.get(&format!("/v1/accounts/{id}"), Role::Integrator)
            .await
            .body
    }
}

pub fn individual(name: &str, citizenship: &str, residence: &str) -> Value {
    serde_json::json!({"individual": {
        "full_name": name,
        "citizenships": if citizenship.is_empty() { vec![] } else { vec![citizenship] },
        "residence": {"line1": "1 Main Street", "city": "Springfield", "country": residence}
    }})
}
