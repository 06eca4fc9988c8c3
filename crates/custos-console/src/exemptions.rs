//! Exemptions on the compliance page: those in force, granting one and revoking one (a
//! compliance officer's), each through the application's own methods.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{NaiveDate, Utc};
use custos_app::keys::Permission;
use custos_app::program::NewExemption;
use custos_core::exemptions::{ExemptionScope, Requirement};
use custos_core::{AccountKind, CustomerId, Offering};

use crate::Console;
use crate::program::compliance_page;
use crate::session::{Person, fields};
use crate::view::{Failure, Notice, explain, name, time};

/// An exemption in force, as the compliance page lists it.
#[derive(Debug)]
pub struct ExemptionRow {
    pub id: String,
    pub reason: String,
    pub scope: String,
    pub lifts: String,
    pub granted_by: String,
    pub until: String,
    pub reference: String,
    /// When it was revoked, or when it starts.
    pub state: String,
}

/// The exemptions in force now, and those that ended (revoked or expired) or are to come.
pub async fn listed(
    st: &Console,
) -> Result<(Vec<ExemptionRow>, Vec<ExemptionRow>), custos_app::Error> {
    let now = st.app.now();
    let (now_in, other): (Vec<_>, Vec<_>) = st
        .app
        .exemptions()
        .await?
        .into_iter()
        .partition(|e| e.in_force(now));
    let rows = |v: Vec<custos_core::exemptions::Exemption>| {
        v.into_iter().map(|e| row(e, now)).collect::<Vec<_>>()
    };
    Ok((rows(now_in), rows(other)))
}

fn row(e: custos_core::exemptions::Exemption, now: chrono::DateTime<Utc>) -> ExemptionRow {
    ExemptionRow {
        state: match e.revoked_at {
            Some(t) => format!("revoked {}", time(t)),
            None if e.starts > now => format!("starts {}", time(e.starts)),
            None if e.in_force(now) => "in force".into(),
            None => "expired".into(),
        },
        scope: match &e.scope {
            ExemptionScope::Provider => "every account".to_owned(),
            ExemptionScope::AccountType {
                account_kind,
                offering,
            } => {
                let kind = account_kind.map(|k| name(&k)).unwrap_or_default();
                let offering = offering.map(|o| name(&o)).unwrap_or_default();
                format!("{offering} {kind} accounts")
                    .trim()
                    .replace("  ", " ")
            }
            ExemptionScope::Lessee { customer_id } => format!("customer {customer_id}"),
        },
        lifts: e
            .requirements
            .iter()
            .map(name)
            .collect::<Vec<_>>()
            .join(", "),
        // Granted "through a day" ends at the next midnight: the day is shown.
        until: e
            .expires
            .map(|x| {
                if x.time() == chrono::NaiveTime::MIN {
                    format!("through {}", (x - chrono::Duration::days(1)).date_naive())
                } else {
                    time(x)
                }
            })
            .unwrap_or_else(|| "until revoked".into()),
        reference: e.reference.clone().unwrap_or_default(),
        id: e.id,
        reason: e.reason,
        granted_by: e.granted_by,
    }
}

/// The grant form, read by hand: its requirements are check boxes, one field each.
fn exemption(body: &[u8]) -> Result<NewExemption, custos_app::Error> {
    use custos_app::Error;
    let all = fields(body);
    let one = |k: &str| {
        all.iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.trim())
            .unwrap_or_default()
    };
    let choice = |field: &str, v: &str| -> Result<Option<serde_json::Value>, Error> {
        Ok(match v {
            "" | "any" => None,
            v if v.len() <= 40 => Some(serde_json::Value::String(v.to_owned())),
            _ => return Err(Error::invalid(field, "is not one of the choices")),
        })
    };
    let scope = match one("scope") {
        "provider" => ExemptionScope::Provider,
        "account_type" => {
            let kind = choice("account_kind", one("account_kind"))?
                .map(serde_json::from_value::<AccountKind>)
                .transpose()
                .map_err(|_| Error::invalid("account_kind", "is not a kind of account"))?;
            let offering = choice("offering", one("offering"))?
                .map(serde_json::from_value::<Offering>)
                .transpose()
                .map_err(|_| Error::invalid("offering", "is not an offering"))?;
            ExemptionScope::AccountType {
                account_kind: kind,
                offering,
            }
        }
        "lessee" => ExemptionScope::Lessee {
            customer_id: CustomerId::parse(one("customer_id"))
                .map_err(|_| Error::invalid("customer_id", "is not a customer id (cus_...)"))?,
        },
        _ => {
            return Err(Error::invalid(
                "scope",
                "choose every account, a type of account, or one customer",
            ));
        }
    };
    let requirements = all
        .iter()
        .filter(|(k, _)| k == "requirements")
        .map(|(_, v)| {
            serde_json::from_value::<Requirement>(serde_json::Value::String(v.clone()))
                .map_err(|_| Error::invalid("requirements", "is not a requirement"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // In force through that day, as every door reads a day that ends a range.
    let expires = match one("expires") {
        "" => None,
        d => {
            NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| Error::invalid("expires", "must be a day, YYYY-MM-DD"))?;
            Some(
                custos_app::when::parse(d, custos_app::when::End::End)
                    .map_err(|why| Error::invalid("expires", why))?,
            )
        }
    };
    Ok(NewExemption {
        reason: custos_core::text::free_text("reason", one("reason"))?,
        scope,
        requirements,
        starts: None,
        expires,
        reference: Some(one("reference"))
            .filter(|r| !r.is_empty())
            .map(|r| custos_core::text::free_text("reference", r))
            .transpose()?,
    })
}

fn refused(
    e: custos_app::Error,
    form: &'static str,
    body: &[u8],
) -> Result<(StatusCode, Notice), Failure> {
    match e {
        e @ (custos_app::Error::Validation { .. }
        | custos_app::Error::Conflict(_)
        | custos_app::Error::NotFound(_)) => {
            let (status, text) = explain(&e);
            let status = if status == StatusCode::NOT_FOUND {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                status
            };
            Ok((status, Notice::refused(text, form, body)))
        }
        e => Err(e.into()),
    }
}

pub async fn grant(State(st): State<Console>, p: Person, body: Bytes) -> Result<Response, Failure> {
    let f: crate::session::CsrfOnly = crate::session::form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    let r = match exemption(&body) {
        Ok(n) => st.app.grant_exemption(n, &p.actor()).await,
        Err(e) => Err(e),
    };
    match r {
        Ok((e, n)) => Ok(Redirect::to(&format!(
            "/console/compliance?done=granted&redecided={n}#exemption-{}",
            e.id
        ))
        .into_response()),
        Err(e) => {
            let (status, notice) = refused(e, "exemption", &body)?;
            compliance_page(&st, &p, status, vec![notice]).await
        }
    }
}

pub async fn revoke(
    State(st): State<Console>,
    p: Person,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Response, Failure> {
    let f: crate::session::CsrfOnly = crate::session::form(&body)?;
    p.check(&f.csrf)?;
    p.caller.require(Permission::Compliance)?;
    match st.app.revoke_exemption(&id, &p.actor()).await {
        Ok((_, n)) => Ok(
            Redirect::to(&format!("/console/compliance?done=revoked&redecided={n}"))
                .into_response(),
        ),
        Err(e) => {
            let (status, notice) = refused(e, "revoke", &body)?;
            compliance_page(&st, &p, status, vec![notice]).await
        }
    }
}
