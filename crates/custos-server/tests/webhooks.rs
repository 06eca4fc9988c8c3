//! Webhooks through the router: an admin registers an endpoint; every event type a control
//! plane acts on is delivered, signed (checked by the Standard Webhooks reference library),
//! retried after a receiver's 500 and for more than a day, redelivered by hand; the events
//! feed; and what may not be registered.

mod common;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::http::{HeaderMap, StatusCode};
use chrono::Duration;
use common::{TestApp, individual};
use custos_server::auth::Role;
use serde_json::{Value, json};

/// One request a receiver got: its webhook headers and its body.
type Request = (BTreeMap<String, String>, String);

/// What a receiver got.
#[derive(Clone, Default)]
struct Received {
    got: Arc<Mutex<Vec<Request>>>,
    /// Answer 500 to this many requests first.
    fail: Arc<Mutex<u32>>,
}

impl Received {
    fn all(&self) -> Vec<Request> {
        self.got.lock().unwrap().clone()
    }

    fn types(&self) -> Vec<String> {
        self.all()
            .iter()
            .map(|(_, b)| {
                serde_json::from_str::<Value>(b).unwrap()["type"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

/// A receiver on a local port: its URL and what it gets.
async fn receiver(fail: u32) -> (String, Received) {
    let r = Received::default();
    *r.fail.lock().unwrap() = fail;
    let state = r.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let state = state.clone();
            async move {
                let mut fail = state.fail.lock().unwrap();
                if *fail > 0 {
                    *fail -= 1;
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                let h = headers
                    .iter()
                    .filter(|(k, _)| k.as_str().starts_with("webhook-"))
                    .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
                    .collect();
                state.got.lock().unwrap().push((h, body));
                StatusCode::NO_CONTENT
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), r)
}

async fn dispatch(app: &TestApp) -> usize {
    let client = custos_app::webhooks::client().unwrap();
    app.service.dispatch(&client).await.unwrap()
}

async fn register(app: &TestApp, url: &str, types: Value) -> (String, String) {
    let r = app
        .as_role(Role::Admin)
        .post(
            "/v1/webhook-endpoints",
            json!({"url": url, "event_types": types}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    (
        r.body["id"].as_str().unwrap().to_owned(),
        r.body["secret"].as_str().unwrap().to_owned(),
    )
}

/// Checks each delivery's signature with the Standard Webhooks reference library (Python).
fn python_verifies(secret: &str, got: &[Request]) -> Vec<String> {
    use std::io::Write;
    let doc = json!({"secret": secret, "deliveries": got.iter()
        .map(|(h, b)| json!({"headers": h, "body": b})).collect::<Vec<_>>()});
    let mut child = std::process::Command::new(
        std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into()),
    )
    .arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/webhook_verify.py"
    ))
    .stdin(std::process::Stdio::piped())
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines().map(str::to_owned).collect()
}

#[tokio::test]
async fn every_event_type_is_delivered_signed_retried_and_redelivered() {
    let app = TestApp::new().await;
    // The receiver fails its first request: that delivery is retried.
    let (url, got) = receiver(1).await;
    let (endpoint, secret) = register(&app, &url, json!(["*"])).await;
    assert!(secret.starts_with("whsec_"));
    // A first sweep marks the day; designations take effect on later ones.
    let officer = app.as_role(Role::ComplianceOfficer);
    assert!(
        officer
            .post("/v1/compliance/sweep", json!({}))
            .await
            .status
            .is_success()
    );

    // A customer is screened against a list as it is created: a case opens.
    let hit = custos_screen::ListEntity::new(
        "sdn-1",
        custos_screen::model::EntityKind::Person,
        "FISCHER, Lena",
    );
    app.import("ofac-sdn", vec![hit]).await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    // Verified: its state and its account's decision change.
    app.pass(&c, None, &["document", "email"]).await;
    // The case is resolved as a false positive.
    let cases = app
        .get("/v1/screening/cases?state=open", Role::Reviewer)
        .await;
    let case = cases.body["data"][0]["id"].as_str().unwrap().to_owned();
    let r = app
        .as_role(Role::Reviewer)
        .post(
            &format!("/v1/screening/cases/{case}/resolve"),
            json!({"resolution": "false_positive", "note": "another person: other birth date"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    // The abuse desk reports the account: a case opens; it is suspended, then dismissed.
    let r = app
        .post(
            "/v1/abuse-reports",
            json!({"account_id": acc, "category": "spam", "evidence": "bulk mail complaints"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let abuse = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    for action in ["suspend", "dismiss"] {
        let r = app
            .as_role(Role::Reviewer)
            .post(
                &format!("/v1/abuse-cases/{abuse}/actions"),
                json!({"action": action, "note": "checked the complaints"}),
            )
            .await;
        assert!(r.status.is_success(), "{action}: {}", r.body);
    }
    // A cyber incident is recorded, then reported.
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            "/v1/incidents",
            json!({"occurred_at": "2026-01-01T00:00:00Z", "location": "edge",
                "activity": "denial_of_service", "narrative": "a flood", "systems_affected": 2,
                "accounts_affected": 0, "organisation": "Example Cloud",
                "contact": {"name": "Desk", "email": "desk@example.org"}, "severity": "low",
                "sector": "information technology"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let incident = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/incidents/{incident}/reported"),
            json!({"to": ["CISA"]}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    // The account is closed.
    let r = app
        .post(
            &format!("/v1/accounts/{acc}/close"),
            json!({"reason": "customer request"}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    // A designation takes effect, then ends.
    let d = json!({"id": "sm-kp", "subject": {"kind": "jurisdiction", "country": "KP"},
        "measure": "prohibition", "determined": "2026-11-24", "reference": "92 FR 9"});
    assert_eq!(
        officer.post("/v1/designations", d).await.status,
        StatusCode::CREATED
    );
    app.advance(Duration::days(181));
    assert!(
        officer
            .post("/v1/compliance/sweep", json!({}))
            .await
            .status
            .is_success()
    );
    app.advance(Duration::days(400));
    assert!(
        officer
            .post("/v1/compliance/sweep", json!({}))
            .await
            .status
            .is_success()
    );

    // One round: every delivery is attempted; the first got a 500.
    let attempts = dispatch(&app).await;
    assert!(attempts >= 8, "{attempts}");
    let deliveries = app
        .get(
            &format!("/v1/webhook-endpoints/{endpoint}/deliveries?limit=100"),
            Role::Admin,
        )
        .await;
    let list = deliveries.body["data"].as_array().unwrap();
    let failed: Vec<&Value> = list.iter().filter(|d| d["state"] == "pending").collect();
    assert_eq!(failed.len(), 1, "{list:?}");
    assert_eq!(failed[0]["last_status"], 500);
    assert_eq!(list.len(), got.all().len() + 1);
    // Nothing is due until its backoff passes; then it is delivered.
    assert_eq!(dispatch(&app).await, 0);
    app.advance(Duration::seconds(6));
    assert_eq!(dispatch(&app).await, 1);
    let retried = failed[0]["id"].as_str().unwrap();
    let r = app
        .get(
            &format!("/v1/webhook-endpoints/{endpoint}/deliveries/{retried}"),
            Role::Admin,
        )
        .await;
    assert_eq!(r.body["state"], "delivered", "{}", r.body);
    let log: Vec<i64> = r.body["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_i64().unwrap())
        .collect();
    assert_eq!(log, [500, 204]);
    let mut types = got.types();
    types.sort();
    types.dedup();
    for t in custos_app::webhooks::EVENT_TYPES {
        assert!(
            types.contains(&t.to_string()),
            "{t} not delivered: {types:?}"
        );
    }

    // Each delivery is signed: the reference library verifies all of them.
    let all = got.all();
    let verified = python_verifies(&secret, &all);
    assert_eq!(verified.len(), all.len());
    assert!(
        verified.iter().all(|l| l.starts_with("ok ")),
        "{verified:?}"
    );
    // And the Rust one too; a wrong secret does not.
    let wh = standardwebhooks::Webhook::new(&secret).unwrap();
    let other = standardwebhooks::Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    for (h, b) in &all {
        let mut hm = HeaderMap::new();
        for (k, v) in h {
            hm.insert(
                axum::http::HeaderName::from_bytes(k.as_bytes()).unwrap(),
                v.parse().unwrap(),
            );
        }
        wh.verify(b.as_bytes(), &hm).unwrap();
        assert!(other.verify(b.as_bytes(), &hm).is_err());
        // Ids and states, nothing personal.
        assert!(!b.contains("Lena") && !b.contains("Fischer"), "{b}");
    }

    // Redelivered by hand: the same event, the same webhook-id, again.
    let first = list[0]["id"].as_str().unwrap();
    let before = got.all().len();
    let r = app
        .as_role(Role::Admin)
        .post(
            &format!("/v1/webhook-endpoints/{endpoint}/deliveries/{first}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(dispatch(&app).await, 1);
    let now = got.all();
    assert_eq!(now.len(), before + 1);
    assert_eq!(
        now.last().unwrap().0["webhook-id"],
        list[0]["event_id"].as_str().unwrap()
    );

    // The feed has the same events, in order, a page at a time.
    let mut after = 0;
    let mut feed = vec![];
    loop {
        let r = app
            .get(
                &format!("/v1/events-feed?after={after}&limit=3"),
                Role::Integrator,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for e in r.body["data"].as_array().unwrap() {
            feed.push(e["id"].as_str().unwrap().to_owned());
        }
        after = r.body["next_after"].as_i64().unwrap();
        if r.body["has_more"] == false {
            break;
        }
    }
    assert_eq!(feed.len(), list.len());
    let r = app
        .get(&format!("/v1/events-feed?after={after}"), Role::Integrator)
        .await;
    assert_eq!(r.body["data"], json!([]));
    assert_eq!(r.body["next_after"], after, "an empty page keeps the place");
    // A place past the last event is refused, not waited on in silence.
    let r = app
        .get(
            &format!("/v1/events-feed?after={}", after + 1),
            Role::Integrator,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "after");

    // Deleted: nothing more goes to it.
    let r = app
        .as_role(Role::Admin)
        .send_method("DELETE", &format!("/v1/webhook-endpoints/{endpoint}"))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    app.customer(individual("Joost Bakker", "NL", "NL")).await;
    let n = got.all().len();
    dispatch(&app).await;
    assert_eq!(got.all().len(), n);
    // Nor is anything sent again to it by hand: refused, not accepted and dropped.
    let one = list[0]["id"].as_str().unwrap();
    let r = app
        .as_role(Role::Admin)
        .post(
            &format!("/v1/webhook-endpoints/{endpoint}/deliveries/{one}/redeliver"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn a_receiver_that_keeps_failing_is_retried_for_more_than_a_day() {
    let app = TestApp::new().await;
    let (url, got) = receiver(u32::MAX).await;
    let (endpoint, _) = register(&app, &url, json!(["account.closed"])).await;
    let c = app.customer(individual("Sam Carter", "US", "US")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let r = app
        .post(
            &format!("/v1/accounts/{acc}/close"),
            json!({"reason": "moved"}),
        )
        .await;
    assert!(r.status.is_success());
    let start = app.service.now();
    let mut made = 0;
    for _ in 0..100 {
        made += dispatch(&app).await;
        app.advance(Duration::minutes(30));
    }
    let r = app
        .get(
            &format!("/v1/webhook-endpoints/{endpoint}/deliveries"),
            Role::Admin,
        )
        .await;
    let d = &r.body["data"][0];
    assert_eq!(
        r.body["data"].as_array().unwrap().len(),
        1,
        "only the type it asked for"
    );
    assert_eq!(d["event_type"], "account.closed");
    assert_eq!(d["state"], "failed", "{d}");
    let last: chrono::DateTime<chrono::Utc> =
        d["last_attempt_at"].as_str().unwrap().parse().unwrap();
    assert!(last - start > Duration::hours(24), "{last} {start}");
    assert_eq!(made as i64, d["attempts"].as_i64().unwrap());
    assert_eq!(made, custos_app::webhooks::RETRY_SCHEDULE.len() + 1);
    assert!(got.all().is_empty());
}

#[tokio::test]
async fn only_an_admin_registers_and_only_web_urls_and_known_types() {
    let app = TestApp::new().await;
    let body = json!({"url": "https://hooks.example.com/x", "event_types": ["account.closed"]});
    for role in [Role::Integrator, Role::ComplianceOfficer, Role::Reviewer] {
        let r = app
            .as_role(role)
            .post("/v1/webhook-endpoints", body.clone())
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    for (b, field) in [
        (
            json!({"url": "ftp://example.com/", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://u:p@example.com/", "event_types": ["*"]}),
            "url",
        ),
        (
            json!({"url": "https://example.com/", "event_types": ["account.opened"]}),
            "event_types",
        ),
        (
            json!({"url": "https://example.com/", "event_types": []}),
            "event_types",
        ),
        (json!({"url": "https://example.com/"}), "event_types"),
        (
            json!({"url": "https://example.com/", "event_types": ["*"], "secret": "x"}),
            "secret",
        ),
    ] {
        let r = app
            .as_role(Role::Admin)
            .post("/v1/webhook-endpoints", b.clone())
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{b}: {}",
            r.body
        );
        assert_eq!(r.body["field"], field, "{b}: {}", r.body);
    }
    let r = app.get("/v1/webhook-endpoints", Role::Admin).await;
    assert_eq!(r.body["data"], json!([]), "nothing was registered");
    let r = app.get("/v1/webhook-endpoints/we_nope", Role::Admin).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // The secret is shown once: never in the list or the endpoint.
    let (id, secret) = register(&app, "https://hooks.example.com/x", json!(["*"])).await;
    let one = app
        .get(&format!("/v1/webhook-endpoints/{id}"), Role::Admin)
        .await;
    let list = app.get("/v1/webhook-endpoints", Role::Admin).await;
    for r in [one, list] {
        assert!(!String::from_utf8_lossy(&r.raw).contains(&secret[6..]));
    }
}

#[tokio::test]
async fn a_secret_shown_once_is_not_kept_for_a_replay() {
    let app = TestApp::new().await;
    let body = json!({"url": "https://hooks.example.com/x", "event_types": ["*"]});
    let admin = app.as_role(Role::Admin).idempotency_key("hook-1");
    let first = admin.post("/v1/webhook-endpoints", body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED);
    let secret = first.body["secret"].as_str().unwrap();
    let again = admin.post("/v1/webhook-endpoints", body).await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(!String::from_utf8_lossy(&again.raw).contains(&secret[6..]));
    let list = app.get("/v1/webhook-endpoints", Role::Admin).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1, "made once");
    // Nor a new API key's token.
    let key = app.as_role(Role::Admin).idempotency_key("key-1");
    let k = key
        .post("/v1/api-keys", json!({"name": "ops", "role": "reviewer"}))
        .await;
    assert_eq!(k.status, StatusCode::CREATED);
    let token = k.body["token"].as_str().unwrap();
    let again = key
        .post("/v1/api-keys", json!({"name": "ops", "role": "reviewer"}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(!String::from_utf8_lossy(&again.raw).contains(token));
}

#[tokio::test]
async fn an_endpoint_gets_what_came_after_it_and_an_account_can_change_its_customers_state() {
    let app = TestApp::new().await;
    // Before the endpoint: in the feed, not delivered to it.
    let early = app.customer(individual("Sam Carter", "US", "US")).await;
    let acc = app.open_id(&early, "direct", "paid").await;
    let r = app
        .post(
            &format!("/v1/accounts/{acc}/close"),
            json!({"reason": "moved"}),
        )
        .await;
    assert!(r.status.is_success());
    let (url, got) = receiver(0).await;
    let (endpoint, _) = register(&app, &url, json!(["*"])).await;
    dispatch(&app).await;
    assert!(got.all().is_empty(), "{:?}", got.types());
    let feed = app.get("/v1/events-feed", Role::Integrator).await;
    assert!(!feed.body["data"].as_array().unwrap().is_empty());

    // A verified customer whose new account raises its risk needs more: its state changes
    // with the opening.
    let c = app
        .verified(
            individual("Joost Bakker", "NL", "NL"),
            &["document", "email"],
        )
        .await;
    app.open_id(&c, "direct", "paid").await;
    let before = app
        .get(&format!("/v1/customers/{c}"), Role::Reviewer)
        .await
        .body;
    app.open_id(&c, "direct", "trial").await;
    let after = app
        .get(&format!("/v1/customers/{c}"), Role::Reviewer)
        .await
        .body;
    dispatch(&app).await;
    let changed: Vec<Value> = got
        .all()
        .iter()
        .map(|(_, b)| serde_json::from_str::<Value>(b).unwrap())
        .filter(|e| {
            e["type"] == "customer.verification_changed" && e["data"]["customer_id"] == json!(c)
        })
        .collect();
    assert_eq!(
        (&before["verification_state"], &after["verification_state"]),
        (&json!("verified"), &json!("pending")),
        "a trial raises the risk, and the requirement"
    );
    let states: Vec<(&str, &str)> = changed
        .iter()
        .map(|e| {
            (
                e["data"]["previous_verification_state"].as_str().unwrap(),
                e["data"]["verification_state"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(states, [("pending", "verified"), ("verified", "pending")]);
    let _ = endpoint;
}

/// The `designation.*` events of the feed: type, designation and date, in order.
async fn designation_events(app: &TestApp) -> Vec<(String, String, String)> {
    let r = app
        .get("/v1/events-feed?after=0&limit=100", Role::Integrator)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["type"].as_str().unwrap().starts_with("designation."))
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["data"]["designation_id"].as_str().unwrap().to_owned(),
                e["data"]["date"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A designation entered after its effective day (a determination entered late) is in force
/// at once: the next sweep tells webhooks so, though its effective day is before that sweep's
/// last. One that ended and is extended is in force again: told again.
#[tokio::test]
async fn a_late_or_revived_designation_is_told_when_the_sweep_applies_it() {
    let app = TestApp::new().await;
    let officer = app.as_role(Role::ComplianceOfficer);
    let sweep = || async {
        let r = app
            .as_role(Role::ComplianceOfficer)
            .post("/v1/compliance/sweep", json!({}))
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    };
    sweep().await;
    app.advance(Duration::days(1));
    sweep().await;
    // Determined a year ago: effective half a year ago, in force now.
    let determined = (app.service.now().date_naive() - Duration::days(365)).to_string();
    let r = officer
        .post(
            "/v1/designations",
            json!({"id": "sm-late", "subject": {"kind": "jurisdiction", "country": "KP"},
                   "measure": "prohibition", "determined": determined,
                   "expires": (app.service.now().date_naive() + Duration::days(10)).to_string(),
                   "reference": "92 FR 9"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "in_force", "{}", r.body);
    sweep().await;
    // Dated the day it was applied: its effective day was before the sweep before.
    let today = app.service.now().date_naive().to_string();
    assert_eq!(
        designation_events(&app).await,
        [(
            "designation.in_force".to_owned(),
            "sm-late".to_owned(),
            today
        )]
    );
    // It ends; extended, it is in force again.
    app.advance(Duration::days(11));
    sweep().await;
    let ended = designation_events(&app).await;
    assert_eq!(ended.len(), 2, "{ended:?}");
    assert_eq!(ended[1].0, "designation.ended");
    let r = officer
        .post(
            "/v1/designations/sm-late/extensions",
            json!({"until": (app.service.now().date_naive() + Duration::days(30)).to_string(),
                   "reference": "92 FR 10"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    sweep().await;
    let all = designation_events(&app).await;
    assert_eq!(all.len(), 3, "{all:?}");
    assert_eq!(all[2].0, "designation.in_force");
    assert_eq!(all[2].1, "sm-late");
    // Nothing changed since: a sweep tells nothing.
    sweep().await;
    assert_eq!(designation_events(&app).await.len(), 3);
}
