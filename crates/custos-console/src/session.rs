//! Signing in and out, the session behind each request, and CSRF tokens.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use custos_app::users::Session;
use serde::Deserialize;
use subtle::ConstantTimeEq;

use crate::Console;
use crate::view::{Failure, Frame, Notice, explain, page};

/// The cookie that holds a session's token.
pub use custos_app::users::SESSION_COOKIE;
/// The cookie the sign-in form's CSRF token is bound to.
const LOGIN_COOKIE: &str = "custos_login";

/// A cookie's value from the request's headers.
fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// Whether the request came over TLS (directly or through a proxy that says so).
fn secure(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("https"))
}

fn set_cookie(name: &str, value: &str, headers: &HeaderMap, max_age: Option<u64>) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/console; HttpOnly; SameSite=Strict");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if secure(headers) {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Percent-encodes a value for a query string or a path segment (a space as `%20`, which
/// both read as a space; a `+` is `%2B`).
pub fn encode(s: &str) -> String {
    serde_urlencoded::to_string([("", s)])
        .map(|q| q.trim_start_matches('=').replace('+', "%20"))
        .unwrap_or_default()
}

/// A page to come back to after signing in: a console address, never another site's.
fn local(next: &str) -> &str {
    if next.starts_with("/console/") && !next.starts_with("//") && !next.contains('\\') {
        next
    } else {
        "/console/"
    }
}

/// The signed-in person of a request. Without a live session, the request goes to the
/// sign-in page, and back to where it was going after.
#[derive(Debug, Clone)]
pub struct Person {
    pub s: Session,
    token: String,
}

impl std::ops::Deref for Person {
    type Target = Session;
    fn deref(&self) -> &Session {
        &self.s
    }
}

impl Person {
    /// Checks a form's CSRF token against the session's.
    pub fn check(&self, token: &str) -> Result<(), Failure> {
        if bool::from(token.as_bytes().ct_eq(self.s.csrf.as_bytes())) {
            Ok(())
        } else {
            Err(Failure::App(custos_app::Error::Forbidden(
                "the form is stale or was not sent from this console; reload the page and try \
                 again"
                    .into(),
            )))
        }
    }

    pub fn actor(&self) -> custos_app::Actor {
        self.s.caller.actor()
    }
}

impl FromRequestParts<Console> for Person {
    type Rejection = Failure;

    async fn from_request_parts(parts: &mut Parts, st: &Console) -> Result<Self, Failure> {
        let next = if parts.method == axum::http::Method::GET {
            parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default()
        } else {
            "/console/".to_owned()
        };
        let Some(token) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Err(Failure::SignIn { next });
        };
        match st.app.session(token).await? {
            Some(s) => Ok(Person {
                s,
                token: token.to_owned(),
            }),
            None => Err(Failure::SignIn { next }),
        }
    }
}

/// A form body, or what is wrong with it (named by its field, as the page labels it).
pub fn form<T: serde::de::DeserializeOwned>(body: &Bytes) -> Result<T, Failure> {
    serde_urlencoded::from_str(&line_feeds(body)).map_err(|e| {
        Failure::App(custos_app::Error::Malformed(format!(
            "the form could not be read: {e}"
        )))
    })
}

/// A form's body with a textarea's line breaks, which a browser sends as CR LF (HTML's form
/// encoding), as the line feeds every other door takes.
fn line_feeds(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .replace("%0D%0A", "%0A")
        .replace("%0d%0a", "%0A")
        .replace("%0D", "%0A")
        .replace("%0d", "%0A")
}

/// A form's fields as they were sent, in order (what a refused form shows again).
pub fn fields(body: &[u8]) -> Vec<(String, String)> {
    serde_urlencoded::from_str(&line_feeds(body)).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "login.html")]
struct Login {
    f: Frame,
    csrf: String,
    next: String,
    email: String,
}

#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    #[serde(default)]
    next: Option<String>,
}

fn login_page(
    headers: &HeaderMap,
    status: StatusCode,
    next: &str,
    email: &str,
    notice: Option<Notice>,
) -> Response {
    let token = custos_app::users::random_token();
    let mut r = page(
        status,
        Login {
            f: Frame::anonymous("Sign in").with(notice),
            csrf: token.clone(),
            next: local(next).to_owned(),
            email: email.to_owned(),
        },
    );
    let c = set_cookie(LOGIN_COOKIE, &token, headers, Some(3600));
    r.headers_mut().append(header::SET_COOKIE, c);
    r
}

pub async fn login_form(
    State(st): State<Console>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> Response {
    // Signed in already: on to where the sign-in would have led.
    if let Some(token) = cookie(&headers, SESSION_COOKIE)
        && let Ok(Some(_)) = st.app.session(token).await
    {
        return Redirect::to(local(q.next.as_deref().unwrap_or("/console/"))).into_response();
    }
    login_page(
        &headers,
        StatusCode::OK,
        q.next.as_deref().unwrap_or("/console/"),
        "",
        None,
    )
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: String,
    #[serde(default)]
    next: String,
    email: String,
    password: String,
    #[serde(default)]
    code: String,
}

pub async fn login(
    State(st): State<Console>,
    headers: HeaderMap,
    peer: Peer,
    body: Bytes,
) -> Response {
    let f: LoginForm = match form(&body) {
        Ok(f) => f,
        Err(_) => {
            return login_page(
                &headers,
                StatusCode::BAD_REQUEST,
                "/console/",
                "",
                Some(Notice::error("Fill in your email and password.")),
            );
        }
    };
    let bound = cookie(&headers, LOGIN_COOKIE)
        .is_some_and(|c| bool::from(c.as_bytes().ct_eq(f.csrf.as_bytes())));
    if !bound {
        return login_page(
            &headers,
            StatusCode::FORBIDDEN,
            &f.next,
            &f.email,
            Some(Notice::error(
                "This sign-in form has expired or did not come from this console: try again.",
            )),
        );
    }
    let address = peer
        .0
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into());
    let code = Some(f.code.as_str()).filter(|c| !c.trim().is_empty());
    match st.app.sign_in(&f.email, &f.password, code, &address).await {
        Ok((token, _)) => {
            // A session already in this browser ends: one session per sign-in.
            if let Some(old) = cookie(&headers, SESSION_COOKIE) {
                let _ = st.app.sign_out(old).await;
            }
            let mut r = Redirect::to(local(&f.next)).into_response();
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(SESSION_COOKIE, &token, &headers, None),
            );
            r.headers_mut().append(
                header::SET_COOKIE,
                set_cookie(LOGIN_COOKIE, "", &headers, Some(0)),
            );
            r
        }
        Err(custos_app::Error::Unauthenticated) => login_page(
            &headers,
            StatusCode::UNAUTHORIZED,
            &f.next,
            &f.email,
            Some(Notice::error(
                "The email, the password or the one-time code is not right.",
            )),
        ),
        Err(e) => {
            let (status, text) = explain(&e);
            login_page(
                &headers,
                status,
                &f.next,
                &f.email,
                Some(Notice::error(text)),
            )
        }
    }
}

/// The peer's address, when the server recorded it.
#[derive(Debug)]
pub struct Peer(Option<SocketAddr>);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
        ))
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    pub csrf: String,
}

pub async fn logout(
    State(st): State<Console>,
    headers: HeaderMap,
    p: Person,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: CsrfOnly = form(&body)?;
    p.check(&f.csrf)?;
    st.app.sign_out(&p.token).await?;
    let mut r = Redirect::to("/console/login").into_response();
    r.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(SESSION_COOKIE, "", &headers, Some(0)),
    );
    Ok(r)
}

/// An upload form read whole: its text fields, and its one file (its name and bytes).
pub struct Uploaded {
    pub fields: std::collections::HashMap<String, String>,
    pub file_name: String,
    pub file: Vec<u8>,
}

pub async fn uploaded(mut m: axum::extract::Multipart) -> Result<Uploaded, Failure> {
    let mut u = Uploaded {
        fields: Default::default(),
        file_name: String::new(),
        file: vec![],
    };
    let bad = |e: axum::extract::multipart::MultipartError| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            custos_app::Error::TooLarge("the file is larger than this form takes".into())
        } else {
            custos_app::Error::Malformed("the upload could not be read: send it again".into())
        }
    };
    while let Some(field) = m.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            u.file_name = field.file_name().unwrap_or_default().to_owned();
            u.file = field.bytes().await.map_err(bad)?.to_vec();
        } else {
            u.fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    Ok(u)
}
