//! The console as a browser meets it, in-process: signing in (password, second factor, limits
//! on failures), sessions that end, CSRF, the headers every page sends, roles, a purpose before
//! personal data, claims, and four eyes through the console and the API alike.

mod common;

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use chrono::Duration;
use common::*;
use custos_app::users::Credentials;
use custos_server::auth::Role;
use serde_json::json;

/// A browser: a cookie jar over the test application.
struct Browser<'a> {
    app: &'a TestApp,
    jar: HashMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    html: String,
    headers: axum::http::HeaderMap,
}

impl Page {
    /// The first CSRF token of the page's forms.
    fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        let rest = &self.html[at + 19..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            jar: HashMap::new(),
        }
    }

    async fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let mut b = Request::builder().method(method).uri(path);
        if !self.jar.is_empty() {
            let c: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
            b = b.header("cookie", c.join("; "));
        }
        let body = match form {
            Some(f) => {
                b = b.header("content-type", "application/x-www-form-urlencoded");
                Body::from(serde_urlencoded::to_string(f).unwrap())
            }
            None => Body::empty(),
        };
        let r = self.app.send_request(b.body(body).unwrap()).await;
        for v in r.headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (kv, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = kv.split_once('=').unwrap();
            if val.is_empty() || attrs.contains("Max-Age=0") {
                self.jar.remove(k);
            } else {
                self.jar.insert(k.to_owned(), val.to_owned());
            }
        }
        Page {
            status: r.status,
            location: r
                .headers
                .get("location")
                .map(|l| l.to_str().unwrap().to_owned()),
            html: String::from_utf8_lossy(&r.raw).into_owned(),
            headers: r.headers,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form)).await
    }

    /// Signs in with these credentials (and the current one-time code, when it has a factor).
    async fn sign_in(&mut self, c: &Credentials) -> Page {
        let code = c
            .totp_secret
            .as_deref()
            .map(|s| custos_app::users::code_at(s, self.app.service.now()).unwrap())
            .unwrap_or_default();
        self.sign_in_with(&c.user.email, &c.password, &code, "/console/")
            .await
    }

    async fn sign_in_with(&mut self, email: &str, password: &str, code: &str, next: &str) -> Page {
        let form = self.get(&format!("/console/login?next={next}")).await;
        assert_eq!(form.status, StatusCode::OK);
        let csrf = form.csrf();
        self.post(
            "/console/login",
            &[
                ("csrf", &csrf),
                ("next", next),
                ("email", email),
                ("password", password),
                ("code", code),
            ],
        )
        .await
    }
}

fn admin() -> custos_app::Actor {
    custos_app::Actor {
        id: "os:test".into(),
        role: "admin".into(),
    }
}

async fn user(app: &TestApp, email: &str, role: Role) -> Credentials {
    app.service
        .create_user(&admin(), email, role, false)
        .await
        .unwrap()
}

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

#[tokio::test]
async fn claims_keep_two_reviewers_off_the_same_item() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let one = user(&app, "one@example.org", Role::Reviewer).await;
    let two = user(&app, "two@example.org", Role::Reviewer).await;
    let mut b1 = Browser::new(&app);
    b1.sign_in(&one).await;
    let q = b1.get("/console/queues/accounts").await;
    assert!(q.html.contains(&acc), "{}", q.html);
    let back = "/console/queues/accounts";
    let p = b1
        .post(
            "/console/claims",
            &[
                ("csrf", &q.csrf()),
                ("item", &acc),
                ("action", "claim"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let q = b1.get(&p.location.unwrap()).await;
    assert!(q.html.contains("one@example.org"));
    let mut b2 = Browser::new(&app);
    b2.sign_in(&two).await;
    let q2 = b2.get("/console/queues/accounts").await;
    assert!(q2.html.contains("one@example.org"));
    let p = b2
        .post(
            "/console/claims",
            &[
                ("csrf", &q2.csrf()),
                ("item", &acc),
                ("action", "claim"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    assert!(
        p.html
            .contains("one@example.org is working on this already")
    );
    // Filters: a reason no account has shows none; a typo is said inline.
    let q = b1
        .get("/console/queues/accounts?reason=screening_prohibited")
        .await;
    assert!(!q.html.contains(&acc));
    let q = b1.get("/console/queues/accounts?reason=nonsense").await;
    assert!(q.html.contains("reason: no such value"), "{}", q.html);
}

#[tokio::test]
async fn four_eyes_closing_an_account_waits_for_a_second_different_person() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let ad = user(&app, "admin@example.org", Role::Admin).await;
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    let p = b
        .post(
            &format!("/console/accounts/{acc}/close"),
            &[("csrf", &page.csrf()), ("reason", "fraud ring, case 77")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = b.get(&p.location.unwrap()).await;
    assert!(page.html.contains("waits for a second"), "{}", page.html);
    assert!(
        app.account(&acc).await["closed_at"].is_null(),
        "closed by one person"
    );
    // The same person cannot approve it.
    let list = b.get("/console/approvals").await;
    let id = app.service.pending_approvals(None, 10).await.unwrap()[0]
        .id
        .clone();
    assert!(list.html.contains(&id) && list.html.contains("Withdraw"));
    let p = b
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &list.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.html.contains("second, different person"));
    // A reviewer may not close accounts, so may not approve a close.
    let mut rb = Browser::new(&app);
    rb.sign_in(&rev).await;
    let l = rb.get("/console/approvals").await;
    let p = rb
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    // A second person with the power: applied, in the name of the one who asked.
    let mut b2 = Browser::new(&app);
    b2.sign_in(&ad).await;
    let l = b2.get("/console/approvals").await;
    let p = b2
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    let a = app.account(&acc).await;
    assert_eq!(a["account_status"], "closed");
    // Approving twice: refused, nothing more happens.
    let p = b2
        .post(
            &format!("/console/approvals/{id}/approve"),
            &[("csrf", &l.csrf())],
        )
        .await;
    assert_eq!(p.status, StatusCode::CONFLICT);
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    let who: Vec<(String, String)> = audit
        .iter()
        .filter(|e| e.entry.action.contains("close_account"))
        .map(|e| (e.entry.action.clone(), e.entry.actor.clone()))
        .collect();
    assert_eq!(
        who,
        [
            ("request_close_account".into(), "co@example.org".into()),
            ("close_account".into(), "co@example.org".into()),
            ("approve_close_account".into(), "admin@example.org".into()),
        ]
    );
}

#[tokio::test]
async fn four_eyes_holds_in_the_api_too() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    // The control plane closes on the customer's request at once.
    let other = app.open_id(&c, "direct", "trial").await;
    let r = app
        .post(
            &format!("/v1/accounts/{other}/close"),
            json!({"reason": "customer request"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // A person's close waits.
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/accounts/{acc}/close"),
            json!({"reason": "fraud"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    assert_eq!(r.body["object"], "approval");
    assert_eq!(r.body["state"], "pending");
    assert!(
        r.body.get("reason").is_none(),
        "what it says is not in the answer"
    );
    let id = r.body["id"].as_str().unwrap().to_owned();
    // Asked again while it waits: a conflict, not a second approval.
    let again = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/accounts/{acc}/close"),
            json!({"reason": "fraud"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    let list = app.get("/v1/approvals", Role::Reviewer).await;
    assert_eq!(list.body["data"].as_array().unwrap().len(), 1);
    let same = app
        .as_role(Role::ComplianceOfficer)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(same.status, StatusCode::FORBIDDEN);
    assert_ne!(app.account(&acc).await["account_status"], "closed");
    let ok = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.body);
    assert_eq!(ok.body["state"], "approved");
    assert_eq!(app.account(&acc).await["account_status"], "closed");
    // A rejected decision changes nothing.
    let third = app.open_id(&c, "direct", "complimentary").await;
    let r = app
        .as_role(Role::Admin)
        .post(
            &format!("/v1/accounts/{third}/close"),
            json!({"reason": "x"}),
        )
        .await;
    let id = r.body["id"].as_str().unwrap().to_owned();
    let r = app
        .as_role(Role::ComplianceOfficer)
        .post(&format!("/v1/approvals/{id}/reject"), json!({}))
        .await;
    assert_eq!(r.body["state"], "rejected");
    assert_ne!(app.account(&third).await["account_status"], "closed");
    let r = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    // An integrator may not see or decide approvals.
    assert_eq!(
        app.get("/v1/approvals", Role::Integrator).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = app.get("/v1/approvals?state=nope", Role::Reviewer).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn an_accounts_access_events_are_shown_for_a_purpose_each_proven_in_the_log() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let now = app.service.now();
    let events: Vec<serde_json::Value> = (1..=5)
        .map(|h| {
            json!({"account_id": acc, "time": (now - Duration::hours(h)).to_rfc3339(),
                   "ip": format!("203.0.113.{h}"), "action": "login", "source": "sso"})
        })
        .collect();
    let r = app
        .as_role(Role::Integrator)
        .post("/v1/events", serde_json::Value::Array(events))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&rev).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    assert!(
        !page.html.contains("203.0.113.1"),
        "addresses before a purpose"
    );
    let p = b
        .post(
            &format!("/console/accounts/{acc}/events"),
            &[("csrf", &page.csrf()), ("purpose", "abuse report AR-77")],
        )
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.html);
    assert_eq!(p.html.matches(">proven<").count(), 5, "{}", p.html);
    assert!(!p.html.contains("not proven"));
    assert!(p.html.contains("203.0.113.3"));
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.action == "query_account_events"
                && e.entry.actor == "rev@example.org"
                && e.entry.purpose.as_deref() == Some("abuse report AR-77"))
    );
    // An integrator's person reads no access events.
    let i = user(&app, "int@example.org", Role::Integrator).await;
    let mut b = Browser::new(&app);
    b.sign_in(&i).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    let p = b
        .post(
            &format!("/console/accounts/{acc}/events"),
            &[("csrf", &page.csrf()), ("purpose", "curious")],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_audit_trail_is_searched_by_person_record_purpose_and_time_and_its_chain_checked() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let rev = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&rev).await;
    let page = b.get(&format!("/console/customers/{c}")).await;
    b.post(
        &format!("/console/customers/{c}/reveal"),
        &[("csrf", &page.csrf()), ("purpose", "Manual review R-9")],
    )
    .await;
    // A reviewer may not read the trail.
    assert_eq!(b.get("/console/audit").await.status, StatusCode::FORBIDDEN);
    let aud = user(&app, "aud@example.org", Role::Auditor).await;
    let mut b = Browser::new(&app);
    b.sign_in(&aud).await;
    let all = b.get("/console/audit").await;
    assert_eq!(all.status, StatusCode::OK);
    assert!(all.html.contains("hash chain holds"), "{}", all.html);
    for q in [
        "actor=rev%40example.org".to_owned(),
        format!("record={c}"),
        "purpose=manual+review".to_owned(),
        "action=read+customer".to_owned(),
    ] {
        let p = b.get(&format!("/console/audit?{q}")).await;
        assert!(p.html.contains("Manual review R-9"), "{q}: {}", p.html);
    }
    let p = b.get("/console/audit?actor=nobody%40example.org").await;
    assert!(p.html.contains("No entry matches"));
    let p = b.get("/console/audit?from=2999-01-01").await;
    assert!(p.html.contains("No entry matches"));
    let p = b.get("/console/audit?from=yesterday").await;
    assert!(
        p.html.contains("from: must be a day, YYYY-MM-DD"),
        "{}",
        p.html
    );
    assert!(
        p.html.contains("No entry matches"),
        "a wrong bound shows nothing"
    );
}

#[tokio::test]
async fn a_decision_is_not_applied_when_its_record_changed_or_its_asker_left() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let subject = app.own_subject(&c).await.as_str().unwrap().to_owned();
    // A reviewer fails the subject; before anyone approves, a compliance officer verifies it.
    let r = app
        .as_role(Role::Reviewer)
        .post(
            &format!("/v1/customers/{c}/reviews"),
            json!({"subject_id": subject, "outcome": "failed", "reason": "document altered"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    let id = r.body["id"].as_str().unwrap().to_owned();
    let v = app
        .as_role(Role::ComplianceOfficer)
        .post(
            &format!("/v1/customers/{c}/reviews"),
            json!({"subject_id": subject, "outcome": "verified", "reason": "seen in person"}),
        )
        .await;
    assert_eq!(v.status, StatusCode::OK, "{}", v.body);
    // The stale refusal is not applied: a conflict, the approval failed, and said so.
    let a = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body["detail"].as_str().unwrap().contains("changed since"));
    let got = app
        .get(&format!("/v1/approvals/{id}"), Role::Reviewer)
        .await;
    assert_eq!(got.body["state"], "failed");
    let view = app.get(&format!("/v1/customers/{c}"), Role::Reviewer).await;
    assert_eq!(view.body["subjects"][0]["verification_state"], "verified");
    let audit = app.service.audit_entries(0, 1000).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.entry.action == "approve_refuse_subject_failed"),
        "a failed approval is audited as failed"
    );
    assert!(
        !audit
            .iter()
            .any(|e| e.entry.action == "approve_refuse_subject")
    );
    // A console user who asked, then was disabled: the request is not applied.
    let acc = app.open_id(&c, "direct", "paid").await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&co).await;
    let page = b.get(&format!("/console/accounts/{acc}")).await;
    // A reason typed on two lines (a browser sends CR LF) is taken.
    let p = b
        .post(
            &format!("/console/accounts/{acc}/close"),
            &[("csrf", &page.csrf()), ("reason", "fraud ring\r\ncase 77")],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.html);
    app.service
        .disable_user(&admin(), "co@example.org")
        .await
        .unwrap();
    let id = app.service.pending_approvals(None, 10).await.unwrap()[0]
        .id
        .clone();
    let a = app
        .as_role(Role::Admin)
        .post(&format!("/v1/approvals/{id}/approve"), json!({}))
        .await;
    assert_eq!(a.status, StatusCode::CONFLICT, "{}", a.body);
    assert!(a.body["detail"].as_str().unwrap().contains("disabled"));
    assert_ne!(app.account(&acc).await["account_status"], "closed");
}

#[tokio::test]
async fn a_claim_is_released_by_its_holder_or_a_compliance_officer_only() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let acc = app.open_id(&c, "direct", "paid").await;
    let one = user(&app, "one@example.org", Role::Reviewer).await;
    let two = user(&app, "two@example.org", Role::Reviewer).await;
    let co = user(&app, "co@example.org", Role::ComplianceOfficer).await;
    let mut b1 = Browser::new(&app);
    b1.sign_in(&one).await;
    let q = b1.get("/console/queues/accounts").await;
    let back = "/console/queues/accounts";
    let p = b1
        .post(
            "/console/claims",
            &[
                ("csrf", &q.csrf()),
                ("item", &acc),
                ("action", "claim"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let mut b2 = Browser::new(&app);
    b2.sign_in(&two).await;
    let q2 = b2.get("/console/queues/accounts").await;
    let p = b2
        .post(
            "/console/claims",
            &[
                ("csrf", &q2.csrf()),
                ("item", &acc),
                ("action", "release"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN, "{}", p.html);
    let q = b2.get("/console/queues/accounts").await;
    assert!(
        q.html.contains("one@example.org"),
        "another's release changed nothing"
    );
    // Nothing to release: said so.
    let p = b2
        .post(
            "/console/claims",
            &[
                ("csrf", &q2.csrf()),
                ("item", "acc_nope"),
                ("action", "release"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    // A compliance officer releases it (its holder left, say).
    let mut b3 = Browser::new(&app);
    b3.sign_in(&co).await;
    let q3 = b3.get("/console/queues/accounts").await;
    let p = b3
        .post(
            "/console/claims",
            &[
                ("csrf", &q3.csrf()),
                ("item", &acc),
                ("action", "release"),
                ("back", back),
            ],
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let q = b3.get("/console/queues/accounts").await;
    assert!(!q.html.contains("one@example.org"));
}

#[tokio::test]
async fn a_forms_address_reached_by_get_leads_back_to_its_page_and_api_answers_are_not_cached() {
    let app = TestApp::new().await;
    let c = app.customer(individual("Lena Fischer", "DE", "DE")).await;
    let r = user(&app, "rev@example.org", Role::Reviewer).await;
    let mut b = Browser::new(&app);
    b.sign_in(&r).await;
    let p = b.get(&format!("/console/customers/{c}/reveal")).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location.unwrap(), format!("/console/customers/{c}"));
    assert!(p.headers.contains_key("content-security-policy"));
    let r = app
        .as_role(Role::Reviewer)
        .purpose("review")
        .get(&format!("/v1/customers/{c}/record"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers["cache-control"], "no-store");
}
