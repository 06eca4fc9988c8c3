//! Screening inside account opening and after list changes, through the API: possible hits
//! open review cases and hold accounts; reviewers confirm (the account closes) or clear them
//! (remembered until the subject or the entry changes); a new list version re-screens every
//! customer and reports new and resolved hits; designated jurisdictions reach subjects through
//! addresses, nationalities, phones, payment instruments and IP countries, and resellers see
//! the exposure of the accounts below them.

mod common;

use axum::http::StatusCode;
use common::{TestApp, individual};
use custos_screen::model::{Designation, DesignationSubject, Measure};
use custos_screen::{EntityKind, ListEntity};
use custos_server::auth::Role;
use serde_json::{Value, json};

fn sdn_person(id: &str, name: &str, year: &str, country: &str) -> ListEntity {
    let mut e = ListEntity::new(id, EntityKind::Person, name);
    e.birth_dates.push(year.into());
    e.nationalities.push(country.into());
    e
}

fn jurisdiction(id: &str, country: &str, measure: Measure) -> ListEntity {
    let conditions = match measure {
        Measure::Conditions => {
            vec!["!has(account.resources.gpus) || account.resources.gpus == 0".to_owned()]
        }
        Measure::Prohibition => vec![],
    };
    let mut e = ListEntity::new(format!("custos-{id}"), EntityKind::Unknown, "");
    e.names.clear();
    e.countries.push(country.into());
    e.designation = Some(Box::new(Designation {
        id: id.into(),
        subject: DesignationSubject::Jurisdiction {
            country: country.into(),
        },
        measure,
        conditions,
        determined: None,
        effective: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        expires: Some(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap()),
        reference: format!("FR {id}"),
        extensions: vec![],
        entered: false,
    }));
    e
}

async fn account(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/accounts/{id}"), Role::Integrator)
        .await
        .body
}

async fn cases(app: &TestApp, state: &str) -> Vec<Value> {
    let r = app
        .get(
            &format!("/v1/screening/cases?state={state}"),
            Role::Reviewer,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["cases"].as_array().unwrap().clone()
}

/// A reviewer resolves a case. Confirming a match, or reversing a confirmed one, waits for a
/// second person (`202`): a compliance officer approves it, and the answer is then the
/// approval's status with the customer's accounts as they stand.
async fn resolve(app: &TestApp, case: &str, resolution: &str) -> (StatusCode, Value) {
    let r = app
        .as_role(Role::Reviewer)
        .post(
            &format!("/v1/screening/cases/{case}/resolve"),
            json!({"resolution": resolution, "note": "checked the passport photo"}),
        )
        .await;
    if r.status != StatusCode::ACCEPTED {
        return (r.status, r.body);
    }
    assert_eq!(r.body["object"], "approval", "{}", r.body);
    let approved = app.approved_by(&r, Role::ComplianceOfficer).await;
    let customer = r.body["customer_id"].as_str().unwrap();
    let view = app
        .get(&format!("/v1/customers/{customer}"), Role::Reviewer)
        .await;
    let state = case_state(app, case).await;
    (
        approved.status,
        json!({"approval": approved.body, "customer_id": customer,
               "case": {"id": case, "state": state}, "accounts": view.body["accounts"]}),
    )
}

#[tokio::test]
async fn a_possible_hit_holds_the_account_until_a_reviewer_decides() {
    let app = TestApp::new().await;
    app.import(
        "ofac-sdn",
        vec![
            sdn_person("sdn-1", "SOKOLOV, Igor Petrovich", "1971", "RU"),
            ListEntity::new("sdn-2", EntityKind::Organization, "ROSNEFT"),
        ],
    )
    .await;
    // An unrelated customer is not held.
    let clean = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let a = app.open(&clean, "direct", "paid").await;
    assert_eq!(a.body["account_status"], "restricted", "{}", a.body);

    let mut body = individual("Igor Petrovich Sokolov", "RU", "RU");
    body["individual"]["date_of_birth"] = json!("1971-03-02");
    let c = app.customer(body).await;
    let view = app
        .get(&format!("/v1/customers/{c}"), Role::Integrator)
        .await;
    let listed = view.body["screening"].as_array().unwrap();
    assert_eq!(listed.len(), 1, "{}", view.body);
    assert_eq!(listed[0]["entity_id"], "sdn-1");
    assert_eq!(listed[0]["state"], "open");
    // The clear view names the entry, not what of the customer matched.
    assert!(!view.raw.windows(6).any(|w| w == b"Sokolo"));

    let a = app.open(&c, "direct", "paid").await;
    assert_eq!(a.status, StatusCode::CREATED);
    assert_eq!(a.body["decision"], "pending");
    assert_eq!(a.body["account_status"], "pending_verification");
    assert_eq!(a.body["reasons"][0]["code"], "screening_review");
    let acc = a.body["account_id"].as_str().unwrap().to_owned();

    let open = cases(&app, "open").await;
    assert_eq!(open.len(), 1);
    let case = open[0]["id"].as_str().unwrap().to_owned();
    assert_eq!(open[0]["customer_id"], c.as_str());

    // The case itself explains the hit: personal data, so a purpose is required and the
    // read is audited.
    let r = app
        .get(&format!("/v1/screening/cases/{case}"), Role::Reviewer)
        .await;
    assert!(r.status.is_client_error(), "{}", r.status);
    let r = app
        .as_role(Role::Reviewer)
        .purpose("screening review")
        .get(&format!("/v1/screening/cases/{case}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let f = &r.body["case"]["finding"];
    assert_eq!(f["matched"], "SOKOLOV, Igor Petrovich");
    let fields: Vec<&str> = f["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["name", "date_of_birth", "country"]);
    let audit = app.get("/v1/audit", Role::Auditor).await.body.to_string();
    assert!(audit.contains("read_screening_case"), "{audit}");

    // An integrator may not decide; a reviewer may.
    let r = app
        .as_role(Role::Integrator)
        .post(
            &format!("/v1/screening/cases/{case}/resolve"),
            json!({"resolution": "false_positive"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let (s, b) = resolve(&app, &case, "false_positive").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["case"]["state"], "false_positive");
    assert_eq!(b["accounts"][0]["account_status"], "restricted");
    assert_eq!(account(&app, &acc).await["account_status"], "restricted");

    // Re-screening remembers the false positive...
    let r = app
        .send(
            "POST",
            "/v1/screening/rescreen",
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["screened"], 2);
    assert_eq!(r.body["new"], json!([]));
    // ...until the list entry changes: then the case opens again.
    let mut changed = sdn_person("sdn-1", "SOKOLOV, Igor Petrovich", "1971", "RU");
    changed.programs.push("RUSSIA-EO14024".into());
    app.import(
        "ofac-sdn",
        vec![
            changed,
            ListEntity::new("sdn-2", EntityKind::Organization, "ROSNEFT"),
        ],
    )
    .await;
    let r = app
        .send(
            "POST",
            "/v1/screening/rescreen",
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert_eq!(r.body["new"].as_array().unwrap().len(), 1, "{}", r.body);
    assert_eq!(r.body["new"][0]["case_id"], case.as_str());
    assert_eq!(r.body["new"][0]["state"], "open");
    assert_eq!(
        account(&app, &acc).await["account_status"],
        "pending_verification"
    );

    // Confirmed: a prohibition closes the account.
    let (s, b) = resolve(&app, &case, "confirmed").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let a = account(&app, &acc).await;
    assert_eq!(a["account_status"], "closed");
    assert_eq!(a["reasons"][0]["code"], "screening_prohibited");
    // A new account is refused at once.
    let a = app.open(&c, "direct", "paid").await;
    assert_eq!(a.body["decision"], "refuse");
    assert_eq!(a.body["account_status"], "closed");

    // Delisted: the next version drops the entry, and re-screening reports the hit resolved.
    app.import(
        "ofac-sdn",
        vec![ListEntity::new(
            "sdn-2",
            EntityKind::Organization,
            "ROSNEFT",
        )],
    )
    .await;
    let r = app
        .send(
            "POST",
            "/v1/screening/rescreen",
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    let resolved = r.body["resolved"].as_array().unwrap();
    assert_eq!(resolved.len(), 1, "{}", r.body);
    assert_eq!(resolved[0]["case_id"], case.as_str());
    assert_eq!(resolved[0]["state"], "cleared");
    let (s, b) = resolve(&app, &case, "false_positive").await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["status"], 409);

    // Every customer's re-screening is attributed in the audit trail.
    let audit = app.get("/v1/audit?limit=1000", Role::Auditor).await.body;
    let screened = audit.to_string().matches("screen_customer").count();
    assert!(screened >= 6, "{screened}");
}

#[tokio::test]
async fn a_false_positive_reopens_when_the_subject_changes() {
    let app = TestApp::new().await;
    app.import(
        "un",
        vec![sdn_person("un-1", "Ahmad Karimi Nasser", "1980", "IR")],
    )
    .await;
    let c = app
        .customer(individual("Ahmad Karimi Naser", "TR", "TR"))
        .await;
    let case = cases(&app, "open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    resolve(&app, &case, "false_positive").await;
    // A change to the record that is not screened (a verified email) leaves it cleared...
    let e = app
        .post(
            &format!("/v1/customers/{c}/verification-results"),
            json!({"method": "email", "outcome": "pass"}),
        )
        .await;
    assert!(e.status.is_success(), "{}", e.body);
    assert_eq!(cases(&app, "false_positive").await.len(), 1);
    // ...a new address does: the subject is no longer the one the reviewer cleared.
    let r = app
        .post(
            &format!("/v1/customers/{c}/address-changes"),
            json!({"address": {"line1": "9 Istiklal Cd", "city": "Istanbul", "country": "TR"}}),
        )
        .await;
    assert!(r.status.is_success(), "{}", r.body);
    let open = cases(&app, "open").await;
    assert_eq!(open.len(), 1);
    assert_eq!(open[0]["id"], case.as_str());
}

#[tokio::test]
async fn designated_jurisdictions_reach_subjects_and_the_resellers_above_them() {
    let app = TestApp::new().await;
    app.import(
        "special-measures",
        vec![
            jurisdiction("sm-1", "KP", Measure::Prohibition),
            jurisdiction("sm-2", "BY", Measure::Conditions),
        ],
    )
    .await;
    // An address in a prohibited jurisdiction is decisive: refused at opening.
    let kp = app.customer(individual("Ri Song", "CN", "KP")).await;
    let a = app.open(&kp, "direct", "paid").await;
    assert_eq!(a.body["account_status"], "closed", "{}", a.body);
    assert_eq!(a.body["reasons"][0]["code"], "screening_prohibited");

    // An address under conditions applies them; the account is usable under them.
    let by = app
        .customer(individual("Alena Kovalenko", "BY", "BY"))
        .await;
    let a = app.open(&by, "direct", "paid").await;
    assert_eq!(a.body["account_status"], "restricted", "{}", a.body);
    assert_eq!(a.body["special_measures"][0]["entity_id"], "custos-sm-2");
    assert_eq!(
        a.body["restrictions"]["special_measure_conditions"],
        json!(["!has(account.resources.gpus) || account.resources.gpus == 0"])
    );

    // A reseller with a sub-lessee whose phone is North Korean: a review case for the
    // sub-lessee (a phone is not decisive under the default policy), exposure for the
    // reseller.
    let r = app
        .customer(
            json!({"entity": {"legal_name": "Polder Hosting B.V.", "jurisdiction": "NL",
            "addresses": [{"line1": "Keizersgracht 100", "city": "Amsterdam", "country": "NL"}]}}),
        )
        .await;
    let own = app.own_subject(&r).await;
    app.document(&r, &own).await;
    for method in ["document", "address"] {
        let v = app
            .post(
                &format!("/v1/customers/{r}/verification-results"),
                json!({"method": method, "outcome": "pass"}),
            )
            .await;
        assert!(v.status.is_success(), "{}", v.body);
    }
    let ra = app.open(&r, "reseller", "paid").await;
    assert_eq!(ra.body["account_status"], "active", "{}", ra.body);
    let ra_id = ra.body["account_id"].as_str().unwrap().to_owned();
    let sub = app.customer(individual("Marek Nowak", "PL", "PL")).await;
    let sa = app
        .post(
            "/v1/accounts",
            json!({"customer_id": sub, "kind": "sub_lessee", "offering": "paid",
                   "parent_account_id": ra_id}),
        )
        .await;
    let sa_id = sa.body["account_id"].as_str().unwrap().to_owned();
    let exp = app
        .get(&format!("/v1/accounts/{ra_id}/exposure"), Role::Integrator)
        .await;
    assert_eq!(exp.body["exposure"], json!([]));
    let subject = app
        .get(&format!("/v1/customers/{sub}"), Role::Integrator)
        .await
        .body["subjects"][0]["subject_id"]
        .clone();
    let p = app
        .post(
            &format!("/v1/customers/{sub}/contacts"),
            json!({"kind": "phone", "value": "+850 2 381 4418", "subject_id": subject}),
        )
        .await;
    assert!(p.status.is_success(), "{}", p.body);
    let exp = app
        .get(&format!("/v1/accounts/{ra_id}/exposure"), Role::Integrator)
        .await
        .body;
    let e = exp["exposure"].as_array().unwrap();
    assert_eq!(e.len(), 1, "{exp}");
    assert_eq!(e[0]["account_id"], sa_id.as_str());
    assert_eq!(e[0]["depth"], 1);
    assert_eq!(e[0]["state"], "open");
    assert_eq!(e[0]["entity_id"], "custos-sm-1");
    assert_eq!(
        account(&app, &sa_id).await["account_status"],
        "pending_verification"
    );
    // A card issued in a prohibited jurisdiction links the customer too.
    let card = app
        .post(
            &format!("/v1/customers/{by}/payment-means"),
            json!({"card": {"bin": "424242", "last4": "4242", "expiry_month": 1,
                   "expiry_year": 2030, "country": "KP"}, "source": {"kind": "customer"}}),
        )
        .await;
    assert!(card.status.is_success(), "{}", card.body);
    let open: Vec<Value> = cases(&app, "open").await;
    assert!(
        open.iter()
            .any(|c| c["customer_id"] == by.as_str() && c["entity_id"] == "custos-sm-1"),
        "{open:?}"
    );
}

fn mmdb() -> std::path::PathBuf {
    let p = std::env::var_os("CUSTOS_TEST_MMDB").map_or_else(
        || {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/test-data/geo-whois-asn-country.mmdb")
        },
        std::path::PathBuf::from,
    );
    assert!(
        p.exists(),
        "{} is missing: .ci/test fetches it",
        p.display()
    );
    p
}

#[tokio::test]
async fn ip_countries_come_from_the_configured_database() {
    let db = custos_screen::geo::IpCountries::open(&mmdb()).unwrap();
    let ip = "85.214.132.117";
    let country = db.country(ip.parse().unwrap()).expect("a known address");
    let app = TestApp::with_ip_countries(db).await;
    app.import(
        "special-measures",
        vec![jurisdiction("sm-9", &country, Measure::Conditions)],
    )
    .await;
    // Resident elsewhere; the access from an address in the designated jurisdiction links
    // the customer (a review case: an IP is not decisive).
    let other = if country == "FR" { "BE" } else { "FR" };
    let c = app
        .customer(individual("Claire Martin", other, other))
        .await;
    let a = app.open(&c, "direct", "paid").await;
    let acc = a.body["account_id"].as_str().unwrap().to_owned();
    assert!(cases(&app, "open").await.is_empty());
    let r = app
        .post(&format!("/v1/accounts/{acc}/accesses"), json!({"ip": ip}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let open = cases(&app, "open").await;
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0]["entity_id"], "custos-sm-9");
    // An address the database does not know needs a country.
    let r = app
        .post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": "10.1.2.3"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.content_type.starts_with("application/problem+json"));
}

#[tokio::test]
async fn without_an_ip_database_an_access_needs_its_country() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let a = app.open(&c, "direct", "paid").await;
    let acc = a.body["account_id"].as_str().unwrap();
    let before = app.counts().await;
    let r = app
        .post(
            &format!("/v1/accounts/{acc}/accesses"),
            json!({"ip": "85.214.132.117"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert!(r.body["detail"].as_str().unwrap().contains("country"));
    assert_eq!(app.counts().await, before);
}

#[tokio::test]
async fn bad_case_requests_get_problems() {
    let app = TestApp::new().await;
    let r = app
        .get("/v1/screening/cases?state=maybe", Role::Reviewer)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    let (s, b) = resolve(&app, "scr_000000000000000000000000", "confirmed").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{b}");
    let (s, b) = resolve(&app, "../etc", "confirmed").await;
    assert!(s.is_client_error(), "{b}");
    let r = app
        .as_role(Role::Reviewer)
        .post(
            "/v1/screening/cases/scr_000000000000000000000000/resolve",
            json!({"resolution": "maybe"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    // Nothing to re-screen against.
    let r = app
        .send(
            "POST",
            "/v1/screening/rescreen",
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
}

async fn resolve_without_note(app: &TestApp, case: &str, resolution: &str) -> common::Resp {
    app.as_role(Role::Reviewer)
        .post(
            &format!("/v1/screening/cases/{case}/resolve"),
            json!({"resolution": resolution}),
        )
        .await
}

async fn case_state(app: &TestApp, case: &str) -> Value {
    let r = app.get("/v1/screening/cases", Role::Reviewer).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    r.body["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == case)
        .unwrap()["state"]
        .clone()
}

/// A reviewer who changes their mind on a decided case says why; a confirmed match reversed as
/// a false positive decides again the account it closed (it no longer stays closed for a match
/// its case denies), and a false positive confirmed again closes it again.
#[tokio::test]
async fn a_reversal_needs_a_reason_and_decides_the_accounts_again() {
    let app = TestApp::new().await;
    app.import(
        "ofac-sdn",
        vec![sdn_person("sdn-1", "SOKOLOV, Igor Petrovich", "1971", "RU")],
    )
    .await;
    let mut body = individual("Igor Petrovich Sokolov", "RU", "RU");
    body["individual"]["date_of_birth"] = json!("1971-03-02");
    let c = app.customer(body).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let case = cases(&app, "open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = resolve(&app, &case, "confirmed").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(account(&app, &acc).await["account_status"], "closed");

    // Reversed with no reason, or a blank one: refused, and nothing changes.
    let before = app.counts().await;
    for body in [
        json!({"resolution": "false_positive"}),
        json!({"resolution": "false_positive", "note": "  "}),
    ] {
        let r = app
            .as_role(Role::Reviewer)
            .post(&format!("/v1/screening/cases/{case}/resolve"), body)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
        assert_eq!(r.content_type, "application/problem+json");
        assert_eq!(r.body["type"], "urn:custos:problem:validation-failed");
        assert_eq!(r.body["field"], "reason");
    }
    assert_eq!(app.counts().await, before);
    assert_eq!(case_state(&app, &case).await, "confirmed");
    assert_eq!(account(&app, &acc).await["account_status"], "closed");

    // With the reason: a false positive, and the account is decided again as if the match
    // had never been confirmed (a foreign customer not yet verified: restricted).
    let (s, b) = resolve(&app, &case, "false_positive").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["case"]["state"], "false_positive");
    assert_eq!(b["accounts"][0]["account_status"], "restricted", "{b}");
    let a = account(&app, &acc).await;
    assert_eq!(a["account_status"], "restricted", "{a}");
    assert_eq!(
        a["reasons"][0]["code"], "foreign_customer_unverified",
        "{a}"
    );
    assert!(a.get("closed_at").is_none_or(Value::is_null), "{a}");

    // And back: confirming a false positive is a reversal too.
    let r = resolve_without_note(&app, &case, "confirmed").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "reason");
    assert_eq!(account(&app, &acc).await["account_status"], "restricted");
    let (s, b) = resolve(&app, &case, "confirmed").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(account(&app, &acc).await["account_status"], "closed");
}

/// Calling an exact match (the whole name, and the full date of birth the list gives) a false
/// positive needs the reviewer's note; a match on the year of birth alone does not.
#[tokio::test]
async fn a_false_positive_on_an_exact_match_needs_a_note() {
    let app = TestApp::new().await;
    app.import(
        "ofac-sdn",
        vec![
            sdn_person("sdn-1", "SOKOLOV, Igor Petrovich", "1971-03-02", "RU"),
            sdn_person("sdn-2", "KARIMI, Ahmad Nasser", "1980-05-05", "IR"),
        ],
    )
    .await;
    let mut exact = individual("Igor Petrovich Sokolov", "RU", "RU");
    exact["individual"]["date_of_birth"] = json!("1971-03-02");
    let exact = app.customer(exact).await;
    let mut year = individual("Ahmad Nasser Karimi", "IR", "IR");
    year["individual"]["date_of_birth"] = json!("1980-07-07");
    let year = app.customer(year).await;
    let open = cases(&app, "open").await;
    let of = |c: &str| {
        open.iter()
            .find(|x| x["customer_id"] == c)
            .unwrap_or_else(|| panic!("{open:?}"))
            .clone()
    };
    let (exact_case, year_case) = (of(&exact), of(&year));
    assert_eq!(exact_case["score"], 1.0, "{exact_case}");
    assert_eq!(year_case["score"], 1.0, "{year_case}");
    let exact_case = exact_case["id"].as_str().unwrap();
    let year_case = year_case["id"].as_str().unwrap();

    let r = resolve_without_note(&app, exact_case, "false_positive").await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.body);
    assert_eq!(r.body["field"], "reason");
    assert!(
        r.body["detail"].as_str().unwrap().contains("exact match"),
        "{}",
        r.body
    );
    assert_eq!(case_state(&app, exact_case).await, "open");
    let (s, b) = resolve(&app, exact_case, "false_positive").await;
    assert_eq!(s, StatusCode::OK, "{b}");

    let r = resolve_without_note(&app, year_case, "false_positive").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["case"]["state"], "false_positive");
}

/// A reseller account closed for a confirmed match closes the accounts under it; when the
/// reviewer reverses the match, those are decided again with it.
#[tokio::test]
async fn a_reversal_opens_again_the_sub_accounts_closed_with_a_reseller() {
    let app = TestApp::new().await;
    let r = app
        .customer(
            json!({"entity": {"legal_name": "Polder Hosting B.V.", "jurisdiction": "NL",
            "addresses": [{"line1": "Keizersgracht 100", "city": "Amsterdam", "country": "NL"}]}}),
        )
        .await;
    let d = app
        .post(
            &format!("/v1/customers/{r}/documents"),
            json!({"kind": "company_registration", "issuing_country": "NL",
                   "number": "KvK 81234567"}),
        )
        .await;
    assert!(d.status.is_success(), "{}", d.body);
    for method in ["document", "address"] {
        let v = app
            .post(
                &format!("/v1/customers/{r}/verification-results"),
                json!({"method": method, "outcome": "pass"}),
            )
            .await;
        assert!(v.status.is_success(), "{}", v.body);
    }
    let ra = app.open_id(&r, "reseller", "paid").await;
    let sub = app.customer(individual("Riley Brooks", "US", "US")).await;
    let sa = app.open_under(&sub, "sub_lessee", &ra).await;
    assert_eq!(account(&app, &sa).await["account_status"], "active");

    app.import(
        "ofac-sdn",
        vec![ListEntity::new(
            "sdn-9",
            EntityKind::Organization,
            "POLDER HOSTING",
        )],
    )
    .await;
    let r = app
        .send(
            "POST",
            "/v1/screening/rescreen",
            Some(Role::ComplianceOfficer),
            None,
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let case = cases(&app, "open").await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (s, b) = resolve(&app, &case, "confirmed").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(account(&app, &ra).await["account_status"], "closed");
    let a = account(&app, &sa).await;
    assert_eq!(a["account_status"], "closed", "{a}");
    assert_eq!(a["reasons"][0]["code"], "parent_account_not_active");

    let (s, b) = resolve(&app, &case, "false_positive").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(account(&app, &ra).await["account_status"], "active");
    let a = account(&app, &sa).await;
    assert_eq!(a["account_status"], "active", "{a}");
}

/// What a list was imported as decides what its hits do. A list kept for review (BIS's Denied
/// Persons) holds the account while a reviewer looks, however strong the match (a shared
/// passport), and neither refuses nor closes anything once confirmed; an informational list (a
/// dataset of party donations) opens a case for the reviewers and holds nothing; a prohibition
/// does as it always did.
#[tokio::test]
async fn a_lists_measure_decides_what_its_hits_do() {
    use custos_core::screening::ListMeasure;
    let app = TestApp::new().await;
    let mut denied = sdn_person("dpl-1", "SOKOLOV, Igor Petrovich", "1971", "RU");
    denied
        .identifiers
        .push(custos_screen::model::ListIdentifier {
            kind: "passport".into(),
            value: "7512345678".into(),
            country: Some("RU".into()),
        });
    app.import_as("bis-dpl", ListMeasure::Review, vec![denied])
        .await;
    app.import_as(
        "de-donations",
        ListMeasure::Informational,
        vec![ListEntity::new(
            "don-1",
            EntityKind::Person,
            "Frau Lina Dachner",
        )],
    )
    .await;
    app.import(
        "ofac-sdn",
        vec![sdn_person("sdn-1", "KARIMI, Ahmad Nasser", "1980", "IR")],
    )
    .await;

    // Review: held, though a shared passport would have confirmed a prohibition at once.
    let mut body = individual("Igor Petrovich Sokolov", "RU", "RU");
    body["individual"]["date_of_birth"] = json!("1971-03-02");
    body["individual"]["national_ids"] =
        json!([{"country": "RU", "kind": "passport", "number": "7512345678"}]);
    let igor = app.customer(body).await;
    let a = app.open(&igor, "direct", "paid").await;
    assert_eq!(
        a.body["account_status"], "pending_verification",
        "{}",
        a.body
    );
    assert_eq!(a.body["reasons"][0]["code"], "screening_review");
    let igor_acc = a.body["account_id"].as_str().unwrap().to_owned();
    let case = cases(&app, "open").await;
    let review = case
        .iter()
        .find(|c| c["customer_id"] == igor.as_str())
        .unwrap();
    assert_eq!(review["measure"], "review", "{review}");
    let review = review["id"].as_str().unwrap().to_owned();
    // Confirmed, it decides nothing: the account is decided as if there were no case.
    let (s, b) = resolve(&app, &review, "confirmed").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let a = account(&app, &igor_acc).await;
    assert_eq!(a["account_status"], "restricted", "{a}");
    assert_eq!(a["reasons"][0]["code"], "foreign_customer_unverified");
    let a = app.open(&igor, "direct", "paid").await;
    assert_eq!(a.body["decision"], "pending", "{}", a.body);

    // Informational: a case for the reviewers, and the account goes on as it would.
    let lina = app.customer(individual("Lina Dachner", "DE", "DE")).await;
    let a = app.open(&lina, "direct", "paid").await;
    assert_eq!(a.body["account_status"], "restricted", "{}", a.body);
    assert_eq!(a.body["reasons"][0]["code"], "foreign_customer_unverified");
    let info = cases(&app, "open").await;
    let info = info
        .iter()
        .find(|c| c["customer_id"] == lina.as_str())
        .unwrap_or_else(|| panic!("{info:?}"));
    assert_eq!(info["measure"], "informational");
    let (s, b) = resolve(&app, info["id"].as_str().unwrap(), "confirmed").await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["accounts"][0]["account_status"], "restricted", "{b}");

    // Prohibition: held, then closed once confirmed.
    let mut body = individual("Ahmad Nasser Karimi", "IR", "IR");
    body["individual"]["date_of_birth"] = json!("1980-07-07");
    let ahmad = app.customer(body).await;
    let a = app.open(&ahmad, "direct", "paid").await;
    assert_eq!(
        a.body["account_status"], "pending_verification",
        "{}",
        a.body
    );
    let acc = a.body["account_id"].as_str().unwrap().to_owned();
    let open = cases(&app, "open").await;
    let prohibited = open
        .iter()
        .find(|c| c["customer_id"] == ahmad.as_str())
        .unwrap();
    assert_eq!(prohibited["measure"], "prohibition");
    resolve(&app, prohibited["id"].as_str().unwrap(), "confirmed").await;
    assert_eq!(account(&app, &acc).await["account_status"], "closed");
}

/// A re-screening of more customers than one page (customers brought over in bulk): every
/// customer is screened and audited once, those the lists do not touch are saved with the
/// versions they were screened against, and the hits anywhere in the walk open cases that
/// hold their accounts.
#[tokio::test]
async fn a_rescreening_walks_every_page_and_marks_every_record() {
    use custos_app::service::new_id;
    use custos_core::{AccountKind, CipPolicy, Customer, CustomerId, Offering, SubjectId};
    let app = TestApp::new().await;
    let policy = CipPolicy::default();
    let now = app.service.now();
    let n = 1_203;
    let hits = [0, 600, 1_202];
    let batch: Vec<_> = (0..n)
        .map(|i| {
            let name = if hits.contains(&i) {
                "Igor Petrovich Sokolov".to_owned()
            } else {
                format!("Customer Number{i:05}")
            };
            let c = Customer::new(
                CustomerId::parse(&new_id(CustomerId::PREFIX)).unwrap(),
                now,
                serde_json::from_value(individual(&name, "DE", "DE")).unwrap(),
                vec![],
                vec![SubjectId::parse(&new_id(SubjectId::PREFIX)).unwrap()],
                None,
                &policy,
            )
            .unwrap();
            (c, vec![(AccountKind::Direct, Offering::Paid)])
        })
        .collect();
    let ids: Vec<CustomerId> = batch.iter().map(|(c, _)| c.id.clone()).collect();
    app.service.import_customers(batch).await.unwrap();
    let store = app.service.store();
    let status = |i: usize| {
        let id = ids[i].clone();
        async move {
            store.accounts_of(&id).await.unwrap()[0]
                .status()
                .as_str()
                .to_owned()
        }
    };
    // Foreign customers not yet verified: their accounts wait for it, as opening decides.
    let unverified = status(1).await;
    assert_eq!(status(600).await, unverified);
    app.import(
        "ofac-sdn",
        vec![sdn_person("sdn-1", "SOKOLOV, Igor Petrovich", "1971", "RU")],
    )
    .await;
    let rescreen = || async {
        let r = app
            .send(
                "POST",
                "/v1/screening/rescreen",
                Some(Role::ComplianceOfficer),
                None,
                &[],
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
    };
    let b = rescreen().await;
    assert_eq!(b["screened"], n);
    assert_eq!(b["skipped"], 0);
    let new = b["new"].as_array().unwrap();
    assert_eq!(new.len(), 3, "{b}");
    let hit: Vec<&str> = new
        .iter()
        .map(|c| c["customer_id"].as_str().unwrap())
        .collect();
    for i in hits {
        assert!(hit.contains(&ids[i].as_str()), "{i} is a hit");
    }
    // A hit holds its account; a customer the list does not touch is marked screened, its
    // record not written again.
    assert_eq!(status(600).await, "pending_verification");
    let quiet = store.load_customer(&ids[1]).await.unwrap();
    assert_eq!(quiet.version, 1);
    assert_eq!(quiet.value.screening.screened_at, Some(now));
    assert_eq!(quiet.value.screening.versions.len(), 1);
    assert_eq!(quiet.value.screening.versions[0].0, "ofac-sdn");
    assert_eq!(status(1).await, unverified);
    // Each customer's screening is one entry in the audit trail, attributed.
    let audited = |entries: Vec<custos_app::testing::custos_store::AuditRecord>| {
        entries
            .into_iter()
            .filter(|r| r.entry.action == "screen_customer")
            .map(|r| r.entry.record)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let trail = audited(store.audit_entries(0, 10_000).await.unwrap());
    assert_eq!(trail.len(), n);
    assert!(ids.iter().all(|id| trail.contains(id.as_str())));

    // Nothing changed: nothing new, every record marked again; a delisting resolves the three.
    let b = rescreen().await;
    assert_eq!(
        (b["screened"].as_u64(), b["new"].as_array().unwrap().len()),
        (Some(n as u64), 0)
    );
    let quiet = store.load_customer(&ids[1]).await.unwrap();
    assert_eq!(quiet.version, 1);
    assert_eq!(quiet.value.screening.versions.len(), 1);
    app.import(
        "ofac-sdn",
        vec![ListEntity::new(
            "sdn-2",
            EntityKind::Organization,
            "ROSNEFT",
        )],
    )
    .await;
    let b = rescreen().await;
    assert_eq!(b["resolved"].as_array().unwrap().len(), 3, "{b}");
    assert_eq!(status(600).await, unverified);
}
