//! One name per concept (the README's glossary): the names that were second names are still
//! accepted for one release; every create answers the created object with its id; designations
//! are in one list, each entry bearing the designation's id; list versions are numbered per
//! list.

mod common;

use axum::http::StatusCode;
use common::*;
use custos_server::auth::Role;
use serde_json::{Value, json};

#[tokio::test]
async fn contacts_payment_means_and_documents_answer_the_record_added_with_its_id() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let subject = app.own_subject(&c).await;

    let r = app
        .post(
            &format!("/v1/customers/{c}/contacts"),
            json!({"kind": "email", "value": "lena.fischer@example.de"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let contact = r.body.clone();
    assert!(
        contact["id"].as_str().unwrap().starts_with("con_"),
        "{contact}"
    );
    assert_eq!(contact["object"], "contact");
    assert_eq!(contact["customer_id"], c.as_str());
    assert_eq!(contact["subject_id"], subject);
    assert_eq!(contact["kind"], "email");
    assert!(contact["added_at"].is_string());
    // The answer names the record, never the personal data it holds.
    assert!(!r.body.to_string().contains("lena.fischer"), "{}", r.body);

    let r = app
        .post(
            &format!("/v1/customers/{c}/payment-means"),
            json!({"card": {"number": "4111 1111 1111 1111", "expiry_month": 12,
                            "expiry_year": 2030}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let payment = r.body.clone();
    assert!(
        payment["id"].as_str().unwrap().starts_with("pay_"),
        "{payment}"
    );
    assert_eq!(payment["object"], "payment_means");
    assert_eq!(payment["kind"], "card");
    assert!(!r.body.to_string().contains("1111"), "{}", r.body);

    let r = app
        .post(
            &format!("/v1/customers/{c}/documents"),
            json!({"kind": "passport", "issuing_country": "DE", "number": "C01X00T47"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let document = r.body.clone();
    assert!(
        document["id"].as_str().unwrap().starts_with("doc_"),
        "{document}"
    );
    assert_eq!(document["object"], "document");
    assert_eq!(document["kind"], "passport");
    assert_eq!(document["subject_id"], subject);
    // The customer after it, as a document can change triage.
    assert_eq!(document["customer"]["customer_id"], c.as_str());
    assert!(document["customer"]["subjects"].is_array());
    assert!(!r.body.to_string().contains("C01X00T47"), "{}", r.body);

    // The ids are those of the records kept.
    let record = app
        .as_role(Role::Reviewer)
        .purpose("glossary test")
        .get(&format!("/v1/customers/{c}/record"))
        .await;
    assert_eq!(record.status, StatusCode::OK, "{}", record.body);
    let text = record.body.to_string();
    for id in [&contact["id"], &payment["id"], &document["id"]] {
        assert!(text.contains(id.as_str().unwrap()), "{id} not in {text}");
    }
}

#[tokio::test]
async fn the_second_names_of_a_concept_are_still_accepted_and_errors_use_the_first() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let r = app
        .post(
            &format!("/v1/customers/{c}/payment-means"),
            json!({"card": {"number": "4111 1111 1111 1111", "expiry_month": 12,
                            "expiry_year": 2030}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A card is `card` in a search as in a means of payment; `card_number` was its other name.
    for kind in ["card", "card_number"] {
        let r = app
            .as_role(Role::Reviewer)
            .purpose("glossary test")
            .post(
                "/v1/customers/search",
                json!({"kind": kind, "value": "4111111111111111"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        assert_eq!(r.body["customer_ids"], json!([c]), "{kind}");
    }

    // A date of birth is `date_of_birth` in screening as in a customer; `dob` was its other
    // name, and an error names the first.
    app.import(
        "test-list",
        vec![custos_screen::ListEntity::new(
            "e1",
            custos_screen::model::EntityKind::Person,
            "Ivan Petrov",
        )],
    )
    .await;
    for field in ["date_of_birth", "dob"] {
        let r = app
            .as_role(Role::Reviewer)
            .post("/v1/screen", json!({"name": "Ivan Petrov", field: "1970"}))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{field}: {}", r.body);
    }
    let r = app
        .as_role(Role::Reviewer)
        .post(
            "/v1/screen",
            json!({"name": "Ivan Petrov", "date_of_birth": "seventies"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["field"], "date_of_birth", "{}", r.body);

    // Why a person acted is a `reason` everywhere: an exemption's (`basis` before) is answered
    // as `reason`.
    for field in ["reason", "basis"] {
        let r = app
            .as_role(Role::ComplianceOfficer)
            .post(
                "/v1/compliance/exemptions",
                // (Each its own: the same exemption twice is refused as a repeat.)
                json!({field: format!("Trial accounts run in a sandbox ({field})"),
                       "scope": {"kind": "account_type", "offering": "trial"},
                       "requirements": ["verification"]}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{field}: {}", r.body);
        let e = &r.body["exemption"];
        let e = if e.is_null() { &r.body } else { e };
        assert_eq!(
            e["reason"],
            format!("Trial accounts run in a sandbox ({field})"),
            "{}",
            r.body
        );
        assert!(e.get("basis").is_none(), "{}", r.body);
    }
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            "/v1/compliance/exemptions",
            json!({"reason": " ", "scope": {"kind": "provider"}, "requirements": ["verification"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.body["field"], "reason", "{}", r.body);
}

const DESIGNATIONS_FILE: &str = r#"
[[designation]]
id = "file-1"
subject = { kind = "jurisdiction", country = "KP" }
measure = "prohibition"
effective = 2026-01-15
reference = "FR file-1"

[[designation]]
id = "file-2"
subject = { kind = "person", name = "Example Hosting Ltd", countries = ["RU"] }
measure = "prohibition"
effective = 2026-01-15
reference = "FR file-2"
"#;

async fn import_file(app: &TestApp, text: &str, list: &str) -> custos_app::Result<String> {
    let p = custos_app::lists::Publication {
        list: list.into(),
        format: "custos-toml".into(),
        source: "designations.toml".into(),
        measure: Default::default(),
        // Designations end: a file may hold fewer than the one before.
        allow_shrink: true,
        name_guessed: list == "guessed",
        based_on: None,
    };
    let published = app
        .service
        .publish_list(
            custos_screen::import::Format::CustosToml,
            std::io::Cursor::new(text.as_bytes().to_vec()),
            "designations.toml",
            p,
        )
        .await?;
    Ok(format!("{published:?}"))
}

fn ids(body: &Value) -> Vec<(String, String)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["list"].as_str().unwrap().to_owned(),
                d["designation"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn designations_from_a_file_and_from_the_api_are_one_list_and_entries_bear_their_ids() {
    let app = TestApp::new().await;
    // A file imported under the name a designations file gets by default goes to the one list.
    import_file(&app, DESIGNATIONS_FILE, "guessed")
        .await
        .unwrap();
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            "/v1/designations",
            json!({"id": "api-1", "subject": {"kind": "jurisdiction", "country": "IR"},
                   "measure": "prohibition", "determined": "2026-01-01",
                   "reference": "FR api-1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    // A key mistyped inside the subject is named by its whole path.
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            "/v1/designations",
            json!({"id": "api-2", "subject": {"kind": "person", "nme": "X"},
                   "measure": "prohibition", "reference": "FR api-2"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "subject.nme", "{}", r.body);
    // A date of birth is a year or a day, here as in a customer.
    for bad in ["banana", "1965-13-45"] {
        let r = app
            .as_role(Role::ComplianceOfficer)
            .post(
                "/v1/designations",
                json!({"id": "api-3", "subject": {"kind": "person", "name": "X Y",
                       "date_of_birth": bad}, "measure": "prohibition",
                       "reference": "FR api-3"}),
            )
            .await;
        assert_eq!(
            r.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad}: {}",
            r.body
        );
        assert!(!r.body.to_string().contains(bad), "{}", r.body);
    }
    let all = app
        .get("/v1/designations?limit=100", Role::Integrator)
        .await;
    let mut got = ids(&all.body);
    got.sort();
    assert_eq!(
        got,
        vec![
            ("designations".to_owned(), "api-1".to_owned()),
            ("designations".to_owned(), "file-1".to_owned()),
            ("designations".to_owned(), "file-2".to_owned()),
        ]
    );
    // A hit names the designation by its own id.
    let hit = app
        .as_role(Role::Reviewer)
        .post("/v1/screen", json!({"name": "Example Hosting Ltd"}))
        .await;
    assert_eq!(hit.status, StatusCode::OK, "{}", hit.body);
    assert_eq!(hit.body["hits"][0]["entity_id"], "file-2", "{}", hit.body);
    assert_eq!(hit.body["hits"][0]["list"], "designations", "{}", hit.body);

    // A new version of the file replaces the file's designations (file-2 is gone) and keeps
    // the one entered through the API.
    let first_only = DESIGNATIONS_FILE
        .split("\n[[designation]]\nid = \"file-2\"")
        .next()
        .unwrap();
    import_file(&app, first_only, "designations").await.unwrap();
    let all = app
        .get("/v1/designations?limit=100", Role::Integrator)
        .await;
    let mut got: Vec<String> = ids(&all.body).into_iter().map(|(_, id)| id).collect();
    got.sort();
    assert_eq!(got, vec!["api-1", "file-1"]);

    // A designation from a file is extended in the file; one entered through the API here.
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            "/v1/designations/file-1/extensions",
            json!({"until": "2028-01-01", "reference": "FR ext"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            "/v1/designations/api-1/extensions",
            json!({"until": "2028-01-01", "reference": "FR ext"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // A file does not take over a designation a person entered (and extended)...
    let clash = format!(
        "{first_only}\n[[designation]]\nid = \"api-1\"\nsubject = {{ kind = \"jurisdiction\", \
         country = \"CU\" }}\nmeasure = \"prohibition\"\neffective = 2026-01-15\n\
         reference = \"FR clash\"\n"
    );
    let e = import_file(&app, &clash, "designations").await.unwrap_err();
    assert!(e.to_string().contains("api-1"), "{e}");
    // ... nor claims a person entered one ...
    let forged = format!("{first_only}entered = true\n");
    let e = import_file(&app, &forged, "designations")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("`entered`"), "{e}");
    // ... and no other list goes under its name.
    let p = custos_app::lists::Publication {
        list: "designations".into(),
        format: "ofac-csv".into(),
        source: "sdn.csv".into(),
        measure: Default::default(),
        allow_shrink: true,
        name_guessed: false,
        based_on: None,
    };
    let sanctions = vec![custos_screen::ListEntity::new(
        "ofac-1",
        custos_screen::model::EntityKind::Person,
        "Ivan Petrov",
    )];
    let e = app
        .service
        .publish_entities(sanctions, p)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("designations only"), "{e}");
    let mut got: Vec<String> = ids(&app.get("/v1/designations", Role::Integrator).await.body)
        .into_iter()
        .map(|(_, id)| id)
        .collect();
    got.sort();
    assert_eq!(got, vec!["api-1", "file-1"]);

    // A name of the caller's other than the one list is refused, and nothing changes.
    let e = import_file(&app, DESIGNATIONS_FILE, "special-measures")
        .await
        .unwrap_err();
    assert!(e.to_string().contains("one list"), "{e}");
    let versions = app.service.list_versions(None).await.unwrap();
    assert!(
        versions.iter().all(|v| v.version.list == "designations"),
        "{versions:?}"
    );
}

#[tokio::test]
async fn list_versions_are_numbered_within_their_list() {
    let app = TestApp::new().await;
    let entity = |id: &str, name: &str| {
        custos_screen::ListEntity::new(id, custos_screen::model::EntityKind::Person, name)
    };
    app.import("alpha", vec![entity("a1", "Ivan Petrov")]).await;
    app.import(
        "alpha",
        vec![entity("a1", "Ivan Petrov"), entity("a2", "Olga Ivanova")],
    )
    .await;
    app.import("beta", vec![entity("b1", "Pavel Sidorov")])
        .await;
    let versions = app.service.list_versions(None).await.unwrap();
    let numbers: Vec<(String, i64, bool)> = versions
        .iter()
        .map(|v| (v.version.list.clone(), v.number, v.current))
        .collect();
    assert_eq!(
        numbers,
        vec![
            ("beta".to_owned(), 1, true),
            ("alpha".to_owned(), 2, true),
            ("alpha".to_owned(), 1, false),
        ]
    );
    let r = app
        .as_role(Role::Reviewer)
        .post("/v1/screen", json!({"name": "Pavel Sidorov"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let mut lists = r.body["lists"].as_array().unwrap().clone();
    lists.sort_by_key(|l| l["list"].as_str().unwrap().to_owned());
    assert_eq!(
        Value::Array(lists),
        json!([{"list": "alpha", "version": 2}, {"list": "beta", "version": 1}])
    );
}

/// Why a customer resubmits is kept (in the sealed record, read with a purpose) and the
/// resubmission is audited: the reason was checked, then dropped.
#[tokio::test]
async fn a_resubmissions_reason_is_kept_and_the_resubmission_audited() {
    let app = TestApp::new().await;
    let e = custos_screen::ListEntity::new(
        "x1",
        custos_screen::model::EntityKind::Person,
        "Pavel Sidorov",
    );
    app.import("alpha", vec![e.clone()]).await;
    app.import("beta", vec![e]).await;
    let c = app
        .customer(individual("Viktor Petrenko", "UA", "UA"))
        .await;
    app.open(&c, "direct", "paid").await;
    let fail = json!({"method": "email", "outcome": "fail"});
    app.post(&format!("/v1/customers/{c}/verification-results"), fail)
        .await;
    let r = app
        .post(
            &format!("/v1/customers/{c}/resubmissions"),
            json!({"reason": "new passport scan provided"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let record = app
        .as_role(Role::Reviewer)
        .purpose("redress check")
        .get(&format!("/v1/customers/{c}/record"))
        .await;
    let log = &record.body["customer"]["resubmission_log"];
    assert_eq!(
        log[0]["reason"], "new passport scan provided",
        "{}",
        record.body
    );
    // The versions last screened against are named as every answer names them.
    let versions = &record.body["customer"]["screening"]["versions"];
    assert_eq!(versions.as_array().unwrap().len(), 2, "{}", record.body);
    // beta's first version, though the second version stored.
    let beta = versions
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["list"] == "beta")
        .unwrap();
    assert_eq!(beta["version"], 1, "{}", record.body);
    assert!(
        versions
            .as_array()
            .unwrap()
            .iter()
            .all(|v| v["list"].is_string() && v["version"].is_i64()),
        "{}",
        record.body
    );
    let audit = app.get("/v1/audit?limit=1000", Role::Auditor).await;
    let found = audit.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["entry"]["action"] == "resubmit" && e["entry"]["record"] == c.as_str());
    assert!(found, "{}", audit.body);
}

/// A field missing from an event is named by its whole path and said to be required, as in
/// every other body (it was `events[0]`, "missing field `source`").
#[tokio::test]
async fn a_missing_event_field_is_named_as_every_missing_field_is() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let ok = json!({"account_id": acc, "time": "2026-11-24T11:00:00Z", "ip": "203.0.113.7",
                    "action": "login", "source": "sso"});
    let mut no_source = ok.clone();
    no_source.as_object_mut().unwrap().remove("source");
    let r = app.post("/v1/events", json!([ok, no_source])).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "events[1].source", "{}", r.body);
    assert_eq!(r.body["detail"], "is required", "{}", r.body);
}

/// An installation from before designations were one list: its designations file kept as
/// `special-measures`, each entry `custos-<id>`, and a reviewer's false positive on one. The
/// file imported again goes to `designations`: the old list is retired (no hit twice), and the
/// case is the same case, still a false positive, now under the designation's own id.
#[tokio::test]
async fn an_upgrade_keeps_the_cases_of_designations_kept_under_an_old_list() {
    use custos_screen::model::{Designation, DesignationSubject, Measure};
    let app = TestApp::new().await;
    let designation = Designation {
        id: "sm-x".into(),
        subject: DesignationSubject::Person {
            name: "Ivan Petrovich Volkov".into(),
            aliases: vec![],
            entity_kind: None,
            birth_date: None,
            countries: vec!["RU".into()],
        },
        measure: Measure::Prohibition,
        conditions: vec![],
        determined: None,
        effective: chrono::NaiveDate::from_ymd_opt(2026, 1, 15).unwrap(),
        expires: Some(chrono::NaiveDate::from_ymd_opt(2028, 1, 15).unwrap()),
        reference: "FR sm-x".into(),
        extensions: vec![],
        entered: false,
    };
    let mut legacy = custos_screen::import::designation_entity(designation);
    legacy.id = "custos-sm-x".into();
    let v = custos_screen::ListVersion {
        list: "special-measures".into(),
        format: "custos-toml".into(),
        source: "designations.toml".into(),
        retrieved_at: app.service.now(),
        content_hash: custos_screen::version::content_hash(std::slice::from_ref(&legacy)),
        entries: 1,
        measure: Default::default(),
    };
    let d = custos_screen::version::diff(&[], std::slice::from_ref(&legacy));
    app.service
        .store()
        .save_list_version(&v, &[legacy], &d, Some(0))
        .await
        .unwrap();
    let c = app
        .customer(individual("Ivan Petrovich Volkov", "RU", "RU"))
        .await;
    let cases = app.get("/v1/screening/cases", Role::Reviewer).await;
    let case = &cases.body["data"][0];
    assert_eq!(case["entity_id"], "custos-sm-x", "{}", cases.body);
    let id = case["id"].as_str().unwrap().to_owned();
    let r = app
        .as_role(Role::Reviewer)
        .post(
            &format!("/v1/screening/cases/{id}/resolve"),
            json!({"resolution": "false_positive", "reason": "another man: other birth date"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);

    // The file again, as it now goes.
    let file = r#"
[[designation]]
id = "sm-x"
subject = { kind = "person", name = "Ivan Petrovich Volkov", countries = ["RU"] }
measure = "prohibition"
effective = 2026-01-15
expires = 2028-01-15
reference = "FR sm-x"
"#;
    import_file(&app, file, "guessed").await.unwrap();
    let r = app
        .as_role(Role::Reviewer)
        .post("/v1/screening/rescreen", json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let cases = app.get("/v1/screening/cases", Role::Reviewer).await;
    let mine: Vec<&Value> = cases.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["customer_id"] == c.as_str())
        .collect();
    assert_eq!(mine.len(), 1, "{}", cases.body);
    assert_eq!(mine[0]["id"], id.as_str());
    assert_eq!(mine[0]["state"], "false_positive", "{}", cases.body);
    assert_eq!(mine[0]["list"], "designations");
    assert_eq!(mine[0]["entity_id"], "sm-x");
    let old = app
        .service
        .list_versions(Some("special-measures"))
        .await
        .unwrap();
    assert!(old[0].current && old[0].version.entries == 0, "{old:?}");
}
