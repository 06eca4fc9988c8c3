//! Abuse reports through the API, as an abuse desk works them: a report of an address and a
//! time is traced through the ledger to the account that used it (with the ledger's proofs in
//! its sealed evidence); one no account matches is kept, unmatched; a suspension holds the
//! account through every later decision until lifted; closing for abuse waits for a second
//! person, then the customer's identifiers refuse the next sign-up that brings them back.

mod common;

use axum::http::StatusCode;
use common::*;
use custos_server::auth::Role;
use serde_json::{Value, json};

/// A US customer with an account that connected from `ip` now.
async fn connected(app: &TestApp, name: &str, ip: &str) -> (String, String) {
    let c = app.customer(individual(name, "US", "US")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let r = app
        .post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": ip, "country": "US"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    (c, acc)
}

async fn report(app: &TestApp, body: Value) -> common::Resp {
    app.as_role(Role::Integrator)
        .post("/v1/abuse-reports", body)
        .await
}

async fn act(app: &TestApp, case: &str, action: &str, note: Option<&str>) -> common::Resp {
    app.as_role(Role::Reviewer)
        .post(
            &format!("/v1/abuse-cases/{case}/actions"),
            json!({"action": action, "note": note}),
        )
        .await
}

#[tokio::test]
async fn a_report_is_traced_to_the_account_that_used_the_address() {
    let app = TestApp::new().await;
    let (_c, acc) = connected(&app, "Phil Isher", "203.0.113.7").await;
    let _other = connected(&app, "Other Person", "198.51.100.9").await;
    app.advance(chrono::Duration::minutes(20));
    let at = app.service.now() - chrono::Duration::minutes(10);
    let r = report(
        &app,
        json!({"ip": "203.0.113.7", "at": at, "category": "phishing",
               "evidence": "a bank's login page copied\nserved at /login",
               "references": ["ticket ABUSE-4411"]}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["matched"], true);
    let cases = r.body["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{}", r.body);
    let case = cases[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(cases[0]["account_id"], acc.as_str());
    assert_eq!(cases[0]["state"], "open");
    assert!(cases[0]["due_at"].is_string());
    // The case holds no personal data: neither the address nor the evidence.
    let listed = app.get("/v1/abuse-cases?state=open", Role::Reviewer).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    let text = String::from_utf8_lossy(&listed.raw);
    assert!(text.contains(&case) && !text.contains("203.0.113.7") && !text.contains("login"));
    // The evidence: a purpose, and the ledger's trace with its proof.
    let r = app
        .as_role(Role::Reviewer)
        .get(&format!("/v1/abuse-cases/{case}/evidence"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .as_role(Role::Reviewer)
        .purpose("abuse ticket ABUSE-4411")
        .get(&format!("/v1/abuse-cases/{case}/evidence"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["ip"], "203.0.113.7");
    let uses = r.body["trace"]["accounts"].as_array().unwrap();
    assert_eq!(uses.len(), 1, "{}", r.body);
    assert_eq!(uses[0]["account_id"], acc.as_str());
    assert!(uses[0]["first_proof"].is_object(), "{}", r.body);
    assert!(r.body["trace"]["checkpoint"].is_string(), "{}", r.body);
}

#[tokio::test]
async fn a_report_no_account_matches_is_kept_unmatched() {
    let app = TestApp::new().await;
    connected(&app, "Some One", "203.0.113.7").await;
    let at = app.service.now();
    let r = report(
        &app,
        json!({"ip": "192.0.2.44", "at": at, "category": "scanning",
               "evidence": "port scan of 10,000 hosts"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["matched"], false);
    let case = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    assert!(r.body["cases"][0].get("account_id").is_none());
    // Only dismissal applies to it.
    let r = act(&app, &case, "suspend", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = act(&app, &case, "dismiss", Some("shared VPN exit, not ours")).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "closed");
    assert!(r.body["handled_at"].is_string());
    // Repeated: the case is closed.
    let r = act(&app, &case, "dismiss", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn a_suspension_holds_until_lifted() {
    let app = TestApp::new().await;
    let (c, acc) = connected(&app, "Mia Ner", "203.0.113.50").await;
    let r = report(
        &app,
        json!({"account_id": acc, "category": "crypto_mining",
               "evidence": "sustained 100% CPU on 40 instances, stratum traffic"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    let r = act(
        &app,
        &case,
        "suspend",
        Some("mining pool traffic confirmed"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let a = app.account(&acc).await;
    assert_eq!(a["account_status"], "suspended", "{a}");
    assert_eq!(a["reasons"][0]["code"], "abuse_suspension");
    // A later change decides the account again: it stays suspended.
    app.contact(&c, "email", "mia@example.org").await;
    assert_eq!(app.account(&acc).await["account_status"], "suspended");
    let r = act(&app, &case, "suspend", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = act(&app, &case, "lift", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.account(&acc).await["account_status"], "active");
    // Preserving puts the customer's records under a legal hold.
    let r = act(&app, &case, "preserve", None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let holds = app.get("/v1/legal-holds", Role::ComplianceOfficer).await;
    assert!(
        String::from_utf8_lossy(&holds.raw).contains(&case),
        "{}",
        holds.body
    );
    // The Abuse Deterrence Program's record counts the case and how fast it was handled.
    let adp = app.get("/v1/compliance/adp", Role::ComplianceOfficer).await;
    assert_eq!(adp.status, StatusCode::OK, "{}", adp.body);
    let counts = &adp.body["abuse_cases"];
    assert_eq!(
        (counts["cases"].as_u64(), counts["handled"].as_u64()),
        (Some(1), Some(1)),
        "{}",
        adp.body
    );
    assert_eq!(counts["by_category"]["crypto_mining"], 1, "{}", adp.body);
    assert!(
        counts["hours_to_first_action_p50"].is_number(),
        "{}",
        adp.body
    );
}

#[tokio::test]
async fn closing_for_abuse_takes_two_people_and_bans_the_identifiers() {
    let app = TestApp::new().await;
    let (c, acc) = connected(&app, "Bad Actor", "203.0.113.66").await;
    app.contact(&c, "phone", "+1 202 555 0199").await;
    app.contact(&c, "email", "actor@example.org").await;
    let sibling = app.customer(individual("Sib Ling", "US", "US")).await;
    app.contact(&sibling, "email", "Actor@example.org").await;
    let r = report(
        &app,
        json!({"account_id": acc, "category": "malware_c2",
               "evidence": "C2 panel for a botnet on port 8443"}),
    )
    .await;
    let case = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    // No reason: refused.
    let r = act(&app, &case, "close_for_abuse", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let waiting = act(&app, &case, "close_for_abuse", Some("C2 confirmed by CERT")).await;
    assert_eq!(app.account(&acc).await["account_status"], "active");
    app.approved_by(&waiting, Role::ComplianceOfficer).await;
    let a = app.account(&acc).await;
    assert_eq!(a["account_status"], "closed", "{a}");
    // Its record says why: for abuse, not on request.
    assert_eq!(a["reasons"][0]["code"], "closed_for_abuse", "{a}");
    let r = app
        .get(&format!("/v1/abuse-cases/{case}"), Role::Reviewer)
        .await;
    assert_eq!(r.body["state"], "closed", "{}", r.body);
    // A customer sharing an identifier with the one closed gets a case to review.
    let cases = app.get("/v1/abuse-cases?state=open", Role::Reviewer).await;
    let linked: Vec<&Value> = cases
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "linked")
        .collect();
    assert_eq!(linked.len(), 1, "{}", cases.body);
    assert_eq!(linked[0]["customer_id"], sibling.as_str());
    assert_eq!(linked[0]["report_id"], case.as_str());
    assert!(
        linked[0]["linked_to"].as_str().unwrap().contains("email"),
        "{}",
        cases.body
    );
    // The same phone in a new sign-up: refused.
    let back = app.customer(individual("Bad Returns", "US", "US")).await;
    app.contact(&back, "phone", "+12025550199").await;
    let r = app.open(&back, "direct", "paid").await;
    assert_eq!(r.body["account_status"], "closed", "{}", r.body);
    assert!(
        r.raw.windows(17).any(|w| w == b"BANNED_IDENTIFIER"),
        "{}",
        r.body
    );
}

#[tokio::test]
async fn bad_reports_are_refused_and_change_nothing() {
    let app = TestApp::new().await;
    let (_, acc) = connected(&app, "Some Body", "203.0.113.7").await;
    let now = app.service.now();
    for (body, field) in [
        (
            json!({"ip": "203.0.113.7", "account_id": acc, "at": now, "category": "spam", "evidence": "x"}),
            "account_id",
        ),
        (json!({"category": "spam", "evidence": "x"}), "ip"),
        (
            json!({"ip": "203.0.113.999", "at": now, "category": "spam", "evidence": "x"}),
            "ip",
        ),
        (
            json!({"ip": "203.0.113.7", "category": "spam", "evidence": "x"}),
            "at",
        ),
        (
            json!({"ip": "203.0.113.7", "at": now + chrono::Duration::days(1), "category": "spam", "evidence": "x"}),
            "at",
        ),
        (
            json!({"ip": "203.0.113.7", "at": now, "category": "spam", "evidence": "  "}),
            "evidence",
        ),
        (
            json!({"account_id": "acc_nope", "category": "spam", "evidence": "x"}),
            "account_id",
        ),
    ] {
        let r = report(&app, body.clone()).await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            r.body
        );
        assert!(r.body.to_string().contains(field), "{body}: {}", r.body);
    }
    let r = report(
        &app,
        json!({"ip": "203.0.113.7", "at": now, "category": "hacking", "evidence": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = app
        .as_role(Role::Auditor)
        .post(
            "/v1/abuse-reports",
            json!({"account_id": acc, "category": "spam", "evidence": "x"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.get("/v1/abuse-cases", Role::Reviewer).await;
    assert_eq!(r.body, json!([]), "{}", r.body);
    let r = app.get("/v1/abuse-cases/abc_nope", Role::Reviewer).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}

#[tokio::test]
async fn red_flags_open_a_case_a_reviewer_clears() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Rita Flag", "US", "US")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    app.contact(&c, "email", "rita@mailinator.com").await;
    app.contact(&c, "phone", "+44 56 1234 5678").await;
    assert_eq!(
        app.account(&acc).await["account_status"],
        "pending_verification"
    );
    let cases = app.get("/v1/abuse-cases?state=open", Role::Reviewer).await;
    let flags: Vec<&Value> = cases
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["kind"] == "red_flags")
        .collect();
    // One case, though the customer changed twice after the flags reached review.
    app.contact(&c, "email", "rita2@mailinator.com").await;
    let again = app.get("/v1/abuse-cases?state=open", Role::Reviewer).await;
    assert_eq!(
        again.body.as_array().unwrap().len(),
        cases.body.as_array().unwrap().len()
    );
    assert_eq!(flags.len(), 1, "{}", cases.body);
    assert_eq!(flags[0]["customer_id"], c.as_str());
    let case = flags[0]["id"].as_str().unwrap().to_owned();
    // Suspending needs an account: a red-flag case is about the customer.
    let r = act(&app, &case, "suspend", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = act(&app, &case, "clear", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let r = act(
        &app,
        &case,
        "clear",
        Some("known customer testing throwaway inboxes"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["state"], "closed");
    assert_eq!(app.account(&acc).await["account_status"], "active");
    // A new flag raises the sum above what was cleared: held again, and a new case.
    let r = app
        .post(
            &format!("/v1/customers/{c}/payment-means"),
            json!({"card": {"number": "4111 1100 0000 0021", "expiry_month": 1, "expiry_year": 2030}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    for name in ["Card Sharer", "Card Sharer Two"] {
        let other = app.customer(individual(name, "US", "US")).await;
        app.post(
            &format!("/v1/customers/{other}/payment-means"),
            json!({"card": {"number": "4111 1100 0000 0021", "expiry_month": 1, "expiry_year": 2030}}),
        )
        .await;
    }
    app.contact(&c, "email", "rita3@mailinator.com").await;
    // 25 + 20 + 40 (a burst of sign-ups sharing the card): restricted.
    assert_eq!(app.account(&acc).await["account_status"], "restricted");
    let open = app.get("/v1/abuse-cases?state=open", Role::Reviewer).await;
    assert!(
        open.body
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["kind"] == "red_flags" && x["customer_id"] == c.as_str()),
        "{}",
        open.body
    );
    // A clear is for red flags only.
    let r = report(
        &app,
        json!({"account_id": acc, "category": "spam", "evidence": "bulk mail"}),
    )
    .await;
    let spam = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    let r = act(&app, &spam, "clear", Some("no")).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

#[tokio::test]
async fn two_cases_suspend_one_account_and_each_lifts_only_its_own() {
    let app = TestApp::new().await;
    let (_, acc) = connected(&app, "Two Cases", "203.0.113.80").await;
    let mut cases = vec![];
    for what in ["spam run", "phishing page"] {
        let r = report(
            &app,
            json!({"account_id": acc, "category": "spam", "evidence": what}),
        )
        .await;
        cases.push(r.body["cases"][0]["id"].as_str().unwrap().to_owned());
    }
    for c in &cases {
        assert_eq!(act(&app, c, "suspend", None).await.status, StatusCode::OK);
    }
    assert_eq!(
        act(&app, &cases[0], "lift", None).await.status,
        StatusCode::OK
    );
    // The other case still holds it.
    assert_eq!(app.account(&acc).await["account_status"], "suspended");
    assert_eq!(
        act(&app, &cases[1], "dismiss", None).await.status,
        StatusCode::OK
    );
    assert_eq!(app.account(&acc).await["account_status"], "active");
}

#[tokio::test]
async fn notes_are_sealed_and_auditors_read_cases() {
    let app = TestApp::new().await;
    let (_, acc) = connected(&app, "Noted Person", "203.0.113.81").await;
    let r = report(
        &app,
        json!({"account_id": acc, "category": "fraud", "evidence": "chargebacks"}),
    )
    .await;
    let case = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    let r = act(
        &app,
        &case,
        "preserve",
        Some("jane.doe@bank.example called about it"),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    // Preserving twice on one case places one hold.
    let r = act(&app, &case, "preserve", None).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    for role in [Role::Auditor, Role::Reviewer] {
        let r = app.get("/v1/abuse-cases", role).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert!(
            !String::from_utf8_lossy(&r.raw).contains("jane.doe"),
            "{}",
            r.body
        );
    }
    let r = app
        .as_role(Role::Reviewer)
        .purpose("fraud review")
        .get(&format!("/v1/abuse-cases/{case}/evidence"))
        .await;
    assert_eq!(
        r.body["notes"][0]["note"], "jane.doe@bank.example called about it",
        "{}",
        r.body
    );
    // A second object after the first is refused, not dropped.
    let r = app
        .as_role(Role::Integrator)
        .post_raw(
            "/v1/abuse-reports",
            br#"{"account_id": "x", "category": "spam", "evidence": "a"}{"category": "spam"}"#
                .to_vec(),
            "application/json",
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
}

#[tokio::test]
async fn a_customer_closed_for_abuse_opens_nothing_more_and_its_flags_need_two_to_clear() {
    let app = TestApp::new().await;
    let (c, acc) = connected(&app, "Closed Abuser", "203.0.113.82").await;
    let other = app.open_id(&c, "direct", "paid").await;
    app.contact(&c, "email", "abuser@example.org").await;
    let r = report(
        &app,
        json!({"account_id": acc, "category": "ddos", "evidence": "booter"}),
    )
    .await;
    let case = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    let waiting = act(&app, &case, "close_for_abuse", Some("booter service")).await;
    app.approved_by(&waiting, Role::ComplianceOfficer).await;
    // Its other account is suspended on the case; a new one is refused.
    assert_eq!(app.account(&other).await["account_status"], "suspended");
    let r = app.open(&c, "direct", "paid").await;
    assert_eq!(r.body["account_status"], "closed", "{}", r.body);
    // A returning email refuses the next sign-up; clearing that takes two people.
    let back = app.customer(individual("Comes Back", "US", "US")).await;
    let acc2 = app.open_id(&back, "direct", "paid").await;
    app.contact(&back, "email", "Abuser@example.org").await;
    assert_eq!(app.account(&acc2).await["account_status"], "suspended");
    let cases = app.get("/v1/abuse-cases?state=open", Role::Reviewer).await;
    let flags = cases
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["kind"] == "red_flags" && x["customer_id"] == back.as_str())
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let waiting = act(
        &app,
        &flags,
        "clear",
        Some("a different person, same inbox"),
    )
    .await;
    assert_eq!(waiting.status, StatusCode::ACCEPTED, "{}", waiting.body);
    assert_eq!(app.account(&acc2).await["account_status"], "suspended");
    app.approved_by(&waiting, Role::ComplianceOfficer).await;
    assert_eq!(app.account(&acc2).await["account_status"], "active");
}

#[tokio::test]
async fn a_ledger_event_of_an_unknown_account_links_nobody_and_breaks_nothing() {
    let app = TestApp::new().await;
    let at = app.service.now();
    let r = app
        .post(
            "/v1/events",
            json!([{"account_id": "legacy-42", "time": at, "ip": "203.0.113.90", "action": "login", "source": "sso"}]),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    // A customer connecting from that address: its records still change.
    let (c, _) = connected(&app, "Same Address", "203.0.113.90").await;
    app.contact(&c, "email", "same@example.org").await;
}

/// A customer closed for abuse opens cases on the customers its accounts shared an address
/// with, one link away; one reached through addresses alone two links away (an office NAT
/// behind the first) gets none.
#[tokio::test]
async fn closing_for_abuse_opens_cases_one_address_away_only() {
    let app = TestApp::new().await;
    let now = app.service.now();
    let mut accs = vec![];
    let mut ids = vec![];
    for name in ["Rex Ample", "Sam Ample", "Tom Ample"] {
        let c = app.customer(individual(name, "US", "US")).await;
        accs.push(app.open_id(&c, "direct", "paid").await);
        ids.push(c);
    }
    let e = |i: usize, h: i64, ip: &str| {
        json!({"account_id": accs[i], "time": now - chrono::Duration::hours(h), "ip": ip,
               "action": "login", "source": "sso"})
    };
    let r = app
        .post(
            "/v1/events",
            json!([
                e(0, 6, "203.0.113.66"),
                e(1, 4, "203.0.113.66"),
                e(1, 3, "198.51.100.5"),
                e(2, 2, "198.51.100.5")
            ]),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let r = report(
        &app,
        json!({"account_id": accs[0], "category": "ddos", "evidence": "booter panel"}),
    )
    .await;
    let case = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    let waiting = act(&app, &case, "close_for_abuse", Some("booter confirmed")).await;
    app.approved_by(&waiting, Role::ComplianceOfficer).await;
    let cases = app.get("/v1/abuse-cases?state=open", Role::Reviewer).await;
    let linked: Vec<&str> = cases
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "linked")
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(linked, [ids[1].as_str()], "{}", cases.body);
}
