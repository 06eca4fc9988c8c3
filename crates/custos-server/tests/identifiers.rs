//! Identifiers at the API: a malformed one is refused with a problem that names the field and
//! the reason, and a document's machine-readable zone is held against what was declared.

mod common;

use axum::http::StatusCode;
use common::TestApp;
use custos_server::auth::Role;
use serde_json::{Value, json};

fn zone(
    surname: &str,
    given: &str,
    number: &str,
    nationality: &str,
    born: (i32, u32, u32),
    expires: (i32, u32, u32),
) -> String {
    mrz::format_td3(&mrz::Td3Fields {
        document_code: "P".into(),
        issuing_country: nationality.into(),
        document_number: number.into(),
        surname: surname.into(),
        given_names: given.into(),
        nationality: nationality.into(),
        date_of_birth: mrz::MrzDate::Calendar(mrz::Date::new(born.0, born.1, born.2)),
        sex: mrz::Sex::Female,
        date_of_expiry: mrz::MrzDate::Calendar(mrz::Date::new(expires.0, expires.1, expires.2)),
        personal_number: None,
    })
}

async fn lena(app: &TestApp) -> String {
    app.customer(json!({"individual": {
        "full_name": "Lena Fischer", "given_names": "Lena", "family_name": "Fischer",
        "date_of_birth": "1988-04-12", "citizenships": ["DE"]}}))
        .await
}

fn problem(r: &common::Resp) -> (u16, String, String) {
    assert_eq!(r.content_type, "application/problem+json", "{}", r.body);
    (
        r.status.as_u16(),
        r.body["field"].as_str().unwrap_or_default().to_owned(),
        r.body["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

#[tokio::test]
async fn malformed_identifiers_name_the_field_and_the_reason() {
    let app = TestApp::new().await;
    let c = lena(&app).await;
    let before = app.counts().await;
    let cases: Vec<(String, Value, &str, &str)> = vec![
        (
            format!("/v1/customers/{c}/contacts"),
            json!({"kind": "email", "value": "lena@@example"}),
            "value",
            "",
        ),
        (
            format!("/v1/customers/{c}/contacts"),
            json!({"kind": "phone", "value": "+49 1"}),
            "value",
            "not a telephone number",
        ),
        (
            format!("/v1/customers/{c}/payment-means"),
            json!({"bank_account": {"iban": "DE89370400440532013001"}}),
            "bank_account.iban",
            "mod-97",
        ),
        (
            format!("/v1/customers/{c}/payment-means"),
            json!({"bank_account": {"iban": "DE89370400440532013000", "bic": "DEUTXXFF"}}),
            "bank_account.bic",
            "country code",
        ),
        (
            format!("/v1/customers/{c}/payment-means"),
            json!({"bank_account": {"account_number": "12345", "routing_number": "021000022"}}),
            "bank_account.routing_number",
            "checksum",
        ),
        (
            format!("/v1/customers/{c}/payment-means"),
            json!({"card": {"number": "378282246310004", "expiry_month": 1, "expiry_year": 2030}}),
            "card.number",
            "Luhn",
        ),
        (
            format!("/v1/customers/{c}/payment-means"),
            json!({"wallet": {"chain": "ethereum", "address": "0x52908400098527886E0F7030069857D2E4169Ee7"}}),
            "wallet.address",
            "EIP-55",
        ),
        (
            format!("/v1/customers/{c}/payment-means"),
            json!({"wallet": {"chain": "bitcoin", "address": "0x52908400098527886E0F7030069857D2E4169EE7"}}),
            "wallet.address",
            "not bitcoin",
        ),
        (
            "/v1/customers".into(),
            json!({"individual": {"full_name": "A B", "national_ids": [{"country": "BR", "number": "390.533.447-06"}]}}),
            "individual.national_ids[0].number",
            "br/cpf",
        ),
        (
            "/v1/customers".into(),
            json!({"entity": {"legal_name": "X Ltd", "jurisdiction": "GB", "lei": "5493001KJTIIGC8Y1R13"}}),
            "entity.lei",
            "MOD 97-10",
        ),
        (
            "/v1/customers".into(),
            json!({"individual": {"full_name": "A B", "citizenships": ["XK2"]}}),
            "individual.citizenships[0]",
            "ISO 3166-1",
        ),
    ];
    for (path, body, field, reason) in cases {
        let r = app.post(&path, body.clone()).await;
        let (status, f, detail) = problem(&r);
        assert_eq!(
            (status, f.as_str()),
            (422, field),
            "{path} {body}: {detail}"
        );
        assert!(
            detail.contains(reason),
            "{path}: `{detail}` lacks `{reason}`"
        );
    }
    assert_eq!(app.counts().await, before, "nothing stored");
}

#[tokio::test]
async fn well_formed_identifiers_are_kept_in_canonical_form() {
    let app = TestApp::new().await;
    let c = lena(&app).await;
    for body in [
        json!({"kind": "email", "value": "Lena@MÜNCHEN.de"}),
        json!({"kind": "phone", "value": "0049 30 901820"}),
    ] {
        let r = app.post(&format!("/v1/customers/{c}/contacts"), body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    }
    let r = app
        .post(
            &format!("/v1/customers/{c}/payment-means"),
            json!({"bank_account": {"iban": "gb82 west 1234 5698 7654 32", "bic": "westgb2l"}}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rec = app
        .as_role(Role::Reviewer)
        .purpose("t")
        .get(&format!("/v1/customers/{c}/record"))
        .await;
    let cust = &rec.body["customer"];
    assert_eq!(cust["contacts"][0]["value"], "Lena@xn--mnchen-3ya.de");
    assert_eq!(cust["contacts"][1]["value"], "+4930901820");
    assert_eq!(
        cust["payment_means"][0]["instrument"]["iban"],
        "GB82WEST12345698765432"
    );
    assert_eq!(cust["payment_means"][0]["instrument"]["bic"], "WESTGB2L");
}

#[tokio::test]
async fn a_document_zone_is_cross_checked_against_the_declaration() {
    let app = TestApp::new().await; // the clock stands at 2026-11-24
    let c = lena(&app).await;
    let doc = |mrz: String, number: &str| json!({"kind": "passport", "issuing_country": "DE", "number": number, "mrz": mrz});
    let good = zone(
        "FISCHER",
        "LENA",
        "C01X00T47",
        "D",
        (1988, 4, 12),
        (2031, 8, 14),
    );
    let cases = [
        (
            doc(
                zone(
                    "SCHMIDT",
                    "LENA",
                    "C01X00T47",
                    "D",
                    (1988, 4, 12),
                    (2031, 8, 14),
                ),
                "C01X00T47",
            ),
            "mrz",
            "surname",
        ),
        (
            doc(
                zone(
                    "FISCHER",
                    "LENA",
                    "C01X00T47",
                    "D",
                    (1989, 4, 12),
                    (2031, 8, 14),
                ),
                "C01X00T47",
            ),
            "mrz",
            "birth date",
        ),
        (
            doc(
                zone(
                    "FISCHER",
                    "LENA",
                    "C01X00T47",
                    "FRA",
                    (1988, 4, 12),
                    (2031, 8, 14),
                ),
                "C01X00T47",
            ),
            "mrz",
            "nationality",
        ),
        (
            doc(
                zone(
                    "FISCHER",
                    "LENA",
                    "C01X00T47",
                    "D",
                    (1988, 4, 12),
                    (2024, 8, 14),
                ),
                "C01X00T47",
            ),
            "mrz",
            "expired",
        ),
        (doc(good.clone(), "C01X00T48"), "number", "differs"),
        (
            doc(good.replace("C01X00T47", "C01X00T48"), "C01X00T48"),
            "mrz",
            "check digit",
        ),
    ];
    let path = format!("/v1/customers/{c}/documents");
    for (body, field, reason) in cases {
        let r = app.post(&path, body).await;
        let (status, f, detail) = problem(&r);
        assert_eq!((status, f.as_str()), (422, field), "{detail}");
        assert!(detail.contains(reason), "`{detail}` lacks `{reason}`");
        assert!(
            !detail.contains("FISCHER") && !detail.contains("1988"),
            "no value echoed: {detail}"
        );
    }
    let r = app.post(&path, doc(good, "C01X00T47")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let rec = app
        .as_role(Role::Reviewer)
        .purpose("t")
        .get(&format!("/v1/customers/{c}/record"))
        .await;
    assert_eq!(
        rec.body["customer"]["documents"][0]["expires_on"], "2031-08-14",
        "taken from the zone"
    );
    assert_eq!(rec.body["customer"]["documents"][0]["nationality"], "DE");
}
