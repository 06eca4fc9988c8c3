//! Designated lists: versions, what each changed (by name), and import by upload under the
//! shrink guard.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use custos_app::keys::Permission;

use crate::Console;
use crate::session::{Person, encode};
use crate::view::{Failure, Frame, Notice, page, time};

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
    m: axum::extract::Multipart,
) -> Result<Response, Failure> {
    use custos_app::lists::{Published, Upload};
    p.caller.require(Permission::Compliance)?;
    let crate::session::Uploaded {
        fields,
        file_name,
        file,
    } = crate::session::uploaded(m).await?;
    p.check(fields.get("csrf").map(String::as_str).unwrap_or_default())?;
    let u = Upload {
        list: fields.get("list").cloned().unwrap_or_default(),
        format: fields.get("format").cloned().unwrap_or_default(),
        measure: fields.get("measure").cloned().filter(|m| !m.is_empty()),
        allow_shrink: fields.get("allow_shrink").is_some_and(|v| v == "true"),
        file_name,
    };
    let list = u.list.trim().to_owned();
    let notice = match st.app.publish_upload(&p.actor(), u, file).await {
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
