//! The OpenAPI document: version 3.1, and every request body's example succeeds against a
//! fresh demo server (each example on its own fresh one).

mod common;

use common::TestApp;
use custos_server::auth::Role;
use serde_json::Value;

async fn demo() -> TestApp {
    let app = TestApp::new().await;
    custos_server::demo::seed(&app.service).await.unwrap();
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
            let example = rb["content"]["application/json"]["example"].clone();
            assert!(!example.is_null(), "{method} {path} has no request example");
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
            let r = fresh
                .send(
                    &method.to_uppercase(),
                    &url,
                    Some(Role::Admin),
                    Some(example.clone()),
                    &[("x-custos-purpose", "checking the API examples")],
                )
                .await;
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
}
