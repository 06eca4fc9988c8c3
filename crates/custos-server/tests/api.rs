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
        .as_role(Role::Integrator)
        .post(&format!("/v1/customers/{c}/reviews"), review.clone())
        .await;
    assert_eq!(denied.status, StatusCode::FORBIDDEN);
    let ok = app
        .as_role(Role::Reviewer)
        .post(&format!("/v1/customers/{c}/reviews"), review)
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
    let (c, created) = app.entity_with_foreign_owner().await;
    let owner = created["subjects"][2]["subject_id"].clone();
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
        .as_role(Role::Reviewer)
        .purpose("test")
        .get(&format!("/v1/customers/{c}/record"))
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
        .as_role(Role::ComplianceOfficer)
        .post(&format!("/v1/customers/{c}/legal-holds"), hold)
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
    assert_eq!(bad_page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad_page.body["field"], "limit");
}

/// The ledger's verifier key and checkpoints, from the running server.
#[tokio::test]
async fn the_verifier_key_and_checkpoints_are_read_from_the_running_server() {
    let app = TestApp::new().await;
    let r = app.get("/v1/ledger/key", Role::Auditor).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let l = app.service.ledger().unwrap();
    assert_eq!(r.body["verifier_key"], l.verifier_key());
    assert_eq!(r.body["access"]["size"], 0);
    assert!(r.body["access"]["checkpoint"].is_null(), "{}", r.body);
    let batch: Vec<Value> = (0..3)
        .map(|i| {
            json!({"account_id": "acc_t", "time": format!("2026-11-24T00:00:0{i}Z"),
                "ip": "203.0.113.1", "action": "login", "source": "sso"})
        })
        .collect();
    let r = app
        .as_role(Role::Integrator)
        .post("/v1/events", Value::Array(batch))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app.get("/v1/ledger/key", Role::Integrator).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["access"]["size"], 3);
    // The checkpoint served is signed by the key served, for the origin served.
    // (The audit log's is there once custos's own audit trail was copied into it.)
    for log in ["access", "audit"] {
        let Some(cp) = r.body[log]["checkpoint"].as_str() else {
            assert_eq!(log, "audit", "{}", r.body);
            continue;
        };
        let origin = r.body[log]["origin"].as_str().unwrap();
        let opened = custos_ledger::log::open_checkpoint(
            cp.as_bytes(),
            r.body["verifier_key"].as_str().unwrap(),
            origin,
        )
        .unwrap();
        assert_eq!(
            opened.size(),
            r.body[log]["size"].as_u64().unwrap(),
            "{log}"
        );
    }
    // No key: refused.
    let r = app.anonymous().get("/v1/ledger/key").await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
