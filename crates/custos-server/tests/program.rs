//! The rest of the compliance program through the API: exemptions that lift what they name
//! (and decisions that say so), the Abuse Deterrence Program's record, the deadlines calendar
//! with every clock, re-verification, and the CIP certification, whose figures must match the
//! records (its PDF read back by pypdf).

mod common;

use axum::http::StatusCode;
use common::{TestApp, entity, individual};
use custos_server::auth::Role;
use serde_json::{Value, json};

const CO: Option<Role> = Some(Role::ComplianceOfficer);

fn owner(name: &str, country: &str, percent: f64) -> Value {
    json!({"person": {"full_name": name, "citizenships": [country],
        "residence": {"line1": "2 Main Street", "city": "Town", "country": country}},
        "ownership_percent": percent})
}

async fn profile(app: &TestApp) {
    let r = app
        .send("PUT", "/v1/compliance/profile", CO, Some(json!({
            "provider_name": "Example Cloud LLC",
            "provider_address": "100 Main Street, Reston, VA 20190, United States",
            "cip_contact": {"name": "Dana Whitfield", "title": "CIP officer", "email": "cip@example.net"},
            "detection_resources": ["24x7 abuse desk", "NetFlow anomaly detection"],
            "reseller_oversight": "Foreign resellers give their CIP yearly."})), &[])
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
}

/// When account `acc`'s wait for verification is due.
async fn due(app: &TestApp, acc: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let d = app
        .get("/v1/compliance/deadlines?within_days=400", Role::Auditor)
        .await
        .body;
    d.as_array()
        .unwrap()
        .iter()
        .find(|x| x["clock"] == "pending_verification" && x["subject"] == acc)
        .map(|x| x["due_at"].as_str().unwrap().parse().unwrap())
}

#[tokio::test]
async fn exemptions_lift_what_they_name_and_decisions_say_so() {
    let app = TestApp::new().await;
    let f = app.customer(individual("Jonas Weber", "DE", "DE")).await;
    let fa = app.open_id(&f, "direct", "paid").await;
    let g = app.customer(individual("Lucie Martin", "FR", "FR")).await;
    let ga = app.open_id(&g, "direct", "trial").await;
    assert_eq!(app.account(&fa).await["account_status"], "restricted");
    assert_eq!(
        app.account(&ga).await["account_status"],
        "pending_verification"
    );

    for (body, code) in [
        (
            json!({"basis": "ADP", "scope": {"kind": "provider"}, "requirements": []}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"basis": "ADP", "scope": {"kind": "account_type"}, "requirements": ["verification"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"basis": "ADP", "scope": {"kind": "lessee", "customer_id": "cus_nobody"}, "requirements": ["verification"]}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"basis": " ", "scope": {"kind": "provider"}, "requirements": ["verification"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"basis": "ADP", "scope": {"kind": "planet"}, "requirements": ["verification"]}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let r = app
            .send(
                "POST",
                "/v1/compliance/exemptions",
                CO,
                Some(body.clone()),
                &[],
            )
            .await;
        assert_eq!(r.status, code, "{body}: {}", r.body);
    }
    let r = app.as_role(Role::Integrator).post("/v1/compliance/exemptions", json!({"basis": "ADP", "scope": {"kind": "provider"}, "requirements": ["verification"]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/v1/compliance/exemptions", Role::Auditor)
            .await
            .body,
        json!([])
    );

    let first_due = due(&app, &fa).await.expect("a verification deadline");
    app.advance(chrono::Duration::days(2));

    // A lessee exempted from verification: its unverified account is usable, and says why.
    let r = app
        .send(
            "POST",
            "/v1/compliance/exemptions",
            CO,
            Some(json!({
        "basis": "Follows the provider's Abuse Deterrence Program",
        "scope": {"kind": "lessee", "customer_id": f}, "requirements": ["verification"],
        "reference": "BIS-EX-1"})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["redecided"], 1);
    let lessee = r.body["exemption"]["id"].as_str().unwrap().to_owned();
    let x = app.account(&fa).await;
    assert_eq!(x["account_status"], "active", "{x}");
    assert_eq!(x["reasons"][0]["code"], "exempt_from_verification");
    assert_eq!(x["exemptions"][0]["id"], lessee.as_str());
    assert_eq!(
        app.account(&ga).await["account_status"],
        "pending_verification"
    );

    // An account type: trial offerings, for ten days.
    let r = app
        .send(
            "POST",
            "/v1/compliance/exemptions",
            CO,
            Some(json!({
        "basis": "Trial accounts run in an isolated sandbox",
        "scope": {"kind": "account_type", "offering": "trial"}, "requirements": ["verification"],
        "expires": "2026-12-04T09:00:00Z"})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let trial = r.body["exemption"]["id"].as_str().unwrap().to_owned();
    assert_eq!(app.account(&ga).await["account_status"], "active");

    // Revoked a day later: back to the CIP's requirements.
    app.advance(chrono::Duration::days(1));
    let r = app
        .send(
            "POST",
            &format!("/v1/compliance/exemptions/{lessee}/revoke"),
            CO,
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.account(&fa).await["account_status"], "restricted");
    // The wait goes on where it stopped: the day exempted is added, no new 30 days.
    assert_eq!(
        due(&app, &fa).await.unwrap(),
        first_due + chrono::Duration::days(1)
    );
    let again = app
        .send(
            "POST",
            &format!("/v1/compliance/exemptions/{lessee}/revoke"),
            CO,
            None,
            &[],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);

    // Expired: the sweep re-decides. A determination entered late (in force already, on a
    // country none of these customers is linked to) makes the same sweep screen every
    // customer again, which changes no case: every account is still decided again.
    app.advance(chrono::Duration::days(11));
    let late = app
        .send(
            "POST",
            "/v1/designations",
            CO,
            Some(
                serde_json::json!({"id": "sm-kp", "subject": {"kind": "jurisdiction",
                "country": "KP"}, "measure": "prohibition", "determined": "2026-01-05",
                "reference": "91 FR 7"}),
            ),
            &[],
        )
        .await;
    assert_eq!(late.status, StatusCode::CREATED, "{}", late.body);
    let s = app
        .send("POST", "/v1/compliance/sweep", CO, None, &[])
        .await;
    assert!(
        s.body["exemption_transitions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t == trial.as_str()),
        "{}",
        s.body
    );
    assert!(s.body["rescreen"].is_object(), "{}", s.body);
    assert_eq!(
        app.account(&ga).await["account_status"],
        "pending_verification"
    );
    let all = app
        .get("/v1/compliance/exemptions", Role::Auditor)
        .await
        .body;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn certification_figures_match_the_records() {
    let app = TestApp::new().await;
    let no_profile = app
        .get("/v1/reports/certification", Role::ComplianceOfficer)
        .await;
    assert_eq!(no_profile.status, StatusCode::CONFLICT);
    profile(&app).await;
    // A profile that is not one changes nothing.
    for bad in [
        json!({"provider_name": "X\u{7}", "cip_contact": {"name": "A", "email": "a@example.net"},
               "detection_resources": [], "reseller_oversight": "y"}),
        json!({"provider_name": "X", "cip_contact": {"name": "A", "email": "not-an-email"},
               "detection_resources": [], "reseller_oversight": "y"}),
        json!({"provider_name": "X", "cip_contact": {"name": "A", "email": "a@example.net"},
               "detection_resources": ["z".repeat(3000)], "reseller_oversight": "y"}),
    ] {
        let r = app
            .send("PUT", "/v1/compliance/profile", CO, Some(bad.clone()), &[])
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
    }
    let kept = app.get("/v1/compliance/profile", Role::Auditor).await;
    assert_eq!(kept.body["provider_name"], "Example Cloud LLC");

    // Three US customers; two verified foreign customers in DE; an entity in NL with two
    // foreign owners (DE, GB) and a US one; a foreign reseller (NL) with its CIP and a US
    // reseller without one; one customer whose only account is closed (not counted).
    for n in ["Ann Lee", "Bob Ray", "Cy Dunn"] {
        let c = app.customer(individual(n, "US", "US")).await;
        app.open_id(&c, "direct", "paid").await;
    }
    for n in ["Jonas Weber", "Anna Schmidt"] {
        let c = app
            .verified(individual(n, "DE", "DE"), &["email", "document"])
            .await;
        app.open_id(&c, "direct", "paid").await;
    }
    let e = app
        .customer(entity(
            "Polder Data B.V.",
            "NL",
            json!([
                owner("Klaus Berg", "DE", 40.0),
                owner("Emma Hughes", "GB", 30.0),
                owner("Sam Ortiz", "US", 30.0)
            ]),
        ))
        .await;
    let subjects = app
        .get(&format!("/v1/customers/{e}"), Role::Integrator)
        .await
        .body["subjects"]
        .clone();
    app.pass(&e, None, &["document", "address"]).await;
    for s in subjects.as_array().unwrap().iter().skip(1) {
        app.pass(&e, Some(&s["subject_id"]), &["document", "address"])
            .await;
    }
    app.open_id(&e, "direct", "paid").await;
    let r = app
        .verified(
            entity("Rhein Resale GmbH", "DE", json!([])),
            &["document", "address"],
        )
        .await;
    let ra = app.open_id(&r, "reseller", "paid").await;
    let cip = app
        .send_raw(
            "PUT",
            &format!("/v1/resellers/{ra}/cip"),
            CO,
            Some(b"# CIP".to_vec()),
            "text/markdown",
            &[("x-custos-file-name", "cip.md")],
        )
        .await;
    assert_eq!(cip.status, StatusCode::CREATED);
    let us_r = app
        .customer(entity("Prairie Resale Inc.", "US", json!([])))
        .await;
    app.open_id(&us_r, "reseller", "paid").await;
    let gone = app.customer(individual("Dee Fox", "US", "US")).await;
    let gone_a = app.open_id(&gone, "direct", "paid").await;
    app.as_role(Role::Integrator)
        .post(
            &format!("/v1/accounts/{gone_a}/close"),
            json!({"reason": "customer request"}),
        )
        .await;

    // Unverified foreign customers: FR is never verified (closed at the deadline), IT is
    // verified after waiting, ES opens later and is still waiting.
    let fr = app.customer(individual("Lucie Martin", "FR", "FR")).await;
    let fr_a = app.open_id(&fr, "direct", "paid").await;
    let it = app.customer(individual("Marco Rossi", "IT", "IT")).await;
    app.open_id(&it, "direct", "paid").await;
    app.advance(chrono::Duration::days(5));
    app.pass(&it, None, &["email", "document"]).await;
    app.advance(chrono::Duration::days(26));
    let s = app
        .send("POST", "/v1/compliance/sweep", CO, None, &[])
        .await;
    assert_eq!(s.body["closed"], 1, "{}", s.body);
    assert_eq!(app.account(&fr_a).await["account_status"], "closed");
    let es = app.customer(individual("Lola Vidal", "ES", "ES")).await;
    let es_a = app.open_id(&es, "direct", "paid").await;

    let c = app
        .get("/v1/reports/certification?annual=true", Role::Auditor)
        .await;
    assert_eq!(c.status, StatusCode::OK, "{}", c.body);
    let c = c.body;
    assert_eq!(c["kind"], "annual");
    assert_eq!(c["provider_name"], "Example Cloud LLC");
    assert_eq!(c["cip_contact"]["email"], "cip@example.net");
    // Customers with an open account: 3 US + 2 DE + NL entity + 2 resellers + IT + ES.
    assert_eq!(c["customers"]["total"], 10, "{}", c["customers"]);
    assert_eq!(
        c["customers"]["by_country"],
        json!({"US": 4, "DE": 3, "NL": 1, "IT": 1, "ES": 1})
    );
    assert_eq!(c["foreign_customers"]["total"], 6);
    assert_eq!(
        c["foreign_beneficial_owners"],
        json!({"total": 2, "by_country": {"DE": 1, "GB": 1}})
    );
    let fr_list = c["foreign_resellers"].as_array().unwrap();
    assert_eq!(fr_list.len(), 1);
    assert_eq!(fr_list[0]["account_id"], ra.as_str());
    assert_eq!(fr_list[0]["name"], "Rhein Resale GmbH");
    assert_eq!(fr_list[0]["cip_version"], 1);
    assert_eq!(c["reseller_oversight"]["reseller_accounts"], 2);
    assert_eq!(c["reseller_oversight"]["foreign_with_cip_on_file"], 1);
    assert_eq!(c["unverified_foreign_accounts"], 1);
    assert_eq!(c["unverified_foreign_account_ids"], json!([es_a]));
    let res = &c["unverified_resolutions"];
    assert_eq!(
        (
            res["verified"].as_u64(),
            res["closed_verification_deadline"].as_u64(),
            res["still_pending"].as_u64()
        ),
        (Some(1), Some(1), Some(1)),
        "{res}"
    );
    assert!(
        c["identity_verification"]["requirements"]["high"]["individual"]
            .as_str()
            .unwrap()
            .contains("document")
    );
    // The whole read is in the audit trail, once, for the certification.
    let audit = app.get("/v1/audit?limit=1000", Role::Auditor).await.body;
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["entry"]["action"] == "read_customers"
                && e["entry"]["purpose"] == "certification")
    );

    // HTML and PDF carry the same figures; the PDF is read back by pypdf.
    let html = app
        .get("/v1/reports/certification?format=html", Role::Auditor)
        .await;
    assert!(html.content_type.starts_with("text/html"));
    let html = String::from_utf8(html.raw).unwrap();
    assert!(html.contains("<h1>Initial CIP certification: Example Cloud LLC</h1>"));
    assert!(html.contains("<p>Total: 10</p>") && html.contains("<p>Germany (DE): 3</p>"));
    // A document a regulator reads: the provider and its address, what each figure counts,
    // the attestation, and blank lines for the official to sign (none was named).
    for needle in [
        "Example Cloud LLC, 100 Main Street, Reston, VA 20190, United States",
        "<p>What this counts: customers with at least one open account",
        "<h2>Attestation</h2>",
        "<p>Certifying official: ______________________________</p>",
        "<p>Signature: ______________________________</p>",
    ] {
        assert!(html.contains(needle), "`{needle}` not in:\n{html}");
    }
    assert!(!html.contains("payment_instrument"), "raw codes: {html}");
    let pdf = app
        .get(
            "/v1/reports/certification?format=pdf&annual=true",
            Role::Auditor,
        )
        .await;
    assert_eq!(pdf.content_type, "application/pdf");
    let path = app.dir.path().join("cert.pdf");
    std::fs::write(&path, &pdf.raw).unwrap();
    let out = std::process::Command::new(
        std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into()),
    )
    .arg(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/oracle/pdf_text.py"
    ))
    .arg(&path)
    .output()
    .unwrap();
    assert!(
        out.status.success(),
        "pypdf: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    for needle in [
        "title: annual CIP certification",
        "Annual CIP certification: Example Cloud LLC",
        "Customers (number and locations)",
        "Total: 10",
        "Germany (DE): 3",
        "United Kingdom (GB): 1",
        "Rhein Resale GmbH (Germany (DE))",
        "I certify that Example Cloud LLC maintains and implements",
        "Count: 1",
        "closed: verification deadline passed: 1",
        "Dana Whitfield (CIP officer), cip@example.net",
    ] {
        assert!(text.contains(needle), "`{needle}` not in the PDF:\n{text}");
    }
    let bad = app
        .get("/v1/reports/certification?format=docx", Role::Auditor)
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Filed: the PDF is kept and the annual one falls due a year later.
    let f = app
        .send(
            "POST",
            "/v1/compliance/certifications",
            CO,
            Some(json!({"annual": false,
                "signer": {"name": "Dana Whitfield", "title": "Chief Compliance Officer"}})),
            &[],
        )
        .await;
    assert_eq!(f.status, StatusCode::CREATED, "{}", f.body);
    assert_eq!(f.body["signer"]["name"], "Dana Whitfield", "{}", f.body);
    let doc = app
        .get(
            &format!(
                "/v1/compliance/documents/{}",
                f.body["document_id"].as_str().unwrap()
            ),
            Role::Auditor,
        )
        .await;
    assert!(doc.raw.starts_with(b"%PDF-1.5"));
    let d = app
        .get("/v1/compliance/deadlines?within_days=400", Role::Auditor)
        .await
        .body;
    let annual = d
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["clock"] == "annual_certification")
        .unwrap();
    assert_eq!(annual["due_at"], "2027-12-25T09:00:00Z");
}

#[tokio::test]
async fn the_calendar_holds_every_clock() {
    let app = TestApp::new().await;
    // Before anything: the initial certification is due, on a date that does not move with
    // the question (the policy's 90 days after the program started), and not yet overdue.
    let d = app
        .get("/v1/compliance/deadlines", Role::Auditor)
        .await
        .body;
    assert_eq!(d[0]["clock"], "initial_certification");
    assert_eq!(d[0]["due_at"], "2027-02-22T09:00:00Z");
    assert_eq!(d[0]["overdue"], false);
    app.advance(chrono::Duration::days(91));
    let late = app
        .get("/v1/compliance/deadlines", Role::Auditor)
        .await
        .body;
    let initial = late
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["clock"] == "initial_certification")
        .unwrap();
    assert_eq!(initial["due_at"], "2027-02-22T09:00:00Z");
    assert_eq!(initial["overdue"], true);
    app.advance(chrono::Duration::days(-91));

    let foreign = app.customer(individual("Lucie Martin", "FR", "FR")).await;
    let fa = app.open_id(&foreign, "direct", "paid").await;
    let r = app
        .verified(
            json!({"entity": {"legal_name": "Rhein Resale GmbH", "jurisdiction": "DE",
        "addresses": [{"line1": "1 Ring", "city": "Bonn", "country": "DE"}]}}),
            &["document", "address"],
        )
        .await;
    let ra = app.open_id(&r, "reseller", "paid").await;
    let v = app
        .verified(
            individual("Jonas Weber", "DE", "DE"),
            &["email", "document"],
        )
        .await;
    app.open_id(&v, "direct", "paid").await;

    let req = app
        .send(
            "POST",
            "/v1/compliance/cip-requests",
            CO,
            Some(json!({"requested_by": "Commerce", "reference": "R-1"})),
            &[],
        )
        .await;
    assert_eq!(req.status, StatusCode::CREATED);
    let ai = app
        .send(
            "POST",
            "/v1/compliance/ai-training-reports",
            CO,
            Some(json!({"customer_id": foreign, "transaction_reference": "order-1"})),
            &[],
        )
        .await;
    assert_eq!(ai.status, StatusCode::CREATED, "{}", ai.body);
    let nc = app
        .send(
            "POST",
            &format!("/v1/resellers/{ra}/non-compliance"),
            CO,
            Some(json!({"reason": "no CIP"})),
            &[],
        )
        .await;
    assert_eq!(nc.status, StatusCode::CREATED);
    let dev = app
        .send(
            "POST",
            "/v1/compliance/adp/deviations",
            CO,
            Some(json!({"occurred_at": "2026-11-20T09:00:00Z", "description": "alerts untriaged"})),
            &[],
        )
        .await;
    assert_eq!(dev.status, StatusCode::CREATED, "{}", dev.body);
    let rev = app
        .send(
            "POST",
            "/v1/compliance/adp/reviews",
            CO,
            Some(
                json!({"reviewed_on": "2026-11-01", "reviewer": "Internal audit", "summary": "ok",
                    "next_review": "2027-11-01"}),
            ),
            &[],
        )
        .await;
    assert_eq!(rev.status, StatusCode::CREATED, "{}", rev.body);
    let future = app
        .send(
            "POST",
            "/v1/compliance/adp/reviews",
            CO,
            Some(json!({"reviewed_on": "2027-01-01", "reviewer": "x", "summary": "x"})),
            &[],
        )
        .await;
    assert_eq!(future.status, StatusCode::UNPROCESSABLE_ENTITY);
    let doc = app
        .send_raw(
            "PUT",
            "/v1/compliance/program/adp",
            CO,
            Some(b"# ADP".to_vec()),
            "text/markdown",
            &[("x-custos-file-name", "adp.md")],
        )
        .await;
    assert_eq!(doc.status, StatusCode::CREATED, "{}", doc.body);
    let unknown = app
        .send_raw(
            "PUT",
            "/v1/compliance/program/novel",
            CO,
            Some(b"x".to_vec()),
            "text/plain",
            &[("x-custos-file-name", "x.txt")],
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let sm = app
        .send(
            "POST",
            "/v1/designations",
            CO,
            Some(json!({"id": "sm-1",
        "subject": {"kind": "jurisdiction", "country": "KP"}, "measure": "prohibition",
        "reference": "92 FR 1"})),
            &[],
        )
        .await;
    assert_eq!(sm.status, StatusCode::CREATED);

    let adp = app.get("/v1/compliance/adp", Role::Auditor).await.body;
    assert_eq!(
        (
            adp["documents"][0]["kind"].as_str(),
            adp["reviews"].as_array().unwrap().len(),
            adp["deviations"].as_array().unwrap().len()
        ),
        (Some("adp"), 1, 1)
    );

    let d = app
        .get("/v1/compliance/deadlines?within_days=400", Role::Auditor)
        .await
        .body;
    let clock = |name: &str| -> Value {
        d.as_array()
            .unwrap()
            .iter()
            .find(|x| x["clock"] == name)
            .unwrap_or_else(|| panic!("no {name} in {d}"))
            .clone()
    };
    assert_eq!(
        (
            clock("cip_request")["days"].as_u64(),
            clock("cip_request")["due_at"].as_str()
        ),
        (Some(10), Some("2026-12-04T09:00:00Z"))
    );
    assert_eq!(
        (
            clock("ai_training_report")["days"].as_u64(),
            clock("ai_training_report")["due_at"].as_str()
        ),
        (Some(15), Some("2026-12-09T09:00:00Z"))
    );
    assert_eq!(
        (
            clock("reseller_termination")["days"].as_u64(),
            clock("reseller_termination")["due_at"].as_str()
        ),
        (Some(30), Some("2026-12-24T09:00:00Z"))
    );
    assert_eq!(clock("pending_verification")["subject"], fa.as_str());
    assert_eq!(
        clock("pending_verification")["due_at"],
        "2026-12-24T09:00:00Z"
    );
    assert_eq!(
        clock("adp_deviation_notice")["due_at"],
        "2026-12-20T09:00:00Z"
    );
    assert_eq!(clock("special_measure_effective")["days"], 180);
    assert_eq!(
        clock("special_measure_effective")["due_at"],
        "2027-05-23T00:00:00Z"
    );
    assert_eq!(clock("adp_review")["due_at"], "2027-11-01T00:00:00Z");
    assert!(
        d.as_array()
            .unwrap()
            .iter()
            .all(|x| x["clock"] != "special_measure_ends"),
        "past the horizon"
    );
    let far = app
        .get("/v1/compliance/deadlines?within_days=600", Role::Auditor)
        .await
        .body;
    assert!(
        far.as_array()
            .unwrap()
            .iter()
            .any(|x| x["clock"] == "special_measure_ends" && x["days"] == 365)
    );
    let dates: Vec<&str> = d
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["due_at"].as_str().unwrap())
        .collect();
    let mut sorted = dates.clone();
    sorted.sort();
    assert_eq!(dates, sorted);

    // Done things leave the calendar.
    let id = dev.body["id"].as_str().unwrap();
    let n = app
        .send(
            "POST",
            &format!("/v1/compliance/adp/deviations/{id}/notified"),
            CO,
            Some(json!({"reference": "notice 1"})),
            &[],
        )
        .await;
    assert_eq!(n.status, StatusCode::OK);
    let id = ai.body["id"].as_str().unwrap();
    let n = app
        .send(
            "POST",
            &format!("/v1/compliance/ai-training-reports/{id}/filed"),
            CO,
            Some(json!({"reference": "filing 1"})),
            &[],
        )
        .await;
    assert_eq!(n.status, StatusCode::OK);
    let d = app
        .get("/v1/compliance/deadlines?within_days=400", Role::Auditor)
        .await
        .body;
    assert!(
        d.as_array()
            .unwrap()
            .iter()
            .all(|x| x["clock"] != "adp_deviation_notice" && x["clock"] != "ai_training_report")
    );

    // A new foreign beneficial owner reported by a US entity: triaged at once, its account
    // waits for the owner's verification, and the calendar says by when.
    let us = app
        .customer(entity(
            "Prairie Cloud Inc.",
            "US",
            json!([owner("Sam Ortiz", "US", 60.0)]),
        ))
        .await;
    let ua = app.open_id(&us, "direct", "paid").await;
    assert_eq!(app.account(&ua).await["account_status"], "active");
    let ch = app
        .post(
            &format!("/v1/customers/{us}/beneficial-owner-changes"),
            json!({"added": [owner("Klaus Berg", "DE", 30.0)]}),
        )
        .await;
    assert_eq!(ch.status, StatusCode::OK, "{}", ch.body);
    assert_eq!(ch.body["subjects"][2]["verification_state"], "pending");
    assert_eq!(app.account(&ua).await["decision"], "pending");
    let d = app
        .get("/v1/compliance/deadlines", Role::Auditor)
        .await
        .body;
    let owners = d
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["clock"] == "pending_verification" && x["subject"] == ua.as_str())
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(owners["due_at"], "2026-12-24T09:00:00Z");
    assert!(
        owners["what"]
            .as_str()
            .unwrap()
            .contains("beneficial owners")
    );

    // Re-verification: the verified German customer (low risk) is due 36 months after its
    // latest check; the entity reseller (high risk) 12 months after.
    let due = app
        .get(
            "/v1/compliance/reverification?within_days=3660",
            Role::Auditor,
        )
        .await
        .body;
    let of = |c: &str| {
        due.as_array()
            .unwrap()
            .iter()
            .find(|x| x["customer_id"] == c)
            .map(|x| x["due_at"].clone())
    };
    assert_eq!(of(&v), Some(json!("2029-11-24T09:00:00Z")), "{due}");
    assert_eq!(of(&r), Some(json!("2027-11-24T09:00:00Z")), "{due}");
    assert_eq!(of(&foreign), None, "not verified yet");
    let soon = app
        .get(
            "/v1/compliance/reverification?within_days=30",
            Role::Auditor,
        )
        .await
        .body;
    assert_eq!(soon, json!([]));
    app.advance(chrono::Duration::days(370));
    let overdue = app
        .get("/v1/compliance/reverification?within_days=0", Role::Auditor)
        .await
        .body;
    assert_eq!(overdue[0]["customer_id"], r.as_str());
    assert_eq!(overdue[0]["overdue"], true);
}

#[tokio::test]
async fn certifications_are_filed_in_order_and_once() {
    let app = TestApp::new().await;
    profile(&app).await;
    let file = |annual: bool| {
        app.send(
            "POST",
            "/v1/compliance/certifications",
            CO,
            Some(json!({"annual": annual})),
            &[],
        )
    };
    // An annual certification before the initial one: refused, and the initial one still due.
    let r = file(true).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert!(
        r.body["detail"]
            .as_str()
            .unwrap()
            .contains("initial one first")
    );
    let clocks = |b: &serde_json::Value| -> Vec<String> {
        b.as_array()
            .unwrap()
            .iter()
            .map(|d| d["clock"].as_str().unwrap().to_owned())
            .collect()
    };
    let d = app
        .get("/v1/compliance/deadlines?within_days=400", Role::Auditor)
        .await;
    assert!(
        clocks(&d.body).contains(&"initial_certification".to_owned()),
        "{}",
        d.body
    );
    assert_eq!(file(false).await.status, StatusCode::CREATED);
    // The initial one once only; an annual one not within 30 days of the last filing.
    let r = file(false).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = file(true).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    app.advance(chrono::Duration::days(31));
    assert_eq!(file(true).await.status, StatusCode::CREATED);
    let r = file(true).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    // A name the PDF cannot print as written is refused, not printed with `?`.
    let r = app
        .send(
            "POST",
            "/v1/compliance/certifications",
            CO,
            Some(json!({"annual": true, "signer": {"name": "王小明", "title": "CCO"}})),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(
        r.body["detail"].as_str().unwrap().contains("Latin"),
        "{}",
        r.body
    );
    let filings = app
        .get("/v1/compliance/certifications", Role::Auditor)
        .await;
    assert_eq!(
        filings.body.as_array().unwrap().len(),
        2,
        "{}",
        filings.body
    );
}
