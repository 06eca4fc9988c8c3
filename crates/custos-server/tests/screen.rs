//! `/v1/screen` through the router: refuses to screen against nothing, screens against the
//! current list versions, and follows a new version without a restart.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use custos_screen::{EntityKind, ListEntity};
use custos_server::auth::Role;
use serde_json::json;

#[tokio::test]
async fn screening_follows_the_current_lists() {
    let app = TestApp::new().await;
    let q = json!({"name": "Vladimir Putin", "type": "person"});
    let none = app
        .as_role(Role::Integrator)
        .post("/v1/screen", q.clone())
        .await;
    assert_eq!(none.status, StatusCode::CONFLICT, "{}", none.body);
    assert!(none.body["detail"].as_str().unwrap().contains("no list"));

    let mut putin = ListEntity::new(
        "ofac-1",
        EntityKind::Person,
        "PUTIN, Vladimir Vladimirovich",
    );
    putin.birth_dates.push("07 Oct 1952".into());
    putin.nationalities.push("RU".into());
    app.import(
        "ofac-sdn",
        vec![
            putin,
            ListEntity::new("ofac-2", EntityKind::Organization, "ROSNEFT"),
        ],
    )
    .await;
    let r = app.as_role(Role::Integrator).post("/v1/screen", json!({"name": "Владимир Владимирович Путин", "type": "person", "dob": "1952", "country": "RU"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["hits"][0]["entity_id"], "ofac-1");
    assert_eq!(r.body["lists"], json!([{"list": "ofac-sdn", "version": 1}]));
    let fields: Vec<&str> = r.body["hits"][0]["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "date_of_birth", "country"]);

    // A new version of the list is screened at once.
    app.import(
        "ofac-sdn",
        vec![ListEntity::new(
            "ofac-2",
            EntityKind::Organization,
            "ROSNEFT",
        )],
    )
    .await;
    let r = app.as_role(Role::Integrator).post("/v1/screen", q).await;
    assert_eq!(r.body["hits"], json!([]), "{}", r.body);
    assert_eq!(r.body["lists"][0]["version"], 2);

    for (body, field) in [
        (json!({"name": ""}), "name"),
        (json!({"name": "X", "type": "vessel"}), "type"),
        (json!({"name": "X", "dob": "last year"}), "date_of_birth"),
        (json!({"name": "X", "limit": 0}), "limit"),
        (json!({"name": "X", "country": "Atlantis"}), "country"),
    ] {
        let r = app.as_role(Role::Integrator).post("/v1/screen", body).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.body["field"], field);
    }
}
