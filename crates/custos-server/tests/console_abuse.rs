//! Abuse in the console, in-process, as the abuse desk and a compliance officer work it: a
//! report taken from a form (a typo said inline, what was typed kept), the case it opened with
//! its evidence for a purpose, an action, closing for abuse waiting for a second person who
//! approves it from the approvals page, the wrong roles refused; the reference lists imported
//! by upload and asked.

mod common;

use axum::http::StatusCode;
use common::browser::*;
use common::*;
use custos_server::auth::Role;

const REFERENCE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../custos-screen/tests/data/reference"
);

#[tokio::test]
async fn a_report_becomes_a_case_worked_to_a_close_for_abuse_with_four_eyes() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Mallory Ample", "US", "US")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&rev).await;
    let list = b.get("/console/abuse").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.html);
    assert!(list.html.contains("No case matches"), "{}", list.html);
    // A category typed wrong (a forged form) and a time that is not one: said inline, and
    // the form keeps the evidence typed.
    let csrf = list.csrf();
    let evidence = "SSH brute force against 40 hosts from this account";
    let p = b
        .post(
            "/console/abuse",
            &[
                ("csrf", &csrf),
                ("account", &acc),
                ("category", "brute"),
                ("evidence", evidence),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("category: choose one"), "{}", p.html);
    assert!(p.html.contains(evidence), "the evidence typed is kept");
    let p = b
        .post(
            "/console/abuse",
            &[
                ("csrf", &csrf),
                ("ip", "203.0.113.9"),
                ("at", "yesterday"),
                ("category", "scanning"),
                ("evidence", evidence),
            ],
        )
        .await;
    assert!(p.html.contains("at: is not a time"), "{}", p.html);
    // A wallet that is none: said inline, the wallets typed kept.
    let p = b
        .post(
            "/console/abuse",
            &[
                ("csrf", &csrf),
                ("account", &acc),
                ("category", "fraud"),
                ("evidence", evidence),
                (
                    "wallets",
                    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 bc1qtypo",
                ),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(
        p.html.contains("wallets[1]: is not a wallet address"),
        "{}",
        p.html
    );
    assert!(p.html.contains("bc1qtypo"), "the wallets typed are kept");
    assert!(app.service.abuse_cases(None).await.unwrap().is_empty());
    // Sent right: to the case it opened.
    let p = b
        .post(
            "/console/abuse",
            &[
                ("csrf", &csrf),
                ("account", &acc),
                ("category", "scanning"),
                ("evidence", evidence),
                ("references", "ticket 4411\n\nticket 4412"),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let at = p.location.unwrap();
    let case_id = at
        .strip_prefix("/console/abuse/")
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    let page = b.get(&at).await;
    assert!(page.html.contains("The report is traced"), "{}", page.html);
    assert!(page.html.contains(&acc));
    assert!(!page.html.contains(evidence), "evidence before a purpose");
    // The evidence, for a purpose only.
    let csrf = page.csrf();
    let path = format!("/console/abuse/{case_id}/evidence");
    let p = b.post(&path, &[("csrf", &csrf), ("purpose", "  ")]).await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("State a purpose"), "{}", p.html);
    let p = b
        .post(&path, &[("csrf", &csrf), ("purpose", "ticket 4411")])
        .await;
    assert!(p.html.contains(evidence) && p.html.contains("ticket 4412"));
    assert!(p.html.contains("Shown for: ticket 4411"));
    // Suspended from the page; the account is.
    let act = format!("/console/abuse/{case_id}/actions");
    let p = b
        .post(
            &act,
            &[("csrf", &csrf), ("action", "suspend"), ("note", "")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    assert_eq!(app.account(&acc).await["account_status"], "suspended");
    let page = b.get(&p.location.unwrap()).await;
    assert!(page.html.contains("Done: the case records it"));
    assert!(
        !page.html.contains("value=\"suspend\""),
        "suspended already"
    );
    // Suspending again (a second tab) is a conflict said inline.
    let p = b
        .post(&act, &[("csrf", &csrf), ("action", "suspend")])
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("suspended already"), "{}", p.html);
    // Closing for abuse: a note is needed; with one, it waits for a second person.
    let p = b
        .post(&act, &[("csrf", &csrf), ("action", "close_for_abuse")])
        .await;
    assert!(p.html.contains("note: say why"), "{}", p.html);
    let p = b
        .post(
            &act,
            &[
                ("csrf", &csrf),
                ("action", "close_for_abuse"),
                ("note", "confirmed with the honeypot logs"),
            ],
        )
        .await;
    let page = b.get(&p.location.unwrap()).await;
    assert!(page.html.contains("waits for a second"), "{}", page.html);
    // The page says what waits, and does not offer it again.
    assert!(
        page.html.contains("Waiting for a second person"),
        "{}",
        page.html
    );
    assert!(!page.html.contains("value=\"close_for_abuse\""));
    assert!(app.account(&acc).await["closed_at"].is_null());
    // An auditor reads the case, takes no action.
    let aud = user(&app, "aud@example.org", Role::Auditor).await;
    let mut ab = Browser::new(&app);
    ab.sign_in(&aud).await;
    let page = ab.get(&format!("/console/abuse/{case_id}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.html.contains("Take the action"));
    let p = ab
        .post(&act, &[("csrf", &page.csrf()), ("action", "lift")])
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.html);
    // An integrator does not read abuse cases.
    let int = user(&app, "int@example.org", Role::Integrator).await;
    let mut ib = Browser::new(&app);
    ib.sign_in(&int).await;
    assert_eq!(ib.get("/console/abuse").await.status, StatusCode::FORBIDDEN);
    assert!(!ib.get("/console/").await.html.contains("/console/abuse\""));
    // The officer approves from the approvals page, which leads to the case.
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut cb = Browser::new(&app);
    cb.sign_in(&co).await;
    let ap = cb.get("/console/approvals").await;
    assert!(
        ap.html.contains(&format!("/console/abuse/{case_id}")),
        "{}",
        ap.html
    );
    let approval = app
        .service
        .approvals(Some("pending"), None, 10)
        .await
        .unwrap();
    let id = &approval[0].id;
    let p = cb
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &ap.csrf())],
        )
        .await;
    assert!(p.status.is_redirection(), "{}", p.html);
    assert!(!app.account(&acc).await["closed_at"].is_null());
    let page = cb.get(&format!("/console/abuse/{case_id}")).await;
    assert!(page.html.contains("close for abuse"), "{}", page.html);
    assert!(page.html.contains(">closed<"), "{}", page.html);
    let closed = cb.get("/console/abuse?state=closed").await;
    assert!(closed.html.contains(&case_id));
    let typo = cb.get("/console/abuse?state=shut").await;
    assert!(typo.html.contains("is not a state"), "{}", typo.html);
}

#[tokio::test]
async fn reference_lists_are_imported_by_upload_and_asked_in_the_console() {
    let app = TestApp::new().await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let page = b.get("/console/reference").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.html);
    assert!(page.html.contains("No reference list is imported"));
    let csrf = page.csrf();
    let ranges = std::fs::read(format!("{REFERENCE}/ranges.csv")).unwrap();
    // A kind and a file, sent as the form sends them.
    let bad = b"network,kind\n192.0.2.0/24,hosting\n192.0.2.999/32,tor\n".to_vec();
    let mut sent = vec![];
    for (kind, file) in [
        ("ip-ranges", &ranges),
        ("ip-ranges", &ranges),
        ("ip-ranges", &bad),
        ("ip-rangez", &ranges),
    ] {
        let p = b
            .upload(
                "/console/reference",
                &[("csrf", &csrf), ("kind", kind)],
                ("list.csv", file),
            )
            .await;
        sent.push((p.status, p.html));
    }
    let said = |n: usize, what: &str| {
        assert!(sent[n].1.contains(what), "{what}: {}", sent[n].1);
    };
    assert_eq!(sent[0].0, StatusCode::OK);
    said(0, "ip-ranges version 1 is in use: 4 entries");
    said(1, "unchanged");
    assert_eq!(sent[2].0, StatusCode::UNPROCESSABLE_ENTITY);
    said(2, "the version in use stays: line 3");
    said(3, "is not a kind of reference list");
    let l = look_up(&mut b, &csrf, "ip", "203.0.113.7").await;
    assert!(l.html.contains("<dd>tor</dd>"), "{}", l.html);
    // A whole card number is refused and not shown back; an address is asked of its domain.
    let l = look_up(&mut b, &csrf, "bin", "4111-1111-1111-1111").await;
    assert_eq!(l.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", l.html);
    assert!(!l.html.contains("1111"), "{}", l.html);
    let l = look_up(&mut b, &csrf, "domain", "someone@mailinator.com").await;
    assert!(l.html.contains("<dd>yes</dd>"), "{}", l.html);
    // A reviewer does not keep the lists; an upload is refused.
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut rb = Browser::new(&app);
    rb.sign_in(&rev).await;
    // The abuse desk asks the lists, and does not see their versions.
    let home = rb.get("/console/reference").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.html);
    assert!(home.html.contains("Look up") && !home.html.contains("ranges.csv"));
    let p = rb
        .upload(
            "/console/reference",
            &[("csrf", &home.csrf()), ("kind", "ip-ranges")],
            ("ranges.csv", &ranges),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.html);
}

async fn look_up(b: &mut Browser<'_>, csrf: &str, what: &str, value: &str) -> Page {
    b.post(
        "/console/reference/lookup",
        &[("csrf", csrf), ("what", what), ("value", value)],
    )
    .await
}
