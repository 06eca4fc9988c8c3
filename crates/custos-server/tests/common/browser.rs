//! A browser for the console's tests: a cookie jar over the test application, signing in
//! as a person, and the console users every test makes.

#![allow(dead_code, reason = "each test binary uses part of this")]

use std::collections::HashMap;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use custos_app::users::Credentials;
use custos_server::auth::Role;

use super::TestApp;

/// A browser: a cookie jar over the test application.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub jar: HashMap<String, String>,
}

pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub html: String,
    pub headers: axum::http::HeaderMap,
}

impl Page {
    /// The first CSRF token of the page's forms.
    pub fn csrf(&self) -> String {
        let at = self
            .html
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token");
        let rest = &self.html[at + 19..];
        rest[..rest.find('"').unwrap()].to_owned()
    }
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            jar: HashMap::new(),
        }
    }

    pub async fn send(&mut self, method: &str, path: &str, form: Option<&[(&str, &str)]>) -> Page {
        let body = form.map(|f| {
            (
                "application/x-www-form-urlencoded".to_owned(),
                serde_urlencoded::to_string(f).unwrap().into_bytes(),
            )
        });
        self.send_body(method, path, body).await
    }

    /// Posts a multipart form of these text fields and one file (`name`, bytes), as a browser
    /// uploads one.
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Page {
        self.send_body("POST", path, Some(multipart(fields, file)))
            .await
    }

    /// The cookies of the jar, as a `cookie` header's value.
    pub fn cookies(&self) -> String {
        let c: Vec<String> = self.jar.iter().map(|(k, v)| format!("{k}={v}")).collect();
        c.join("; ")
    }

    async fn send_body(
        &mut self,
        method: &str,
        path: &str,
        body: Option<(String, Vec<u8>)>,
    ) -> Page {
        let mut b = Request::builder().method(method).uri(path);
        if !self.jar.is_empty() {
            b = b.header("cookie", self.cookies());
        }
        let body = match body {
            Some((content_type, bytes)) => {
                b = b.header("content-type", content_type);
                Body::from(bytes)
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

    pub async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send("POST", path, Some(form)).await
    }

    /// Signs in with these credentials (and the current one-time code, when it has a factor).
    pub async fn sign_in(&mut self, c: &Credentials) -> Page {
        let code = c
            .totp_secret
            .as_deref()
            .map(|s| custos_app::users::code_at(s, self.app.service.now()).unwrap())
            .unwrap_or_default();
        self.sign_in_with(&c.user.email, &c.password, &code, "/console/")
            .await
    }

    pub async fn sign_in_with(
        &mut self,
        email: &str,
        password: &str,
        code: &str,
        next: &str,
    ) -> Page {
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

pub fn admin() -> custos_app::Actor {
    custos_app::Actor {
        id: "os:test".into(),
        role: "admin".into(),
    }
}

pub async fn user(app: &TestApp, email: &str, role: Role) -> Credentials {
    app.service
        .create_user(&admin(), email, role, false)
        .await
        .unwrap()
}

/// A multipart body of these text fields and one file: its content type and bytes.
pub fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----custos-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = vec![];
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .bytes(),
        );
    }
    body.extend(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\n\
             Content-Type: text/csv\r\n\r\n",
            file.0
        )
        .bytes(),
    );
    body.extend_from_slice(file.1);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
