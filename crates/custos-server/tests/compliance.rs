//! The compliance program through the API: special-measure designations entered by a
//! compliance officer, their lead time and schedule, the sweep that applies them to existing
//! accounts on the day they take effect (and lifts them when they end), conditions evaluated
//! over each account, and measures that hold down a reseller chain.

mod common;

use axum::http::StatusCode;
use common::{TestApp, entity, individual};
use custos_server::auth::Role;
use serde_json::{Value, json};

async fn send(app: &TestApp, method: &str, path: &str, role: Role, body: Value) -> common::Resp {
    app.send(method, path, Some(role), Some(body), &[]).await
}

async fn sweep(app: &TestApp) -> Value {
    let r = send(
        app,
        "POST",
        "/v1/compliance/sweep",
        Role::ComplianceOfficer,
        json!({}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body
}

fn status(a: &Value) -> &str {
    a["account_status"].as_str().unwrap()
}

#[tokio::test]
async fn a_designation_takes_effect_on_existing_accounts_and_down_a_reseller_chain() {
    let app = TestApp::new().await;
    // A reseller organised in Belarus, two resellers under it, and a sub-lessee three reseller
    // levels down; and a direct customer living in Belarus with a paid and a trial account.
    let r1 = app
        .verified(
            entity("Minsk Cloud LLC", "BY", json!([])),
            &["document", "address"],
        )
        .await;
    let r2 = app
        .verified(
            entity("Polder Hosting B.V.", "NL", json!([])),
            &["document", "address"],
        )
        .await;
    let r3 = app
        .verified(
            entity("Rhein Compute GmbH", "DE", json!([])),
            &["document", "address"],
        )
        .await;
    let s = app
        .verified(
            individual("Marek Nowak", "PL", "PL"),
            &["email", "phone", "document"],
        )
        .await;
    let d = app
        .verified(
            individual("Alena Kovalenko", "BY", "BY"),
            &["email", "phone", "document", "address"],
        )
        .await;
    let a1 = app.open(&r1, "reseller", "paid").await;
    assert_eq!(status(&a1.body), "active", "{}", a1.body);
    let a1 = a1.body["account_id"].as_str().unwrap().to_owned();
    let a2 = app.open_under(&r2, "reseller", &a1).await;
    let a3 = app.open_under(&r3, "reseller", &a2).await;
    let sa = app.open_under(&s, "sub_lessee", &a3).await;
    let dp = app.open_id(&d, "direct", "paid").await;
    let dt = app.open_id(&d, "direct", "trial").await;
    for a in [&a1, &a2, &a3, &sa, &dp, &dt] {
        assert_eq!(status(&app.account(a).await), "active", "{a}");
    }

    // The determination: conditions on accounts of persons in Belarus. Trial offerings are
    // forbidden, and a sub-lessee served through such a reseller needs enhanced monitoring.
    let conditions = json!([
        "account.offering != 'trial'",
        "account.kind != 'sub_lessee' || account.monitoring == 'enhanced'"
    ]);
    // Not earlier than 180 days after the determination.
    let early = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        json!({"id": "sm-by", "subject": {"kind": "jurisdiction", "country": "BY"},
               "measure": "conditions", "conditions": conditions,
               "determined": "2026-11-24", "effective": "2027-03-01", "reference": "92 FR 1"}),
    )
    .await;
    assert_eq!(
        early.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        early.body
    );
    assert!(
        early.body["detail"].as_str().unwrap().contains("180 days"),
        "{}",
        early.body
    );
    let created = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        json!({"id": "sm-by", "subject": {"kind": "jurisdiction", "country": "Belarus"},
               "measure": "conditions", "conditions": conditions,
               "determined": "2026-11-24", "reference": "92 FR 1"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let v = &created.body;
    assert_eq!(v["list"], "designations");
    assert_eq!(v["status"], "scheduled");
    assert_eq!(v["designation"]["subject"]["country"], "BY");
    assert_eq!(v["designation"]["effective"], "2027-05-23");
    assert_eq!(v["ends"], "2028-05-22");
    assert_eq!(
        (v["lead_days"].as_i64(), v["lead_ok"].as_bool()),
        (Some(180), Some(true))
    );

    let schedule = app
        .get("/v1/designations/schedule", Role::Integrator)
        .await
        .body;
    assert_eq!(
        schedule
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["date"].as_str().unwrap(), e["event"].as_str().unwrap()))
            .collect::<Vec<_>>(),
        [("2027-05-23", "takes_effect"), ("2028-05-22", "ends")]
    );
    assert_eq!(schedule[0]["days_from_today"], 180);

    // Whom it will reach, before it does: the two customers linked to Belarus by address,
    // with their open accounts; nothing changes.
    let pv = app
        .get("/v1/designations/sm-by/preview", Role::ComplianceOfficer)
        .await;
    assert_eq!(pv.status, StatusCode::OK, "{}", pv.body);
    assert_eq!(pv.body["customers_screened"], 5);
    let mut reached: Vec<(String, usize)> = pv.body["decisive"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["customer_id"].as_str().unwrap().to_owned(),
                h["accounts"].as_array().unwrap().len(),
            )
        })
        .collect();
    reached.sort();
    let mut want = vec![(r1.clone(), 1), (d.clone(), 2)];
    want.sort();
    assert_eq!(reached, want);
    assert_eq!(pv.body["review"], json!([]));
    assert_eq!(
        app.get("/v1/designations/sm-none/preview", Role::ComplianceOfficer)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/v1/designations/sm-by/preview", Role::Integrator)
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // Nothing changes before it takes effect.
    let r = sweep(&app).await;
    assert_eq!(r["transitions"], json!([]));
    assert!(r.get("rescreen").is_none());
    for a in [&a1, &sa, &dt] {
        assert_eq!(status(&app.account(a).await), "active");
    }

    // The day it takes effect, the sweep applies it to every existing account.
    app.advance(chrono::Duration::days(180));
    let r = sweep(&app).await;
    assert_eq!(r["transitions"][0]["event"], "takes_effect", "{r}");
    assert_eq!(r["rescreen"]["screened"], 5);
    assert_eq!(r["rescreen"]["new"].as_array().unwrap().len(), 2, "{r}");

    // The designated reseller meets the conditions: usable, under them.
    let x1 = app.account(&a1).await;
    assert_eq!(status(&x1), "restricted", "{x1}");
    assert_eq!(x1["special_measures"][0]["entity_id"], "sm-by");
    assert_eq!(x1["special_measures"][0]["reference"], "92 FR 1");
    // The resellers under it are held to its measure too, and meet it.
    for a in [&a2, &a3] {
        let x = app.account(a).await;
        assert_eq!(status(&x), "restricted", "{x}");
        assert_eq!(x["special_measures"][0]["inherited_from"], a1.as_str());
        assert!(
            x["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["code"] == "special_measure_conditions"
                    && r["source"]["entity_id"] == "sm-by")
        );
    }
    // The sub-lessee three levels down does not (no enhanced monitoring): suspended, and the
    // reason names the condition and the designation.
    let xs = app.account(&sa).await;
    assert_eq!(status(&xs), "suspended", "{xs}");
    let unmet = xs["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "special_measure_condition_unmet")
        .unwrap()
        .clone();
    assert_eq!(unmet["source"]["entity_id"], "sm-by");
    assert!(
        unmet["detail"]
            .as_str()
            .unwrap()
            .contains("account.monitoring == 'enhanced'")
    );
    // The direct customer's trial account is held; its paid account is usable under the measure.
    assert_eq!(status(&app.account(&dt).await), "suspended");
    assert_eq!(status(&app.account(&dp).await), "restricted");

    // The control plane reports enhanced monitoring on the sub-lessee: the condition is met.
    let p = send(
        &app,
        "PUT",
        &format!("/v1/accounts/{sa}/profile"),
        Role::Integrator,
        json!({"monitoring": "enhanced", "resources": {"vcpus": 4}}),
    )
    .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(status(&p.body), "restricted", "{}", p.body);
    let bad = send(
        &app,
        "PUT",
        &format!("/v1/accounts/{sa}/profile"),
        Role::Integrator,
        json!({"resources": {"vcpus": -1}}),
    )
    .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        status(&app.account(&sa).await),
        "restricted",
        "a refused report changes nothing"
    );

    // A sweep the same day finds nothing new.
    assert_eq!(sweep(&app).await["transitions"], json!([]));

    // Extended by the authority; the schedule moves.
    let ext = send(
        &app,
        "POST",
        "/v1/designations/sm-by/extensions",
        Role::ComplianceOfficer,
        json!({"until": "2028-08-01", "reference": "93 FR 7"}),
    )
    .await;
    assert_eq!(ext.status, StatusCode::OK, "{}", ext.body);
    assert_eq!(ext.body["ends"], "2028-08-01");
    assert_eq!(ext.body["status"], "in_force");
    assert_eq!(ext.body["confirmed_cases"], 2);
    let short = send(
        &app,
        "POST",
        "/v1/designations/sm-by/extensions",
        Role::ComplianceOfficer,
        json!({"until": "2028-07-01", "reference": "93 FR 8"}),
    )
    .await;
    assert_eq!(
        short.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        short.body
    );

    // The day it ends, the sweep lifts it everywhere, down the chain.
    app.advance(chrono::Duration::days(500));
    let r = sweep(&app).await;
    assert_eq!(r["transitions"][0]["event"], "ends", "{r}");
    for a in [&a1, &a2, &a3, &sa, &dp, &dt] {
        let x = app.account(a).await;
        assert_eq!(status(&x), "active", "{x}");
        assert!(x.get("special_measures").is_none());
    }
    let list = app.get("/v1/designations", Role::Auditor).await.body;
    assert_eq!(list["data"][0]["status"], "expired");
}

#[tokio::test]
async fn a_designated_person_under_any_reseller_is_found() {
    let app = TestApp::new().await;
    let (_, a1) = app.verified_foreign_reseller().await;
    let r2 = app
        .verified(
            entity("Rhein Compute GmbH", "DE", json!([])),
            &["document", "address"],
        )
        .await;
    let a2 = app.open_under(&r2, "reseller", &a1).await;
    let s = app
        .verified(
            individual("Dmitri Aleksandrovich Volkov", "RU", "RU"),
            &["email", "phone", "document"],
        )
        .await;
    let sa = app.open_under(&s, "sub_lessee", &a2).await;
    assert_eq!(status(&app.account(&sa).await), "active");
    let created = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        json!({"id": "sm-volkov", "subject": {"kind": "person", "name": "Dmitri Volkov",
               "countries": ["RU"]}, "measure": "prohibition",
               "determined": "2026-11-24", "reference": "92 FR 9"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    app.advance(chrono::Duration::days(181));
    let r = sweep(&app).await;
    assert_eq!(r["rescreen"]["new"][0]["entity_id"], "sm-volkov", "{r}");
    // A possible match holds the sub-lessee for review; the resellers above are untouched.
    let xs = app.account(&sa).await;
    assert_eq!(status(&xs), "pending_verification", "{xs}");
    assert_eq!(xs["reasons"][0]["source"]["entity_id"], "sm-volkov");
    assert_eq!(status(&app.account(&a2).await), "active");
    // A reviewer confirms, a second person approves: the prohibition closes the sub-lessee's
    // account.
    let case = xs["reasons"][0]["detail"].as_str().unwrap();
    let case = case[case.find("scr_").unwrap()..]
        .trim_end_matches(')')
        .to_owned();
    let c = send(
        &app,
        "POST",
        &format!("/v1/screening/cases/{case}/resolve"),
        Role::Reviewer,
        json!({"resolution": "confirmed"}),
    )
    .await;
    // A person's confirmation waits for a second person; a compliance officer approves.
    app.approved_by(&c, Role::ComplianceOfficer).await;
    assert_eq!(status(&app.account(&sa).await), "closed");
    let exp = app
        .get(&format!("/v1/accounts/{a1}/exposure"), Role::Integrator)
        .await;
    assert!(exp.status.is_success());
}

#[tokio::test]
async fn a_designation_entered_late_is_applied_by_the_next_sweep() {
    // A determination of last January, effective in July, entered in November: in force
    // already, so the next sweep screens everyone though no date passed since the last one.
    let app = TestApp::new().await;
    let c = app.customer(individual("Ri Song", "KP", "KP")).await;
    let a = app.open_id(&c, "direct", "paid").await;
    assert_eq!(sweep(&app).await["transitions"], json!([]));
    let r = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        json!({"id": "sm-late", "subject": {"kind": "jurisdiction", "country": "KP"},
               "measure": "prohibition", "determined": "2026-01-05",
               "effective": "2026-07-05", "reference": "91 FR 5"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "in_force");
    let s = sweep(&app).await;
    assert_eq!(s["transitions"], json!([]));
    assert_eq!(s["rescreen"]["screened"], 1, "{s}");
    assert_eq!(app.account(&a).await["account_status"], "closed");
    // Once done, the next sweep does not screen again.
    assert!(sweep(&app).await.get("rescreen").is_none());
}

/// A condition naming a field accounts do not have (`account.offerng`) could never be met and
/// would hold every account of the jurisdiction: it is refused when entered, naming the field,
/// and nothing is stored. A macro's own variable is not a field.
#[tokio::test]
async fn a_condition_naming_no_field_is_refused() {
    let app = TestApp::new().await;
    let with = |conditions: Value| {
        json!({"id": "sm-typo", "subject": {"kind": "jurisdiction", "country": "BY"},
               "measure": "conditions", "conditions": conditions, "reference": "92 FR 3"})
    };
    for (conditions, why) in [
        (
            json!(["account.kind != 'reseller'", "account.offerng != 'trial'"]),
            "condition 2: `account.offerng` is not a field: `account` has id, kind, offering",
        ),
        (
            json!(["'document' in customer.verifed_by"]),
            "condition 1: `customer.verifed_by` is not a field",
        ),
        (
            json!(["account.tags.exists(t, t == 'vip') && t == 'x'"]),
            "condition 1: `t` is not a variable",
        ),
    ] {
        let r = send(
            &app,
            "POST",
            "/v1/designations",
            Role::ComplianceOfficer,
            with(conditions),
        )
        .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["type"], "urn:custos:problem:validation-failed");
        assert_eq!(r.body["field"], "designation");
        let detail = r.body["detail"].as_str().unwrap();
        assert!(detail.contains(why), "{why}: {detail}");
    }
    assert_eq!(
        app.get("/v1/designations", Role::Integrator).await.body["data"],
        json!([])
    );
    let r = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        with(json!([
            "account.tags.exists(t, t == 'vip') || account.offering != 'trial'"
        ])),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
}

#[tokio::test]
async fn designations_are_checked() {
    let app = TestApp::new().await;
    let before = app.get("/v1/designations", Role::Integrator).await;
    assert_eq!(before.body, json!({"data": [], "has_more": false}));
    let base = json!({"id": "sm-1", "subject": {"kind": "jurisdiction", "country": "KP"},
        "measure": "prohibition", "reference": "92 FR 2"});
    let with = |k: &str, v: Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    for (body, status, role) in [
        (base.clone(), StatusCode::FORBIDDEN, Role::Integrator),
        (base.clone(), StatusCode::FORBIDDEN, Role::Auditor),
        (
            with("measure", json!("conditions")),
            StatusCode::UNPROCESSABLE_ENTITY,
            Role::ComplianceOfficer,
        ),
        (
            with("conditions", json!(["account.offering != 'trial'"])),
            StatusCode::UNPROCESSABLE_ENTITY,
            Role::ComplianceOfficer,
        ),
        (
            with("reference", json!(" ")),
            StatusCode::UNPROCESSABLE_ENTITY,
            Role::ComplianceOfficer,
        ),
        (
            with(
                "subject",
                json!({"kind": "jurisdiction", "country": "Atlantis"}),
            ),
            StatusCode::UNPROCESSABLE_ENTITY,
            Role::ComplianceOfficer,
        ),
        (
            with("id", json!("has space")),
            StatusCode::UNPROCESSABLE_ENTITY,
            Role::ComplianceOfficer,
        ),
        (
            with("expires", json!("2026-12-01")),
            StatusCode::UNPROCESSABLE_ENTITY,
            Role::ComplianceOfficer,
        ),
        (
            with("unknown", json!(1)),
            StatusCode::UNPROCESSABLE_ENTITY,
            Role::ComplianceOfficer,
        ),
    ] {
        let r = send(&app, "POST", "/v1/designations", role, body.clone()).await;
        assert_eq!(r.status, status, "{body}: {}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
    }
    let mut bad_cel = with("measure", json!("conditions"));
    bad_cel["conditions"] = json!(["account.vcpus <= 4 &&"]);
    let r = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        bad_cel,
    )
    .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.body["detail"].as_str().unwrap().contains("condition 1"),
        "{}",
        r.body
    );
    // Nothing was stored by any of them.
    assert_eq!(
        app.get("/v1/designations", Role::Integrator).await.body["data"],
        json!([])
    );

    let r = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        base.clone(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let again = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        base.clone(),
    )
    .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let none = send(
        &app,
        "POST",
        "/v1/designations/sm-9/extensions",
        Role::ComplianceOfficer,
        json!({"until": "2030-01-01", "reference": "x"}),
    )
    .await;
    assert_eq!(none.status, StatusCode::NOT_FOUND);
    // One from an imported designations file is extended in the file.
    let mut e =
        custos_screen::ListEntity::new("custos-sm-file", custos_screen::EntityKind::Unknown, "");
    e.names.clear();
    let mut d = custos_screen::import::designations(&{
        let p = app.dir.path().join("d.toml");
        std::fs::write(&p, "[[designation]]\nid = \"sm-file\"\nsubject = { kind = \"jurisdiction\", country = \"IR\" }\nmeasure = \"prohibition\"\neffective = 2027-01-01\nreference = \"x\"\n").unwrap();
        p
    })
    .unwrap();
    e.countries = vec!["IR".into()];
    e.designation = Some(Box::new(d.remove(0)));
    app.import("special-measures", vec![e]).await;
    let r = send(
        &app,
        "POST",
        "/v1/designations/sm-file/extensions",
        Role::ComplianceOfficer,
        json!({"until": "2030-01-01", "reference": "x"}),
    )
    .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(
        app.get("/v1/designations", Role::Integrator).await.body["data"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[tokio::test]
async fn a_sweep_leaves_every_decision_it_changes_in_force_at_once() {
    // The sub-lessee's customer is created before its reseller's, so that the sweep screens
    // it first, with its reseller's measures as they were: the reseller's change must reach it
    // in the same sweep, not with the next event.
    let app = TestApp::new().await;
    let s = app
        .verified(
            individual("Marek Nowak", "PL", "PL"),
            &["email", "phone", "document"],
        )
        .await;
    let r = app
        .verified(
            entity("Minsk Cloud LLC", "BY", json!([])),
            &["document", "address"],
        )
        .await;
    let ra = app.open_id(&r, "reseller", "paid").await;
    let sa = app.open_under(&s, "sub_lessee", &ra).await;
    let created = send(
        &app,
        "POST",
        "/v1/designations",
        Role::ComplianceOfficer,
        json!({"id": "sm-by", "subject": {"kind": "jurisdiction", "country": "BY"},
               "measure": "conditions",
               "conditions": ["account.kind != 'sub_lessee' || account.monitoring == 'enhanced'"],
               "determined": "2026-11-24", "reference": "92 FR 1"}),
    )
    .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    app.advance(chrono::Duration::days(181));
    sweep(&app).await;
    let xs = app.account(&sa).await;
    assert_eq!(status(&xs), "suspended", "{xs}");
    assert_eq!(xs["special_measures"][0]["entity_id"], "sm-by", "{xs}");
    assert!(
        xs["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["code"] == "special_measure_condition_unmet"),
        "{xs}"
    );
}
