//! Overseeing resellers through the API: a reseller's key scoped to its own subtree, the tree
//! the provider sees whole, CIP documents and their versions, a request to produce them and
//! the package that answers it (read back by Python's zipfile), and a non-compliance case
//! from flag to termination.

mod common;

use axum::http::StatusCode;
use common::{Resp, TestApp, entity, individual};
use custos_server::auth::Role;
use serde_json::{Value, json};

/// Sends with a raw bearer token.
async fn as_token(
    app: &TestApp,
    token: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> common::Resp {
    let mut b = axum::http::Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {token}"));
    if body.is_some() {
        b = b.header("content-type", "application/json");
    }
    let req = b
        .body(axum::body::Body::from(
            body.map(|v| serde_json::to_vec(&v).unwrap())
                .unwrap_or_default(),
        ))
        .unwrap();
    app.send_request(req).await
}

async fn reseller_key(app: &TestApp, account: &str) -> String {
    let r = app
        .as_role(Role::Admin)
        .post(
            "/v1/api-keys",
            json!({"name": "reseller", "role": "reseller", "scope": account}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    r.body["token"].as_str().unwrap().to_owned()
}

async fn upload(
    app: &TestApp,
    token: Option<&str>,
    path: &str,
    content_type: &str,
    name: &str,
    body: &[u8],
) -> common::Resp {
    let mut b = axum::http::Request::builder()
        .method("PUT")
        .uri(path)
        .header("content-type", content_type)
        .header("x-custos-file-name", name);
    b = b.header(
        "authorization",
        format!(
            "Bearer {}",
            token.unwrap_or_else(|| app.key(Role::ComplianceOfficer))
        ),
    );
    app.send_request(b.body(axum::body::Body::from(body.to_vec())).unwrap())
        .await
}

#[tokio::test]
async fn a_resellers_key_reaches_its_own_subtree_only() {
    let app = TestApp::new().await;
    let (_, ra) = app.verified_foreign_reseller().await;
    let direct = app.customer(individual("Jane Roe", "US", "US")).await;
    let da = app.open_id(&direct, "direct", "paid").await;

    // Keys: a reseller's needs an open reseller account; no other key has a scope.
    for (body, why) in [
        (json!({"name": "x", "role": "reseller"}), "scope"),
        (
            json!({"name": "x", "role": "integrator", "scope": ra}),
            "scope",
        ),
        (
            json!({"name": "x", "role": "reseller", "scope": da}),
            "scope",
        ),
        (
            json!({"name": "x", "role": "reseller", "scope": "acc_nothing"}),
            "scope",
        ),
    ] {
        let k = app
            .as_role(Role::Admin)
            .post("/v1/api-keys", body.clone())
            .await;
        assert_eq!(
            k.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            k.body
        );
        assert!(k.body.to_string().contains(why), "{}", k.body);
    }
    let key = reseller_key(&app, &ra).await;
    let keys = app.get("/v1/api-keys?limit=100", Role::Admin).await.body;
    assert!(
        keys["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["scope"] == ra.as_str())
    );

    // The reseller records a sub-lessee with the same CIP data as anyone.
    let c = as_token(
        &app,
        &key,
        "POST",
        "/v1/customers",
        Some(individual("Marek Nowak", "PL", "PL")),
    )
    .await;
    assert_eq!(c.status, StatusCode::CREATED, "{}", c.body);
    let s = c.body["customer_id"].as_str().unwrap().to_owned();
    let d = as_token(
        &app,
        &key,
        "POST",
        &format!("/v1/customers/{s}/documents"),
        Some(json!({"kind": "passport", "issuing_country": "PL", "number": "EA1234567"})),
    )
    .await;
    assert_eq!(d.status, StatusCode::CREATED, "{}", d.body);
    for m in ["email", "phone", "document"] {
        let v = as_token(
            &app,
            &key,
            "POST",
            &format!("/v1/customers/{s}/verification-results"),
            Some(json!({"method": m, "outcome": "pass"})),
        )
        .await;
        assert!(v.status.is_success(), "{}", v.body);
    }
    let sa = as_token(&app, &key, "POST", "/v1/accounts",
        Some(json!({"customer_id": s, "kind": "sub_lessee", "offering": "paid", "parent_account_id": ra}))).await;
    assert_eq!(sa.status, StatusCode::CREATED, "{}", sa.body);
    assert_eq!(sa.body["account_status"], "active");
    let sa = sa.body["account_id"].as_str().unwrap().to_owned();
    // Not outside its subtree.
    let direct_acc = as_token(
        &app,
        &key,
        "POST",
        "/v1/accounts",
        Some(json!({"customer_id": s, "kind": "direct", "offering": "paid"})),
    )
    .await;
    assert_eq!(direct_acc.status, StatusCode::UNPROCESSABLE_ENTITY);
    let under_other = as_token(&app, &key, "POST", "/v1/accounts",
        Some(json!({"customer_id": direct, "kind": "sub_lessee", "offering": "paid", "parent_account_id": ra}))).await;
    assert_eq!(
        under_other.status,
        StatusCode::NOT_FOUND,
        "{}",
        under_other.body
    );
    for path in [
        format!("/v1/customers/{direct}"),
        format!("/v1/accounts/{da}"),
    ] {
        let x = as_token(&app, &key, "GET", &path, None).await;
        assert_eq!(x.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!x.raw.windows(8).any(|w| w == b"Jane Roe"));
    }
    let contact = as_token(
        &app,
        &key,
        "POST",
        &format!("/v1/customers/{direct}/contacts"),
        Some(json!({"kind": "email", "value": "x@example.com"})),
    )
    .await;
    assert_eq!(contact.status, StatusCode::NOT_FOUND);
    for (method, path) in [
        ("POST", "/v1/screening/rescreen"),
        ("GET", "/v1/screening/cases"),
        ("GET", "/v1/resellers"),
        ("GET", "/v1/audit"),
        ("GET", "/v1/designations"),
    ] {
        let x = as_token(&app, &key, method, path, None).await;
        assert_eq!(
            x.status,
            StatusCode::FORBIDDEN,
            "{method} {path}: {}",
            x.body
        );
    }
    // Its own customers and accounts, yes.
    assert_eq!(
        as_token(&app, &key, "GET", &format!("/v1/customers/{s}"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        as_token(&app, &key, "GET", &format!("/v1/accounts/{sa}"), None)
            .await
            .status,
        StatusCode::OK
    );

    // A reseller under it, with a sub-lessee of its own: the upper reseller sees it; the lower
    // one does not see the upper one's.
    let r2 = as_token(
        &app,
        &key,
        "POST",
        "/v1/customers",
        Some(entity("Rhein Compute GmbH", "DE", json!([]))),
    )
    .await;
    let r2 = r2.body["customer_id"].as_str().unwrap().to_owned();
    as_token(
        &app,
        &key,
        "POST",
        &format!("/v1/customers/{r2}/documents"),
        Some(
            json!({"kind": "company_registration", "issuing_country": "DE",
                    "number": "HRB 98765"}),
        ),
    )
    .await;
    for m in ["document", "address"] {
        as_token(
            &app,
            &key,
            "POST",
            &format!("/v1/customers/{r2}/verification-results"),
            Some(json!({"method": m, "outcome": "pass"})),
        )
        .await;
    }
    let r2a = as_token(&app, &key, "POST", "/v1/accounts",
        Some(json!({"customer_id": r2, "kind": "reseller", "offering": "paid", "parent_account_id": ra}))).await;
    assert_eq!(r2a.status, StatusCode::CREATED, "{}", r2a.body);
    let r2a = r2a.body["account_id"].as_str().unwrap().to_owned();
    let key2 = reseller_key(&app, &r2a).await;
    let s2 = as_token(
        &app,
        &key2,
        "POST",
        "/v1/customers",
        Some(individual("Ana Costa", "PT", "PT")),
    )
    .await;
    let s2 = s2.body["customer_id"].as_str().unwrap().to_owned();
    let s2a = as_token(&app, &key2, "POST", "/v1/accounts",
        Some(json!({"customer_id": s2, "kind": "sub_lessee", "offering": "paid", "parent_account_id": r2a}))).await;
    assert_eq!(s2a.status, StatusCode::CREATED, "{}", s2a.body);
    let s2a = s2a.body["account_id"].as_str().unwrap().to_owned();
    assert_eq!(
        as_token(&app, &key, "GET", &format!("/v1/accounts/{s2a}"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        as_token(&app, &key, "GET", &format!("/v1/customers/{s2}"), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        as_token(&app, &key2, "GET", &format!("/v1/accounts/{sa}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        as_token(&app, &key2, "GET", &format!("/v1/customers/{s}"), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        as_token(
            &app,
            &key2,
            "GET",
            &format!("/v1/resellers/{ra}/tree"),
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // The provider sees the whole tree; the reseller its own.
    let tree = app
        .get(&format!("/v1/resellers/{ra}/tree"), Role::Integrator)
        .await
        .body;
    let kids: Vec<&str> = tree["children"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["account_id"].as_str().unwrap())
        .collect();
    assert_eq!(kids.len(), 2, "{tree}");
    assert!(kids.contains(&sa.as_str()) && kids.contains(&r2a.as_str()));
    let mine = as_token(
        &app,
        &key2,
        "GET",
        &format!("/v1/resellers/{r2a}/tree"),
        None,
    )
    .await
    .body;
    assert_eq!(mine["children"][0]["account_id"], s2a.as_str());
}

#[tokio::test]
async fn cips_are_kept_requested_and_produced_in_one_package() {
    let app = TestApp::new().await;
    let (_, fa) = app.verified_foreign_reseller().await;
    let silent = app
        .verified(
            entity("Rhein Compute GmbH", "DE", json!([])),
            &["document", "address"],
        )
        .await;
    let sa = app.open_id(&silent, "reseller", "paid").await;
    let us = app
        .customer(entity("Prairie Cloud Inc.", "US", json!([])))
        .await;
    let ua = app.open_id(&us, "reseller", "paid").await;
    let key = reseller_key(&app, &fa).await;

    // The reseller keeps its CIP through its key, versions and all.
    let v1 = upload(
        &app,
        Some(&key),
        &format!("/v1/resellers/{fa}/cip"),
        "text/markdown",
        "cip.md",
        b"# CIP v1",
    )
    .await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.body);
    let v2 = upload(
        &app,
        Some(&key),
        &format!("/v1/resellers/{fa}/cip"),
        "application/pdf",
        "../../cip-2027.pdf",
        b"%PDF-1.7 v2",
    )
    .await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.body);
    assert_eq!(
        (v1.body["version"].as_i64(), v2.body["version"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(v2.body["file_name"], "cip-2027.pdf");
    // Not another reseller's; not a type it cannot be; not empty.
    let other = upload(
        &app,
        Some(&key),
        &format!("/v1/resellers/{sa}/cip"),
        "text/plain",
        "x.txt",
        b"x",
    )
    .await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    for (ct, body) in [
        ("application/x-msdownload", &b"MZ"[..]),
        ("text/plain", &b""[..]),
    ] {
        let bad = upload(
            &app,
            Some(&key),
            &format!("/v1/resellers/{fa}/cip"),
            ct,
            "x",
            body,
        )
        .await;
        assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY, "{ct}");
    }
    let versions = as_token(&app, &key, "GET", &format!("/v1/resellers/{fa}/cip"), None)
        .await
        .body;
    assert_eq!(versions.as_array().unwrap().len(), 2);

    // No package without the provider's own CIP.
    let r = app
        .get("/v1/compliance/cip-package", Role::ComplianceOfficer)
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let own = upload(
        &app,
        None,
        "/v1/compliance/cip",
        "text/markdown",
        "provider.md",
        b"# Our CIP",
    )
    .await;
    assert_eq!(own.status, StatusCode::CREATED, "{}", own.body);

    // A request: due ten calendar days later.
    let req = app
        .as_role(Role::ComplianceOfficer)
        .post(
            "/v1/compliance/cip-requests",
            json!({"requested_by": "US Department of Commerce", "reference": "BIS-1"}),
        )
        .await;
    assert_eq!(req.status, StatusCode::CREATED, "{}", req.body);
    assert_eq!(req.body["due_at"], "2026-12-04T09:00:00Z");
    let id = req.body["id"].as_str().unwrap().to_owned();
    app.advance(chrono::Duration::days(3));
    let pkg = app
        .get(
            &format!("/v1/compliance/cip-package?request={id}"),
            Role::ComplianceOfficer,
        )
        .await;
    assert_eq!(pkg.status, StatusCode::OK, "{}", pkg.body);
    assert_eq!(pkg.content_type, "application/zip");
    let path = app.dir.path().join("package.zip");
    std::fs::write(&path, &pkg.raw).unwrap();
    // Read back by an independent implementation: Python's zipfile.
    let out = std::process::Command::new(std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into()))
        .arg("-c")
        .arg("import json,sys,zipfile\nz=zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nprint(json.dumps({n: z.read(n).decode('utf-8','replace') for n in z.namelist()}))")
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(files["provider/v1-provider.md"], "# Our CIP");
    assert_eq!(
        files[format!("resellers/{fa}/v2-cip-2027.pdf")],
        "%PDF-1.7 v2"
    );
    let manifest: Value = serde_json::from_str(files["manifest.json"].as_str().unwrap()).unwrap();
    assert_eq!(manifest["request_id"], id.as_str());
    assert_eq!(manifest["documents"].as_array().unwrap().len(), 2);
    // The foreign reseller that gave none is named; the US one is not asked for.
    assert_eq!(manifest["missing"], json!([sa]));
    assert!(!manifest.to_string().contains(&ua));
    // A package that lacks a CIP does not answer the request: it stays open, its deadline on
    // the calendar, the reseller named.
    let reqs = app
        .get("/v1/compliance/cip-requests", Role::Auditor)
        .await
        .body;
    assert!(reqs[0]["fulfilled_at"].is_null(), "{}", reqs[0]);
    assert_eq!(reqs[0]["outstanding"], json!([sa]));
    assert_eq!(reqs[0]["last_package_at"], "2026-11-27T09:00:00Z");
    assert_eq!(
        reqs[0]["package_sha256"].as_str().unwrap(),
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&pkg.raw))
    );
    let due = app
        .get("/v1/compliance/deadlines", Role::ComplianceOfficer)
        .await;
    assert!(
        due.raw.windows(id.len()).any(|w| w == id.as_bytes()),
        "{}",
        due.body
    );
    // Each document read for the package is in the audit trail.
    let audit = app.get("/v1/audit?limit=500", Role::Auditor).await.body;
    let reads = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["entry"]["action"] == "read_document")
        .count();
    assert_eq!(reads, 2);
    // A document's content, for an auditor.
    let doc = app
        .get(
            &format!(
                "/v1/compliance/documents/{}",
                v1.body["id"].as_str().unwrap()
            ),
            Role::Auditor,
        )
        .await;
    assert_eq!(
        (doc.status, doc.raw.as_slice()),
        (StatusCode::OK, &b"# CIP v1"[..])
    );
    let resellers = app.get("/v1/resellers", Role::Auditor).await.body;
    let f = resellers
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == fa.as_str())
        .unwrap();
    assert_eq!(
        (f["foreign"].as_bool(), f["cip"]["version"].as_i64()),
        (Some(true), Some(2))
    );
    let u = resellers
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["account_id"] == ua.as_str())
        .unwrap();
    assert_eq!(u["foreign"], false);
    // Once the silent reseller gives its CIP, the next package answers it.
    let skey = reseller_key(&app, &sa).await;
    let up = upload(
        &app,
        Some(&skey),
        &format!("/v1/resellers/{sa}/cip"),
        "text/markdown",
        "cip.md",
        b"# Rhein CIP",
    )
    .await;
    assert_eq!(up.status, StatusCode::CREATED, "{}", up.body);
    app.advance(chrono::Duration::days(1));
    let pkg2 = app
        .get(
            &format!("/v1/compliance/cip-package?request={id}"),
            Role::ComplianceOfficer,
        )
        .await;
    assert_eq!(pkg2.status, StatusCode::OK);
    let reqs = app
        .get("/v1/compliance/cip-requests", Role::Auditor)
        .await
        .body;
    assert_eq!(
        reqs[0]["fulfilled_at"], "2026-11-28T09:00:00Z",
        "{}",
        reqs[0]
    );
    assert_eq!(reqs[0]["outstanding"], json!([]));
    let due = app
        .get("/v1/compliance/deadlines", Role::ComplianceOfficer)
        .await;
    assert!(
        !due.raw.windows(id.len()).any(|w| w == id.as_bytes()),
        "{}",
        due.body
    );
}

#[tokio::test]
async fn a_non_compliant_reseller_is_flagged_reported_and_terminated() {
    let app = TestApp::new().await;
    let (ra, sa) = app.reseller_with_sub_lessee().await;
    let co = Some(Role::ComplianceOfficer);
    let f = app
        .as_role(Role::Integrator)
        .post(
            &format!("/v1/resellers/{ra}/non-compliance"),
            json!({"reason": "x"}),
        )
        .await;
    assert_eq!(f.status, StatusCode::FORBIDDEN);
    let f = app
        .send(
            "POST",
            &format!("/v1/resellers/{sa}/non-compliance"),
            co,
            Some(json!({"reason": "x"})),
            &[],
        )
        .await;
    assert_eq!(
        f.status,
        StatusCode::CONFLICT,
        "a sub-lessee is not a reseller"
    );
    let f = app
        .send(
            "POST",
            &format!("/v1/resellers/{ra}/non-compliance"),
            co,
            Some(json!({"reason": "no CIP after two requests"})),
            &[],
        )
        .await;
    assert_eq!(f.status, StatusCode::CREATED, "{}", f.body);
    assert_eq!(f.body["terminate_by"], "2026-12-24T09:00:00Z");
    let id = f.body["id"].as_str().unwrap().to_owned();
    // Flagged again while the case is open (a request sent twice): refused, one clock only.
    let again = app
        .send(
            "POST",
            &format!("/v1/resellers/{ra}/non-compliance"),
            co,
            Some(json!({"reason": "no CIP after two requests"})),
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
    assert!(
        again.body["detail"].as_str().unwrap().contains(&id),
        "{}",
        again.body
    );
    let rep = app
        .send(
            "POST",
            &format!("/v1/compliance/non-compliance/{id}/reports"),
            co,
            Some(json!({"text": "Reported to BIS", "suspected_malicious_activity": true})),
            &[],
        )
        .await;
    assert_eq!(rep.status, StatusCode::OK, "{}", rep.body);
    assert_eq!(rep.body["reports"][0]["suspected_malicious_activity"], true);
    let listed = app.get("/v1/resellers", Role::ComplianceOfficer).await.body;
    assert_eq!(listed[0]["open_non_compliance"], json!([id]));
    let waiting = app
        .send(
            "POST",
            &format!("/v1/compliance/non-compliance/{id}/close"),
            co,
            Some(json!({"outcome": "terminated", "note": "relationship ended"})),
            &[],
        )
        .await;
    // A person's termination says why: the second person decides on it.
    let why = app
        .send(
            "POST",
            &format!("/v1/compliance/non-compliance/{id}/close"),
            co,
            Some(json!({"outcome": "terminated"})),
            &[],
        )
        .await;
    assert_eq!(why.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", why.body);
    // Terminating closes accounts: a person's termination waits for a second person.
    assert_eq!(waiting.status, StatusCode::ACCEPTED, "{}", waiting.body);
    assert_eq!(waiting.body["kind"], "terminate_reseller");
    assert_eq!(waiting.body["target"], id.as_str());
    let open = app
        .get(&format!("/v1/accounts/{ra}"), Role::Integrator)
        .await
        .body;
    assert_eq!(open["account_status"], "active", "{open}");
    let twice = app
        .send(
            "POST",
            &format!("/v1/compliance/non-compliance/{id}/close"),
            co,
            Some(json!({"outcome": "terminated", "reason": "again"})),
            &[],
        )
        .await;
    assert_eq!(twice.status, StatusCode::CONFLICT, "{}", twice.body);
    let own = app
        .send(
            "POST",
            &format!(
                "/v1/approvals/{}/approve",
                waiting.body["id"].as_str().unwrap()
            ),
            co,
            None,
            &[],
        )
        .await;
    assert_eq!(own.status, StatusCode::FORBIDDEN, "{}", own.body);
    // A reviewer may not approve a termination: it needs a compliance officer's power.
    let reviewer = app
        .send(
            "POST",
            &format!(
                "/v1/approvals/{}/approve",
                waiting.body["id"].as_str().unwrap()
            ),
            Some(Role::Reviewer),
            None,
            &[],
        )
        .await;
    assert_eq!(reviewer.status, StatusCode::FORBIDDEN, "{}", reviewer.body);
    app.approved_by(&waiting, Role::Admin).await;
    let cases = app
        .get("/v1/compliance/non-compliance", Role::ComplianceOfficer)
        .await
        .body;
    let t = cases
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id.as_str())
        .cloned()
        .unwrap();
    assert_eq!(t["outcome"], "terminated", "{t}");
    assert_eq!(t["close_reason"], "relationship ended", "{t}");
    for a in [&ra, &sa] {
        let x = app
            .get(&format!("/v1/accounts/{a}"), Role::Integrator)
            .await
            .body;
        assert_eq!(x["account_status"], "closed", "{x}");
    }
    let again = app
        .send(
            "POST",
            &format!("/v1/compliance/non-compliance/{id}/close"),
            co,
            Some(json!({"outcome": "resolved"})),
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let none = app
        .send(
            "POST",
            "/v1/compliance/non-compliance/nc_nothing/reports",
            co,
            Some(json!({"text": "x"})),
            &[],
        )
        .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_terminated_or_closed_resellers_key_stops_working() {
    let app = TestApp::new().await;
    let (_, ra) = app.verified_foreign_reseller().await;
    let key = reseller_key(&app, &ra).await;
    let new_customer = json!({"individual": {"full_name": "Marek Nowak", "citizenships": ["PL"]}});
    let ok = as_token(
        &app,
        &key,
        "POST",
        "/v1/customers",
        Some(new_customer.clone()),
    )
    .await;
    assert_eq!(ok.status, StatusCode::CREATED, "{}", ok.body);
    let tree = format!("/v1/resellers/{ra}/tree");
    assert_eq!(
        as_token(&app, &key, "GET", &tree, None).await.status,
        StatusCode::OK
    );
    // Terminated for non-compliance: the account closes, and the key with it.
    let co = Some(Role::ComplianceOfficer);
    let f = app
        .send(
            "POST",
            &format!("/v1/resellers/{ra}/non-compliance"),
            co,
            Some(json!({"reason": "no CIP"})),
            &[],
        )
        .await;
    let id = f.body["id"].as_str().unwrap().to_owned();
    let t = app
        .send(
            "POST",
            &format!("/v1/compliance/non-compliance/{id}/close"),
            co,
            Some(json!({"outcome": "terminated", "reason": "no CIP"})),
            &[],
        )
        .await;
    app.approved_by(&t, Role::Admin).await;
    let refused = as_token(&app, &key, "POST", "/v1/customers", Some(new_customer)).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);
    assert_eq!(
        as_token(&app, &key, "GET", &tree, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    // And the key is revoked, as the key list says.
    let keys = app.get("/v1/api-keys?limit=100", Role::Admin).await.body;
    let listed = keys["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["role"] == "reseller")
        .cloned()
        .unwrap();
    assert!(!listed["revoked_at"].is_null(), "{listed}");

    // A reseller account closed on request (not terminated): the same.
    let r2 = app
        .verified(
            entity("Fjord Cloud AS", "NO", json!([])),
            &["document", "address"],
        )
        .await;
    let r2a = app.open_id(&r2, "reseller", "paid").await;
    let key2 = reseller_key(&app, &r2a).await;
    let c = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/accounts/{r2a}/close"),
            json!({"reason": "contract ended"}),
        )
        .await;
    // A person's close waits for a second person; an admin approves it.
    app.approved_by(&c, Role::Admin).await;
    assert_eq!(
        as_token(&app, &key2, "GET", &format!("/v1/accounts/{r2a}"), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

/// A request sent twice at once (a double click, a retry racing the first): one is kept.
#[tokio::test]
async fn repeats_sent_at_once_are_kept_once() {
    let app = TestApp::new().await;
    let (_, ra) = app.verified_foreign_reseller().await;
    let co = Some(Role::ComplianceOfficer);
    let flag_path = format!("/v1/resellers/{ra}/non-compliance");
    let flag = || {
        app.send(
            "POST",
            &flag_path,
            co,
            Some(json!({"reason": "no CIP"})),
            &[],
        )
    };
    let (a, b) = tokio::join!(flag(), flag());
    let a = one_kept(a, b, StatusCode::CREATED);
    let id = a.body["id"].as_str().unwrap().to_owned();
    let close_path = format!("/v1/compliance/non-compliance/{id}/close");
    let close = || {
        app.send(
            "POST",
            &close_path,
            co,
            Some(json!({"outcome": "terminated", "reason": "no CIP"})),
            &[],
        )
    };
    let (a, b) = tokio::join!(close(), close());
    let asked = one_kept(a, b, StatusCode::ACCEPTED);
    assert_eq!(asked.body["kind"], "terminate_reseller", "{}", asked.body);
    assert_eq!(
        app.service.pending_approvals(None, 10).await.unwrap().len(),
        1
    );
    let grant = || {
        app.send(
            "POST",
            "/v1/compliance/exemptions",
            co,
            Some(json!({"reason": "ADP", "scope": {"kind": "provider"},
                "requirements": ["reverification"]})),
            &[],
        )
    };
    let (a, b) = tokio::join!(grant(), grant());
    let granted = one_kept(a, b, StatusCode::CREATED);
    assert_eq!(
        granted.body["exemption"]["reason"], "ADP",
        "{}",
        granted.body
    );
}

/// Of two answers to the same request sent at once, one did it (`ok`) and the other was
/// refused as a repeat: the one that did it.
fn one_kept(a: Resp, b: Resp, ok: StatusCode) -> Resp {
    let mut codes = [a.status, b.status];
    codes.sort();
    let mut want = [ok, StatusCode::CONFLICT];
    want.sort();
    assert_eq!(codes, want, "{} {}", a.body, b.body);
    if a.status == ok { a } else { b }
}
