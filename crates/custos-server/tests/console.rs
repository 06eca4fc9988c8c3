//! The console as a browser meets it, in-process: signing in (password, second factor, limits
//! on failures), sessions that end, CSRF, the headers every page sends, roles, a purpose before
//! personal data. (The work done in it: `console_work.rs`.)

mod common;

use axum::http::StatusCode;
use chrono::Duration;
use common::browser::*;
use common::*;
use custos_server::auth::Role;
#[tokio::test]
async fn an_address_without_a_session_leads_to_the_sign_in_and_back() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let mut b = Browser::new(&app);
    let p = b.get(&format!("/console/customers/{c}")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let to = p.location.unwrap();
    assert_eq!(
        to,
        format!("/console/login?next=%2Fconsole%2Fcustomers%2F{c}")
    );
    let r = user(&app, "rev@example.org", Role::Reviewer).await;
    let p = b
        .sign_in_with(
            &r.user.email,
            &r.password,
            "",
            &format!("/console/customers/{c}"),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.unwrap(), format!("/console/customers/{c}"));
    let p = b.get(&format!("/console/customers/{c}")).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains(&c));
    // Never back to another site.
    let mut b2 = Browser::new(&app);
    let p = b2
        .sign_in_with(&r.user.email, &r.password, "", "//evil.example/")
        .await;
    assert_eq!(p.location.unwrap(), "/console/");
}

#[tokio::test]
async fn every_answer_carries_the_security_headers_and_pages_are_not_cached() {
    let app = TestApp::new().await;
    let r = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    let login = b.get("/console/login").await;
    let p = b.sign_in(&r).await;
    let home = b.get("/console/").await;
    let missing = b.get("/console/nothing/here").await;
    for page in [&login, &p, &home, &missing] {
        assert_eq!(
            page.headers["content-security-policy"],
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
             form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
        assert_eq!(page.headers["x-content-type-options"], "nosniff");
        assert_eq!(page.headers["referrer-policy"], "no-referrer");
        assert_eq!(page.headers["cache-control"], "no-store");
    }
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    // No inline script or style anywhere, and nothing from another origin.
    for page in [&login, &home] {
        assert!(!page.html.contains("<script"), "{}", page.html);
        assert!(!page.html.contains("style="));
        assert!(!page.html.contains("http://") && !page.html.contains("https://"));
    }
    let css = b.get("/console/assets/console.css").await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(
        css.headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    // The session cookie: HttpOnly, SameSite=Strict; Secure behind TLS.
    let cookie = p.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"));
    assert!(!cookie.contains("Secure"));
}

#[tokio::test]
async fn a_second_factor_is_required_of_compliance_officers_and_used_once() {
    let app = TestApp::new().await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    assert!(
        co.totp_secret.is_some(),
        "a compliance officer gets a factor"
    );
    let mut b = Browser::new(&app);
    // Without the code, or with a wrong one: refused, and said so inline.
    let p = b
        .sign_in_with(&co.user.email, &co.password, "", "/console/")
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.html.contains("not right"), "{}", p.html);
    let p = b
        .sign_in_with(&co.user.email, &co.password, "000000", "/console/")
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    // With it: in.
    let p = b.sign_in(&co).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    // The same code again (a replay), in a second browser: refused.
    let mut b2 = Browser::new(&app);
    let p = b2.sign_in(&co).await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    // The next step's code works.
    app.advance(Duration::seconds(30));
    let p = b2.sign_in(&co).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn the_one_time_codes_are_rfc_6238s_as_an_independent_implementation_computes_them() {
    // pyotp, from PyPI: the codes an authenticator app shows for the secret the user was given.
    let app = TestApp::new().await;
    let co = user(&app, "co@example.org", Role::Admin).await;
    let secret = co.totp_secret.clone().unwrap();
    let uri = co.totp_uri.clone().unwrap();
    for at in [0i64, 59, 1_111_111_109, 1_234_567_890, 2_000_000_000] {
        let t = chrono::DateTime::from_timestamp(at, 0).unwrap();
        let ours = custos_app::users::code_at(&secret, t).unwrap();
        let py = std::process::Command::new("python3")
            .args([
                "-c",
                "import sys, pyotp; t = pyotp.parse_uri(sys.argv[1]); \
                 assert t.secret == sys.argv[2]; print(t.at(int(sys.argv[3])))",
                &uri,
                &secret,
                &at.to_string(),
            ])
            .output()
            .expect("python3 with pyotp (crates/custos-server/tests/oracle/requirements.txt)");
        assert!(
            py.status.success(),
            "{}",
            String::from_utf8_lossy(&py.stderr)
        );
        assert_eq!(ours, String::from_utf8_lossy(&py.stdout).trim(), "at {at}");
    }
}

#[tokio::test]
async fn failed_sign_ins_are_limited_per_user_and_logged() {
    let app = TestApp::new().await;
    let r = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    for _ in 0..5 {
        let p = b
            .sign_in_with(&r.user.email, "wrong password", "", "/console/")
            .await;
        assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    }
    // Now even the right password waits.
    let p = b.sign_in(&r).await;
    assert_eq!(p.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(p.html.contains("too many failed sign-ins"));
    // Another user is not held by this one's failures.
    let other = user(&app, "rev2@example.org", Role::Reviewer).await;
    assert_eq!(
        Browser::new(&app).sign_in(&other).await.status,
        StatusCode::SEE_OTHER
    );
    // After the window, the user may try again.
    app.advance(Duration::minutes(16));
    assert_eq!(b.sign_in(&r).await.status, StatusCode::SEE_OTHER);
    // Each refusal is in the audit trail, naming no password.
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    let refused = audit
        .iter()
        .filter(|e| e.entry.action.starts_with("console_sign_in_refused"))
        .count();
    assert!(refused >= 6, "{refused}");
    assert!(!format!("{audit:?}").contains("wrong password"));
}

#[tokio::test]
async fn a_session_ends_at_sign_out_when_idle_when_disabled_and_when_its_role_changes() {
    let app = TestApp::new().await;
    let r = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&r).await;
    assert_eq!(b.get("/console/").await.status, StatusCode::OK);
    // Idle past the limit: over.
    app.advance(Duration::minutes(31));
    assert_eq!(b.get("/console/").await.status, StatusCode::SEE_OTHER);
    b.sign_in(&r).await;
    // Sign-out needs the CSRF token, then ends the session.
    let home = b.get("/console/").await;
    let p = b.post("/console/logout", &[("csrf", "forged")]).await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(b.get("/console/").await.status, StatusCode::OK);
    let csrf = home.csrf();
    let kept = b.jar.clone();
    let p = b.post("/console/logout", &[("csrf", &csrf)]).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    // The old cookie, replayed: no session.
    b.jar = kept;
    assert_eq!(b.get("/console/").await.status, StatusCode::SEE_OTHER);
    // Role changed, or disabled: every session of the user ends at once.
    b.sign_in(&r).await;
    app.service
        .set_user_role(&admin(), &r.user.email, Role::Auditor)
        .await
        .unwrap();
    assert_eq!(b.get("/console/").await.status, StatusCode::SEE_OTHER);
    b.sign_in(&r).await;
    assert_eq!(b.get("/console/").await.status, StatusCode::OK);
    app.service
        .disable_user(&admin(), &r.user.email)
        .await
        .unwrap();
    assert_eq!(b.get("/console/").await.status, StatusCode::SEE_OTHER);
    assert_eq!(b.sign_in(&r).await.status, StatusCode::UNAUTHORIZED);
    // Absolute expiry: a session used every few minutes still ends after twelve hours.
    let other = user(&app, "rev2@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&other).await;
    for _ in 0..28 {
        app.advance(Duration::minutes(25));
        assert_eq!(b.get("/console/").await.status, StatusCode::OK);
    }
    app.advance(Duration::minutes(25));
    assert_eq!(b.get("/console/").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_form_without_the_sessions_token_changes_nothing() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let p = b
        .post(
            &format!("/console/customers/{c}/holds"),
            &[("csrf", "x"), ("reason", "subpoena")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(
        app.service
            .store()
            .holds(&custos_core::CustomerId::parse(&c).unwrap())
            .await
            .unwrap()
            .is_empty()
    );
    // A form that is not a form: a clear message, nothing changed.
    let page = b.get(&format!("/console/customers/{c}")).await;
    let p = b
        .post(
            &format!("/console/customers/{c}/holds"),
            &[("csrf", &page.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", p.html);
    assert!(p.html.contains("reason"), "{}", p.html);
    // And with it, the hold is placed and shown.
    let p = b
        .post(
            &format!("/console/customers/{c}/holds"),
            &[
                ("csrf", &page.csrf()),
                ("reason", "subpoena 24-118"),
                ("reference", ""),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = b.get(&p.location.unwrap()).await;
    assert!(page.html.contains("subpoena 24-118"));
    assert!(page.html.contains("legal hold is placed"));
}

#[tokio::test]
async fn personal_data_is_shown_only_for_a_stated_purpose_and_the_reading_is_audited() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let r = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&r).await;
    let page = b.get(&format!("/console/customers/{c}")).await;
    assert!(!page.html.contains("Fischer"), "a name before a purpose");
    let reads = |app: &TestApp| {
        let svc = app.service.clone();
        async move {
            svc.audit_entries(0, 1000)
                .await
                .unwrap()
                .into_iter()
                .filter(|e| e.entry.action == "read_customer")
                .collect::<Vec<_>>()
        }
    };
    // No purpose: nothing shown, nothing read.
    let p = b
        .post(
            &format!("/console/customers/{c}/reveal"),
            &[("csrf", &page.csrf()), ("purpose", "  ")],
        )
        .await;
    assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(!p.html.contains("Fischer"));
    assert!(reads(&app).await.is_empty());
    let p = b
        .post(
            &format!("/console/customers/{c}/reveal"),
            &[("csrf", &page.csrf()), ("purpose", "manual review R-1182")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.html.contains("Fischer"));
    assert_eq!(p.headers["cache-control"], "no-store");
    let audited = reads(&app).await;
    assert_eq!(audited.len(), 1);
    assert_eq!(
        audited[0].entry.actor, "rev@example.org",
        "the person, not a key"
    );
    assert_eq!(
        audited[0].entry.purpose.as_deref(),
        Some("manual review R-1182")
    );
    // An integrator's person may not read it at all.
    let i = user(&app, "int@example.org", Role::Integrator).await;
    let mut b = Browser::new(&app);
    b.sign_in(&i).await;
    let page = b.get(&format!("/console/customers/{c}")).await;
    assert!(page.html.contains("does not read personal data"));
    let p = b
        .post(
            &format!("/console/customers/{c}/reveal"),
            &[("csrf", &page.csrf()), ("purpose", "curious")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(!p.html.contains("Fischer"));
}
