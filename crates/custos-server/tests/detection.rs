//! Red flags at sign-up through the API, as a platform engineer's sign-up flow meets them: a
//! throwaway email and a VoIP number hold the account for review, a prepaid card from the
//! imported BIN ranges adds its score, an identifier of a customer closed for abuse refuses
//! the next sign-up that brings it back; each rule that fired is a reason in the decision with
//! the facts it read, and the clear record keeps no personal value of them.

mod common;

use axum::http::StatusCode;
use common::*;
use custos_app::Actor;
use custos_screen::reference::RefKind;
use custos_server::auth::Role;
use serde_json::{Value, json};

fn codes(account: &Value) -> Vec<String> {
    account["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["code"].as_str().unwrap().to_owned())
        .collect()
}

fn fired(account: &Value) -> Vec<String> {
    account["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| Some(r["red_flag"]["rule"].as_str()?.to_owned()))
        .collect()
}

/// A US person: nothing to verify, so what holds an account is the red flags alone.
fn us(name: &str) -> Value {
    individual(name, "US", "US")
}

#[tokio::test]
async fn a_throwaway_email_and_a_voip_number_hold_the_account_for_review() {
    let app = TestApp::new().await;
    let c = app.customer(us("Eve Ample")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    assert_eq!(app.account(&acc).await["account_status"], "active");
    app.contact(&c, "email", "eve@mailinator.com").await;
    let a = app.account(&acc).await;
    // 25: under the review threshold, the account stays as it was.
    assert_eq!(a["account_status"], "active", "{a}");
    app.contact(&c, "phone", "+44 56 1234 5678").await;
    let a = app.account(&acc).await;
    assert_eq!(a["account_status"], "pending_verification", "{a}");
    assert_eq!(a["decision"], "pending");
    assert_eq!(codes(&a)[..3], ["red_flags", "red_flag", "red_flag"], "{a}");
    assert_eq!(fired(&a), ["disposable_email", "voip_phone"]);
    let voip = &a["reasons"][2]["red_flag"];
    assert_eq!(voip["reason"], "PHONE_VOIP");
    assert_eq!(voip["facts"]["phone.line_type"], "voip");
    // A new account of the same customer is held from the start.
    let r = app.open(&c, "direct", "paid").await;
    assert_eq!(
        r.body["account_status"], "pending_verification",
        "{}",
        r.body
    );
    // The clear record the decision path reads keeps no personal value of them.
    let r = app
        .get(&format!("/v1/customers/{c}"), Role::Integrator)
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let text = String::from_utf8_lossy(&r.raw);
    assert!(!text.contains("mailinator"), "{text}");
    assert!(!text.contains("5678"), "{text}");
}

#[tokio::test]
async fn a_prepaid_card_from_the_imported_bin_ranges_counts() {
    let app = TestApp::new().await;
    let bins = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../custos-screen/tests/data/reference/bins.csv"
    ))
    .unwrap();
    let admin = Actor {
        id: "admin".into(),
        role: "admin".into(),
    };
    app.service
        .import_reference(&admin, RefKind::BinRanges, "fixture", bins)
        .await
        .unwrap();
    let c = app.customer(us("Pia Paid")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    app.contact(&c, "email", "pia@mailinator.com").await;
    let r = app
        .post(
            &format!("/v1/customers/{c}/payment-means"),
            json!({"card": {"number": "5355 2200 0000 0012", "expiry_month": 4, "expiry_year": 2031}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let a = app.account(&acc).await;
    assert_eq!(fired(&a), ["disposable_email", "prepaid_card"], "{a}");
    let card = &a["reasons"][2]["red_flag"]["facts"];
    assert_eq!(card["card.prepaid"], true, "{a}");
    assert_eq!(a["account_status"], "pending_verification");
}

#[tokio::test]
async fn an_identifier_of_a_customer_closed_for_abuse_refuses_the_next_sign_up() {
    let app = TestApp::new().await;
    let old = app.customer(us("Mal Former")).await;
    app.contact(&old, "phone", "+1 202 555 0123").await;
    let old_id = custos_core::CustomerId::parse(&old).unwrap();
    app.service
        .store()
        .mark_abuse_closure(&old_id, "abc_1", app.service.now())
        .await
        .unwrap();
    let new = app.customer(us("Mal Returns")).await;
    let acc = app.open_id(&new, "direct", "paid").await;
    assert_eq!(app.account(&acc).await["account_status"], "active");
    app.contact(&new, "phone", "+12025550123").await;
    let a = app.account(&acc).await;
    // An open account is suspended, not closed: closing for abuse is a person's decision.
    assert_eq!(a["account_status"], "suspended", "{a}");
    assert_eq!(fired(&a), ["banned_identifier_returns"]);
    assert_eq!(a["reasons"][1]["red_flag"]["facts"]["abused.phone"], true);
    // A new account is refused outright.
    let r = app.open(&new, "direct", "paid").await;
    assert_eq!(
        (
            r.body["decision"].as_str(),
            r.body["account_status"].as_str()
        ),
        (Some("refuse"), Some("closed")),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn sign_ups_sharing_a_card_make_a_burst() {
    let app = TestApp::new().await;
    let card =
        json!({"card": {"number": "4111 1100 0000 0021", "expiry_month": 1, "expiry_year": 2030}});
    let mut last = String::new();
    for name in ["Ann One", "Ben Two", "Cat Three"] {
        let c = app.customer(us(name)).await;
        last = app.open_id(&c, "direct", "paid").await;
        let r = app
            .post(&format!("/v1/customers/{c}/payment-means"), card.clone())
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let a = app.account(&last).await;
    assert_eq!(fired(&a), ["card_burst"], "{a}");
    assert_eq!(a["reasons"][1]["red_flag"]["facts"]["burst.card"], 2);
    // Two days on, a fourth is no burst, but the card is now shared by three others.
    app.advance(chrono::Duration::days(2));
    let d = app.customer(us("Dan Four")).await;
    let acc = app.open_id(&d, "direct", "paid").await;
    app.post(&format!("/v1/customers/{d}/payment-means"), card)
        .await;
    assert_eq!(fired(&app.account(&acc).await), ["card_shared"]);
}

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../custos-screen/tests/data/reference"
);

/// The reference lists through the API, as a compliance officer keeps them and a reviewer
/// asks them: imported whole, the same file again writing nothing, a file with one bad line
/// refused naming it with the version in use kept, an oversized body refused before it is
/// read, and lookups reading the newest versions.
#[tokio::test]
async fn reference_lists_are_imported_listed_and_asked_through_the_api() {
    let app = TestApp::new().await;
    let put = |kind: &str, body: Vec<u8>, role: Role| {
        let app = &app;
        let path = format!("/v1/reference-lists/{kind}");
        async move {
            app.send_raw(
                "PUT",
                &path,
                Some(role),
                Some(body),
                "text/csv",
                &[("x-custos-file-name", "ranges.csv")],
            )
            .await
        }
    };
    let ranges = std::fs::read(format!("{REFERENCE}/ranges.csv")).unwrap();
    let officer = Role::ComplianceOfficer;
    let r = put("ip-ranges", ranges.clone(), officer).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["result"], "saved");
    assert_eq!(r.body["version"]["number"], 1);
    assert_eq!(r.body["version"]["entries"], 4);
    assert_eq!(r.body["version"]["source"], "ranges.csv");
    // The same file again: nothing written.
    let r = put("ip-ranges", ranges.clone(), officer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["result"], "unchanged");
    // One bad line refuses the whole file, naming the line (not echoing the file).
    let bad = b"network,kind\n192.0.2.0/24,hosting\n192.0.2.999/32,tor\n".to_vec();
    let r = put("ip-ranges", bad, officer).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let detail = r.body["detail"].as_str().unwrap();
    assert!(
        detail.contains("the version in use stays: line 3"),
        "{detail}"
    );
    // Only the compliance program imports; a kind that does not exist is not there.
    let r = put("ip-ranges", ranges.clone(), Role::Reviewer).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = put("ip-range", ranges.clone(), officer).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("ip-ranges"));
    let r = put("disposable-domains", vec![], officer).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // A body over 64 MiB is refused as too large; nothing changes.
    let huge = vec![b'#'; custos_app::reference::MAX_REFERENCE_BYTES + 4096];
    let r = put("disposable-domains", huge, officer).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.body);
    let bins = std::fs::read(format!("{REFERENCE}/bins.csv")).unwrap();
    let r = put("bin-ranges", bins, officer).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);

    let v = app.get("/v1/reference-lists", Role::Auditor).await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    let kinds: Vec<&str> = v.body["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["bin-ranges", "ip-ranges"]);
    let v = app
        .get("/v1/reference-lists?kind=ip-ranges", Role::Auditor)
        .await;
    assert_eq!(v.body["versions"].as_array().unwrap().len(), 1);
    let v = app.get("/v1/reference-lists?knd=ip", Role::Auditor).await;
    assert_eq!(v.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", v.body);
    let v = app.get("/v1/reference-lists?kind=ip", Role::Auditor).await;
    assert_eq!(v.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", v.body);
    assert_eq!(v.body["field"], "kind", "{}", v.body);

    let ask = |q: &'static str| app.get(q, Role::Reviewer);
    let r = ask("/v1/reference-lists/lookup?ip=203.0.113.7").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["what"], "ip");
    assert_eq!(r.body["kind"], "tor");
    assert_eq!(r.body["labels"], json!(["hosting", "tor"]));
    let r = ask("/v1/reference-lists/lookup?ip=192.0.2.1").await;
    assert_eq!(r.body["kind"], "unknown", "the refused file is not in use");
    let r = ask("/v1/reference-lists/lookup?domain=someone%40EU.Mailinator.com").await;
    assert_eq!(r.body["disposable"], true, "{}", r.body);
    let r = ask("/v1/reference-lists/lookup?bin=41111199").await;
    assert_eq!(r.body["funding"], "prepaid", "{}", r.body);
    for (q, field) in [
        ("/v1/reference-lists/lookup?bin=4111111111111111", "bin"),
        ("/v1/reference-lists/lookup?ip=nope", "ip"),
        ("/v1/reference-lists/lookup?ip=192.0.2.1&bin=411111", "ip"),
        ("/v1/reference-lists/lookup", "ip"),
    ] {
        let r = ask(q).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{q}: {}",
            r.body
        );
        assert_eq!(r.body["field"], field, "{q}: {}", r.body);
        assert!(
            !r.body.to_string().contains("4111111111111111"),
            "{}",
            r.body
        );
    }
    let r = app
        .get("/v1/reference-lists/lookup?ip=192.0.2.1", Role::Integrator)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}
