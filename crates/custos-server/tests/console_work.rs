//! The work done in the console, in-process: claims, four eyes through the console and the
//! API alike, access events proven in the log, the audit trail, lists imported by upload,
//! customers linked by a shared identifier.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use common::browser::*;
use common::*;
use custos_server::auth::Role;
use serde_json::json;
#[tokio::test]
async fn claims_keep_two_reviewers_off_the_same_item() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let one = user(&app, "one@example.org", Role::Reviewer).await;
    let two = user(&app, "two@example.org", Role::Reviewer).await;
    let mut b1 = Browser::new(&app);
    b1.sign_in(&one).await;
    let q = b1.get("/console/queues/accounts").await;
    assert!(q.html.contains(&acc), "{}", q.html);
    let back = "/console/queues/accounts";
    let p = b1
        .post(
            "/console/claims",
            &[
                ("csrf", &q.csrf()),
                ("item", &acc),
                ("action", "claim"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let q = b1.get(&p.location.unwrap()).await;
    assert!(q.html.contains("one@example.org"));
    let mut b2 = Browser::new(&app);
    b2.sign_in(&two).await;
    let q2 = b2.get("/console/queues/accounts").await;
    assert!(q2.html.contains("one@example.org"));
    let p = b2
        .post(
            "/console/claims",
            &[
                ("csrf", &q2.csrf()),
                ("item", &acc),
                ("action", "claim"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(
        p.html
            .contains("one@example.org is working on this already")
    );
    // Newest first: the account opened last leads.
    let newer = app.open_id(&c, "direct", "trial").await;
    let q = b1.get("/console/queues/accounts?sort=newest").await;
    assert!(
        q.html.find(&newer).unwrap() < q.html.find(&acc).unwrap(),
        "{}",
        q.html
    );
    let q = b1.get("/console/queues/accounts").await;
    assert!(q.html.find(&acc).unwrap() < q.html.find(&newer).unwrap());
    let q = b1.get("/console/queues/accounts?sort=sideways").await;
    assert!(q.html.contains("sort: oldest or newest"), "{}", q.html);
    // Filters: a reason no account has shows none; a typo is said inline.
    let q = b1
        .get("/console/queues/accounts?reason=screening_prohibited")
        .await;
    assert!(!q.html.contains(&acc));
    let q = b1.get("/console/queues/accounts?reason=nonsense").await;
    assert!(q.html.contains("reason: no such value"), "{}", q.html);
}

#[tokio::test]
async fn four_eyes_closing_an_account_waits_for_a_second_different_person() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let ad = user(&app, "admin@example.org", Role::Admin).await;
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    let p = b
        .post(
            &format!("/console/accounts/{acc}/close"),
            &[("csrf", &page.csrf()), ("reason", "fraud ring, case 77")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = b.get(&p.location.unwrap()).await;
    assert!(page.html.contains("waits for a second"), "{}", page.html);
    assert!(
        app.account(&acc).await["closed_at"].is_null(),
        "closed by one person"
    );
    // The same person cannot approve it.
    let list = b.get("/console/approvals").await;
    let id = app.service.pending_approvals(None, 10).await.unwrap()[0]
        .id
        .clone();
    assert!(list.html.contains(&id) && list.html.contains("Withdraw"));
    let p = b
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &list.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.html.contains("second, different person"));
    // A reviewer may not close accounts, so may not approve a close.
    let mut rb = Browser::new(&app);
    rb.sign_in(&rev).await;
    let l = rb.get("/console/approvals").await;
    let p = rb
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // A second person with the power: applied, in the name of the one who asked.
    let mut b2 = Browser::new(&app);
    b2.sign_in(&ad).await;
    let l = b2.get("/console/approvals").await;
    let p = b2
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let a = app.account(&acc).await;
    assert_eq!(a["account_status"], "closed");
    // Approving twice: refused, nothing more happens.
    let p = b2
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    let who: Vec<(String, String)> = audit
        .iter()
        .filter(|e| e.entry.action.contains("close_account"))
        .map(|e| (e.entry.action.clone(), e.entry.actor.clone()))
        .collect();
    assert_eq!(
        who,
        [
            ("request_close_account".into(), "co@example.org".into()),
            ("close_account".into(), "co@example.org".into()),
            ("approve_close_account".into(), "admin@example.org".into()),
        ]
    );
}

#[tokio::test]
async fn four_eyes_holds_in_the_api_too() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    // The control plane closes on the customer's request at once.
    let other = app.open_id(&c, "direct", "trial").await;
    let r = app
        .post(
            &format!("/v1/accounts/{other}/close"),
            json!({"reason": "customer request"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A person's close waits.
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/accounts/{acc}/close"),
            json!({"reason": "fraud"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["object"], "approval");
    assert_eq!(r.body["state"], "pending");
    assert!(
        r.body.get("reason").is_none(),
        "what it says is not in the answer"
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    // Asked again while it waits: a conflict, not a second approval.
    let again = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/accounts/{acc}/close"),
            json!({"reason": "fraud"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let list = app.get("/v1/approvals", Role::Reviewer).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    let same = app
        .as_role(Role::ComplianceOfficer)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(same.status, StatusCode::FORBIDDEN);
    assert_ne!(app.account(&acc).await["account_status"], "closed");
    let ok = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["state"], "approved");
    assert_eq!(app.account(&acc).await["account_status"], "closed");
    // A rejected decision changes nothing.
    let third = app.open_id(&c, "direct", "complimentary").await;
    let r = app
        .as_role(Role::Admin)
        .post(
            &format!("/v1/accounts/{third}/close"),
            json!({"reason": "x"}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(&format!("/v1/approvals/{id}/reject"), json!({}))
        .await;
    assert_eq!(r.body["state"], "rejected");
    assert_ne!(app.account(&third).await["account_status"], "closed");
    let r = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // An integrator may not see or decide approvals.
    assert_eq!(
        app.get("/v1/approvals", Role::Integrator).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = app.get("/v1/approvals?state=nope", Role::Reviewer).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_accounts_access_events_are_shown_for_a_purpose_each_proven_in_the_log() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let now = app.service.now();
    let mut events: Vec<serde_json::Value> = (1..=5)
        .map(|h| {
            json!({"account_id": acc, "time": (now - Duration::hours(h)).to_rfc3339(),
                   "ip": format!("203.0.113.{h}"), "action": "login", "source": "sso"})
        })
        .collect();
    // One an SSH login, with the key it used.
    events[1]["action"] = json!("ssh");
    events[1]["ssh_key_fingerprint"] = json!("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU");
    let r = app
        .as_role(Role::Integrator)
        .post("/v1/events", serde_json::Value::Array(events))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&rev).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    assert!(
        !page.html.contains("203.0.113.1"),
        "addresses before a purpose"
    );
    let p = b
        .post(
            &format!("/console/accounts/{acc}/events"),
            &[("csrf", &page.csrf()), ("purpose", "abuse report AR-77")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert_eq!(p.html.matches(">proven<").count(), 5, "{}", p.html);
    assert!(!p.html.contains("not proven"));
    assert!(p.html.contains("203.0.113.3"));
    assert!(
        p.html
            .contains("<code>SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU</code>"),
        "{}",
        p.html
    );
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.action == "query_account_events"
                && e.entry.actor == "rev@example.org"
                && e.entry.purpose.as_deref() == Some("abuse report AR-77"))
    );
    // An integrator's person reads no access events.
    let i = user(&app, "int@example.org", Role::Integrator).await;
    let mut b = Browser::new(&app);
    b.sign_in(&i).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    let p = b
        .post(
            &format!("/console/accounts/{acc}/events"),
            &[("csrf", &page.csrf()), ("purpose", "curious")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_trail_is_searched_by_person_record_purpose_and_time_and_its_chain_checked() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&rev).await;
    let page = b.get(&format!("/console/customers/{c}")).await;
    b.post(
        &format!("/console/customers/{c}/reveal"),
        &[("csrf", &page.csrf()), ("purpose", "Manual review R-9")],
    )
    .await;
    // A reviewer may not read the trail.
    assert_eq!(b.get("/console/audit").await.status, StatusCode::FORBIDDEN);
    let aud = user(&app, "aud@example.org", Role::Auditor).await;
    let mut b = Browser::new(&app);
    b.sign_in(&aud).await;
    let all = b.get("/console/audit").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.html.contains("hash chain holds"), "{}", all.html);
    for q in [
        "actor=rev%40example.org".to_owned(),
        format!("record={c}"),
        "purpose=manual+review".to_owned(),
        "action=read+customer".to_owned(),
    ] {
        let p = b.get(&format!("/console/audit?{q}")).await;
        assert!(p.html.contains("Manual review R-9"), "{q}: {}", p.html);
    }
    let p = b.get("/console/audit?actor=nobody%40example.org").await;
    assert!(p.html.contains("No entry matches"));
    let p = b.get("/console/audit?from=2999-01-01").await;
    assert!(p.html.contains("No entry matches"));
    let p = b.get("/console/audit?from=yesterday").await;
    assert!(
        p.html.contains("from: must be a day, YYYY-MM-DD"),
        "{}",
        p.html
    );
    assert!(
        p.html.contains("No entry matches"),
        "a wrong bound shows nothing"
    );
}

#[tokio::test]
async fn a_decision_is_not_applied_when_its_record_changed_or_its_asker_left() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let subject = app.own_subject(&c).await.as_str().unwrap().to_owned();
    // A reviewer fails the subject; before anyone approves, a compliance officer verifies it.
    let r = app
        .as_role(Role::Reviewer)
        .post(
            &format!("/v1/customers/{c}/reviews"),
            json!({"subject_id": subject, "outcome": "failed", "reason": "document altered"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let v = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/customers/{c}/reviews"),
            json!({"subject_id": subject, "outcome": "verified", "reason": "seen in person"}),
        )
        .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    // The stale refusal is not applied: a conflict, the approval failed, and said so.
    let a = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body["detail"].as_str().unwrap().contains("changed since"));
    let got = app
        .get(&format!("/v1/approvals/{id}"), Role::Reviewer)
        .await;
    assert_eq!(got.body["state"], "failed");
    let view = app.get(&format!("/v1/customers/{c}"), Role::Reviewer).await;
    assert_eq!(view.body["subjects"][0]["verification_state"], "verified");
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.action == "approve_refuse_subject_failed"),
        "a failed approval is audited as failed"
    );
    assert!(
        !audit
            .iter()
            .any(|e| e.entry.action == "approve_refuse_subject")
    );
    // A console user who asked, then was disabled: the request is not applied.
    let acc = app.open_id(&c, "direct", "paid").await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    // A reason typed on two lines (a browser sends CR LF) is taken.
    let p = b
        .post(
            &format!("/console/accounts/{acc}/close"),
            &[("csrf", &page.csrf()), ("reason", "fraud ring\r\ncase 77")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    app.service
        .disable_user(&admin(), "co@example.org")
        .await
        .unwrap();
    let id = app.service.pending_approvals(None, 10).await.unwrap()[0]
        .id
        .clone();
    let a = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body["detail"].as_str().unwrap().contains("disabled"));
    assert_ne!(app.account(&acc).await["account_status"], "closed");
    // A reviewer who asked, then was made an auditor: the request is not applied either.
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut rb = Browser::new(&app);
    rb.sign_in(&rev).await;
    let page = rb.get(&format!("/console/customers/{c}")).await;
    let p = rb
        .post(
            &format!("/console/customers/{c}/review"),
            &[
                ("csrf", &page.csrf()),
                ("subject", &subject),
                ("outcome", "failed"),
                ("reason", "forged"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    app.service
        .set_user_role(&admin(), "rev@example.org", Role::Auditor)
        .await
        .unwrap();
    let id = app
        .service
        .pending_approvals(None, 10)
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == "refuse_subject")
        .unwrap()
        .id;
    let a = app
        .as_role(Role::ComplianceOfficer)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(
        a.body["detail"]
            .as_str()
            .unwrap()
            .contains("no longer has a role")
    );
}

#[tokio::test]
async fn a_claim_is_released_by_its_holder_or_a_compliance_officer_only() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let one = user(&app, "one@example.org", Role::Reviewer).await;
    let two = user(&app, "two@example.org", Role::Reviewer).await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b1 = Browser::new(&app);
    b1.sign_in(&one).await;
    let q = b1.get("/console/queues/accounts").await;
    let back = "/console/queues/accounts";
    let p = b1
        .post(
            "/console/claims",
            &[
                ("csrf", &q.csrf()),
                ("item", &acc),
                ("action", "claim"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let mut b2 = Browser::new(&app);
    b2.sign_in(&two).await;
    let q2 = b2.get("/console/queues/accounts").await;
    let p = b2
        .post(
            "/console/claims",
            &[
                ("csrf", &q2.csrf()),
                ("item", &acc),
                ("action", "release"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.html);
    let q = b2.get("/console/queues/accounts").await;
    assert!(
        q.html.contains("one@example.org"),
        "another's release changed nothing"
    );
    // Nothing to release: said so.
    let p = b2
        .post(
            "/console/claims",
            &[
                ("csrf", &q2.csrf()),
                ("item", "acc_nope"),
                ("action", "release"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    // A compliance officer releases it (its holder left, say).
    let mut b3 = Browser::new(&app);
    b3.sign_in(&co).await;
    let q3 = b3.get("/console/queues/accounts").await;
    assert!(
        q3.html.contains(&format!("aria-label=\"Release {acc}\"")),
        "a compliance officer is offered the release: {}",
        q3.html
    );
    let p = b3
        .post(
            "/console/claims",
            &[
                ("csrf", &q3.csrf()),
                ("item", &acc),
                ("action", "release"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let q = b3.get("/console/queues/accounts").await;
    assert!(!q.html.contains("one@example.org"));
}

#[tokio::test]
async fn a_forms_address_reached_by_get_leads_back_to_its_page_and_api_answers_are_not_cached() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let r = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&r).await;
    let p = b.get(&format!("/console/customers/{c}/reveal")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.unwrap(), format!("/console/customers/{c}"));
    assert!(p.headers.contains_key("content-security-policy"));
    let r = app
        .as_role(Role::Reviewer)
        .purpose("review")
        .get(&format!("/v1/customers/{c}/record"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["cache-control"], "no-store");
}

#[tokio::test]
async fn a_list_is_imported_by_upload_with_the_shrink_guard_and_its_diff_shows_names() {
    let app = TestApp::new().await;
    let csl = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/peer-data/watchman/test/testdata/csl.csv"),
    )
    .expect("the shared peer data (a real CSL file)");
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let upload = |b: &Browser<'_>, fields: Vec<(&str, String)>, bytes: Vec<u8>| {
        let f: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (ct, body) = multipart(&f, ("csl.csv", &bytes));
        Request::builder()
            .method("POST")
            .uri("/console/lists")
            .header("cookie", b.cookies())
            .header("content-type", ct)
            .body(Body::from(body))
            .unwrap()
    };
    let page = b.get("/console/lists").await;
    assert!(page.html.contains("Import a new version"));
    let csrf = page.csrf();
    let fields = |shrink: bool| {
        let mut f = vec![
            ("csrf", csrf.clone()),
            ("list", "csl".to_owned()),
            ("format", "csl-csv".to_owned()),
            ("measure", String::new()),
        ];
        if shrink {
            f.push(("allow_shrink", "true".to_owned()));
        }
        f
    };
    let r = app
        .send_request(upload(&b, fields(false), csl.clone()))
        .await;
    let html = String::from_utf8_lossy(&r.raw).into_owned();
    assert_eq!(r.status, StatusCode::OK, "{html}");
    assert!(html.contains("csl version 1 is current"), "{html}");
    // Again: unchanged, nothing stored.
    let r = app
        .send_request(upload(&b, fields(false), csl.clone()))
        .await;
    assert!(String::from_utf8_lossy(&r.raw).contains("unchanged since version 1"));
    // A cut-off download: refused, the current version stays.
    let cut: Vec<u8> = String::from_utf8_lossy(&csl)
        .lines()
        .take(20)
        .collect::<Vec<_>>()
        .join("\n")
        .into_bytes();
    let r = app
        .send_request(upload(&b, fields(false), cut.clone()))
        .await;
    let html = String::from_utf8_lossy(&r.raw).into_owned();
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("Not published"), "{html}");
    let versions = app.service.list_versions(Some("csl")).await.unwrap();
    assert_eq!(versions.len(), 1);
    // Said to be a real shrink: published, and its diff names who left.
    let r = app.send_request(upload(&b, fields(true), cut)).await;
    assert!(String::from_utf8_lossy(&r.raw).contains("csl version 2 is current"));
    let d = b.get("/console/lists/csl/2").await;
    assert_eq!(d.status, StatusCode::OK);
    let removed = &d.html[d.html.find("Removed").unwrap()..];
    assert!(
        removed.contains("<td>") && !removed.contains("None."),
        "{removed}"
    );
    // Wrong input: a clear message, nothing stored.
    let mut bad = fields(false);
    bad[2].1 = "ofac-csv".into();
    let r = app.send_request(upload(&b, bad, csl.clone())).await;
    assert!(String::from_utf8_lossy(&r.raw).contains("comes as several files"));
    let r = app
        .send_request(upload(&b, fields(false), b"not,a,list\n".to_vec()))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.service.list_versions(Some("csl")).await.unwrap().len(),
        2
    );
    // A list whose name has a space is reached by the link the table gives.
    let mut named = fields(false);
    named[1].1 = "csl copy".into();
    let r = app.send_request(upload(&b, named, csl.clone())).await;
    assert!(String::from_utf8_lossy(&r.raw).contains("csl copy version 1 is current"));
    let lists = b.get("/console/lists").await;
    let at = lists.html.find("href=\"/console/lists/csl%20copy/1\"");
    assert!(at.is_some(), "{}", lists.html);
    assert_eq!(
        b.get("/console/lists/csl%20copy/1").await.status,
        StatusCode::OK
    );
    let missing = b.get("/console/lists/csl/99").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(
        missing.html.contains("version 99 of list csl"),
        "{}",
        missing.html
    );
    // A reviewer may not import.
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut rb = Browser::new(&app);
    rb.sign_in(&rev).await;
    let page = rb.get("/console/lists").await;
    assert!(!page.html.contains("Import a new version"));
    let r = app.send_request(upload(&rb, fields(false), csl)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn customers_sharing_an_identifier_are_linked_on_the_page_for_a_purpose() {
    let app = TestApp::new().await;
    let a = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let b_ = app.customer(individual("Lene Fisher", "AT", "AT")).await;
    let c = app.customer(individual("Otto Normal", "DE", "DE")).await;
    for (who, kind, value) in [
        (&a, "email", "shared.box@example.org"),
        (&b_, "email", "Shared.Box@example.org"),
        (&c, "email", "otto@example.org"),
        (&a, "phone", "+49 30 1234567"),
        (&b_, "phone", "+493012 34567"),
    ] {
        let r = app
            .post(
                &format!("/v1/customers/{who}/contacts"),
                json!({"kind": kind, "value": value}),
            )
            .await;
        assert!(r.status.is_success(), "{}", r.body);
    }
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&rev).await;
    let page = b.get(&format!("/console/customers/{a}")).await;
    assert!(!page.html.contains(&b_), "links before a purpose");
    let p = b
        .post(
            &format!("/console/customers/{a}/reveal"),
            &[("csrf", &page.csrf()), ("purpose", "fraud ring review")],
        )
        .await;
    assert!(
        p.html.contains(&format!("/console/customers/{b_}")),
        "{}",
        p.html
    );
    assert!(p.html.contains("<td>email, phone</td>"), "{}", p.html);
    assert_eq!(
        p.html
            .matches(&format!("/console/customers/{b_}\""))
            .count(),
        1,
        "one line a linked customer"
    );
    assert!(!p.html.contains(&format!("/console/customers/{c}\"")));
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    assert!(audit.iter().any(|e| e.entry.action == "read_customer_links"
        && e.entry.purpose.as_deref() == Some("fraud ring review")));
}
