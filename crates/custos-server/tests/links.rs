//! A customer's linked group through the API, as an investigator reads it: customers sharing
//! a phone or an email are linked (the kind shared, never the value), a value shared by more
//! customers than the policy's cap is reported and not followed, and the read is personal data
//! (a purpose, a role that may read it).

mod common;

use axum::http::StatusCode;
use common::*;
use custos_server::auth::Role;
use serde_json::json;

async fn with_contacts(app: &TestApp, name: &str, contacts: &[(&str, &str)]) -> String {
    let c = app.customer(individual(name, "DE", "DE")).await;
    for (kind, value) in contacts {
        app.contact(&c, kind, value).await;
    }
    c
}

#[tokio::test]
async fn customers_sharing_values_are_one_group() {
    let app = TestApp::new().await;
    let a = with_contacts(&app, "Anna Berg", &[("phone", "+49 30 901820")]).await;
    let b = with_contacts(
        &app,
        "Bernd Claus",
        &[("phone", "0049 30 901820"), ("email", "b.claus@example.de")],
    )
    .await;
    let c = with_contacts(&app, "Carla Diaz", &[("email", "B.Claus@Example.de")]).await;
    let lone = with_contacts(&app, "Dora Ek", &[("email", "dora@example.de")]).await;
    let r = app
        .as_role(Role::Reviewer)
        .purpose("abuse case 7")
        .get(&format!("/v1/customers/{a}/links"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let members: Vec<(&str, u64)> = r.body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["customer_id"].as_str().unwrap(),
                m["hops"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(members, [(b.as_str(), 1), (c.as_str(), 2)], "{}", r.body);
    let kinds: Vec<&str> = r.body["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2, "{}", r.body);
    assert!(
        kinds.contains(&"phone") && kinds.contains(&"email"),
        "{kinds:?}"
    );
    // The kind, never the value.
    assert!(!r.raw.windows(6).any(|w| w == b"901820"), "{}", r.body);
    assert!(!String::from_utf8_lossy(&r.raw).contains("claus"));
    assert_eq!(r.body["complete"], true);
    let r = app
        .as_role(Role::Reviewer)
        .purpose("abuse case 7")
        .get(&format!("/v1/customers/{lone}/links"))
        .await;
    assert_eq!(r.body["members"], json!([]), "{}", r.body);
    // The wrong paths: no purpose, a role that may not read personal data, no such customer.
    let r = app
        .as_role(Role::Reviewer)
        .get(&format!("/v1/customers/{a}/links"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.body["type"], "urn:custos:problem:purpose-required");
    let r = app
        .get(&format!("/v1/customers/{a}/links"), Role::Integrator)
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app
        .as_role(Role::Reviewer)
        .purpose("x")
        .get("/v1/customers/cus_nobody/links")
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
}

#[tokio::test]
async fn a_value_shared_over_the_cap_is_reported_not_followed() {
    let mut policy = custos_core::CipPolicy::default();
    policy.detection.share_cap = 2;
    let app = TestApp::with_policy(policy).await;
    let mut ids = vec![];
    for n in 0..4 {
        ids.push(
            with_contacts(
                &app,
                &format!("Person {}", ["Eins", "Zwei", "Drei", "Vier"][n]),
                &[("email", "office@corp.example")],
            )
            .await,
        );
    }
    let r = app
        .as_role(Role::Reviewer)
        .purpose("abuse case 8")
        .get(&format!("/v1/customers/{}/links", ids[0]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["members"], json!([]), "{}", r.body);
    assert_eq!(r.body["share_cap"], 2);
    assert_eq!(
        r.body["widely_shared"],
        json!([{"customer_id": ids[0], "kind": "email"}])
    );
}

/// A customer's distance is its shortest, however many customers a level holds: W is two
/// links away (through the last of 101 customers sharing the root's email), not three
/// (through X, a customer of the next level read in the same batch).
#[tokio::test]
async fn a_distance_is_the_shortest_whatever_the_level_holds() {
    let mut policy = custos_core::CipPolicy::default();
    policy.detection.share_cap = 200;
    let app = TestApp::with_policy(policy).await;
    let email = ("email", "team@corp.example");
    let root = with_contacts(&app, "Root Person", &[email]).await;
    let mut first = vec![];
    for n in 0..100 {
        let mut contacts = vec![email];
        if n == 0 {
            contacts.push(("phone", "+4930901821"));
        }
        first.push(with_contacts(&app, &format!("Level One {n}"), &contacts).await);
    }
    // X (made before the last of level one, so its id sorts first) is two links away.
    let x = with_contacts(
        &app,
        "Xaver Next",
        &[("phone", "+4930901821"), ("phone", "+4930901822")],
    )
    .await;
    let last = with_contacts(&app, "Level One Last", &[email, ("phone", "+4930901823")]).await;
    let w = with_contacts(
        &app,
        "Wanda West",
        &[("phone", "+4930901822"), ("phone", "+4930901823")],
    )
    .await;
    assert!(x < last, "ids are made in time order");
    let r = app
        .as_role(Role::Reviewer)
        .purpose("abuse case 9")
        .get(&format!("/v1/customers/{root}/links"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let hops = |id: &str| {
        r.body["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["customer_id"] == id)
            .map(|m| m["hops"].as_u64().unwrap())
    };
    assert_eq!(hops(&first[0]), Some(1));
    assert_eq!(hops(&last), Some(1));
    assert_eq!(hops(&x), Some(2));
    assert_eq!(hops(&w), Some(2), "W is two links away");
    assert_eq!(r.body["members"].as_array().unwrap().len(), 103);
    // A blank purpose is no purpose, at the API as in the CLI.
    let r = app
        .as_role(Role::Reviewer)
        .purpose("   ")
        .get(&format!("/v1/customers/{root}/links"))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

/// A card given only as its BIN and last four digits has no fingerprint: it links no one
/// (an empty fingerprint once linked every such card to every other).
#[tokio::test]
async fn cards_without_a_fingerprint_link_no_one() {
    let app = TestApp::new().await;
    let mut ids = vec![];
    for (name, bin, last4) in [
        ("Ida Lund", "376000", "0005"),
        ("Jon Moe", "411111", "1234"),
    ] {
        let c = app.customer(individual(name, "DE", "DE")).await;
        let r = app
            .post(
                &format!("/v1/customers/{c}/payment-means"),
                json!({"card": {"bin": bin, "last4": last4, "expiry_month": 12, "expiry_year": 2030}}),
            )
            .await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        ids.push(c);
    }
    let r = app
        .as_role(Role::Reviewer)
        .purpose("abuse case 10")
        .get(&format!("/v1/customers/{}/links", ids[0]))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["members"], json!([]), "{}", r.body);
}

/// Customers whose accounts connected from one address within `detection.ip_link_hours` (24)
/// of each other are linked through the ledger (`ip`, never the address); one that used it
/// days apart is not; an address more customers used than the cap is reported, not followed.
#[tokio::test]
async fn customers_connecting_from_one_address_within_the_window_are_linked() {
    let mut policy = custos_core::CipPolicy::default();
    policy.detection.share_cap = 2;
    let app = TestApp::with_policy(policy).await;
    let now = app.service.now();
    let mut people = vec![];
    for name in [
        "Ida Ost",
        "Jan Prag",
        "Kai Quell",
        "Lea Rhein",
        "Mia Saal",
        "Nils Tal",
    ] {
        let c = with_contacts(&app, name, &[]).await;
        let acc = app.open_id(&c, "direct", "paid").await;
        people.push((c, acc));
    }
    let event = |i: usize, hours_ago: i64, ip: &str| {
        json!({"account_id": people[i].1, "time": now - chrono::Duration::hours(hours_ago),
               "ip": ip, "action": "login", "source": "sso"})
    };
    // Ida and Jan: one address eight hours apart. Kai: the same address three days before.
    // Ida, Lea, Mia and Nils: a busy exit, all within hours (four customers, over the cap).
    let events = json!([
        event(0, 10, "203.0.113.5"),
        event(1, 2, "203.0.113.5"),
        event(2, 80, "203.0.113.5"),
        event(0, 5, "198.51.100.77"),
        event(3, 4, "198.51.100.77"),
        event(4, 3, "198.51.100.77"),
        event(5, 1, "198.51.100.77"),
    ]);
    let r = app.post("/v1/events", events).await;
    assert!(r.status.is_success(), "{}", r.body);
    let links = |i: usize| {
        let app = &app;
        let c = people[i].0.clone();
        async move {
            let r = app
                .as_role(Role::Reviewer)
                .purpose("abuse case 9")
                .get(&format!("/v1/customers/{c}/links"))
                .await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.body);
            r.body
        }
    };
    let g = links(0).await;
    assert_eq!(g["addresses_followed"], true);
    let members: Vec<&str> = g["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["customer_id"].as_str().unwrap())
        .collect();
    assert_eq!(members, [people[1].0.as_str()], "{g}");
    assert_eq!(g["links"][0]["kind"], "ip", "{g}");
    assert_eq!(
        g["widely_shared"],
        json!([{"customer_id": people[0].0, "kind": "ip"}]),
        "{g}"
    );
    assert!(!g.to_string().contains("203.0.113.5"), "{g}");
    // Kai connected there, but days from anyone else.
    let g = links(2).await;
    assert_eq!(g["members"], json!([]), "{g}");
    assert_eq!(g["links"], json!([]), "{g}");
}

/// A busy account's newest connections are the ones read: a link through yesterday's address
/// is found behind six thousand older connections, and the group says it was not read whole.
#[tokio::test]
async fn a_busy_accounts_newest_connections_are_read_first() {
    let app = TestApp::new().await;
    let now = app.service.now();
    let mut people = vec![];
    for name in ["Ole Berg", "Pia Dorn"] {
        let c = with_contacts(&app, name, &[]).await;
        let acc = app.open_id(&c, "direct", "paid").await;
        people.push((c, acc));
    }
    let old: Vec<serde_json::Value> = (0..6000)
        .map(|n| {
            json!({"account_id": people[0].1,
                   "time": now - chrono::Duration::days(40) - chrono::Duration::minutes(n),
                   "ip": format!("10.1.{}.{}", n / 250, n % 250), "action": "login",
                   "source": "sso"})
        })
        .collect();
    let r = app.post("/v1/events", json!(old)).await;
    assert!(r.status.is_success(), "{}", r.body);
    let recent = json!([
        {"account_id": people[0].1, "time": now - chrono::Duration::hours(20),
         "ip": "203.0.113.77", "action": "login", "source": "sso"},
        {"account_id": people[1].1, "time": now - chrono::Duration::hours(18),
         "ip": "203.0.113.77", "action": "login", "source": "sso"},
    ]);
    let r = app.post("/v1/events", recent).await;
    assert!(r.status.is_success(), "{}", r.body);
    let g = app
        .as_role(Role::Reviewer)
        .purpose("abuse case 10")
        .get(&format!("/v1/customers/{}/links", people[0].0))
        .await
        .body;
    assert_eq!(g["members"][0]["customer_id"], people[1].0, "{g}");
    assert_eq!(g["links"][0]["kind"], "ip");
    assert_eq!(g["complete"], false, "{g}");
}
