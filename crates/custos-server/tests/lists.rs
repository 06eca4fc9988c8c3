//! Finding what exists: the lists, their filters, cursors and page boundaries, and their
//! errors, through the router.

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::{TestApp, individual};
use custos_server::auth::Role;
use serde_json::json;

/// Every item of a list, page by page (`limit` a page), checking each page's shape.
async fn all(app: &TestApp, role: Role, path: &str, limit: u32, key: &str) -> Vec<String> {
    let mut out = vec![];
    let mut cursor: Option<String> = None;
    let sep = if path.contains('?') { '&' } else { '?' };
    for _ in 0..100 {
        let mut p = format!("{path}{sep}limit={limit}");
        if let Some(c) = &cursor {
            p.push_str(&format!("&starting_after={c}"));
        }
        let r = app.get(&p, role).await;
        assert_eq!(r.status, StatusCode::OK, "{p}: {}", r.body);
        let data = r.body["data"].as_array().unwrap();
        assert!(data.len() <= limit as usize);
        out.extend(data.iter().map(|d| d[key].as_str().unwrap().to_owned()));
        if r.body["has_more"] == json!(false) {
            assert!(r.body.get("next_cursor").is_none());
            return out;
        }
        cursor = Some(r.body["next_cursor"].as_str().unwrap().to_owned());
    }
    panic!("{path}: no end")
}

fn ids(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[tokio::test]
async fn customers_by_state_risk_us_person_time_reference_and_reseller() {
    let app = TestApp::new().await;
    let us = app.customer(individual("Sam Carter", "US", "US")).await;
    let mut de_body = individual("Lena Fischer", "DE", "DE");
    de_body["external_ref"] = json!("signup-7731");
    let de = app.customer(de_body).await;
    app.advance(Duration::days(3));
    let nl = app
        .verified(
            individual("Joost Bakker", "NL", "NL"),
            &["document", "email"],
        )
        .await;
    let (reseller_c, reseller_acc) = app.verified_foreign_reseller().await;
    let sub = app.customer(individual("Ana Lopez", "ES", "ES")).await;
    app.open_under(&sub, "sub_lessee", &reseller_acc).await;
    let everyone = ids(&[&us, &de, &nl, &reseller_c, &sub]);

    // Every page boundary gives each customer once, in id order.
    for limit in [1, 2, 3, 5, 20] {
        let got = all(&app, Role::Reviewer, "/v1/customers", limit, "customer_id").await;
        assert_eq!(got, everyone, "limit {limit}");
    }
    assert_eq!(q_path(&app, "us_person=true").await, ids(&[&us]));
    assert_eq!(q_path(&app, "us_person=false").await.len(), 4);
    assert_eq!(
        q_path(&app, "verification_state=not_required").await,
        ids(&[&us])
    );
    assert_eq!(
        q_path(&app, "verification_state=verified").await,
        ids(&[&nl, &reseller_c])
    );
    assert_eq!(
        q_path(&app, "verification_state=pending").await,
        ids(&[&de, &sub])
    );
    assert_eq!(q_path(&app, "external_ref=signup-7731").await, ids(&[&de]));
    assert_eq!(q_path(&app, "external_ref=nobody").await, ids(&[]));
    let r = app
        .get(&format!("/v1/customers/{de}"), Role::Reviewer)
        .await;
    assert_eq!(r.body["external_ref"], "signup-7731");
    assert_eq!(r.body["verification_state"], "pending");
    // Created in a range: a day is the whole day.
    let day = app.service.now().date_naive().to_string();
    let mut late = q_path(&app, &format!("created_from={day}")).await;
    late.sort();
    assert_eq!(late, ids(&[&nl, &reseller_c, &sub]));
    let early = q_path(&app, &format!("created_to={day}")).await;
    assert_eq!(
        early,
        ids(&[&us, &de, &nl, &reseller_c, &sub]),
        "to a day is to its end"
    );
    let before = (app.service.now() - Duration::days(1))
        .date_naive()
        .to_string();
    assert_eq!(
        q_path(&app, &format!("created_to={before}")).await,
        ids(&[&us, &de])
    );
    assert_eq!(
        q_path(&app, &format!("reseller_account_id={reseller_acc}")).await,
        ids(&[&sub])
    );
    // A reseller is high risk; a sub-lessee under it, medium.
    assert_eq!(q_path(&app, "risk=high").await, ids(&[&reseller_c]));
    assert_eq!(q_path(&app, "risk=medium").await, ids(&[&sub]));
    assert_eq!(
        q_path(&app, "risk=low&us_person=false").await,
        ids(&[&de, &nl])
    );
    // Nothing personal in a list.
    let r = app.get("/v1/customers?limit=100", Role::Reviewer).await;
    let text = String::from_utf8_lossy(&r.raw).to_string();
    for name in ["Sam Carter", "Lena", "Fischer", "Joost", "Ana Lopez"] {
        assert!(!text.contains(name), "{name} in {text}");
    }
}

async fn acc_path(app: &TestApp, f: &str) -> Vec<String> {
    all(
        app,
        Role::Reviewer,
        &format!("/v1/accounts?{f}"),
        1,
        "account_id",
    )
    .await
}

async fn q_path(app: &TestApp, f: &str) -> Vec<String> {
    all(
        app,
        Role::Reviewer,
        &format!("/v1/customers?{f}"),
        2,
        "customer_id",
    )
    .await
}

#[tokio::test]
async fn accounts_by_status_kind_offering_decision_customer_and_parent() {
    let app = TestApp::new().await;
    let us = app.customer(individual("Sam Carter", "US", "US")).await;
    let de = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let a1 = app.open_id(&us, "direct", "paid").await;
    let a2 = app.open_id(&us, "direct", "trial").await;
    let a3 = app.open_id(&de, "direct", "paid").await;
    let (_, reseller) = app.verified_foreign_reseller().await;
    let a4 = app.open_under(&de, "sub_lessee", &reseller).await;
    let every = all(&app, Role::Reviewer, "/v1/accounts", 2, "account_id").await;
    assert_eq!(every, ids(&[&a1, &a2, &a3, &a4, &reseller]));
    assert_eq!(acc_path(&app, "offering=trial").await, ids(&[&a2]));
    assert_eq!(acc_path(&app, "kind=sub_lessee").await, ids(&[&a4]));
    assert_eq!(acc_path(&app, "kind=reseller").await, ids(&[&reseller]));
    assert_eq!(acc_path(&app, "decision=pending").await, ids(&[&a3, &a4]));
    assert_eq!(
        acc_path(&app, "decision=approve").await,
        ids(&[&a1, &a2, &reseller])
    );
    assert_eq!(
        acc_path(&app, "account_status=restricted").await,
        ids(&[&a3, &a4])
    );
    assert_eq!(acc_path(&app, "account_status=closed").await, ids(&[]));
    let mine = all(
        &app,
        Role::Reviewer,
        &format!("/v1/accounts?customer_id={us}"),
        1,
        "account_id",
    )
    .await;
    assert_eq!(mine, ids(&[&a1, &a2]));
    let under = all(
        &app,
        Role::Reviewer,
        &format!("/v1/accounts?parent_account_id={reseller}"),
        1,
        "account_id",
    )
    .await;
    assert_eq!(under, ids(&[&a4]));
}

#[tokio::test]
async fn holds_keys_designations_and_cases_page_the_same_way() {
    let app = TestApp::new().await;
    let c1 = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let c2 = app.customer(individual("Joost Bakker", "NL", "NL")).await;
    let officer = app.as_role(Role::ComplianceOfficer);
    let mut holds = vec![];
    for c in [&c1, &c1, &c2] {
        let h = officer
            .post(
                &format!("/v1/customers/{c}/legal-holds"),
                json!({"reason": "subpoena"}),
            )
            .await;
        assert_eq!(h.status, StatusCode::CREATED, "{}", h.body);
        holds.push(h.body["id"].as_str().unwrap().to_owned());
    }
    let r = app
        .send(
            "POST",
            &format!("/v1/customers/{c1}/legal-holds/{}/release", holds[0]),
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    holds.sort();
    assert_eq!(
        all(&app, Role::Auditor, "/v1/legal-holds", 1, "id").await,
        holds
    );
    let of_c1 = all(
        &app,
        Role::Auditor,
        &format!("/v1/legal-holds?customer_id={c1}"),
        1,
        "id",
    )
    .await;
    assert_eq!(of_c1.len(), 2);
    let in_force = all(
        &app,
        Role::Auditor,
        "/v1/legal-holds?released=false",
        5,
        "id",
    )
    .await;
    assert_eq!(in_force.len(), 2);
    let r = app
        .get("/v1/legal-holds?released=true", Role::Auditor)
        .await;
    assert_eq!(r.body["data"][0]["customer_id"], json!(c1));
    assert_eq!(
        app.get("/v1/legal-holds", Role::Integrator).await.status,
        StatusCode::FORBIDDEN
    );

    let keys = all(&app, Role::Admin, "/v1/api-keys", 2, "id").await;
    assert_eq!(keys.len(), Role::ALL.len());
    assert!(keys.windows(2).all(|w| w[0] < w[1]));

    for (id, country) in [("sm-2", "IR"), ("sm-1", "KP"), ("sm-3", "SY")] {
        let d = json!({"id": id, "subject": {"kind": "jurisdiction", "country": country},
            "measure": "prohibition", "reference": "92 FR 2"});
        let r = officer.post("/v1/designations", d).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app.get("/v1/designations?limit=2", Role::Reviewer).await;
    let first: Vec<&str> = r.body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["designation"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(first, ["sm-1", "sm-2"]);
    let next = app
        .get(
            &format!(
                "/v1/designations?limit=2&starting_after={}",
                r.body["next_cursor"].as_str().unwrap()
            ),
            Role::Reviewer,
        )
        .await;
    assert_eq!(next.body["data"][0]["designation"]["id"], "sm-3");
    assert_eq!(next.body["has_more"], false);
    let cases = all(&app, Role::Reviewer, "/v1/screening/cases", 1, "id").await;
    assert!(cases.windows(2).all(|w| w[0] < w[1]));
}

#[tokio::test]
async fn a_wrong_cursor_limit_or_filter_is_named() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    app.customer(individual("Joost Bakker", "NL", "NL")).await;
    let p = app.get("/v1/customers?limit=1", Role::Reviewer).await;
    let cursor = p.body["next_cursor"].as_str().unwrap().to_owned();
    let check = |r: common::Resp, field: &str| {
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["field"], field, "{}", r.body);
    };
    check(
        app.get("/v1/customers?limit=0", Role::Reviewer).await,
        "limit",
    );
    check(
        app.get("/v1/customers?limit=101", Role::Reviewer).await,
        "limit",
    );
    check(
        app.get("/v1/customers?starting_after=zz", Role::Reviewer)
            .await,
        "starting_after",
    );
    check(
        app.get(
            &format!("/v1/accounts?starting_after={cursor}"),
            Role::Reviewer,
        )
        .await,
        "starting_after",
    );
    check(
        app.get("/v1/customers?verification_state=done", Role::Reviewer)
            .await,
        "verification_state",
    );
    check(
        app.get("/v1/customers?us_person=maybe", Role::Reviewer)
            .await,
        "us_person",
    );
    check(
        app.get("/v1/customers?reseller_account_id=nope", Role::Reviewer)
            .await,
        "reseller_account_id",
    );
    check(
        app.get("/v1/customers?status=pending", Role::Reviewer)
            .await,
        "status",
    );
    check(
        app.get("/v1/accounts?kind=timeshare", Role::Reviewer).await,
        "kind",
    );
    check(
        app.get("/v1/accounts?customer_id=acc_x", Role::Reviewer)
            .await,
        "customer_id",
    );
    let next = app
        .get(
            &format!("/v1/customers?limit=1&starting_after={cursor}"),
            Role::Reviewer,
        )
        .await;
    assert_eq!(next.status, StatusCode::OK);
    assert_ne!(
        next.body["data"][0]["customer_id"],
        json!(c),
        "the next page starts after"
    );
}

#[tokio::test]
async fn the_review_queue_and_the_audit_trail_page_as_every_list_does() {
    let app = TestApp::new().await;
    let mut pending = vec![];
    for (i, name) in ["Lena Fischer", "Joost Bakker", "Ana Lopez"]
        .iter()
        .enumerate()
    {
        let c = app
            .customer(individual(
                name,
                ["DE", "NL", "ES"][i],
                ["DE", "NL", "ES"][i],
            ))
            .await;
        pending.push(app.open_id(&c, "direct", "paid").await);
    }
    pending.sort();
    let queue = all(
        &app,
        Role::Reviewer,
        "/v1/accounts/needing-action",
        1,
        "account_id",
    )
    .await;
    assert_eq!(queue, pending);
    // The old names answer for one more release.
    let r = app
        .get("/v1/accounts/needing-action?limit=2", Role::Reviewer)
        .await;
    assert_eq!(r.body["accounts"], r.body["data"]);
    let next = r.body["next"].as_str().unwrap();
    let r = app
        .get(
            &format!("/v1/accounts/needing-action?after={next}"),
            Role::Reviewer,
        )
        .await;
    assert_eq!(r.body["data"][0]["account_id"], json!(pending[2]));
    // The audit trail: a read of each record.
    for c in &pending {
        let a = app.account(c).await;
        let cid = a["customer_id"].as_str().unwrap();
        let r = app
            .as_role(Role::Reviewer)
            .purpose("case 3")
            .get(&format!("/v1/customers/{cid}/record"))
            .await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let mut seqs = vec![];
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/audit?limit=2&starting_after={c}"),
            None => "/v1/audit?limit=2".into(),
        };
        let r = app.get(&path, Role::Auditor).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        assert_eq!(r.body["entries"], r.body["data"]);
        seqs.extend(
            r.body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["seq"].as_i64().unwrap()),
        );
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert!(seqs.len() >= 3);
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let r = app.get("/v1/audit?after=1&limit=1", Role::Auditor).await;
    assert_eq!(r.body["data"][0]["seq"], 2);
    let r = app.get("/v1/audit?limit=1001", Role::Auditor).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
}

/// A reseller's key finds its own: the customers and accounts under its reseller account, and
/// nothing of another reseller's or of the provider's (asked for, such an account is not found,
/// as it is on every route a reseller's key may call).
#[tokio::test]
async fn a_resellers_key_finds_only_what_is_under_its_account() {
    let app = TestApp::new().await;
    let de = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    app.open_id(&de, "direct", "paid").await;
    let (_, mine) = app.verified_foreign_reseller().await;
    let sub = app.customer(individual("Aiko Tanaka", "JP", "JP")).await;
    let a_sub = app.open_under(&sub, "sub_lessee", &mine).await;
    let (_, theirs) = app.verified_foreign_reseller().await;
    let other = app.customer(individual("Jan de Vries", "NL", "NL")).await;
    app.open_under(&other, "sub_lessee", &theirs).await;
    let r = app
        .as_role(Role::Admin)
        .post(
            "/v1/api-keys",
            json!({"name": "reseller", "role": "reseller", "scope": mine}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let key = r.body["token"].as_str().unwrap().to_owned();
    let get = |path: String| {
        let app = &app;
        let key = key.clone();
        async move { app.with_key(&key).get(&path).await }
    };
    let listed = |r: &common::Resp, field: &str| -> Vec<String> {
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d[field].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        listed(&get("/v1/accounts".into()).await, "account_id"),
        vec![a_sub.clone()]
    );
    assert_eq!(
        listed(&get("/v1/customers".into()).await, "customer_id"),
        vec![sub.clone()]
    );
    assert_eq!(
        listed(
            &get(format!("/v1/accounts?parent_account_id={mine}")).await,
            "account_id"
        ),
        vec![a_sub.clone()]
    );
    for path in [
        format!("/v1/accounts?reseller_account_id={theirs}"),
        format!("/v1/accounts?parent_account_id={theirs}"),
        format!("/v1/customers?reseller_account_id={theirs}"),
    ] {
        let r = get(path.clone()).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.body);
    }
    // The provider asks the same of any reseller.
    assert_eq!(
        all(
            &app,
            Role::Reviewer,
            &format!("/v1/accounts?reseller_account_id={theirs}"),
            5,
            "account_id"
        )
        .await
        .len(),
        1
    );
}
