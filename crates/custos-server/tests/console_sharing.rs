//! Sharing in the console, in-process, as a compliance officer works it: a collection made
//! from a form (a key that is not a peer's said inline), a report's case shared from its page,
//! an incident recorded from a form (a wrong field said inline, what was typed kept), reported,
//! its sheet as HTML and PDF; a reviewer sees none of it.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use custos_server::auth::Role;
use serde_json::json;

#[tokio::test]
async fn a_compliance_officer_shares_a_case_and_reports_an_incident() {
    let app = TestApp::new().await;
    // A report of an address no account used: an unmatched case, still the actor's address.
    let r = app
        .post(
            "/v1/abuse-reports",
            json!({"ip": "203.0.113.77", "at": "2026-01-01T00:00:00Z", "category": "scanning",
                "evidence": "port scans"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let case = r.body["cases"][0]["id"].as_str().unwrap().to_owned();
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;

    // A collection: a reader that is no peer key is refused inline, the title kept.
    let page = b.get("/console/sharing").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    let csrf = page.csrf();
    let p = b
        .post(
            "/console/sharing/collections",
            &[
                ("csrf", &csrf),
                ("title", "Scanners"),
                ("readers", "key_nobody"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("live `peer` key"), "{}", p.html);
    assert!(
        p.html.contains("value=\"Scanners\""),
        "the title typed is kept"
    );
    let p = b
        .post(
            "/console/sharing/collections",
            &[("csrf", &csrf), ("title", "Scanners"), ("readers", "*")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("every peer"), "{}", p.html);

    // The case, shared from its page.
    let page = b.get(&format!("/console/abuse/{case}")).await;
    assert!(page.html.contains("Share with peers"), "{}", page.html);
    // Nothing of the account is offered: it is not closed for abuse.
    for part in ["name=\"addresses\"", "name=\"ssh_keys\""] {
        assert!(!page.html.contains(part), "{part}: {}", page.html);
    }
    let collection = app.service.collections().await.unwrap()[0].id.clone();
    let p = b
        .post(
            &format!("/console/abuse/{case}/share"),
            &[
                ("csrf", &csrf),
                ("collection", &collection),
                ("tlp", "purple"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("choose a TLP level"), "{}", p.html);
    let p = b
        .post(
            &format!("/console/abuse/{case}/share"),
            &[
                ("csrf", &csrf),
                ("collection", &collection),
                ("tlp", "green"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = b.get(p.location.as_deref().unwrap()).await;
    assert!(page.html.contains("Shared: peers"), "{}", page.html);

    // An incident from the form: a count that is not one is said, the narrative kept.
    let narrative = "Scans from one address against many customers.";
    let mut fields = vec![
        ("csrf", csrf.as_str()),
        ("occurred_at", "2025-12-31T22:00"),
        ("detected_at", "2025-12-31T23:00"),
        ("activity", "infrastructure_abuse"),
        ("severity", "medium"),
        ("location", "edge routers"),
        ("systems_affected", "many"),
        ("accounts_affected", "0"),
        ("narrative", narrative),
        ("organisation", "Example Cloud"),
        ("sector", "information technology"),
        ("contact_name", "Security desk"),
        ("contact_email", "security@example.org"),
        ("abuse_cases", &case),
    ];
    let p = b.post("/console/incidents", &fields).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(
        p.html.contains("systems affected: is a whole number"),
        "{}",
        p.html
    );
    assert!(p.html.contains(narrative), "the narrative typed is kept");
    fields[6] = ("systems_affected", "12");
    let p = b.post("/console/incidents", &fields).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let at = p.location.unwrap();
    let id = at
        .trim_start_matches("/console/incidents/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = b.get(&at).await;
    assert!(page.html.contains("Systems affected: 12"), "{}", page.html);
    assert!(
        page.html.contains("report overdue"),
        "the test clock is past its 72 hours"
    );
    let list = b.get("/console/incidents").await;
    assert!(
        list.html.contains(&id) && list.html.contains("overdue"),
        "{}",
        list.html
    );
    let sheet = b.get(&format!("/console/incidents/{id}/sheet.pdf")).await;
    assert_eq!(sheet.headers["content-type"], "application/pdf");
    let p = b
        .post(
            &format!("/console/incidents/{id}/reported"),
            &[
                ("csrf", &csrf),
                ("to", "CISA, FBI IC3"),
                ("reference", "CISA-1"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let page = b.get(p.location.as_deref().unwrap()).await;
    assert!(
        page.html.contains("CISA, FBI IC3 (reference CISA-1)"),
        "{}",
        page.html
    );
    assert!(!page.html.contains("report overdue"));

    // A reviewer works abuse, not sharing: no page, no share form.
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut r = Browser::new(&app);
    r.sign_in(&rev).await;
    assert_eq!(
        r.get("/console/sharing").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        r.get(&format!("/console/incidents/{id}")).await.status,
        StatusCode::FORBIDDEN
    );
    assert!(
        !r.get(&format!("/console/abuse/{case}"))
            .await
            .html
            .contains("Share with peers")
    );
}
