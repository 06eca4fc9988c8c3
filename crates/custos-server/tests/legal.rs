//! Legal process through the API: a request recorded, approved by a second person through the
//! approvals, produced, downloaded and verified; the wrong paths answered precisely; none of it
//! within a reseller's reach.

mod common;

use axum::http::StatusCode;
use common::*;
use custos_app::keys::Role;
use serde_json::json;

async fn as_role(
    app: &TestApp,
    role: Role,
    method: &str,
    path: &str,
    body: Option<serde_json::Value>,
) -> Resp {
    app.send(method, path, Some(role), body, &[]).await
}

fn subpoena(account: &str) -> serde_json::Value {
    json!({"agency": "FBI Cyber Division", "case_number": "2027-CY-0042",
        "instrument": "subpoena", "served_at": "2026-11-20T15:00:00Z", "due": "2026-12-04",
        "officer": {"name": "Special Agent Dana Whitfield", "email": "dana.whitfield@fbi.example"},
        "scope": {"accounts": [account]}})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_is_approved_by_a_second_person_and_produced_as_a_package_that_verifies() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let events: Vec<serde_json::Value> = (0..5)
        .map(|i| {
            json!({"account_id": acc, "time": format!("2026-11-0{}T10:00:00Z", i + 1),
                "ip": "203.0.113.9", "port": 22, "action": "ssh", "source": "bastion"})
        })
        .collect();
    let r = as_role(&app, Role::Admin, "POST", "/v1/events", Some(json!(events))).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // Wrong paths: a typo in the scope, a category the instrument does not reach, an unknown
    // instrument, an unknown field. Nothing is recorded.
    let mut typo = subpoena(&acc);
    typo["scope"]["accounts"] = json!([format!("{acc}x")]);
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        "/v1/legal/requests",
        Some(typo),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "scope.accounts[0]", "{}", r.body);
    let mut wide = subpoena(&acc);
    wide["scope"]["categories"] = json!(["verification"]);
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        "/v1/legal/requests",
        Some(wide),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("does not reach"),
        "{}",
        r.body
    );
    let mut bad = subpoena(&acc);
    bad["instrument"] = json!("letter");
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        "/v1/legal/requests",
        Some(bad),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // What the declaration's PDF cannot print, an order without its court, a range in the
    // future.
    for (field, change) in [
        ("agency", json!({"agency": "東京地方検察庁"})),
        ("court", json!({"instrument": "court_order_2703d"})),
        (
            "scope.from",
            json!({"scope": {"accounts": [acc], "from": "2030-01-01T00:00:00Z"}}),
        ),
    ] {
        let mut b = subpoena(&acc);
        for (k, v) in change.as_object().unwrap() {
            b[k] = v.clone();
        }
        let r = as_role(
            &app,
            Role::ComplianceOfficer,
            "POST",
            "/v1/legal/requests",
            Some(b),
        )
        .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            r.body
        );
        assert_eq!(r.body["field"], field, "{}", r.body);
    }
    let mut extra = subpoena(&acc);
    extra["scope"]["acounts"] = json!([]);
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        "/v1/legal/requests",
        Some(extra),
    )
    .await;
    assert!(r.status.is_client_error(), "{}", r.body);
    // Who may: not the control plane, not an auditor, not a reseller.
    for role in [Role::Integrator, Role::Auditor, Role::Reviewer] {
        let r = as_role(
            &app,
            role,
            "POST",
            "/v1/legal/requests",
            Some(subpoena(&acc)),
        )
        .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?}: {}", r.body);
    }
    let list = app.get("/v1/legal/requests", Role::ComplianceOfficer).await;
    assert_eq!(list.body, json!([]));

    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        "/v1/legal/requests",
        Some(subpoena(&acc)),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let approval = r.body["approval_id"].as_str().unwrap().to_owned();
    assert_eq!(
        r.body["categories"],
        json!(["subscriber", "sessions", "service", "payment"])
    );

    // The served document, kept with its SHA-256.
    let r = app
        .send_raw(
            "PUT",
            &format!("/v1/legal/requests/{id}/document"),
            Some(Role::ComplianceOfficer),
            Some(b"%PDF-1.4 subpoena".to_vec()),
            "application/pdf",
            &[("x-custos-file-name", "subpoena.pdf")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["document"]["size"], 17);
    // A program-document read cannot reach it.
    let doc = r.body["document"]["document_id"].as_str().unwrap();
    let r = app
        .get(&format!("/v1/compliance/documents/{doc}"), Role::Auditor)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    // Not produced before approval; the asker cannot approve their own.
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        &format!("/v1/legal/requests/{id}/productions"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // A reviewer may approve decisions, but not a production.
    let r = as_role(
        &app,
        Role::Reviewer,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    // Reviewing it first changes nothing the second person decides on.
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        &format!("/v1/legal/requests/{id}/state"),
        Some(json!({"state": "in_review", "note": "scope checked"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = as_role(
        &app,
        Role::Admin,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        None,
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let r = app
        .get(&format!("/v1/legal/requests/{id}"), Role::ComplianceOfficer)
        .await;
    assert_eq!(r.body["state"], "approved", "{}", r.body);
    assert_eq!(
        r.body["sealed"]["officer"]["name"],
        "Special Agent Dana Whitfield"
    );

    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        &format!("/v1/legal/requests/{id}/productions"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["events"], 5);
    let prod = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .get(
            &format!("/v1/legal/requests/{id}/productions/{prod}"),
            Role::ComplianceOfficer,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.content_type, "application/zip");
    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("p.zip");
    std::fs::write(&zip, &r.raw).unwrap();
    let v = custos_app::legal::verify::verify_package(&zip).unwrap();
    assert_eq!(v.events, 5);
    // The disclosure and the download are in the audit trail.
    let audit = app.get("/v1/audit?limit=1000", Role::Auditor).await;
    let actions: Vec<&str> = audit.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["entry"]["action"].as_str().unwrap())
        .collect();
    assert!(actions.contains(&"disclose_records"), "{actions:?}");
    assert!(actions.contains(&"read_production"), "{actions:?}");

    // Moving a produced request backwards is refused; an unknown state is a 422.
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        &format!("/v1/legal/requests/{id}/state"),
        Some(json!({"state": "in_review"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = as_role(
        &app,
        Role::ComplianceOfficer,
        "POST",
        &format!("/v1/legal/requests/{id}/state"),
        Some(json!({"state": "approved"})),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
}

#[tokio::test]
async fn a_resellers_key_reaches_no_legal_request() {
    let app = TestApp::new().await;
    custos_app::demo::seed(&app.service).await.unwrap();
    let (token, _) = app
        .service
        .create_scoped_key(
            "reseller",
            Role::Reseller,
            Some(&custos_core::AccountId::parse("acc_demo_reseller").unwrap()),
        )
        .await
        .unwrap();
    for (method, path) in [
        ("GET", "/v1/legal/requests"),
        ("GET", "/v1/legal/requests/lreq_demo_subpoena"),
        ("GET", "/v1/legal/requests/lreq_demo_subpoena/document"),
    ] {
        let req = axum::http::Request::builder()
            .method(method)
            .uri(path)
            .header("authorization", format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap();
        let r = app.send_request(req).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{path}: {}", r.body);
    }
}
