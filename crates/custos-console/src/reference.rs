//! The reference lists the red flags read (IP ranges, disposable email domains, BIN ranges):
//! their versions, a new version imported by upload, and a lookup.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use custos_app::keys::Permission;
use custos_app::reference::{Imported, Lookup, RefKind};
use serde::Deserialize;

use crate::Console;
use crate::session::{Person, form};
use crate::view::{Failure, Frame, Notice, explain, page, status_of, time};

#[derive(Debug)]
pub struct VersionRow {
    pub kind: String,
    pub number: i64,
    pub current: bool,
    pub entries: i64,
    pub imported: String,
    pub source: String,
    pub hash: String,
}

#[derive(Template)]
#[template(path = "reference.html")]
struct ReferencePage {
    f: Frame,
    rows: Vec<VersionRow>,
    kinds: Vec<&'static str>,
    can_read: bool,
    can_import: bool,
    can_look_up: bool,
    what: String,
    value: String,
    answer: Vec<(String, String)>,
}

#[derive(Debug, Deserialize)]
pub struct LookupForm {
    csrf: String,
    #[serde(default)]
    what: String,
    #[serde(default)]
    value: String,
}

/// What a lookup found, as lines.
fn answer(l: &Lookup) -> Vec<(String, String)> {
    let list = |v: &[String]| {
        if v.is_empty() {
            "-".to_owned()
        } else {
            v.join(", ")
        }
    };
    let opt = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    match l {
        Lookup::Ip {
            ip,
            kind,
            labels,
            providers,
        } => vec![
            ("Address".into(), ip.clone()),
            ("Kind".into(), kind.clone()),
            ("Every label".into(), list(labels)),
            ("Providers".into(), list(providers)),
        ],
        Lookup::Domain { domain, disposable } => vec![
            ("Domain".into(), domain.clone()),
            (
                "Throwaway".into(),
                if *disposable { "yes" } else { "no" }.into(),
            ),
        ],
        Lookup::Bin {
            bin,
            brand,
            funding,
            country,
            from,
            to,
        } => vec![
            ("BIN".into(), bin.clone()),
            ("Brand".into(), opt(brand)),
            ("Funding".into(), funding.clone()),
            ("Issuing country".into(), opt(country)),
            (
                "Range".into(),
                match (from, to) {
                    (Some(f), Some(t)) => format!("{f} to {t}"),
                    _ => "none holds it".into(),
                },
            ),
        ],
    }
}

pub async fn reference(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    reference_page(&st, &p, vec![], "ip".into(), String::new(), vec![]).await
}

/// A lookup, sent as a form (a BIN typed whole stays out of addresses and history).
pub async fn lookup(
    State(st): State<Console>,
    p: Person,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: LookupForm = form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::ReadCases)?;
    let (what, value) = (f.what.trim().to_owned(), f.value.trim().to_owned());
    let mut notices = vec![];
    let mut found = vec![];
    match st.app.reference_lookup(&what, &value).await {
        Ok(l) => found = answer(&l),
        Err(e @ custos_app::Error::Validation { .. }) => {
            notices.push(Notice::error(explain(&e).1));
        }
        Err(e) => return Err(e.into()),
    }
    // A value refused is not shown back: it may be a whole card number.
    let value = if notices.is_empty() {
        value
    } else {
        String::new()
    };
    reference_page(&st, &p, notices, what, value, found).await
}

async fn reference_page(
    st: &Console,
    p: &Person,
    notices: Vec<Notice>,
    what: String,
    value: String,
    answer: Vec<(String, String)>,
) -> Result<Response, Failure> {
    let can_look_up = p.caller.require(Permission::ReadCases).is_ok();
    let can_read = p.caller.require(Permission::ReadCompliance).is_ok();
    if !can_read {
        // The abuse desk asks the lists; the compliance program keeps them.
        p.caller.require(Permission::ReadCases)?;
    }
    let all = if can_read {
        st.app.references(None).await?
    } else {
        vec![]
    };
    let mut seen: Vec<String> = vec![];
    let rows = all
        .iter()
        .map(|v| {
            let current = !seen.contains(&v.kind);
            seen.push(v.kind.clone());
            VersionRow {
                kind: v.kind.clone(),
                number: v.number,
                current,
                entries: v.entries,
                imported: time(v.retrieved_at),
                source: v.source.clone(),
                hash: v.content_hash.chars().take(12).collect(),
            }
        })
        .collect();
    Ok(page(
        status_of(&notices),
        ReferencePage {
            f: Frame::new("Reference lists", p, "/console/reference").with(notices),
            rows,
            kinds: RefKind::ALL.map(RefKind::as_str).to_vec(),
            can_import: p.caller.require(Permission::Compliance).is_ok(),
            can_read,
            can_look_up,
            what: if what.is_empty() { "ip".into() } else { what },
            value,
            answer,
        },
    ))
}

/// A reference list uploaded whole: a new version in use, the same data (nothing written), or
/// refused naming the bad line with the version in use kept.
pub async fn import(
    State(st): State<Console>,
    p: Person,
    m: axum::extract::Multipart,
) -> Result<Response, Failure> {
    p.caller.require(Permission::Compliance)?;
    let u = crate::session::uploaded(m).await?;
    let field = |k: &str| u.fields.get(k).cloned().unwrap_or_default();
    let (kind, csrf) = (field("kind"), field("csrf"));
    p.check(&csrf)?;
    let notice = match RefKind::parse(kind.trim()) {
        None => Notice::error(format!(
            "`{}` is not a kind of reference list: choose one.",
            kind.trim()
        )),
        Some(k) => {
            let source = Some(u.file_name.clone())
                .filter(|n| !n.trim().is_empty())
                .unwrap_or_else(|| format!("uploaded by {}", p.actor().id));
            match st
                .app
                .import_reference(&p.actor(), k, &source, u.file)
                .await
            {
                Ok(Imported::Saved(v)) => Notice::done(format!(
                    "{} version {} is in use: {} entries.",
                    v.kind, v.number, v.entries
                )),
                Ok(Imported::Unchanged(v)) => Notice::done(format!(
                    "{} is unchanged: the same data as version {}; nothing was stored.",
                    v.kind, v.number
                )),
                Err(e @ custos_app::Error::Validation { .. }) => Notice::error(explain(&e).1),
                Err(e) => return Err(e.into()),
            }
        }
    };
    reference_page(&st, &p, vec![notice], String::new(), String::new(), vec![]).await
}
