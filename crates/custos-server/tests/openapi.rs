//! The OpenAPI document: version 3.1, and every request body's example succeeds against a
//! fresh demo server (each example on its own fresh one).

mod common;

use common::TestApp;
use custos_server::auth::Role;
use serde_json::Value;

/// The whole document, as a reviewed snapshot: every change to the API shows as a diff of
/// `tests/snapshots/openapi__document.snap` (`cargo insta review`, or `INSTA_UPDATE=always`).
#[tokio::test]
async fn document() {
    let app = TestApp::new().await;
    let doc = app.send("GET", "/openapi.json", None, None, &[]).await.body;
    insta::with_settings!({sort_maps => true}, {
        insta::assert_json_snapshot!("document", doc);
    });
}

/// Every operation has an id, and no two share one: clients generated from the document name
/// their methods by it.
#[tokio::test]
async fn operation_ids_are_unique() {
    let app = TestApp::new().await;
    let doc = app.send("GET", "/openapi.json", None, None, &[]).await.body;
    let mut seen = std::collections::BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let id = op["operationId"]
                .as_str()
                .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some(first) = seen.insert(id.to_owned(), format!("{method} {path}")) {
                panic!("operationId `{id}` is used by {first} and {method} {path}");
            }
        }
    }
}

/// Every POST declares `Idempotency-Key`; every operation that needs a key documents 401 and
/// 403; every one documents its errors.
#[tokio::test]
async fn every_post_takes_an_idempotency_key_and_every_error_is_documented() {
    let app = TestApp::new().await;
    let doc = app.send("GET", "/openapi.json", None, None, &[]).await.body;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let keys = params
                .iter()
                .filter(|p| p["name"] == "Idempotency-Key" && p["in"] == "header")
                .count();
            assert_eq!(keys, usize::from(method == "post"), "{method} {path}");
            let r = &op["responses"];
            assert!(r.get("default").is_some(), "{method} {path}");
            if op.get("security").is_some() {
                for code in ["401", "403"] {
                    assert!(r.get(code).is_some(), "{method} {path}: {code}");
                }
            }
        }
    }
}

async fn demo() -> TestApp {
    let app = TestApp::new().await;
    custos_app::demo::seed(&app.service).await.unwrap();
    app
}

#[tokio::test]
async fn every_request_body_example_succeeds_on_a_fresh_demo() {
    let app = demo().await;
    let doc = app.send("GET", "/openapi.json", None, None, &[]).await.body;
    assert_eq!(doc["openapi"], "3.1.0");
    let mut tried = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let Some(rb) = op.get("requestBody") else {
                continue;
            };
            // A document upload (its body is the document itself): a small one of its type.
            let upload = rb["content"]
                .as_object()
                .unwrap()
                .keys()
                .find(|k| *k != "application/json")
                .cloned();
            let example = rb["content"]["application/json"]["example"].clone();
            assert!(
                !example.is_null() || upload.is_some(),
                "{method} {path} has no request example"
            );
            let mut url = path.clone();
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    let ex = p["example"]
                        .as_str()
                        .unwrap_or_else(|| panic!("{path}: no example for {name}"));
                    url = url.replace(&format!("{{{name}}}"), ex);
                }
            }
            let fresh = demo().await;
            let r = match &upload {
                None => {
                    fresh
                        .send(
                            &method.to_uppercase(),
                            &url,
                            Some(Role::Admin),
                            Some(example.clone()),
                            &[("x-custos-purpose", "checking the API examples")],
                        )
                        .await
                }
                Some(content_type) => {
                    // Its own example when it gives one (a reference list), else a document.
                    let body = match rb["content"][content_type.as_str()]["example"].as_str() {
                        Some(ex) => ex.as_bytes().to_vec(),
                        None => b"%PDF-1.4 example document".to_vec(),
                    };
                    fresh
                        .send_raw(
                            &method.to_uppercase(),
                            &url,
                            Some(Role::Admin),
                            Some(body),
                            content_type,
                            &[("x-custos-file-name", "example.pdf")],
                        )
                        .await
                }
            };
            assert!(
                r.status.is_success(),
                "{method} {url} with {example}: {} {}",
                r.status,
                r.body
            );
            tried += 1;
        }
    }
    assert!(tried >= 14, "only {tried} request bodies found");
}

#[tokio::test]
async fn demo_holds_what_it_promises() {
    let app = demo().await;
    let status = |v: &Value| v["account_status"].as_str().unwrap().to_owned();
    let get = |id: &'static str| {
        let app = &app;
        async move {
            app.get(&format!("/v1/accounts/{id}"), Role::Integrator)
                .await
                .body
        }
    };
    assert_eq!(status(&get("acc_demo_us_direct").await), "active");
    assert_eq!(status(&get("acc_demo_foreign_direct").await), "restricted");
    assert_eq!(status(&get("acc_demo_reseller").await), "active");
    assert_eq!(status(&get("acc_demo_sublessee_1").await), "restricted");
    assert_eq!(status(&get("acc_demo_sublessee_2").await), "active");
    assert_eq!(status(&get("acc_demo_failed").await), "closed");
    let e = get("acc_demo_us_entity_direct").await;
    assert_eq!(
        e["reasons"][0]["code"],
        "foreign_beneficial_owner_unverified"
    );
    // Screening: a possible match holds an account; a sub-lessee with a designated
    // jurisdiction's nationality is a case, and the reseller above shows it.
    let held = get("acc_demo_screened").await;
    assert_eq!(status(&held), "pending_verification");
    assert_eq!(held["reasons"][0]["code"], "screening_review");
    let sub3 = get("acc_demo_sublessee_3").await;
    assert_eq!(status(&sub3), "pending_verification");
    let open = app
        .get("/v1/screening/cases?state=open", Role::Reviewer)
        .await
        .body;
    let cases = open["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 2, "{open}");
    let name_case = cases
        .iter()
        .find(|c| c["customer_id"] == "cus_demo_screened")
        .unwrap();
    // A designation's entry is the designation, by its own id, in the one list designations
    // are kept in.
    assert_eq!(name_case["entity_id"], "demo-001");
    assert_eq!(name_case["list"], "designations");
    assert_eq!(
        name_case["id"], DEMO_CASE,
        "the OpenAPI examples name this case"
    );
    let exp = app
        .get("/v1/accounts/acc_demo_reseller/exposure", Role::Integrator)
        .await
        .body;
    let exp = exp["exposure"].as_array().unwrap();
    assert_eq!(exp.len(), 1, "{exp:?}");
    assert_eq!(exp[0]["account_id"], "acc_demo_sublessee_3");
    assert_eq!(exp[0]["depth"], 1);
    assert_eq!(exp[0]["entity_id"], "demo-002");
}

/// The demo's screening case, as the OpenAPI examples name it.
const DEMO_CASE: &str = "scr_a1c16c334f3b0c41e671274d";
