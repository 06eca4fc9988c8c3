//! The compliance program's work in the console, in-process: a reseller flagged, reported on
//! and terminated (four eyes), exemptions granted and revoked, the designations' timeline, and
//! a refused form that keeps what was typed.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use custos_server::auth::Role;
use serde_json::json;

#[tokio::test]
async fn a_reseller_is_flagged_reported_on_and_terminated_by_two_people() {
    let app = TestApp::new().await;
    let (ra, sa) = app.reseller_with_sub_lessee().await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let ad = user(&app, "admin@example.org", Role::Admin).await;
    let aud = user(&app, "auditor@example.org", Role::Auditor).await;
    let page_of = format!("/console/resellers/{ra}");

    // An auditor sees the page, but no form to act with; a post is refused.
    let mut ab = Browser::new(&app);
    ab.sign_in(&aud).await;
    let p = ab.get(&page_of).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(!p.html.contains("Flag the reseller"), "{}", p.html);
    let p = ab
        .post(
            &format!("{page_of}/non-compliance"),
            &[("csrf", &p.csrf()), ("reason", "x")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);

    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    // An account that is not a reseller's has no reseller page.
    let p = b.get(&format!("/console/resellers/{sa}")).await;
    assert_eq!(p.status, StatusCode::NOT_FOUND, "{}", p.html);
    let p = b.get(&page_of).await;
    assert!(p.html.contains("Flag the reseller"), "{}", p.html);
    // No reason: refused inline, nothing flagged.
    let r = b
        .post(
            &format!("{page_of}/non-compliance"),
            &[("csrf", &p.csrf()), ("reason", "  ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(app.service.non_compliance_cases().await.unwrap().is_empty());
    let r = b
        .post(
            &format!("{page_of}/non-compliance"),
            &[("csrf", &p.csrf()), ("reason", "no CIP after two requests")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let p = b.get(&r.location.unwrap()).await;
    assert!(p.html.contains("The reseller is flagged"), "{}", p.html);
    assert!(p.html.contains("no CIP after two requests"));
    assert!(p.html.contains("days left"));
    assert!(
        !p.html.contains("Flag the reseller"),
        "flagged once, while open"
    );
    // The form sent twice: refused, one case only.
    let r = b
        .post(
            &format!("{page_of}/non-compliance"),
            &[("csrf", &p.csrf()), ("reason", "no CIP after two requests")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.html);
    assert!(r.html.contains("flagged already"), "{}", r.html);
    assert_eq!(app.service.non_compliance_cases().await.unwrap().len(), 1);
    let case = app.service.non_compliance_cases().await.unwrap()[0]
        .id
        .clone();
    // The list of resellers links the case to its reseller's page.
    let l = b.get("/console/resellers").await;
    assert!(
        l.html
            .contains(&format!("/console/resellers/{ra}#case-{case}")),
        "{}",
        l.html
    );

    // A report, with suspected malicious activity.
    let r = b
        .post(
            &format!("{page_of}/non-compliance/{case}/reports"),
            &[
                ("csrf", &p.csrf()),
                ("text", "Reported to BIS on form X"),
                ("malicious", "yes"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let n = app.service.non_compliance(&case).await.unwrap();
    assert_eq!(n.reports.len(), 1);
    assert!(n.reports[0].suspected_malicious_activity);
    assert_eq!(n.reports[0].by, "co@example.org");

    // A case of this reseller reached under another's address: not found, nothing changes.
    let r = b
        .post(
            &format!("/console/resellers/{sa}/non-compliance/{case}/reports"),
            &[("csrf", &p.csrf()), ("text", "x")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.html);
    // An outcome that is neither: refused inline, the reason typed kept.
    let r = b
        .post(
            &format!("{page_of}/non-compliance/{case}/close"),
            &[
                ("csrf", &p.csrf()),
                ("outcome", "forgiven"),
                ("reason", "they wrote back"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.html.contains("choose resolved or terminated"),
        "{}",
        r.html
    );
    assert!(r.html.contains(">they wrote back</textarea>"), "{}", r.html);

    // Terminating needs a reason: the second person decides on it.
    let r = b
        .post(
            &format!("{page_of}/non-compliance/{case}/close"),
            &[
                ("csrf", &p.csrf()),
                ("outcome", "terminated"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(
        r.html.contains("value=\"terminated\" checked"),
        "{}",
        r.html
    );
    // A form's address reached by GET (a reload) leads back to the reseller's page.
    let r = b
        .get(&format!("{page_of}/non-compliance/{case}/close"))
        .await;
    assert_eq!(r.location.as_deref(), Some(page_of.as_str()));
    // Terminating waits for a second person; nothing is closed meanwhile.
    let r = b
        .post(
            &format!("{page_of}/non-compliance/{case}/close"),
            &[
                ("csrf", &p.csrf()),
                ("outcome", "terminated"),
                ("reason", "relationship ended"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let p = b.get(&r.location.unwrap()).await;
    assert!(p.html.contains("waits for a second person"), "{}", p.html);
    assert!(p.html.contains("pending approval"));
    assert!(!p.html.contains("Close the case"), "asked once only");
    assert_eq!(app.account(&ra).await["account_status"], "active");
    let waiting = app.service.pending_approvals(None, 10).await.unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].kind, "terminate_reseller");
    let id = waiting[0].id.clone();
    let l = b.get("/console/approvals").await;
    let own = b
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN);
    let mut b2 = Browser::new(&app);
    b2.sign_in(&ad).await;
    let l = b2.get("/console/approvals").await;
    assert!(l.html.contains("terminate reseller"), "{}", l.html);
    let r = b2
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    for a in [&ra, &sa] {
        assert_eq!(app.account(a).await["account_status"], "closed", "{a}");
    }
    let n = app.service.non_compliance(&case).await.unwrap();
    assert!(n.closed_at.is_some());
    assert_eq!(n.note.as_deref(), Some("relationship ended"));
    let p = b.get(&page_of).await;
    assert!(p.html.contains("terminated"), "{}", p.html);
    assert!(
        !p.html.contains("Add the report"),
        "a closed case takes no report"
    );
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    let who: Vec<(String, String)> = audit
        .iter()
        .filter(|e| {
            e.entry.action.contains("non_compliance") || e.entry.action.contains("terminate")
        })
        .map(|e| (e.entry.action.clone(), e.entry.actor.clone()))
        .collect();
    assert_eq!(
        who,
        [
            ("flag_non_compliance".into(), "co@example.org".into()),
            ("report_non_compliance".into(), "co@example.org".into()),
            ("request_terminate_reseller".into(), "co@example.org".into()),
            ("close_non_compliance".into(), "co@example.org".into()),
            (
                "approve_terminate_reseller".into(),
                "admin@example.org".into()
            ),
        ]
    );
}

#[tokio::test]
async fn exemptions_are_granted_and_revoked_in_the_console() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let p = b.get("/console/compliance").await;
    assert!(p.html.contains("Grant the exemption"), "{}", p.html);
    // Nothing lifted: refused inline, every field typed shown again.
    let r = b
        .post(
            "/console/compliance/exemptions",
            &[
                ("csrf", &p.csrf()),
                ("reason", "ADP accepted by Commerce"),
                ("scope", "account_type"),
                ("account_kind", "reseller"),
                ("offering", "any"),
                ("expires", "2027-12-31"),
                ("reference", "BIS-EX-1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(r.html.contains("requirements"), "{}", r.html);
    assert!(r.html.contains("value=\"ADP accepted by Commerce\""));
    assert!(r.html.contains("value=\"BIS-EX-1\""));
    assert!(r.html.contains("value=\"2027-12-31\""));
    assert!(r.html.contains("value=\"account_type\" checked"));
    assert!(r.html.contains("value=\"reseller\" selected"));
    assert!(app.service.exemptions().await.unwrap().is_empty());
    // A customer that does not exist: refused, nothing granted.
    let r = b
        .post(
            "/console/compliance/exemptions",
            &[
                ("csrf", &p.csrf()),
                ("reason", "one lessee"),
                ("scope", "lessee"),
                ("customer_id", "cus_nobody"),
                ("requirements", "reverification"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(app.service.exemptions().await.unwrap().is_empty());
    // A reviewer may not grant.
    let mut rb = Browser::new(&app);
    rb.sign_in(&rev).await;
    let rp = rb.get("/console/queues/accounts").await;
    let r = rb
        .post(
            "/console/compliance/exemptions",
            &[
                ("csrf", &rp.csrf()),
                ("reason", "x"),
                ("scope", "provider"),
                ("requirements", "verification"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Granted: both requirements, one lessee.
    let r = b
        .post(
            "/console/compliance/exemptions",
            &[
                ("csrf", &p.csrf()),
                ("reason", "one lessee"),
                ("scope", "lessee"),
                ("customer_id", &c),
                ("requirements", "verification"),
                ("requirements", "reverification"),
                ("reference", "BIS-EX-2"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let all = app.service.exemptions().await.unwrap();
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].requirements.len(), 2);
    assert_eq!(all[0].granted_by, "co@example.org");
    let p = b.get(&r.location.unwrap()).await;
    assert!(p.html.contains("The exemption is granted"), "{}", p.html);
    assert!(
        p.html.contains("one account&#39;s decision changed"),
        "{}",
        p.html
    );
    // The same granted again (a form sent twice): refused, one kept.
    let again = b
        .post(
            "/console/compliance/exemptions",
            &[
                ("csrf", &p.csrf()),
                ("reason", "one lessee"),
                ("scope", "lessee"),
                ("customer_id", &c),
                ("requirements", "verification"),
                ("requirements", "reverification"),
                ("reference", "BIS-EX-2"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.html);
    assert_eq!(app.service.exemptions().await.unwrap().len(), 1);
    // A notice's wording is not read from a hostile address.
    let odd = b
        .get("/console/compliance?done=granted&redecided=abc")
        .await;
    assert_eq!(odd.status, StatusCode::OK, "{}", odd.html);
    assert!(
        odd.html.contains("The exemption is granted.<"),
        "{}",
        odd.html
    );
    assert!(p.html.contains(&format!("customer {c}")), "{}", p.html);
    // The account it covers says so in words.
    let a = b.get(&format!("/console/accounts/{acc}")).await;
    assert!(
        a.html
            .contains("one lessee (lifts verification, reverification)"),
        "{}",
        a.html
    );
    // Revoked: gone from the list of those in force; revoking again is refused.
    let id = all[0].id.clone();
    let r = b
        .post(
            &format!("/console/compliance/exemptions/{id}/revoke"),
            &[("csrf", &p.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let p = b.get(&r.location.unwrap()).await;
    assert!(p.html.contains("The exemption is revoked"));
    assert!(!p.html.contains(&format!("exemption-{id}")));
    // ... but kept in the history, with when it was revoked.
    assert!(
        p.html
            .contains("Revoked, expired and coming exemptions (1)"),
        "{}",
        p.html
    );
    assert!(p.html.contains("revoked 2026-"), "{}", p.html);
    let r = b
        .post(
            &format!("/console/compliance/exemptions/{id}/revoke"),
            &[("csrf", &p.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.html);
    let r = b
        .get(&format!("/console/compliance/exemptions/{id}/revoke"))
        .await;
    assert_eq!(r.location.as_deref(), Some("/console/compliance"));
}

#[tokio::test]
async fn a_refused_designation_keeps_what_was_typed_and_the_schedule_is_drawn() {
    let app = TestApp::new().await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let p = b.get("/console/designations").await;
    assert!(!p.html.contains("<svg"), "nothing to draw");
    let typed = [
        ("csrf", p.csrf()),
        ("id", "sm-2027-01".to_owned()),
        ("jurisdiction", "KP".to_owned()),
        ("person", "Ivan Petrov".to_owned()),
        (
            "conditions",
            "account.offering == 'paid'\nsubject.age > 3".to_owned(),
        ),
        ("effective", "2027-03-01".to_owned()),
        ("reference", "92 FR 1234".to_owned()),
    ];
    let form: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = b.post("/console/designations", &form).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(r.html.contains("not both"), "{}", r.html);
    for v in [
        "sm-2027-01",
        "KP",
        "Ivan Petrov",
        "2027-03-01",
        "92 FR 1234",
    ] {
        assert!(
            r.html.contains(&format!("value=\"{v}\"")),
            "{v}: {}",
            r.html
        );
    }
    assert!(
        r.html
            .contains(">account.offering == &#39;paid&#39;\nsubject.age &#62; 3</textarea>"),
        "{}",
        r.html
    );
    // A determination dated after today is a typo: refused.
    let r = b
        .post(
            "/console/designations",
            &[
                ("csrf", &p.csrf()),
                ("id", "sm-2027-01"),
                ("jurisdiction", "KP"),
                ("determined", "2099-05-01"),
                ("reference", "92 FR 1234"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(r.html.contains("determined: is after today"), "{}", r.html);
    // Entered: the schedule is drawn, today marked.
    let r = b
        .post(
            "/console/designations",
            &[
                ("csrf", &p.csrf()),
                ("id", "sm-2027-01"),
                ("jurisdiction", "KP"),
                ("determined", "2026-05-01"),
                ("effective", "2026-11-01"),
                ("reference", "92 FR 1234"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let p = b.get("/console/designations").await;
    assert!(
        p.html.contains("<svg class=\"timeline-chart\""),
        "{}",
        p.html
    );
    assert!(p.html.contains("href=\"/console/designations/sm-2027-01\""));
    assert!(p.html.contains("class=\"today\""));
    assert!(p.html.contains("class=\"bar in-force\""), "{}", p.html);
    // Extended: the designation's page names each extension and its notice.
    let r = b
        .post(
            "/console/designations/sm-2027-01/extend",
            &[
                ("csrf", &p.csrf()),
                ("until", "2028-12-01"),
                ("reference", "93 FR 77"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let d = b.get(&r.location.unwrap()).await;
    assert!(d.html.contains("until 2028-12-01 (93 FR 77)"), "{}", d.html);
}

#[tokio::test]
async fn a_resubmissions_reason_is_checked_in_the_console_as_in_the_api() {
    let app = TestApp::new().await;
    let c = app
        .customer(individual("Viktor Petrenko", "UA", "UA"))
        .await;
    app.open(&c, "direct", "paid").await;
    let fail = json!({"method": "email", "outcome": "fail"});
    app.post(&format!("/v1/customers/{c}/verification-results"), fail)
        .await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let p = b.get(&format!("/console/customers/{c}")).await;
    for reason in ["x".repeat(1001), "a\tb\u{7}".to_owned()] {
        let r = b
            .post(
                &format!("/console/customers/{c}/resubmit"),
                &[("csrf", &p.csrf()), ("reason", &reason)],
            )
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    }
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    assert!(!audit.iter().any(|e| e.entry.action == "resubmit"));
    let r = b
        .post(
            &format!("/console/customers/{c}/resubmit"),
            &[("csrf", &p.csrf()), ("reason", "new passport scan")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
}
