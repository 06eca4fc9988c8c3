//! The access ledger through the API: ingest answers with the indexes once durable, flags
//! unknown accounts and refuses bad batches whole; investigators' queries answer with proofs
//! that check against the signed checkpoint; tiles are served in the C2SP layout, entry
//! bundles only to auditors; custos's own audit trail lands in the audit log.

mod common;

use axum::http::StatusCode;
use base64::Engine;
use common::{TestApp, individual};
use custos_server::auth::Role;
use serde_json::{Value, json};

fn ev(account: &str, t: &str, ip: &str) -> Value {
    json!({"account_id": account, "time": t, "ip": ip, "action": "login", "source": "sso"})
}

async fn ingest(app: &TestApp, body: Value) -> (StatusCode, Value) {
    let r = app.as_role(Role::Integrator).post("/v1/events", body).await;
    (r.status, r.body)
}

fn size(app: &TestApp) -> u64 {
    app.service.ledger().unwrap().access.size()
}

fn hash(s: &str) -> tlog_tiles::Hash {
    tlog_tiles::Hash(
        base64::engine::general_purpose::STANDARD
            .decode(s)
            .unwrap()
            .try_into()
            .unwrap(),
    )
}

#[tokio::test]
async fn ingest_is_durable_flags_unknown_accounts_and_refuses_bad_batches_whole() {
    let app = TestApp::new().await;
    // The events below reach noon; the clock is past them (a time ahead of it is refused).
    app.advance(chrono::Duration::hours(4));
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    let (s, b) = ingest(
        &app,
        json!([
            ev(&acc, "2026-11-24T08:00:00.000000001Z", "203.0.113.7"),
            ev("acc_not_yet_known", "2026-11-24T08:00:01Z", "2001:db8::7"),
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!((b["first"].as_u64(), b["end"].as_u64()), (Some(0), Some(2)));
    assert_eq!(b["checkpoint_size"], 2);
    assert_eq!(b["unknown_accounts"], json!(["acc_not_yet_known"]));

    // NDJSON too.
    let nd = format!(
        "{}\n{}\n",
        ev(&acc, "2026-11-24T09:00:00Z", "203.0.113.8"),
        ev(&acc, "2026-11-24T10:00:00Z", "203.0.113.9")
    );
    let r = app
        .send_raw(
            "POST",
            "/v1/events",
            Some(Role::Integrator),
            Some(nd.into_bytes()),
            "application/x-ndjson",
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["first"], 2);

    // A bad event refuses the batch, names the field, echoes nothing.
    let before = size(&app);
    let (s, b) = ingest(
        &app,
        json!([
            ev(&acc, "2026-11-24T11:00:00Z", "203.0.113.7"),
            ev(&acc, "2026-11-24T11:00:00Z", "999.1.2.3"),
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["field"], "events[1].ip");
    assert!(!b.to_string().contains("999.1.2.3"));
    let (s, b) = ingest(
        &app,
        json!([{"account_id": acc, "time": "2026-11-24T11:00:00Z",
        "ip": "203.0.113.7", "action": "dance", "source": "x"}]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert_eq!(b["field"], "events[0].action");
    assert!(
        !b.to_string().contains("dance"),
        "the value is not echoed: {b}"
    );
    assert!(
        b["detail"]
            .as_str()
            .unwrap()
            .starts_with("must be one of `"),
        "{b}"
    );
    let (s, _) = ingest(
        &app,
        json!([{"account_id": "", "time": "2026-11-24T11:00:00Z",
        "ip": "203.0.113.7", "action": "login", "source": "x"}]),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = ingest(&app, json!([])).await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let many: Vec<Value> = (0..10_001)
        .map(|_| ev(&acc, "2026-11-24T11:00:00Z", "203.0.113.7"))
        .collect();
    let (s, _) = ingest(&app, Value::Array(many)).await;
    assert_eq!(s, StatusCode::PAYLOAD_TOO_LARGE);
    let r = app
        .send_raw(
            "POST",
            "/v1/events",
            Some(Role::Integrator),
            Some(b"x".to_vec()),
            "text/plain",
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let r = app
        .send_raw(
            "POST",
            "/v1/events",
            Some(Role::Integrator),
            Some(b"{\"a\n".to_vec()),
            "application/x-ndjson",
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(size(&app), before, "nothing of a refused batch is kept");
    // Only integrators (and admins) ingest.
    let r = app
        .as_role(Role::Reviewer)
        .post(
            "/v1/events",
            json!([ev(&acc, "2026-11-24T11:00:00Z", "203.0.113.7")]),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The full batch of 10,000 goes in at once.
    let full: Vec<Value> = (0..10_000)
        .map(|i| {
            ev(
                &format!("acc_bulk_{}", i % 50),
                "2026-11-24T12:00:00Z",
                "198.51.100.1",
            )
        })
        .collect();
    let (s, b) = ingest(&app, Value::Array(full.clone())).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        b["end"].as_u64().unwrap() - b["first"].as_u64().unwrap(),
        10_000
    );
    // With an Idempotency-Key, the same full batch is kept once and the answer replayed.
    let key = [("idempotency-key", "batch-77")];
    let r1 = app
        .send(
            "POST",
            "/v1/events",
            Some(Role::Integrator),
            Some(Value::Array(full.clone())),
            &key,
        )
        .await;
    assert_eq!(r1.status, StatusCode::OK, "{}", r1.body);
    let before = size(&app);
    let r2 = app
        .send(
            "POST",
            "/v1/events",
            Some(Role::Integrator),
            Some(Value::Array(full)),
            &key,
        )
        .await;
    assert_eq!(r2.body, r1.body);
    assert_eq!(size(&app), before, "a replay appends nothing");
}

#[tokio::test]
async fn investigators_get_answers_with_proofs() {
    let app = TestApp::new().await;
    let mut batch = vec![];
    for h in 0..48 {
        let t = format!("2026-11-2{}T{:02}:30:00Z", 2 + h / 24, h % 24);
        batch.push(ev("acc_a", &t, "203.0.113.7"));
        batch.push(ev("acc_b", &t, &format!("203.0.113.{}", 100 + h % 3)));
        batch.push(ev("acc_c", &t, "2001:db8:1::5"));
    }
    let (s, _) = ingest(&app, Value::Array(batch)).await;
    assert_eq!(s, StatusCode::OK);
    let purpose = [("x-custos-purpose", "subpoena 2026-17")];
    let r = app
        .send("GET", "/v1/accounts/acc_a/events?from=2026-11-22T00:00:00Z&to=2026-11-22T23:59:59Z&proof=latest",
            Some(Role::Reviewer), None, &purpose)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let events = r.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 24);
    // Proofs check against the signed checkpoint returned with them.
    let cp = r.body["checkpoint"].as_str().unwrap();
    let lines: Vec<&str> = cp.lines().collect();
    assert_eq!(lines[0], "custos.test/ledger/access");
    let tree: u64 = lines[1].parse().unwrap();
    let root = hash(lines[2]);
    for e in events {
        let p = &e["proof"];
        let hashes: Vec<tlog_tiles::Hash> = p["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hash(h.as_str().unwrap()))
            .collect();
        tlog_tiles::check_record(
            &hashes,
            tree,
            root,
            e["index"].as_u64().unwrap(),
            hash(p["leaf_hash"].as_str().unwrap()),
        )
        .unwrap();
    }
    // Without a purpose: refused; integrators may not read it.
    let r = app.get("/v1/accounts/acc_a/events", Role::Reviewer).await;
    assert!(r.status.is_client_error());
    let r = app
        .send(
            "GET",
            "/v1/accounts/acc_a/events",
            Some(Role::Integrator),
            None,
            &purpose,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    // Who used a network: `/` written `%2F`.
    let r = app
        .send(
            "GET",
            "/v1/ips/203.0.113.0%2F24/accounts?from=2026-11-22T00:00:00Z&to=2026-11-24T00:00:00Z",
            Some(Role::ComplianceOfficer),
            None,
            &purpose,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let accounts = r.body["accounts"].as_array().unwrap();
    let ids: Vec<&str> = accounts
        .iter()
        .map(|a| a["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["acc_a", "acc_b"]);
    assert_eq!(accounts[0]["count"], 48);
    assert_eq!(accounts[0]["first_seen"], "2026-11-22T00:30:00Z");
    let r = app
        .send(
            "GET",
            "/v1/ips/2001:db8:1::5/accounts?from=2026-11-22T00:00:00Z&to=2026-11-24T00:00:00Z",
            Some(Role::ComplianceOfficer),
            None,
            &purpose,
        )
        .await;
    assert_eq!(r.body["accounts"][0]["account_id"], "acc_c");
    let r = app
        .send(
            "GET",
            "/v1/ips/not-an-ip/accounts",
            Some(Role::ComplianceOfficer),
            None,
            &purpose,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .send(
            "GET",
            "/v1/accounts/acc_a/events?from=2026-11-23T00:00:00Z&to=2026-11-22T00:00:00Z",
            Some(Role::Reviewer),
            None,
            &purpose,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .send(
            "GET",
            "/v1/accounts/acc_a/events?proof=999999",
            Some(Role::Reviewer),
            None,
            &purpose,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // Every query is in the audit trail, and in the ledger's audit log.
    let audit = app.get("/v1/audit", Role::Auditor).await.body.to_string();
    assert!(audit.contains("query_account_events") && audit.contains("query_ip_accounts"));
    let audit_log = &app.service.ledger().unwrap().audit;
    assert!(audit_log.size() >= 3, "{}", audit_log.size());
    let last = audit_log.entry(audit_log.size() - 1).unwrap();
    assert!(String::from_utf8(last).unwrap().contains("query_"));
}

#[tokio::test]
async fn tiles_are_served_in_the_c2sp_layout() {
    let app = TestApp::new().await;
    let r = app.anonymous().get("/ledger/access/checkpoint").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "empty log");
    let batch: Vec<Value> = (0..300)
        .map(|i| {
            ev(
                "acc_t",
                &format!("2026-11-24T00:{:02}:{:02}Z", i / 60, i % 60),
                "203.0.113.1",
            )
        })
        .collect();
    ingest(&app, Value::Array(batch)).await;
    let r = app.anonymous().get("/ledger/access/checkpoint").await;
    assert_eq!(r.status, StatusCode::OK);
    let text = String::from_utf8(r.raw.clone()).unwrap();
    assert!(
        text.starts_with("custos.test/ledger/access\n300\n"),
        "{text}"
    );
    // Hash tiles for anyone: the first is the first 256 leaf hashes.
    let r = app.anonymous().get("/ledger/access/tile/0/000").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.raw.len(), 256 * 32);
    assert!(
        r.headers["cache-control"]
            .to_str()
            .unwrap()
            .contains("immutable")
    );
    let r = app.anonymous().get("/ledger/access/tile/0/001.p/44").await;
    assert_eq!(r.raw.len(), 44 * 32);
    let r = app.anonymous().get("/ledger/access/tile/0/001.p/45").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.anonymous().get("/ledger/access/tile/0/1").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = app.anonymous().get("/ledger/nope/checkpoint").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Entry bundles hold addresses: auditors only, and audited.
    let r = app.anonymous().get("/ledger/access/tile/entries/000").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = app
        .as_role(Role::Integrator)
        .get("/ledger/access/tile/entries/000")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .as_role(Role::Auditor)
        .get("/ledger/access/tile/entries/000")
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let first_len = usize::from(u16::from_be_bytes([r.raw[0], r.raw[1]]));
    let first = custos_ledger::Event::decode(&r.raw[2..2 + first_len]).unwrap();
    assert_eq!(first.account_id, "acc_t");
    // The audit log has its own checkpoint, and records the bundle read.
    let r = app.anonymous().get("/ledger/audit/checkpoint").await;
    assert!(
        String::from_utf8(r.raw)
            .unwrap()
            .starts_with("custos.test/ledger/audit\n1\n")
    );
}

#[tokio::test]
async fn retention_purges_the_events_of_destroyed_customers_and_the_tree_still_verifies() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    let other = app.customer(individual("Jonas Weber", "DE", "DE")).await;
    let kept = paid_account(&app, &other).await;
    let mut batch = vec![];
    for i in 0..300 {
        let t = format!("2026-11-24T08:{:02}:{:02}Z", i / 60, i % 60);
        batch.push(ev(if i % 3 == 0 { &kept } else { &acc }, &t, "203.0.113.7"));
    }
    let (s, _) = ingest(&app, Value::Array(batch)).await;
    assert_eq!(s, StatusCode::OK);
    close(&app, &acc, "customer left").await;
    app.advance(chrono::Duration::days(800));
    let report = retain(&app, false).await;
    assert_eq!(report.destroyed.len(), 1);
    assert_eq!(report.ledger_events_purged, 200);
    let l = app.service.ledger().unwrap();
    for i in 0..300u64 {
        let purged = l.access.is_purged(i);
        assert_eq!(purged, i % 3 != 0, "entry {i}");
        if !purged {
            assert_eq!(
                custos_ledger::Event::decode(&l.access.entry(i).unwrap())
                    .unwrap()
                    .account_id,
                kept
            );
        }
    }
    // The tree, its checkpoint and its proofs are untouched.
    let size = l.access.size();
    let root = l.access.root();
    tlog_tiles::check_record(
        &l.access.inclusion_proof(1, size).unwrap(),
        size,
        root,
        1,
        l.access.leaf_hash(1).unwrap(),
    )
    .unwrap();
    let vkey = l.verifier_key().to_owned();
    let dir = l.log_dir(custos_ledger::Which::Access);
    custos_ledger::verify(&dir, &vkey, "custos.test/ledger/access", true, |_| {}).unwrap();
    // A second run purges nothing more.
    let report = retain(&app, false).await;
    assert_eq!(report.ledger_events_purged, 0);
}

#[tokio::test]
async fn an_account_closed_long_ago_loses_its_events_unless_held() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let old = paid_account(&app, &c).await;
    let live = paid_account(&app, &c).await;
    let batch: Vec<Value> = (0..20)
        .map(|i| {
            ev(
                if i % 2 == 0 { &old } else { &live },
                "2026-11-24T08:00:00Z",
                "203.0.113.7",
            )
        })
        .collect();
    ingest(&app, Value::Array(batch)).await;
    close(&app, &old, "moved to another plan").await;
    // Not yet two years.
    app.advance(chrono::Duration::days(700));
    let r = retain(&app, false).await;
    assert_eq!(r.ledger_events_purged, 0);
    // A legal hold keeps them past the period.
    app.advance(chrono::Duration::days(100));
    let hold = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/customers/{c}/legal-holds"),
            json!({"reason": "preservation request"}),
        )
        .await;
    assert!(hold.status.is_success(), "{}", hold.body);
    let r = retain(&app, false).await;
    assert_eq!(r.ledger_events_purged, 0);
    let hold_id = hold.body["id"].as_str().unwrap().to_owned();
    let rel = app
        .send(
            "POST",
            &format!("/v1/customers/{c}/legal-holds/{hold_id}/release"),
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert!(rel.status.is_success(), "{}", rel.body);
    // A dry run counts, a run purges; the customer and its live account stay.
    let r = retain(&app, true).await;
    assert_eq!(r.ledger_events_purged, 10);
    assert!(r.destroyed.is_empty());
    let r = retain(&app, false).await;
    assert_eq!(r.ledger_events_purged, 10);
    let l = app.service.ledger().unwrap();
    for i in 0..20u64 {
        assert_eq!(l.access.is_purged(i), i % 2 == 0, "entry {i}");
    }
}

/// Closes an account through the API, as the integrator.
async fn close(app: &TestApp, account: &str, reason: &str) {
    let r = app
        .as_role(Role::Integrator)
        .post(
            &format!("/v1/accounts/{account}/close"),
            json!({ "reason": reason }),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
}

/// A retention run now (a dry run with `dry`), by an administrator.
async fn retain(app: &TestApp, dry: bool) -> custos_app::retention::RetentionReport {
    let actor = admin();
    app.service
        .retention_run(app.service.now(), dry, &actor, |_| {})
        .await
        .unwrap()
}

/// Opens a paid direct account for customer `c`; its id.
async fn paid_account(app: &TestApp, c: &str) -> String {
    app.open(c, "direct", "paid").await.body["account_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn an_access_recorded_through_the_accounts_api_is_a_ledger_event() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    let r = app
        .as_role(Role::Integrator)
        .post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": "198.51.100.23", "country": "DE", "at": "2026-11-24T08:15:00Z"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let purpose = [("x-custos-purpose", "case F-118")];
    let ev = app
        .send(
            "GET",
            &format!("/v1/accounts/{acc}/events?from=2026-11-24T00:00:00Z&to=2026-11-24T23:59:59Z"),
            Some(Role::Reviewer),
            None,
            &purpose,
        )
        .await;
    assert_eq!(ev.status, StatusCode::OK, "{}", ev.body);
    let events = ev.body["events"].as_array().unwrap();
    assert_eq!(events.len(), 1, "{}", ev.body);
    assert_eq!(events[0]["ip"], "198.51.100.23", "{}", ev.body);
    let ips = app
        .send(
            "GET",
            "/v1/ips/198.51.100.23/accounts?from=2026-11-01T00:00:00Z&to=2026-11-30T00:00:00Z",
            Some(Role::Reviewer),
            None,
            &purpose,
        )
        .await;
    assert_eq!(ips.body["accounts"][0]["account_id"], acc, "{}", ips.body);
    // A refused access (unknown account) writes nothing.
    let size = app.service.ledger().unwrap().access.size();
    let bad = app
        .as_role(Role::Integrator)
        .post(
            "/v1/accounts/acc_nope/accesses",
            json!({"ip": "198.51.100.23", "country": "DE"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::NOT_FOUND);
    assert_eq!(app.service.ledger().unwrap().access.size(), size);
}

/// Sends a raw body to `POST /v1/events`, as the integrator.
async fn ingest_raw(app: &TestApp, body: &str, content_type: &str) -> common::Resp {
    app.send_raw(
        "POST",
        "/v1/events",
        Some(Role::Integrator),
        Some(body.as_bytes().to_vec()),
        content_type,
        &[],
    )
    .await
}

/// The accounts behind an address or network, as an investigator asks.
async fn ip_accounts(app: &TestApp, net: &str) -> Vec<String> {
    let r = app
        .as_role(Role::ComplianceOfficer)
        .purpose("subpoena 2026-17")
        .get(&format!(
            "/v1/ips/{net}/accounts?from=2026-11-24T00:00:00Z&to=2026-11-24T09:00:00Z"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["account_id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_ipv4_mapped_address_is_the_ipv4_address() {
    let app = TestApp::new().await;
    let (s, b) = ingest(
        &app,
        json!([
            ev("acc_mapped", "2026-11-24T08:00:00Z", "::ffff:203.0.113.77"),
            ev("acc_plain", "2026-11-24T08:00:01Z", "203.0.113.78"),
        ]),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let nd = format!(
        "{}\n",
        ev("acc_nd", "2026-11-24T08:00:02Z", "::ffff:203.0.113.77")
    );
    let r = ingest_raw(&app, &nd, "application/x-ndjson").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Either form of the address, or of its network, finds the events of both.
    assert_eq!(
        ip_accounts(&app, "203.0.113.77").await,
        ["acc_mapped", "acc_nd"]
    );
    assert_eq!(
        ip_accounts(&app, "::ffff:203.0.113.77").await,
        ["acc_mapped", "acc_nd"]
    );
    assert_eq!(
        ip_accounts(&app, "::ffff:203.0.113.78").await,
        ["acc_plain"]
    );
    assert_eq!(
        ip_accounts(&app, "::ffff:203.0.113.0%2F120").await,
        ["acc_mapped", "acc_nd", "acc_plain"]
    );
    // The event is kept with the IPv4 form.
    let r = app
        .as_role(Role::Reviewer)
        .purpose("subpoena 2026-17")
        .get("/v1/accounts/acc_mapped/events?from=2026-11-24T00:00:00Z&to=2026-11-24T09:00:00Z")
        .await;
    assert_eq!(r.body["events"][0]["ip"], "203.0.113.77", "{}", r.body);

    // An access reported from the mapped form is seen from the IPv4 address.
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    let r = app
        .post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": "::ffff:203.0.113.77", "country": "DE"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let record = app
        .as_role(Role::Reviewer)
        .purpose("test")
        .get(&format!("/v1/customers/{c}/record"))
        .await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.body);
    assert_eq!(
        record.body["customer"]["observations"][0]["ip"], "203.0.113.77",
        "{}",
        record.body
    );
}

#[tokio::test]
async fn event_times_are_bounded_as_accesses_are() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    let before = size(&app);
    // The clock reads 2026-11-24T09:00:00Z: five minutes of skew, no more, at both doors.
    for (t, ok) in [
        ("2026-11-24T09:05:00Z", true),
        ("2026-11-24T09:05:00.000000001Z", false),
        ("9999-12-31T00:00:00Z", false),
        ("+10000-01-01T00:00:00Z", false),
    ] {
        let (s, b) = ingest(&app, json!([ev(&acc, t, "203.0.113.7")])).await;
        let access = app
            .post(
                &format!("/v1/accounts/{acc}/accesses"),
                json!({"ip": "203.0.113.7", "country": "DE", "at": t}),
            )
            .await;
        if ok {
            assert_eq!(s, StatusCode::OK, "{t}: {b}");
            assert_eq!(access.status, StatusCode::OK, "{t}: {}", access.body);
            continue;
        }
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{t}: {b}");
        assert_eq!(b["field"], "events[0].time", "{t}");
        assert_eq!(b["type"], access.body["type"], "{t}");
        assert_eq!(b["detail"], access.body["detail"], "{t}");
        assert_eq!(access.body["field"], "at", "{t}");
        assert!(
            !b.to_string().contains(&t[..8]),
            "the value is not echoed: {b}"
        );
    }
    // NDJSON names the event.
    let nd = format!(
        "{}\n{}\n",
        ev(&acc, "2026-11-24T08:00:00Z", "203.0.113.7"),
        ev(&acc, "9999-12-31T00:00:00Z", "203.0.113.7")
    );
    let r = ingest_raw(&app, &nd, "application/x-ndjson").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.content_type.starts_with("application/problem+json"));
    assert_eq!(r.body["field"], "events[1].time");
    // The event within bounds, and the access within bounds (an access is an event too).
    assert_eq!(
        size(&app),
        before + 2,
        "only what was within bounds is kept"
    );
}

#[tokio::test]
async fn a_key_given_twice_is_refused_as_in_every_body() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    // The other endpoints' answer to a key given twice.
    let other = app
        .send_raw(
            "POST",
            &format!("/v1/accounts/{acc}/accesses"),
            Some(Role::Integrator),
            Some(br#"{"ip": "203.0.113.7", "country": "DE", "ip": "198.51.100.1"}"#.to_vec()),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(
        other.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        other.body
    );
    let one = format!(
        r#"{{"account_id": "{acc}", "time": "2026-11-24T08:00:00Z", "ip": "203.0.113.7", "action": "login", "source": "sso"}}"#
    );
    let twice = format!(
        r#"{{"account_id": "{acc}", "time": "2026-11-24T08:00:00Z", "ip": "203.0.113.7", "action": "login", "source": "sso", "ip": "198.51.100.1"}}"#
    );
    let before = size(&app);
    for (body, content_type, field) in [
        (
            format!("[{one}, {twice}]"),
            "application/json",
            "events[1].ip",
        ),
        (twice.clone(), "application/json", "events[0].ip"),
        (
            format!("{one}\n{twice}\n"),
            "application/x-ndjson",
            "events[1].ip",
        ),
    ] {
        let r = ingest_raw(&app, &body, content_type).await;
        assert_eq!(r.status, other.status, "{body}: {}", r.body);
        assert!(r.content_type.starts_with("application/problem+json"));
        assert_eq!(r.body["type"], other.body["type"], "{body}");
        assert_eq!(r.body["detail"], other.body["detail"], "{body}");
        assert_eq!(r.body["field"], field, "{body}");
        assert!(!r.body.to_string().contains("198.51"), "{}", r.body);
    }
    assert_eq!(size(&app), before, "nothing of a refused batch is kept");
    // Once each, the same events go in.
    let r = ingest_raw(&app, &format!("[{one}, {one}]"), "application/json").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn a_destroyed_customer_is_destroyed_when_retention_runs_not_as_of_its_question() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    close(&app, &acc, "customer left").await;
    let actor = admin();
    // Asked as of three years on (what `--as-of` does): due then, destroyed now.
    let as_of = app.service.now() + chrono::Duration::days(1100);
    let report = app
        .service
        .retention_run(as_of, false, &actor, |_| {})
        .await
        .unwrap();
    assert_eq!(report.destroyed.len(), 1);
    assert_eq!(report.destroyed[0].destroyed_at, app.service.now());
    // The time the run was asked as of is kept with the tombstone and in the audit trail.
    assert!(
        report.destroyed[0].reason.contains(&as_of.to_rfc3339()),
        "{}",
        report.destroyed[0].reason
    );
    // A hold on what is already destroyed would preserve nothing: refused.
    let hold = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/customers/{c}/legal-holds"),
            json!({"reason": "preservation request"}),
        )
        .await;
    assert_eq!(hold.status, StatusCode::GONE, "{}", hold.body);
    let r = app
        .as_role(Role::Integrator)
        .get(&format!("/v1/customers/{c}"))
        .await;
    assert_eq!(r.status, StatusCode::GONE);
}

#[tokio::test]
async fn events_that_come_after_retention_purged_an_account_are_purged_too() {
    let app = TestApp::new().await;
    let (_, acc) = account_with_an_event(&app).await;
    close(&app, &acc, "customer left").await;
    app.advance(chrono::Duration::days(800));
    let r = retain(&app, false).await;
    assert_eq!((r.destroyed.len(), r.ledger_events_purged), (1, 1));
    // An access to the destroyed customer's account is refused, and writes nothing.
    let before = size(&app);
    let a = app
        .post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": "203.0.113.8", "country": "DE"}),
        )
        .await;
    assert_eq!(a.status, StatusCode::GONE, "{}", a.body);
    assert_eq!(size(&app), before);
    // A late event from the control plane is kept (the batch is not refused), then purged by
    // the next round of retention's work.
    let t = (app.service.now() - chrono::Duration::hours(1)).to_rfc3339();
    let (s, b) = ingest(&app, json!([ev(&acc, &t, "203.0.113.9")])).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let late = b["first"].as_u64().unwrap();
    let actor = admin();
    let done = app.service.retention_work(&actor).await.unwrap();
    assert_eq!(done.ledger_events_purged, 1);
    assert!(app.service.ledger().unwrap().access.is_purged(late));
}

#[tokio::test]
async fn a_hold_placed_after_a_purge_was_queued_keeps_the_events() {
    let app = TestApp::new().await;
    let (c, acc) = account_with_an_event(&app).await;
    // The purge is queued (as a retention run whose process does not hold the ledger leaves
    // it), then a hold is placed before the ledger's owner gets to it.
    app.service
        .store()
        .queue_work(
            custos_app::testing::custos_store::RetentionWork::LedgerPurge,
            std::slice::from_ref(&acc),
            app.service.now(),
            true,
        )
        .await
        .unwrap();
    let hold = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/customers/{c}/legal-holds"),
            json!({"reason": "preservation request 2703(f)"}),
        )
        .await;
    assert!(hold.status.is_success(), "{}", hold.body);
    let actor = admin();
    let done = app.service.retention_work(&actor).await.unwrap();
    assert_eq!((done.accounts_held, done.ledger_events_purged), (1, 0));
    assert!(!app.service.ledger().unwrap().access.is_purged(0));
    // Released: the work still waiting is done.
    let id = hold.body["id"].as_str().unwrap().to_owned();
    let rel = app
        .send(
            "POST",
            &format!("/v1/customers/{c}/legal-holds/{id}/release"),
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert!(rel.status.is_success(), "{}", rel.body);
    let done = app.service.retention_work(&actor).await.unwrap();
    assert_eq!(done.ledger_events_purged, 1);
    assert!(app.service.ledger().unwrap().access.is_purged(0));
}

/// An administrator, as the retention command acts.
fn admin() -> custos_app::Actor {
    custos_app::Actor {
        id: "test".into(),
        role: "admin".into(),
    }
}

/// A customer with a paid account and one event of it in the ledger (entry 0).
async fn account_with_an_event(app: &TestApp) -> (String, String) {
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(app, &c).await;
    let (s, _) = ingest(
        app,
        json!([ev(&acc, "2026-11-24T08:00:00Z", "203.0.113.7")]),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    (c, acc)
}

#[tokio::test]
async fn an_accounts_events_page_in_time_order_and_an_ip_answer_proves_itself() {
    let app = TestApp::new().await;
    app.advance(chrono::Duration::hours(4));
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = paid_account(&app, &c).await;
    // Log order is not time order: the 08:00 event arrives last.
    let times = [
        "2026-11-24T09:00:00Z",
        "2026-11-24T10:00:00Z",
        "2026-11-24T09:30:00Z",
        "2026-11-24T11:00:00Z",
        "2026-11-24T08:00:00Z",
    ];
    for t in times {
        let (s, b) = ingest(&app, json!([ev(&acc, t, "2001:db8::7")])).await;
        assert_eq!(s, StatusCode::OK, "{b}");
    }
    let api = app.as_role(Role::Reviewer).purpose("case 7");
    let base = format!("/v1/accounts/{acc}/events?from=2026-11-24&to=2026-11-24&limit=2");
    let mut seen = vec![];
    let mut path = base.clone();
    loop {
        let r = api.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        for e in r.body["events"].as_array().unwrap() {
            seen.push(e["time"].as_str().unwrap().to_owned());
        }
        assert_eq!(r.body["truncated"], r.body["has_more"]);
        match r.body["next_cursor"].as_str() {
            Some(c) => path = format!("{base}&starting_after={c}"),
            None => break,
        }
    }
    let mut sorted: Vec<String> = times.iter().map(|t| t.to_string()).collect();
    sorted.sort();
    let seen: Vec<String> = seen.iter().map(|t| t.replace(".000000000", "")).collect();
    assert_eq!(seen, sorted, "every event once, in time order");
    let r = api.get(&format!("{base}&starting_after=abc")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["field"], "starting_after");

    // The IP answer: first and last seen in time order, with proofs when asked.
    let r = api
        .get("/v1/ips/2001:db8::7/accounts?from=2026-11-24&to=2026-11-24&proof=latest")
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let u = &r.body["accounts"][0];
    assert_eq!(u["count"], 5);
    assert_eq!(u["first_seen"], "2026-11-24T08:00:00Z");
    assert_eq!(u["last_seen"], "2026-11-24T11:00:00Z");
    assert_eq!(
        (u["first_index"].as_u64(), u["last_index"].as_u64()),
        (Some(4), Some(3))
    );
    let cp = r.body["checkpoint"].as_str().unwrap();
    let root = cp.lines().nth(2).unwrap();
    for (which, index) in [("first_proof", 4), ("last_proof", 3)] {
        let p = &u[which];
        let hashes: Vec<tlog_tiles::Hash> = p["hashes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| hash(h.as_str().unwrap()))
            .collect();
        assert_eq!(p["tree_size"], 5);
        let got = tlog_tiles::check_record(
            &hashes,
            5,
            hash(root),
            index,
            hash(p["leaf_hash"].as_str().unwrap()),
        );
        assert!(got.is_ok(), "{which}: {got:?}");
    }
    let plain = api
        .get("/v1/ips/2001:db8::7/accounts?from=2026-11-24&to=2026-11-24")
        .await;
    assert!(plain.body["accounts"][0].get("first_proof").is_none());
    assert!(plain.body.get("checkpoint").is_none());
}
