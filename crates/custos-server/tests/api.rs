//! The API through the router, endpoint by endpoint, as an integrator, a reviewer and the
//! other roles meet it.

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::{TestApp, individual};
use custos_server::auth::Role;
use serde_json::{Value, json};

fn codes(v: &Value) -> Vec<String> {
    v["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn us_citizen_is_approved_at_once() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Jordan Ellis", "US", "US")).await;
    let r = app.open(&c, "direct", "paid").await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["decision"], "approve");
    assert_eq!(r.body["account_status"], "active");
    assert_eq!(codes(&r.body), ["us_persons_only"]);
    assert!(r.body["required_steps"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn foreign_individual_stays_pending_until_verified() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let r = app.open(&c, "direct", "paid").await;
    assert_eq!(r.body["decision"], "pending", "{}", r.body);
    assert_eq!(r.body["account_status"], "restricted");
    assert_eq!(codes(&r.body), ["foreign_customer_unverified"]);
    assert_eq!(r.body["restrictions"]["enhanced_monitoring"], true);
    let step = &r.body["required_steps"][0];
    assert_eq!(step["methods"], json!(["email"]));
    assert_eq!(step["any_of"], json!(["document", "payment_instrument"]));
    let acc = r.body["account_id"].as_str().unwrap().to_owned();

    let email = json!({"method": "email", "outcome": "pass"});
    let v = app
        .post(&format!("/v1/customers/{c}/verification-results"), email)
        .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["decision"], "pending", "one method is not enough");
    assert_eq!(a.body["required_steps"][0]["methods"], json!([]));

    let sub = app.own_subject(&c).await;
    app.document(&c, &sub).await;
    let doc = json!({"method": "document", "outcome": "pass", "reference": "chk_1"});
    app.post(&format!("/v1/customers/{c}/verification-results"), doc)
        .await;
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["decision"], "approve", "{}", a.body);
    assert_eq!(a.body["account_status"], "active");
    assert_eq!(codes(&a.body), ["foreign_subjects_verified"]);
    let q = app.get("/v1/accounts/needing-action", Role::Reviewer).await;
    assert!(
        q.body["accounts"].as_array().unwrap().is_empty(),
        "{}",
        q.body
    );
}

#[tokio::test]
async fn failed_verification_refuses_new_accounts_and_suspends_existing() {
    let app = TestApp::new().await;
    let c = app
        .customer(individual("Viktor Petrenko", "UA", "UA"))
        .await;
    let first = app.open(&c, "direct", "paid").await;
    let acc = first.body["account_id"].as_str().unwrap().to_owned();
    let fail = json!({"method": "email", "outcome": "fail"});
    app.post(&format!("/v1/customers/{c}/verification-results"), fail)
        .await;
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["account_status"], "suspended", "{}", a.body);
    assert_eq!(codes(&a.body), ["verification_failed"]);
    let second = app.open(&c, "direct", "paid").await;
    assert_eq!(second.body["decision"], "refuse");
    assert_eq!(second.body["account_status"], "closed");

    // Redress: resubmit, a reviewer must look first, then new results count.
    let r = app
        .post(&format!("/v1/customers/{c}/resubmissions"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subjects"][0]["verification_state"], "manual_review");
    let sub = r.body["subjects"][0]["subject_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let review =
        json!({"subject_id": sub, "outcome": "verified", "reason": "video call, case R-7"});
    let denied = app
        .send(
            "POST",
            &format!("/v1/customers/{c}/reviews"),
            Some(Role::Integrator),
            Some(review.clone()),
            &[],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let ok = app
        .send(
            "POST",
            &format!("/v1/customers/{c}/reviews"),
            Some(Role::Reviewer),
            Some(review),
            &[],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["account_status"], "active", "{}", a.body);
    // The policy allows two resubmissions; nothing has failed now, so a third call is refused.
    let again = app
        .post(&format!("/v1/customers/{c}/resubmissions"), json!({}))
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}

#[tokio::test]
async fn us_entity_with_foreign_30_percent_owner_needs_that_owner_verified() {
    let app = TestApp::new().await;
    let body = json!({
        "entity": {"legal_name": "Blue Mesa Compute LLC", "jurisdiction": "US",
                   "jurisdiction_subdivision": "DE"},
        "beneficial_owners": [
            {"person": {"full_name": "Sam Carter", "citizenships": ["US"]}, "ownership_percent": 70.0},
            {"person": {"full_name": "Chen Wei", "citizenships": ["CN"],
                        "residence": {"line1": "88 Century Ave", "city": "Shanghai", "country": "CN"}},
             "ownership_percent": 30.0},
            {"person": {"full_name": "Minor Holder", "citizenships": ["FR"]}, "ownership_percent": 5.0}
        ]
    });
    let r = app.post("/v1/customers", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let subjects = r.body["subjects"].as_array().unwrap();
    assert_eq!(subjects[0]["basis"], "us_entity");
    assert_eq!(subjects[1]["basis"], "citizen");
    assert_eq!(subjects[2]["us_person"], false);
    assert_eq!(subjects[2]["verification_state"], "pending");
    assert_eq!(subjects[3]["qualifies"], false, "5% is below the threshold");
    assert_eq!(subjects[3]["verification_state"], "not_required");
    let c = r.body["customer_id"].as_str().unwrap();
    let owner = subjects[2]["subject_id"].as_str().unwrap();
    let a = app.open(c, "direct", "paid").await;
    assert_eq!(a.body["decision"], "pending");
    assert_eq!(codes(&a.body), ["foreign_beneficial_owner_unverified"]);
    assert_eq!(a.body["required_steps"][0]["subject_id"], owner);
    assert_eq!(a.body["required_steps"].as_array().unwrap().len(), 1);
    app.document(c, &json!(owner)).await;
    let v = json!({"subject_id": owner, "method": "document", "outcome": "pass"});
    app.post(&format!("/v1/customers/{c}/verification-results"), v)
        .await;
    let acc = a.body["account_id"].as_str().unwrap();
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["decision"], "approve", "{}", a.body);
}

/// A result sent without `subject_id` for a customer with beneficial owners could be meant for
/// any of them: it is refused, naming the field, instead of landing on the entity (which needs
/// no verification here) while the foreign owner stays pending. A customer with one subject
/// still needs none.
#[tokio::test]
async fn a_result_for_a_customer_with_owners_names_its_subject() {
    let app = TestApp::new().await;
    let body = json!({
        "entity": {"legal_name": "Blue Mesa Compute LLC", "jurisdiction": "US",
                   "jurisdiction_subdivision": "DE"},
        "beneficial_owners": [
            {"person": {"full_name": "Sam Carter", "citizenships": ["US"]}, "ownership_percent": 70.0},
            {"person": {"full_name": "Chen Wei", "citizenships": ["CN"],
                        "residence": {"line1": "88 Century Ave", "city": "Shanghai", "country": "CN"}},
             "ownership_percent": 30.0}
        ]
    });
    let r = app.post("/v1/customers", body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let c = r.body["customer_id"].as_str().unwrap().to_owned();
    let owner = r.body["subjects"][2]["subject_id"].clone();
    let acc = app.open_id(&c, "direct", "paid").await;
    let d = app
        .post(
            &format!("/v1/customers/{c}/documents"),
            json!({"subject_id": owner, "kind": "passport", "issuing_country": "CN",
                   "number": "E12345678"}),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);

    let before = app.counts().await;
    let view = app
        .get(&format!("/v1/customers/{c}"), Role::Integrator)
        .await
        .body;
    for method in ["document", "email"] {
        let r = app
            .post(
                &format!("/v1/customers/{c}/verification-results"),
                json!({"method": method, "outcome": "pass"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["type"], "urn:custos:problem:validation-failed");
        assert_eq!(r.body["field"], "subject_id");
    }
    assert_eq!(app.counts().await, before);
    assert_eq!(
        app.get(&format!("/v1/customers/{c}"), Role::Integrator)
            .await
            .body,
        view
    );
    assert_eq!(app.account(&acc).await["decision"], "pending");

    let r = app
        .post(
            &format!("/v1/customers/{c}/verification-results"),
            json!({"subject_id": owner, "method": "document", "outcome": "pass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subjects"][2]["verification_state"], "verified");
    assert_eq!(app.account(&acc).await["decision"], "approve");

    // One subject: it is the one meant.
    let one = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let r = app
        .post(
            &format!("/v1/customers/{one}/verification-results"),
            json!({"method": "email", "outcome": "pass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

/// A documentary `pass` rests on a document: with none on file for that subject it is
/// refused, naming the method and what to add, and nothing changes. The CIP policy says which
/// methods need their evidence on file (`[evidence]`); the default asks it of `document`.
#[tokio::test]
async fn a_documentary_pass_needs_a_document_on_file_for_its_subject() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    app.pass(&c, None, &["email"]).await;
    let before = app.counts().await;
    let doc = json!({"method": "document", "outcome": "pass", "provider": "acme-kyc",
                     "reference": "chk_7Hq2"});
    let r = app
        .post(
            &format!("/v1/customers/{c}/verification-results"),
            doc.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.body["type"], "urn:custos:problem:validation-failed");
    assert_eq!(r.body["field"], "method");
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("no identity document on file") && detail.contains("documents"),
        "{detail}"
    );
    assert_eq!(app.counts().await, before);
    assert_eq!(app.account(&acc).await["decision"], "pending");
    // A failed check needs no evidence on file.
    let r = app
        .post(
            &format!("/v1/customers/{c}/verification-results"),
            json!({"method": "document", "outcome": "inconclusive"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // With the passport on file, the same result is taken and the account follows.
    let d = app
        .post(
            &format!("/v1/customers/{c}/documents"),
            json!({"kind": "passport", "issuing_country": "DE", "number": "C01X00T47"}),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
    let r = app
        .post(&format!("/v1/customers/{c}/verification-results"), doc)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.account(&acc).await["decision"], "approve");

    // An entity's document is not its owner's.
    let e = app
        .customer(common::entity(
            "Nordlicht Rechenzentrum GmbH",
            "DE",
            json!([{"person": {"full_name": "Jonas Weber", "citizenships": ["DE"]},
                    "ownership_percent": 60.0}]),
        ))
        .await;
    let subjects = app
        .get(&format!("/v1/customers/{e}"), Role::Integrator)
        .await
        .body["subjects"]
        .clone();
    let d = app
        .post(
            &format!("/v1/customers/{e}/documents"),
            json!({"subject_id": subjects[0]["subject_id"], "kind": "company_registration",
                   "issuing_country": "DE", "number": "HRB 123456 B"}),
        )
        .await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
    let r = app
        .post(
            &format!("/v1/customers/{e}/verification-results"),
            json!({"subject_id": subjects[1]["subject_id"], "method": "document",
                   "outcome": "pass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "method");

    // The policy decides: one that asks nothing on file takes the result as it comes.
    let lax = custos_core::policy::DEFAULT_POLICY_TOML.replace(
        "pass_requires_on_file = [\"document\"]",
        "pass_requires_on_file = []",
    );
    assert_ne!(lax, custos_core::policy::DEFAULT_POLICY_TOML);
    let app = TestApp::with_policy(custos_core::CipPolicy::from_toml(&lax).unwrap()).await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let r = app
        .post(
            &format!("/v1/customers/{c}/verification-results"),
            json!({"method": "document", "outcome": "pass"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

#[tokio::test]
async fn triage_flips_when_a_us_customer_moves_abroad_and_is_seen_only_from_there() {
    let app = TestApp::new().await;
    // Not a citizen, not a permanent resident: a US person only by being located in the US.
    let c = app.customer(individual("Alex Moreau", "FR", "US")).await;
    let r = app.open(&c, "direct", "paid").await;
    assert_eq!(r.body["decision"], "approve", "{}", r.body);
    let acc = r.body["account_id"].as_str().unwrap().to_owned();
    let seen = app
        .post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": "198.51.100.4", "country": "US"}),
        )
        .await;
    assert_eq!(seen.status, StatusCode::OK, "{}", seen.body);
    assert_eq!(seen.body["account_status"], "active");

    // Declares a French address, and is then seen only from France.
    let change =
        json!({"address": {"line1": "Rue de Rivoli 10", "city": "Paris", "country": "FR"}});
    let r = app
        .post(&format!("/v1/customers/{c}/address-changes"), change)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subjects"][0]["basis"], "foreign");
    let record = app
        .send(
            "GET",
            &format!("/v1/customers/{c}/record"),
            Some(Role::Reviewer),
            None,
            &[("x-custos-purpose", "test")],
        )
        .await;
    assert_eq!(record.status, StatusCode::OK);
    assert_eq!(
        record.body["customer"]["address_history"][0][1]["country"],
        "US"
    );
    let evidence = &record.body["customer"]["subjects"][0]["triage"]["evidence"];
    assert!(
        evidence
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "residence_address" && e["country"] == "FR")
    );

    app.advance(Duration::days(10));
    for _ in 0..3 {
        let r = app
            .post(
                &format!("/v1/accounts/{acc}/accesses"),
                json!({"ip": "2001:db8::7", "country": "FR"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    let v = app
        .get(&format!("/v1/customers/{c}"), Role::Integrator)
        .await;
    assert_eq!(v.body["subjects"][0]["basis"], "foreign", "{}", v.body);
    assert_eq!(v.body["subjects"][0]["verification_state"], "pending");
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["account_status"], "restricted", "{}", a.body);
    assert_eq!(codes(&a.body), ["foreign_customer_unverified"]);
    assert!(
        a.body["last_access_at"]
            .as_str()
            .unwrap()
            .starts_with("2026-12-04")
    );
    // The policy's 30 days run from when verification became required, not from opening.
    app.advance(Duration::days(25));
    app.post(
        &format!("/v1/accounts/{acc}/accesses"),
        json!({"ip": "2001:db8::7", "country": "FR"}),
    )
    .await;
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["account_status"], "closed", "{}", a.body);
    assert!(codes(&a.body).contains(&"verification_deadline_passed".to_owned()));
}

#[tokio::test]
async fn address_change_abroad_flips_triage() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Alex Moreau", "FR", "US")).await;
    let acc = app.open(&c, "direct", "paid").await.body["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    for country in ["US", "FR", "FR"] {
        app.post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": "192.0.2.1", "country": country}),
        )
        .await;
    }
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(
        a.body["account_status"], "restricted",
        "one in three from the US is below the share"
    );
}

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
        .send(
            "GET",
            &path,
            Some(Role::Reviewer),
            None,
            &[("x-custos-purpose", "case F-118 fraud review")],
        )
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
    let r = app
        .send("GET", "/v1/accounts/needing-action", None, None, &[])
        .await;
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
        .send(
            "POST",
            "/v1/api-keys",
            Some(Role::ComplianceOfficer),
            Some(json!({"name": "x", "role": "admin"})),
            &[],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let k = app
        .send(
            "POST",
            "/v1/api-keys",
            Some(Role::Admin),
            Some(json!({"name": "ci", "role": "auditor"})),
            &[],
        )
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
                .send(
                    "POST",
                    "/v1/customers/search",
                    Some(Role::Reviewer),
                    Some(body),
                    &[("x-custos-purpose", "abuse case 9")],
                )
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
        .send(
            "POST",
            "/v1/customers/search",
            Some(Role::Integrator),
            Some(json!({"kind": "email", "value": "x"})),
            &[],
        )
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);

    // The card is kept only as brand, BIN, last four and fingerprint.
    let rec = app
        .send(
            "GET",
            &format!("/v1/customers/{a}/record"),
            Some(Role::Reviewer),
            None,
            &[("x-custos-purpose", "t")],
        )
        .await;
    let text = String::from_utf8_lossy(&rec.raw);
    assert!(!text.contains("4111111111111111") && !text.contains("4111-1111"));
    let card = &rec.body["customer"]["payment_means"][0]["instrument"];
    assert_eq!(card["brand"], "visa");
    assert_eq!(card["last4"], "1111");
    assert_eq!(card["bin"], "41111111");
}

#[tokio::test]
async fn owner_changes_trigger_triage_and_verification() {
    let app = TestApp::new().await;
    let body = json!({
        "entity": {"legal_name": "Polder Hosting B.V.", "jurisdiction": "NL"},
        "beneficial_owners": [{"person": {"full_name": "Daan de Vries", "citizenships": ["NL"]}, "ownership_percent": 100.0}]
    });
    let r = app.post("/v1/customers", body).await;
    let c = r.body["customer_id"].as_str().unwrap().to_owned();
    let entity = r.body["subjects"][0]["subject_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let daan = r.body["subjects"][1]["subject_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.document(&c, &json!(entity)).await;
    app.document(&c, &json!(daan)).await;
    for (s, m) in [
        (&entity, "document"),
        (&entity, "address"),
        (&daan, "document"),
    ] {
        app.post(
            &format!("/v1/customers/{c}/verification-results"),
            json!({"subject_id": s, "method": m, "outcome": "pass"}),
        )
        .await;
    }
    let a = app.open(&c, "direct", "paid").await;
    assert_eq!(a.body["decision"], "approve", "{}", a.body);
    let acc = a.body["account_id"].as_str().unwrap().to_owned();
    let change = json!({"added": [{"person": {"full_name": "Aiko Tanaka", "citizenships": ["JP"]},
                                   "ownership_percent": 40.0}],
                        "removed": [daan]});
    let r = app
        .post(
            &format!("/v1/customers/{c}/beneficial-owner-changes"),
            change,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subjects"][1]["removed"], true);
    assert_eq!(r.body["subjects"][2]["verification_state"], "pending");
    let a = app
        .get(&format!("/v1/accounts/{acc}"), Role::Integrator)
        .await;
    assert_eq!(a.body["decision"], "pending", "{}", a.body);
    assert_eq!(codes(&a.body), ["foreign_beneficial_owner_unverified"]);
    let again = json!({"removed": [r.body["subjects"][1]["subject_id"]]});
    let dup = app
        .post(
            &format!("/v1/customers/{c}/beneficial-owner-changes"),
            again,
        )
        .await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn reseller_chains_and_closing() {
    let app = TestApp::new().await;
    let reseller = app.customer(individual("Rita Reseller", "US", "US")).await;
    let top = app.open(&reseller, "reseller", "paid").await;
    assert_eq!(top.body["decision"], "approve", "{}", top.body);
    let top_id = top.body["account_id"].as_str().unwrap().to_owned();
    let mid_c = app.customer(individual("Mid Reseller", "US", "US")).await;
    let mid = app
        .post(
            "/v1/accounts",
            json!({"customer_id": mid_c, "kind": "reseller", "parent_account_id": top_id}),
        )
        .await;
    assert_eq!(mid.status, StatusCode::CREATED, "{}", mid.body);
    let mid_id = mid.body["account_id"].as_str().unwrap().to_owned();
    let leaf_c = app.customer(individual("Leaf Lessee", "BR", "BR")).await;
    let leaf = app
        .post(
            "/v1/accounts",
            json!({"customer_id": leaf_c, "kind": "sub_lessee", "parent_account_id": mid_id}),
        )
        .await;
    assert_eq!(leaf.body["decision"], "pending", "{}", leaf.body);
    assert_eq!(leaf.body["risk"], "medium");
    let leaf_id = leaf.body["account_id"].as_str().unwrap().to_owned();
    let bad = app
        .post(
            "/v1/accounts",
            json!({"customer_id": leaf_c, "kind": "sub_lessee", "parent_account_id": leaf_id}),
        )
        .await;
    assert_eq!(
        bad.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a sub-lessee account is no parent"
    );
    // A foreign reseller may not use its account until verified.
    let foreign = app.customer(individual("Fremd Reseller", "DE", "DE")).await;
    let fr = app.open(&foreign, "reseller", "paid").await;
    assert_eq!(fr.body["account_status"], "pending_verification");
    assert!(codes(&fr.body).contains(&"blocked_until_verified".to_owned()));
    let under = app
        .post(
            "/v1/accounts",
            json!({"customer_id": leaf_c, "kind": "sub_lessee",
                                      "parent_account_id": fr.body["account_id"]}),
        )
        .await;
    assert_eq!(under.body["decision"], "refuse");
    assert_eq!(codes(&under.body)[0], "parent_account_not_active");
    // Closing the top reseller closes the whole chain below it.
    let closed = app
        .post(
            &format!("/v1/accounts/{top_id}/close"),
            json!({"reason": "contract ended"}),
        )
        .await;
    assert_eq!(closed.status, StatusCode::OK, "{}", closed.body);
    assert_eq!(closed.body["account_status"], "closed");
    for id in [&mid_id, &leaf_id] {
        let a = app
            .get(&format!("/v1/accounts/{id}"), Role::Integrator)
            .await;
        assert_eq!(a.body["account_status"], "closed", "{id}: {}", a.body);
        assert_eq!(codes(&a.body)[0], "parent_account_not_active");
    }
    let twice = app
        .post(
            &format!("/v1/accounts/{top_id}/close"),
            json!({"reason": "again"}),
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT);
}

#[tokio::test]
async fn trial_offerings_are_blocked_until_verified_and_raise_risk() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Tomasz Trial", "PL", "PL")).await;
    let paid = app.open(&c, "direct", "paid").await;
    assert_eq!(paid.body["risk"], "low");
    let trial = app.open(&c, "direct", "trial").await;
    assert_eq!(
        trial.body["account_status"], "pending_verification",
        "{}",
        trial.body
    );
    assert_eq!(trial.body["risk"], "medium");
    // The medium level asks for a phone too; the paid account now lists it as well.
    let p = app
        .get(
            &format!("/v1/accounts/{}", paid.body["account_id"].as_str().unwrap()),
            Role::Integrator,
        )
        .await;
    assert_eq!(p.body["risk"], "medium", "{}", p.body);
    assert_eq!(
        p.body["required_steps"][0]["methods"],
        json!(["email", "phone"])
    );
}

#[tokio::test]
async fn legal_holds_and_the_review_queue() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Omar Haddad", "JO", "JO")).await;
    app.open(&c, "direct", "paid").await;
    let q = app
        .get("/v1/accounts/needing-action?limit=10", Role::Reviewer)
        .await;
    assert_eq!(
        q.body["accounts"].as_array().unwrap().len(),
        1,
        "{}",
        q.body
    );
    let hold = json!({"reason": "subpoena", "reference": "GJ-1"});
    let denied = app
        .post(&format!("/v1/customers/{c}/legal-holds"), hold.clone())
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let h = app
        .send(
            "POST",
            &format!("/v1/customers/{c}/legal-holds"),
            Some(Role::ComplianceOfficer),
            Some(hold),
            &[],
        )
        .await;
    assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
    let hid = h.body["id"].as_str().unwrap();
    let rel = app
        .send(
            "POST",
            &format!("/v1/customers/{c}/legal-holds/{hid}/release"),
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert_eq!(rel.status, StatusCode::OK, "{}", rel.body);
    assert!(rel.body["released_at"].is_string());
    let audit = app.get("/v1/audit", Role::ComplianceOfficer).await;
    let actions: Vec<&str> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["place_legal_hold", "release_legal_hold"]);
    let bad_page = app
        .get("/v1/accounts/needing-action?limit=abc", Role::Reviewer)
        .await;
    assert_eq!(bad_page.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn operations_endpoints() {
    let app = TestApp::new().await;
    assert_eq!(
        app.send("GET", "/healthz", None, None, &[]).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.send("GET", "/readyz", None, None, &[]).await.status,
        StatusCode::OK
    );
    let c = app.customer(individual("Jordan Ellis", "US", "US")).await;
    app.open(&c, "direct", "paid").await;
    let m = app.send("GET", "/metrics", None, None, &[]).await;
    let text = String::from_utf8_lossy(&m.raw);
    assert!(text.contains("custos_http_requests_total"), "{text}");
    assert!(text.contains("route=\"/v1/accounts\""));
    assert!(text.contains("custos_account_decisions_total{decision=\"approve\"} 1"));
    assert!(!text.contains(&c), "metrics carry no ids");
    let docs = app.send("GET", "/docs/", None, None, &[]).await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(String::from_utf8_lossy(&docs.raw).contains("swagger"));
}
