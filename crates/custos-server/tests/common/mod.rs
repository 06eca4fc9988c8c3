//! A test application: a fresh SQLite store in a temporary directory, a clock the test moves,
//! one API key per role, and requests driven through the router in-process.

#![allow(dead_code, reason = "each test binary uses part of this")]

pub mod browser;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::{DateTime, Duration, Utc};
use custos_app::App as Service;
use custos_app::testing::Fixture;
use custos_core::CipPolicy;
use custos_server::auth::Role;
use custos_server::{AppState, router};
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
        let Fixture {
            app: service,
            clock,
            dir,
        } = Fixture::new(policy, ip).await;
        let mut keys = HashMap::new();
        for role in Role::ALL {
            let (token, _) = service.create_key(role.as_str(), role).await.unwrap();
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

    /// A decision that waits for a second person (`202 Accepted`, an approval), approved by
    /// `role`'s key.
    pub async fn approved_by(&self, waiting: &Resp, role: Role) -> Resp {
        assert_eq!(waiting.status, StatusCode::ACCEPTED, "{}", waiting.body);
        let id = waiting.body["id"].as_str().unwrap();
        let r = self
            .send(
                "POST",
                &format!("/v1/approvals/{id}/approve"),
                Some(role),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r
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
    /// Adds a contact (`email` or `phone`) to customer `c`, which must succeed.
    pub async fn contact(&self, c: &str, kind: &str, value: &str) {
        let r = self
            .post(
                &format!("/v1/customers/{c}/contacts"),
                serde_json::json!({"kind": kind, "value": value}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }

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

    /// [`TestApp::import`], the list's hits asking `measure` of the provider: published as
    /// every door publishes a list version.
    pub async fn import_as(
        &self,
        list: &str,
        measure: custos_core::screening::ListMeasure,
        entities: Vec<custos_screen::ListEntity>,
    ) {
        let p = custos_app::lists::Publication {
            list: list.into(),
            format: "test".into(),
            source: "test".into(),
            measure,
            allow_shrink: true,
            name_guessed: false,
            based_on: None,
        };
        self.service.publish_entities(entities, p).await.unwrap();
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
    /// A verified foreign reseller (Polder Hosting B.V., NL) and its open reseller account:
    /// `(customer, account)`.
    pub async fn verified_foreign_reseller(&self) -> (String, String) {
        let (c, a) = custos_app::testing::verified_foreign_reseller(&self.service).await;
        (c.as_str().to_owned(), a.as_str().to_owned())
    }

    /// A verified foreign reseller's account and, under it, a verified sub-lessee's account.
    pub async fn reseller_with_sub_lessee(&self) -> (String, String) {
        let (_, ra) = self.verified_foreign_reseller().await;
        let s = self
            .verified(
                individual("Marek Nowak", "PL", "PL"),
                &["email", "phone", "document"],
            )
            .await;
        let sa = self
            .post(
                "/v1/accounts",
                serde_json::json!({"customer_id": s, "kind": "sub_lessee", "offering": "paid",
                    "parent_account_id": ra}),
            )
            .await
            .body["account_id"]
            .as_str()
            .unwrap()
            .to_owned();
        (ra, sa)
    }

    /// A US entity (Blue Mesa Compute LLC) with a 70% US owner and a 30% foreign (Chinese)
    /// owner: its id and its status as created (subjects: the entity, then the owners).
    pub async fn entity_with_foreign_owner(&self) -> (String, Value) {
        let body = serde_json::json!({
            "entity": {"legal_name": "Blue Mesa Compute LLC", "jurisdiction": "US",
                       "jurisdiction_subdivision": "DE"},
            "beneficial_owners": [
                {"person": {"full_name": "Sam Carter", "citizenships": ["US"]}, "ownership_percent": 70.0},
                {"person": {"full_name": "Chen Wei", "citizenships": ["CN"],
                            "residence": {"line1": "88 Century Ave", "city": "Shanghai", "country": "CN"}},
                 "ownership_percent": 30.0}
            ]
        });
        let r = self.post("/v1/customers", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        (r.body["customer_id"].as_str().unwrap().to_owned(), r.body)
    }

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

/// A caller of the test API: its role (or none), and the headers it sends with every request.
#[allow(dead_code, reason = "each test binary uses part of this")]
pub struct Client<'a> {
    app: &'a TestApp,
    role: Option<Role>,
    headers: Vec<(String, String)>,
}

#[allow(dead_code, reason = "each test binary uses part of this")]
impl<'a> Client<'a> {
    /// States why personal data is read (`X-Custos-Purpose`).
    pub fn purpose(self, why: &str) -> Self {
        self.header("x-custos-purpose", why)
    }

    /// Sends `Idempotency-Key: key`.
    pub fn idempotency_key(self, key: &str) -> Self {
        self.header("idempotency-key", key)
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn headers(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect()
    }

    pub async fn get(&self, path: &str) -> Resp {
        self.app
            .send("GET", path, self.role, None, &self.headers())
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> Resp {
        self.app
            .send("POST", path, self.role, Some(body), &self.headers())
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> Resp {
        self.app
            .send("PUT", path, self.role, Some(body), &self.headers())
            .await
    }

    /// A request with no body and any method.
    pub async fn send_method(&self, method: &str, path: &str) -> Resp {
        self.app
            .send(method, path, self.role, None, &self.headers())
            .await
    }

    /// A body as it is, of `content_type`.
    pub async fn post_raw(&self, path: &str, body: Vec<u8>, content_type: &str) -> Resp {
        self.app
            .send_raw(
                "POST",
                path,
                self.role,
                Some(body),
                content_type,
                &self.headers(),
            )
            .await
    }
}

#[allow(dead_code, reason = "each test binary uses part of this")]
impl TestApp {
    /// A caller with `role`'s key.
    pub fn as_role(&self, role: Role) -> Client<'_> {
        Client {
            app: self,
            role: Some(role),
            headers: vec![],
        }
    }

    /// A caller with no key.
    pub fn anonymous(&self) -> Client<'_> {
        Client {
            app: self,
            role: None,
            headers: vec![],
        }
    }

    /// A caller with this bearer key (a reseller's, a revoked one).
    pub fn with_key(&self, key: &str) -> Client<'_> {
        Client {
            app: self,
            role: None,
            headers: vec![("authorization".into(), format!("Bearer {key}"))],
        }
    }
}
