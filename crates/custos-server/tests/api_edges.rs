//! The API's edges: idempotent replays, purposes and the audit trail, bad input, roles,
//! search, operations.

mod common;

use axum::http::StatusCode;
use common::{TestApp, individual};
use custos_server::auth::Role;
use serde_json::json;

#[tokio::test]
async fn idempotent_replay_returns_the_first_response_and_creates_nothing_new() {
    let app = TestApp::new().await;
    let body = individual("Lena Fischer", "DE", "DE");
    let h = [("idempotency-key", "signup-7731")];
    let a = app
        .send(
            "POST",
            "/v1/customers",
            Some(Role::Integrator),
            Some(body.clone()),
            &h,
        )
        .await;
    assert_eq!(a.status, StatusCode::CREATED);
    let before = app.counts().await;
    let b = app
        .send(
            "POST",
            "/v1/customers",
            Some(Role::Integrator),
            Some(body.clone()),
            &h,
        )
        .await;
    assert_eq!(b.status, StatusCode::CREATED);
    assert_eq!(
        a.raw, b.raw,
        "the replay is byte for byte the first response"
    );
    assert_eq!(b.headers["idempotent-replayed"], "true");
    assert_eq!(app.counts().await, before);
    let other = individual("Someone Else", "DE", "DE");
    let c = app
        .send(
            "POST",
            "/v1/customers",
            Some(Role::Integrator),
            Some(other),
            &h,
        )
        .await;
    assert_eq!(c.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(c.body["type"], "urn:custos:problem:idempotency-key-reused");
    // Keys are scoped to the API key that sent them.
    let d = app
        .send("POST", "/v1/customers", Some(Role::Admin), Some(body), &h)
        .await;
    assert_eq!(d.status, StatusCode::CREATED);
    assert_ne!(d.body["customer_id"], a.body["customer_id"]);

    let cid = a.body["customer_id"].as_str().unwrap();
    let open = json!({"customer_id": cid, "kind": "direct"});
    let h2 = [("idempotency-key", "open-1")];
    let x = app
        .send(
            "POST",
            "/v1/accounts",
            Some(Role::Integrator),
            Some(open.clone()),
            &h2,
        )
        .await;
    let y = app
        .send(
            "POST",
            "/v1/accounts",
            Some(Role::Integrator),
            Some(open),
            &h2,
        )
        .await;
    assert_eq!(x.body["account_id"], y.body["account_id"]);
    assert_eq!(
        app.service
            .store()
            .accounts_of(&cid.parse_id())
            .await
            .unwrap()
            .len(),
        1
    );
}

trait ParseId {
    fn parse_id(&self) -> custos_core::CustomerId;
}

impl ParseId for &str {
    fn parse_id(&self) -> custos_core::CustomerId {
        custos_core::CustomerId::parse(self).unwrap()
    }
}

#[tokio::test]
async fn personal_data_needs_a_role_and_a_purpose_and_every_read_is_audited() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let path = format!("/v1/customers/{c}/record");
    let integrator = app.get(&path, Role::Integrator).await;
    assert_eq!(integrator.status, StatusCode::FORBIDDEN);
    assert!(!String::from_utf8_lossy(&integrator.raw).contains("Fischer"));
    let no_purpose = app.get(&path, Role::Reviewer).await;
    assert_eq!(no_purpose.status, StatusCode::FORBIDDEN);
    assert_eq!(
        no_purpose.body["type"],
        "urn:custos:problem:purpose-required"
    );
    assert_eq!(no_purpose.content_type, "application/problem+json");
    let audit = app.get("/v1/audit", Role::Auditor).await;
    assert!(
        audit.body["entries"].as_array().unwrap().is_empty(),
        "refused reads read nothing"
    );

    let ok = app
        .as_role(Role::Reviewer)
        .purpose("case F-118 fraud review")
        .get(&path)
        .await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(
        ok.body["customer"]["profile"]["individual"]["full_name"],
        "Lena Fischer"
    );
    let audit = app.get("/v1/audit", Role::Auditor).await;
    let e = &audit.body["entries"][0];
    assert_eq!(e["entry"]["action"], "read_customer");
    assert_eq!(e["entry"]["purpose"], "case F-118 fraud review");
    assert_eq!(e["entry"]["role"], "reviewer");
    assert_eq!(e["entry"]["record"], c);
    assert_eq!(e["prev_hash"], "0".repeat(64));
    // The audit trail has no endpoint to change it, and reviewers cannot even read it.
    assert_eq!(
        app.get("/v1/audit", Role::Reviewer).await.status,
        StatusCode::FORBIDDEN
    );
    for m in ["PUT", "DELETE", "PATCH"] {
        let r = app.send(m, "/v1/audit", Some(Role::Admin), None, &[]).await;
        assert!(r.status.is_client_error(), "{m} /v1/audit: {}", r.status);
    }
    // The integrator's view has no personal data.
    let view = app
        .get(&format!("/v1/customers/{c}"), Role::Integrator)
        .await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(!String::from_utf8_lossy(&view.raw).contains("Fischer"));
}

/// method, path, body, content type, expected status, expected problem type.
type Case<'a> = (
    &'a str,
    String,
    Option<Vec<u8>>,
    &'a str,
    StatusCode,
    &'a str,
);

#[tokio::test]
async fn bad_input_gets_problem_json_and_stores_nothing() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let before = app.counts().await;
    let big = vec![b'a'; 300 * 1024];
    let cases: Vec<Case> = vec![
        ("POST", "/v1/customers".into(), Some(b"{not json".to_vec()), "application/json",
         StatusCode::BAD_REQUEST, "invalid-request"),
        ("POST", "/v1/customers".into(), Some(br#"{"individual": {"full_name": "X"}, "surprise": 1}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/customers".into(), Some(br#"{"individual": {"full_name": 42}}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/customers".into(), Some(br#"{"individual": {"full_name": "X", "citizenships": ["XXX"]}}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/customers".into(), Some(br#"{}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/customers".into(), Some(br#"{"individual": {"full_name": ""}}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/customers".into(), Some(br#"{"individual": {"full_name": "X", "date_of_birth": "2099-01-01"}}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/customers".into(), Some(big.clone()), "application/json",
         StatusCode::PAYLOAD_TOO_LARGE, "payload-too-large"),
        ("POST", "/v1/customers".into(), Some(b"full_name=X".to_vec()), "application/x-www-form-urlencoded",
         StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type"),
        ("POST", "/v1/accounts".into(), Some(br#"{"customer_id": "cus_missing", "kind": "direct"}"#.to_vec()),
         "application/json", StatusCode::NOT_FOUND, "not-found"),
        ("POST", "/v1/accounts".into(), Some(format!(r#"{{"customer_id": "{c}", "kind": "timeshare"}}"#).into_bytes()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/accounts".into(), Some(format!(r#"{{"customer_id": "{c}", "kind": "sub_lessee"}}"#).into_bytes()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/accounts".into(), Some(format!(r#"{{"customer_id": "{c}", "kind": "direct", "parent_account_id": "acc_x"}}"#).into_bytes()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", format!("/v1/customers/{c}/payment-means"), Some(br#"{"card": {"number": "4111111111111112", "expiry_month": 1, "expiry_year": 2030}}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", format!("/v1/customers/{c}/payment-means"), Some(br#"{"bank_account": {"iban": "DE89370400440532013001"}}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", format!("/v1/customers/{c}/contacts"), Some(br#"{"kind": "phone", "value": "call me"}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", format!("/v1/customers/{c}/contacts"), Some(br#"{"kind": "email", "value": "x@example.org", "subject_id": "sub_nobody"}"#.to_vec()),
         "application/json", StatusCode::NOT_FOUND, "not-found"),
        ("POST", format!("/v1/customers/{c}/verification-results"), Some(br#"{"method": "telepathy", "outcome": "pass"}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/accounts/acc_nope/accesses".into(), Some(br#"{"ip": "999.1.1.1", "country": "US"}"#.to_vec()),
         "application/json", StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("POST", "/v1/accounts".into(), Some(b"[1, 2, 3]".to_vec()), "application/json",
         StatusCode::UNPROCESSABLE_ENTITY, "validation-failed"),
        ("GET", "/v1/nothing-here".into(), None, "", StatusCode::NOT_FOUND, "not-found"),
        ("GET", "/v1/customers/not-an-id".into(), None, "", StatusCode::NOT_FOUND, "not-found"),
        ("POST", "/v1/customers".into(), Some(br#"{"individual": {"full_name": "X"}}"#.to_vec()), "application/json",
         StatusCode::BAD_REQUEST, "invalid-request"),
    ];
    let n = cases.len();
    for (i, (method, path, body, ct, status, kind)) in cases.into_iter().enumerate() {
        // The last case sends an Idempotency-Key that is not visible ASCII.
        let headers: Vec<(&str, &str)> = if i == n - 1 {
            vec![("idempotency-key", "")]
        } else {
            vec![]
        };
        let r = app
            .send_raw(method, &path, Some(Role::Admin), body, ct, &headers)
            .await;
        let expect_kind = if i == n - 1 {
            "validation-failed"
        } else {
            kind
        };
        let expect_status = if i == n - 1 {
            StatusCode::UNPROCESSABLE_ENTITY
        } else {
            status
        };
        assert_eq!(
            r.status, expect_status,
            "case {i} {method} {path}: {}",
            r.body
        );
        assert_eq!(r.content_type, "application/problem+json", "case {i}");
        assert_eq!(
            r.body["type"],
            format!("urn:custos:problem:{expect_kind}"),
            "case {i}: {}",
            r.body
        );
        assert_eq!(r.body["status"], expect_status.as_u16());
        assert!(r.body["title"].is_string() && r.body["detail"].is_string());
        let text = String::from_utf8_lossy(&r.raw);
        for secret in [
            "4111111111111112",
            "DE89370400440532013001",
            "call me",
            "sqlite",
            "SELECT",
        ] {
            assert!(!text.contains(secret), "case {i} echoes `{secret}`: {text}");
        }
    }
    assert_eq!(
        app.counts().await,
        before,
        "nothing was stored by refused requests"
    );
    let unknown = app
        .send_raw(
            "POST",
            "/v1/customers",
            Some(Role::Admin),
            Some(br#"{"individual": {"full_name": "X"}, "surprise": 1}"#.to_vec()),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(
        unknown.body["detail"],
        "unknown field `surprise`, expected one of `individual`, `entity`, `beneficial_owners`, `external_ref`"
    );
    let wrong = app
        .send_raw(
            "POST",
            "/v1/customers",
            Some(Role::Admin),
            Some(br#"{"individual": {"full_name": 42}}"#.to_vec()),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(wrong.body["field"], "individual.full_name");
    let badcc = app
        .send_raw(
            "POST",
            "/v1/customers",
            Some(Role::Admin),
            Some(br#"{"individual": {"full_name": "X", "citizenships": ["XXX"]}}"#.to_vec()),
            "application/json",
            &[],
        )
        .await;
    assert_eq!(badcc.body["field"], "individual.citizenships[0]");
}

#[tokio::test]
async fn authentication_and_roles() {
    let app = TestApp::new().await;
    let r = app.anonymous().get("/v1/accounts/needing-action").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.headers["www-authenticate"], "Bearer");
    let bad = app
        .send(
            "GET",
            "/v1/accounts/needing-action",
            None,
            None,
            &[(
                "authorization",
                "Bearer custos_aaaaaaaaaaaa_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb_00000000",
            )],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNAUTHORIZED);
    // A real key id with a wrong secret.
    let good = app.key(Role::Integrator).to_owned();
    let id = good.split('_').nth(1).unwrap();
    let body = format!("custos_{id}_{}", "z".repeat(40));
    let forged = format!("{body}_{:08x}", crc32(&body));
    let f = app
        .send(
            "GET",
            "/v1/accounts/needing-action",
            None,
            None,
            &[("authorization", &format!("Bearer {forged}"))],
        )
        .await;
    assert_eq!(f.status, StatusCode::UNAUTHORIZED);
    // Roles.
    let c = individual("A", "US", "US");
    for (role, status) in [
        (Role::Integrator, StatusCode::CREATED),
        (Role::Admin, StatusCode::CREATED),
        (Role::Reviewer, StatusCode::FORBIDDEN),
        (Role::Auditor, StatusCode::FORBIDDEN),
        (Role::ComplianceOfficer, StatusCode::FORBIDDEN),
    ] {
        let r = app
            .send("POST", "/v1/customers", Some(role), Some(c.clone()), &[])
            .await;
        assert_eq!(r.status, status, "{role:?}");
    }
    // Keys through the API: admin only, token shown once, works at once.
    let denied = app
        .as_role(Role::ComplianceOfficer)
        .post("/v1/api-keys", json!({"name": "x", "role": "admin"}))
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let k = app
        .as_role(Role::Admin)
        .post("/v1/api-keys", json!({"name": "ci", "role": "auditor"}))
        .await;
    assert_eq!(k.status, StatusCode::CREATED);
    let token = k.body["token"].as_str().unwrap();
    let a = app
        .send(
            "GET",
            "/v1/audit",
            None,
            None,
            &[("authorization", &format!("Bearer {token}"))],
        )
        .await;
    assert_eq!(a.status, StatusCode::OK);
    let list = app.get("/v1/api-keys", Role::Admin).await;
    assert!(!String::from_utf8_lossy(&list.raw).contains(token.split('_').nth(2).unwrap()));
    assert!(!String::from_utf8_lossy(&list.raw).contains("argon2"));
}

fn crc32(s: &str) -> u32 {
    // The same CRC-32 (IEEE) the token format uses.
    let mut crc = 0xffff_ffffu32;
    for b in s.bytes() {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[tokio::test]
async fn contacts_payments_documents_and_search() {
    let app = TestApp::new().await;
    let a = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let b = app
        .customer(individual("Lena Fischer-Other", "DE", "DE"))
        .await;
    for c in [&a, &b] {
        let r = app
            .post(&format!("/v1/customers/{c}/payment-means"),
                  json!({"card": {"number": "4111-1111-1111-1111", "expiry_month": 12, "expiry_year": 2030},
                         "transaction_ids": ["ch_1"]}))
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app
        .post(&format!("/v1/customers/{a}/payment-means"),
              json!({"bank_account": {"iban": "DE89 3704 0044 0532 0130 00"}, "financial_institution": "Commerzbank"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post(&format!("/v1/customers/{a}/payment-means"),
              json!({"wallet": {"chain": "ethereum", "address": "0x52908400098527886E0F7030069857D2E4169EE7"},
                     "source": {"kind": "third_party", "name": "Fischer Holding"}}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post(
            &format!("/v1/customers/{a}/contacts"),
            json!({"kind": "phone", "value": "+49 30 1234567"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let r = app
        .post(&format!("/v1/customers/{a}/documents"),
              json!({"kind": "passport", "issuing_country": "DE", "number": "C01X00T47", "nationality": "DE"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let search = |kind: &str, value: &str| {
        let body = json!({"kind": kind, "value": value});
        let app = &app;
        async move {
            let r = app
                .as_role(Role::Reviewer)
                .purpose("abuse case 9")
                .post("/v1/customers/search", body)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body["customer_ids"].as_array().unwrap().len()
        }
    };
    assert_eq!(search("card_number", "4111 1111 1111 1111").await, 2);
    assert_eq!(search("iban", "DE89370400440532013000").await, 1);
    assert_eq!(search("phone", "+49301234567").await, 1);
    assert_eq!(search("national_id", "DE:C01X00T47").await, 1);
    assert_eq!(
        search(
            "wallet",
            "ethereum:0x52908400098527886e0f7030069857d2e4169ee7"
        )
        .await,
        1
    );
    let denied = app
        .as_role(Role::Integrator)
        .post(
            "/v1/customers/search",
            json!({"kind": "email", "value": "x"}),
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // The card is kept only as brand, BIN, last four and fingerprint.
    let rec = app
        .as_role(Role::Reviewer)
        .purpose("t")
        .get(&format!("/v1/customers/{a}/record"))
        .await;
    let text = String::from_utf8_lossy(&rec.raw);
    assert!(!text.contains("4111111111111111") && !text.contains("4111-1111"));
    let card = &rec.body["customer"]["payment_means"][0]["instrument"];
    assert_eq!(card["brand"], "visa");
    assert_eq!(card["last4"], "1111");
    assert_eq!(card["bin"], "41111111");
}

#[tokio::test]
async fn operations_endpoints() {
    let app = TestApp::new().await;
    assert_eq!(app.anonymous().get("/healthz").await.status, StatusCode::OK);
    assert_eq!(app.anonymous().get("/readyz").await.status, StatusCode::OK);
    let c = app.customer(individual("Jordan Ellis", "US", "US")).await;
    app.open(&c, "direct", "paid").await;
    let m = app.anonymous().get("/metrics").await;
    let text = String::from_utf8_lossy(&m.raw);
    assert!(text.contains("custos_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/v1/accounts\""));
    assert!(text.contains("custos_account_decisions_total{decision=\"approve\"} 1"));
    assert!(!text.contains(&c), "metrics carry no ids");
    let docs = app.anonymous().get("/docs/").await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&docs.raw).contains("swagger"));
}

/// Who may call a route is decided before its body is read: a role that may not call it is
/// told so, whatever the body holds.
#[tokio::test]
async fn a_role_that_may_not_call_a_route_is_refused_before_its_body_is_read() {
    let app = TestApp::new().await;
    // The same malformed body: refused for the role an auditor has, named for what it is for
    // the role that may call the route.
    for (role, status) in [
        (Role::Auditor, StatusCode::FORBIDDEN),
        (Role::Integrator, StatusCode::BAD_REQUEST),
    ] {
        let r = app
            .send_raw(
                "POST",
                "/v1/customers",
                Some(role),
                Some(b"{not json".to_vec()),
                "application/json",
                &[],
            )
            .await;
        assert_eq!(r.status, status, "{role:?}: {}", r.body);
    }
    // Nor is it kept under an `Idempotency-Key`: the refusal is not stored and replayed.
    for _ in 0..2 {
        let r = app
            .send_raw(
                "POST",
                "/v1/customers",
                Some(Role::Auditor),
                Some(b"{not json".to_vec()),
                "application/json",
                &[("idempotency-key", "forbidden-1")],
            )
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert!(r.headers.get("idempotent-replayed").is_none());
    }
}

#[tokio::test]
async fn a_request_refused_before_it_ran_keeps_no_result_under_its_key() {
    let app = TestApp::new().await;
    let api = app.as_role(Role::Integrator).idempotency_key("signup-1");
    // A typo in a field: 422, and the key is still free.
    let mut typo = individual("Lena Fischer", "DE", "DE");
    typo["external_rfe"] = json!("x");
    let a = api.post("/v1/customers", typo).await;
    assert_eq!(a.status, StatusCode::UNPROCESSABLE_ENTITY);
    let b = api
        .post("/v1/customers", individual("Lena Fischer", "DE", "DE"))
        .await;
    assert_eq!(b.status, StatusCode::CREATED, "{:?}", b.body);
    assert!(!b.headers.contains_key("idempotent-replayed"));
    // Refused for permission: nothing kept; the right key gets a fresh run.
    let c = app.as_role(Role::Reviewer).idempotency_key("open-1");
    let open = json!({"customer_id": b.body["customer_id"], "kind": "direct"});
    assert_eq!(
        c.post("/v1/accounts", open.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    // A result that came of executing is kept: a 404 replays.
    let gone = json!({"customer_id": "cus_nobody", "kind": "direct"});
    let d = app.as_role(Role::Integrator).idempotency_key("open-2");
    assert_eq!(
        d.post("/v1/accounts", gone.clone()).await.status,
        StatusCode::NOT_FOUND
    );
    let again = d.post("/v1/accounts", gone).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
    assert_eq!(again.headers["idempotent-replayed"], "true");
}

#[tokio::test]
async fn every_error_is_problem_json_naming_what_to_blame() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let api = app.as_role(Role::Auditor).purpose("case 1");
    let check = |r: &common::Resp, status: StatusCode, kind: &str, field: Option<&str>| {
        assert_eq!(r.status, status, "{:?}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["type"], format!("urn:custos:problem:{kind}"));
        assert_eq!(r.body["field"].as_str(), field, "{:?}", r.body);
    };
    // Query strings.
    let r = api
        .get(&format!("/v1/accounts/{acc}/events?limit=abc"))
        .await;
    check(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
        Some("limit"),
    );
    // Out of range: refused, not quietly cut to the range.
    for limit in ["0", "10001"] {
        let r = api
            .get(&format!("/v1/accounts/{acc}/events?limit={limit}"))
            .await;
        check(
            &r,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation-failed",
            Some("limit"),
        );
    }
    let r = api
        .get(&format!("/v1/accounts/{acc}/events?from=yesterday"))
        .await;
    check(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
        Some("from"),
    );
    assert!(
        !r.raw.windows(9).any(|w| w == b"yesterday"),
        "the value is not echoed"
    );
    let r = api
        .get(&format!("/v1/accounts/{acc}/events?form=2026-11-01"))
        .await;
    check(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
        Some("form"),
    );
    let r = api.get("/v1/screening/cases?state=shut").await;
    check(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
        Some("state"),
    );
    // A day where a time is meant is read as the day.
    let r = api
        .get(&format!(
            "/v1/accounts/{acc}/events?from=2026-11-01&to=2026-11-30"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{:?}", r.body);
    // A missing required field is named.
    let r = app
        .as_role(Role::Integrator)
        .post("/v1/accounts", json!({"kind": "direct"}))
        .await;
    check(
        &r,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation-failed",
        Some("customer_id"),
    );
    // A wrong method: 405, with the methods the path takes.
    let r = app
        .as_role(Role::Admin)
        .send_method("DELETE", &format!("/v1/customers/{c}"))
        .await;
    check(
        &r,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        None,
    );
    assert_eq!(r.headers["allow"], "GET,HEAD");
    let r = app
        .as_role(Role::Admin)
        .send_method("PUT", "/v1/customers")
        .await;
    check(
        &r,
        StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        None,
    );
    let mut allow: Vec<&str> = r.headers["allow"].to_str().unwrap().split(',').collect();
    allow.sort();
    assert_eq!(allow, ["GET", "HEAD", "POST"]);
    // A path that is not there.
    let r = app.as_role(Role::Admin).get("/v1/customerz").await;
    check(&r, StatusCode::NOT_FOUND, "not-found", None);
}

#[tokio::test]
async fn an_error_never_carries_back_a_flood_or_control_characters() {
    let app = TestApp::new().await;
    let long = "x".repeat(5000);
    let r = app
        .get(&format!("/v1/customers?{long}=1"), Role::Reviewer)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.raw.len() < 1200, "{} bytes", r.raw.len());
    let r = app
        .get(
            "/v1/webhook-endpoints/we_%0d%0aX-Injected:%201%E2%80%AE",
            Role::Admin,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        !detail.contains('\r') && !detail.contains('\n') && !detail.contains('\u{202e}'),
        "{detail}"
    );
    // A parameter or key given twice is named.
    let r = app
        .get("/v1/customers?limit=1&limit=2", Role::Reviewer)
        .await;
    assert_eq!(r.body["field"], "limit", "{}", r.body);
    let r = app
        .as_role(Role::Admin)
        .post_raw(
            "/v1/webhook-endpoints",
            br#"{"url": "https://a.example/", "url": "https://b.example/", "event_types": ["*"]}"#
                .to_vec(),
            "application/json",
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["field"], "url", "{}", r.body);
}
