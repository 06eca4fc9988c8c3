//! Resellers (the list, a reseller's tree and CIP versions, non-compliance cases with their
//! clocks) and designated lists (versions, and what each changed, by name).

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use custos_app::keys::Permission;

use crate::Console;
use crate::session::{Person, encode};
use crate::view::{Failure, Frame, Notice, name, page, time};

#[derive(Debug)]
pub struct ResellerRow {
    pub id: String,
    pub customer: String,
    pub status: String,
    pub foreign: &'static str,
    pub parent: String,
    pub cip: String,
    pub cases: String,
}

#[derive(Debug)]
pub struct CaseRow {
    pub id: String,
    pub account: String,
    pub flagged: String,
    pub terminate_by: String,
    pub left: String,
    pub overdue: bool,
    pub closed: bool,
    pub reports: usize,
    pub outcome: String,
}

#[derive(Template)]
#[template(path = "resellers.html")]
struct Resellers {
    f: Frame,
    rows: Vec<ResellerRow>,
    cases: Vec<CaseRow>,
}

pub async fn resellers(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    p.caller.require(Permission::ReadCompliance)?;
    let rows = st
        .app
        .resellers()
        .await?
        .into_iter()
        .map(|r| ResellerRow {
            id: r.account_id.as_str().to_owned(),
            customer: r.customer_id.as_str().to_owned(),
            status: name(&r.status),
            foreign: if r.foreign { "yes" } else { "no" },
            parent: r
                .parent_id
                .map(|x| x.as_str().to_owned())
                .unwrap_or_default(),
            cip: r
                .cip
                .map(|c| format!("version {}, {}", c.version, time(c.uploaded_at)))
                .unwrap_or_else(|| "none".into()),
            cases: r.open_non_compliance.join(", "),
        })
        .collect();
    let now = st.app.now();
    let cases = st
        .app
        .non_compliance_cases()
        .await?
        .into_iter()
        .map(|c| {
            let days = (c.terminate_by - now).num_days();
            CaseRow {
                overdue: c.closed_at.is_none() && c.terminate_by < now,
                closed: c.closed_at.is_some(),
                left: if days >= 0 {
                    format!("{days} days left")
                } else {
                    format!("{} days past", -days)
                },
                id: c.id,
                account: c.account_id.as_str().to_owned(),
                flagged: format!("{} by {}", time(c.flagged_at), c.flagged_by),
                terminate_by: time(c.terminate_by),
                reports: c.reports.len(),
                outcome: c.outcome.map(|o| name(&o)).unwrap_or_else(|| "open".into()),
            }
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        Resellers {
            f: Frame::new("Resellers", &p, "/console/resellers"),
            rows,
            cases,
        },
    ))
}

#[derive(Debug)]
pub struct Node {
    pub depth: usize,
    pub account: String,
    pub customer: String,
    pub kind: String,
    pub status: String,
}

#[derive(Template)]
#[template(path = "reseller.html")]
struct Reseller {
    f: Frame,
    id: String,
    tree: Vec<Node>,
    cips: Vec<(i64, String, String, String, String)>,
}

fn flatten(n: &custos_app::resellers::TreeNode, depth: usize, out: &mut Vec<Node>) {
    out.push(Node {
        depth: depth.min(4),
        account: n.account_id.as_str().to_owned(),
        customer: n.customer_id.as_str().to_owned(),
        kind: name(&n.kind),
        status: name(&n.status),
    });
    for c in &n.children {
        flatten(c, depth + 1, out);
    }
}

pub async fn reseller(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
) -> Result<Response, Failure> {
    p.caller.require(Permission::ReadCompliance)?;
    let account = custos_core::AccountId::parse(&id)
        .map_err(|_| custos_app::Error::NotFound(format!("reseller account {id}")))?;
    let root = st.app.tree(&account).await?;
    let mut tree = vec![];
    flatten(&root, 0, &mut tree);
    let cips = st
        .app
        .documents(Some(account.as_str()), Some("cip"))
        .await?
        .into_iter()
        .map(|d| {
            (
                d.version,
                time(d.uploaded_at),
                d.uploaded_by,
                d.file_name,
                d.sha256,
            )
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        Reseller {
            f: Frame::new(format!("Reseller {id}"), &p, ""),
            id,
            tree,
            cips,
        },
    ))
}

#[derive(Debug)]
pub struct VersionRow {
    pub list: String,
    pub list_q: String,
    pub number: i64,
    pub current: bool,
    pub format: String,
    pub entries: usize,
    pub retrieved: String,
    pub diff: String,
}

#[derive(Template)]
#[template(path = "lists.html")]
struct Lists {
    f: Frame,
    rows: Vec<VersionRow>,
    can_import: bool,
    names: Vec<String>,
    formats: Vec<&'static str>,
}

pub async fn lists(State(st): State<Console>, p: Person) -> Result<Response, Failure> {
    lists_page(&st, &p, StatusCode::OK, vec![]).await
}

async fn lists_page(
    st: &Console,
    p: &Person,
    status: StatusCode,
    notices: Vec<Notice>,
) -> Result<Response, Failure> {
    let rows: Vec<VersionRow> = st
        .app
        .list_versions(None)
        .await?
        .into_iter()
        .map(|v| VersionRow {
            list_q: encode(&v.version.list),
            list: v.version.list.clone(),
            number: v.number,
            current: v.current,
            format: v.version.format.clone(),
            entries: v.version.entries,
            retrieved: time(v.version.retrieved_at),
            diff: format!(
                "{}, {}, {}",
                v.diff.added.len(),
                v.diff.changed.len(),
                v.diff.removed.len()
            ),
        })
        .collect();
    let mut names: Vec<String> = rows.iter().map(|r| r.list.clone()).collect();
    names.dedup();
    Ok(page(
        status,
        Lists {
            f: Frame::new("Lists", p, "/console/lists").with(notices),
            rows,
            can_import: p.caller.require(Permission::Compliance).is_ok(),
            names,
            formats: vec![
                "ofac-xml",
                "ofac-advanced-xml",
                "un-xml",
                "bis-dpl",
                "csl-csv",
                "ftm-json",
                "custos-toml",
            ],
        },
    ))
}

/// A list file uploaded whole: published with the shrink guard, then every customer screened
/// again; what came of it said on the lists page.
pub async fn import(
    State(st): State<Console>,
    p: Person,
    mut m: axum::extract::Multipart,
) -> Result<Response, Failure> {
    use custos_app::lists::{Published, Upload};
    p.caller.require(Permission::Compliance)?;
    let mut fields = std::collections::HashMap::new();
    let (mut file, mut file_name) = (None, String::new());
    let bad =
        |_| custos_app::Error::Malformed("the upload could not be read: send it again".into());
    while let Some(field) = m.next_field().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            file_name = field.file_name().unwrap_or_default().to_owned();
            file = Some(field.bytes().await.map_err(bad)?.to_vec());
        } else {
            fields.insert(name, field.text().await.map_err(bad)?);
        }
    }
    p.check(fields.get("csrf").map(String::as_str).unwrap_or_default())?;
    let u = Upload {
        list: fields.get("list").cloned().unwrap_or_default(),
        format: fields.get("format").cloned().unwrap_or_default(),
        measure: fields.get("measure").cloned().filter(|m| !m.is_empty()),
        allow_shrink: fields.get("allow_shrink").is_some_and(|v| v == "true"),
        file_name,
    };
    let list = u.list.trim().to_owned();
    let notice = match st
        .app
        .publish_upload(&p.actor(), u, file.unwrap_or_default())
        .await
    {
        Ok((Published::Saved { version, diff, .. }, report)) => Notice::done(format!(
            "{list} version {version} is current: {} added, {} changed, {} removed; {} \
             customers screened again.",
            diff.added.len(),
            diff.changed.len(),
            diff.removed.len(),
            report.map_or(0, |r| r.screened)
        )),
        Ok((Published::Unchanged { version, .. }, _)) => Notice::done(format!(
            "{list} is unchanged since version {version}: nothing was stored."
        )),
        Ok((Published::Shrinks { entries, current }, _)) => Notice::error(format!(
            "Not published: this version has {entries} entries where the current one has \
             {current}. A broken download looks like this; if the list really shrank, tick \
             the box and import it again."
        )),
        Ok((Published::OtherList { .. }, _)) => Notice::error(format!(
            "Not published: {list} holds another list; choose its own name."
        )),
        Err(e @ (custos_app::Error::Validation { .. } | custos_app::Error::Conflict(_))) => {
            Notice::error(crate::view::explain(&e).1)
        }
        Err(e) => return Err(e.into()),
    };
    let status = crate::view::status_of(std::slice::from_ref(&notice));
    lists_page(&st, &p, status, vec![notice]).await
}

#[derive(Template)]
#[template(path = "list_version.html")]
struct ListVersion {
    f: Frame,
    list: String,
    number: i64,
    sections: Vec<(&'static str, Vec<(String, String)>)>,
}

pub async fn list_version(
    State(st): State<Console>,
    p: Person,
    Path((list, number)): Path<(String, String)>,
) -> Result<Response, Failure> {
    let number: i64 = number
        .parse()
        .map_err(|_| custos_app::Error::NotFound(format!("version {number} of {list}")))?;
    let d = st.app.named_diff(&list, Some(number)).await?;
    Ok(page(
        StatusCode::OK,
        ListVersion {
            f: Frame::new(format!("{list}, version {number}"), &p, "/console/lists"),
            list: d.list,
            number: d.number,
            sections: vec![
                ("Added", d.added),
                ("Changed", d.changed),
                ("Removed", d.removed),
            ],
        },
    ))
}
