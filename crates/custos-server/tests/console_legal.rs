//! Legal process in the console, in-process: a request recorded (a typo refused inline, what
//! was typed kept), approved by a second person, produced and downloaded as a package that
//! verifies; a preservation extended once; who may see it.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use custos_server::auth::Role;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn a_request_is_recorded_approved_produced_and_downloaded_in_the_console() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let r = app
        .send(
            "POST",
            "/v1/events",
            Some(Role::Admin),
            Some(json!([{"account_id": acc, "time": "2026-11-20T10:00:00Z",
                "ip": "203.0.113.9", "action": "login", "source": "sso"}])),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let ad = user(&app, "admin@example.org", Role::Admin).await;
    let aud = user(&app, "auditor@example.org", Role::Auditor).await;

    // An auditor has no legal page.
    let mut ab = Browser::new(&app);
    ab.sign_in(&aud).await;
    assert_eq!(ab.get("/console/legal").await.status, StatusCode::FORBIDDEN);

    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let p = b.get("/console/legal").await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert!(p.html.contains("Record the request"), "{}", p.html);
    assert!(
        p.html.contains("href=\"/console/legal\""),
        "the navigation links it"
    );
    let typo = format!("{acc}x");
    let form = |account: &str| {
        vec![
            ("csrf".to_owned(), p.csrf()),
            ("agency".into(), "FBI Cyber Division".into()),
            ("case_number".into(), "2027-CY-0042".into()),
            ("instrument".into(), "subpoena".into()),
            ("served_at".into(), "2026-11-20".into()),
            ("due".into(), "2026-12-04".into()),
            ("officer_name".into(), "Special Agent Dana Whitfield".into()),
            ("accounts".into(), account.to_owned()),
            ("categories".into(), "subscriber".into()),
            ("categories".into(), "sessions".into()),
        ]
    };
    let typo_form = form(&typo);
    let pairs: Vec<(&str, &str)> = typo_form
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let r = b.post("/console/legal", &pairs).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.html);
    assert!(r.html.contains("is not a known account"), "{}", r.html);
    assert!(
        r.html.contains("value=\"2027-CY-0042\""),
        "what was typed is kept"
    );
    assert!(
        app.service
            .legal_requests(&admin_caller())
            .await
            .unwrap()
            .is_empty()
    );

    let good = form(&acc);
    let pairs: Vec<(&str, &str)> = good.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let r = b.post("/console/legal", &pairs).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let page_of = r.location.unwrap();
    let p = b.get(&page_of).await;
    assert!(p.html.contains("waits for a second person"), "{}", p.html);
    assert!(p.html.contains("Special Agent Dana Whitfield"));
    assert!(!p.html.contains("Produce the records package"));
    let id = app.service.legal_requests(&admin_caller()).await.unwrap()[0]
        .id
        .clone();
    let approval = app.service.pending_approvals(None, 10).await.unwrap()[0]
        .id
        .clone();
    let mut b2 = Browser::new(&app);
    b2.sign_in(&ad).await;
    let l = b2.get("/console/approvals").await;
    assert!(l.html.contains("produce records"), "{}", l.html);
    let r = b2
        .post(
            &format!("/console/approvals/{approval}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);

    let p = b.get(&page_of).await;
    assert!(p.html.contains("Produce the records package"), "{}", p.html);
    let r = b
        .post(
            &format!("/console/legal/{id}/productions"),
            &[("csrf", &p.csrf()), ("recipient", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let p = b.get(&r.location.unwrap()).await;
    assert!(p.html.contains("recorded as a disclosure"), "{}", p.html);
    let prod = app
        .service
        .legal_request_record(&id)
        .await
        .unwrap()
        .productions[0]
        .id
        .clone();
    assert!(p.html.contains(&format!("{prod}.zip")), "{}", p.html);
    // The download is the package, and it verifies.
    let cookie: Vec<String> = b.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let req = axum::http::Request::builder()
        .uri(format!("/console/legal/{id}/productions/{prod}"))
        .header("cookie", cookie.join("; "))
        .body(axum::body::Body::empty())
        .unwrap();
    let r = app.send_request(req).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/zip");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("p.zip");
    std::fs::write(&zip, &r.raw).unwrap();
    let v = custos_app::legal::verify::verify_package(&zip).unwrap();
    assert_eq!(v.events, 1);
}

fn admin_caller() -> custos_app::keys::Caller {
    custos_app::keys::Caller {
        key_id: "test".into(),
        role: Role::Admin,
        scope: None,
    }
}

#[tokio::test]
async fn a_preservation_is_extended_once_in_the_console() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Omar Haddad", "JO", "JO")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let p = b.get("/console/legal").await;
    let r = b
        .post(
            "/console/legal",
            &[
                ("csrf", &p.csrf()),
                ("agency", "HSI Cyber Crimes Center"),
                ("case_number", "C3-77"),
                ("instrument", "preservation"),
                ("served_at", "2026-11-23"),
                ("accounts", &acc),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let page_of = r.location.unwrap();
    let p = b.get(&page_of).await;
    assert!(p.html.contains("Preserved until"), "{}", p.html);
    assert!(p.html.contains("Extend the preservation"), "{}", p.html);
    let id = page_of
        .trim_start_matches("/console/legal/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let r = b
        .post(
            &format!("/console/legal/{id}/extend"),
            &[("csrf", &p.csrf()), ("note", "renewed letter")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.html);
    let p = b.get(&r.location.unwrap()).await;
    assert!(p.html.contains("extended once"), "{}", p.html);
    assert!(!p.html.contains("Extend the preservation"));
    let r = b
        .post(
            &format!("/console/legal/{id}/extend"),
            &[("csrf", &p.csrf()), ("note", "again")],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.html);
    assert!(r.html.contains("extended once already"), "{}", r.html);
    // The GET of a form's address goes to the request's page.
    let r = b.get(&format!("/console/legal/{id}/extend")).await;
    assert_eq!(
        r.location.as_deref(),
        Some(format!("/console/legal/{id}").as_str())
    );
}
