//! `custos legal`: legal requests (record, list, show, review, reject, withdraw, the served
//! document), their approval by a second person, preservation, and the records package
//! (written, and verified).

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;
use custos_app::keys::{Caller, Role};
use custos_app::legal::package::Stage;
use custos_app::legal::{LegalRequest, Officer, RequestInput, ScopeInput};
use custos_app::reads::{SearchInput, SearchKind};
use custos_core::legal::{Category, Instrument, RequestState};

use crate::app::App;
use crate::out::{Table, print_json};

#[derive(Subcommand, Debug)]
pub enum LegalCmd {
    /// Legal requests: record one, list them, show one, move one along.
    Requests {
        #[command(subcommand)]
        cmd: RequestsCmd,
    },
    /// Approve the production of a request, as the second person (`--actor` names who).
    Approve { request: String },
    /// Preserve a scope for 90 days under 18 U.S.C. 2703(f) (a preservation request), or
    /// extend a preservation once by 90 days on a renewed request (`--extend REQUEST`).
    Preserve(Box<PreserveArgs>),
    /// Write the records package of an approved request: a BagIt bag at OUT (a directory, or
    /// a zip when OUT ends in .zip), with proofs of every event and the declaration to sign.
    Package {
        request: String,
        out: PathBuf,
        /// Who receives it (default: the agency).
        #[arg(long)]
        recipient: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Check a records package: the bag, every proof against the checkpoint, the checkpoint's
    /// signature, every leaf hash against its row. Names the first thing that fails.
    VerifyPackage {
        path: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug, Default)]
pub struct ScopeArgs {
    /// An account in scope (repeatable).
    #[arg(long = "account")]
    accounts: Vec<String>,
    /// A customer in scope (repeatable).
    #[arg(long = "customer")]
    customers: Vec<String>,
    /// An identifier that finds customers: KIND:VALUE, e.g. email:a@example.com (repeatable).
    #[arg(long = "identifier")]
    identifiers: Vec<String>,
    /// Only events from this address or network (repeatable).
    #[arg(long = "ip")]
    ips: Vec<String>,
    /// The time range's start (a day or RFC 3339).
    #[arg(long, value_parser = crate::out::range_start)]
    from: Option<DateTime<Utc>>,
    /// The time range's end (a day, to its end, or RFC 3339).
    #[arg(long, value_parser = crate::out::range_end)]
    to: Option<DateTime<Utc>>,
    /// A record category asked for (repeatable; default: all the instrument reaches).
    #[arg(long = "category")]
    categories: Vec<String>,
}

#[derive(clap::Args, Debug)]
pub struct PreserveArgs {
    /// Extend this preservation request instead.
    #[arg(long, conflicts_with_all = ["agency", "case_number"])]
    extend: Option<String>,
    #[arg(long, required_unless_present = "extend")]
    agency: Option<String>,
    #[arg(long = "case", required_unless_present = "extend")]
    case_number: Option<String>,
    /// When the request was served (RFC 3339; default: now).
    #[arg(long)]
    served_at: Option<String>,
    #[command(flatten)]
    scope: ScopeArgs,
    /// The renewed request's note (with --extend).
    #[arg(long)]
    note: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args, Debug)]
pub struct AddArgs {
    #[arg(long)]
    agency: String,
    #[arg(long = "case")]
    case_number: String,
    /// preservation, subpoena, court_order_2703d, warrant, emergency, consent or other.
    #[arg(long)]
    instrument: String,
    #[arg(long)]
    court: Option<String>,
    /// When it was served (RFC 3339).
    #[arg(long)]
    served_at: String,
    /// How it was served (email, portal, mail, in person).
    #[arg(long)]
    served_how: Option<String>,
    /// The day it is due.
    #[arg(long)]
    due: Option<String>,
    /// The day the non-disclosure order expires.
    #[arg(long)]
    ndo_expires: Option<String>,
    #[arg(long)]
    officer: Option<String>,
    #[arg(long)]
    officer_email: Option<String>,
    #[arg(long)]
    officer_phone: Option<String>,
    /// How the officer's contact was verified.
    #[arg(long)]
    contact_verified: Option<String>,
    /// Why an emergency disclosure is made (required for emergency).
    #[arg(long)]
    justification: Option<String>,
    /// The served document, kept sealed with its SHA-256.
    #[arg(long)]
    document: Option<PathBuf>,
    #[command(flatten)]
    scope: ScopeArgs,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand, Debug)]
pub enum RequestsCmd {
    /// Record a legal request served on the provider.
    Add(Box<AddArgs>),
    /// The legal requests (no personal data).
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// One request, whole (reading it is audited).
    Show {
        request: String,
        #[arg(long)]
        json: bool,
    },
    /// Start reviewing a request.
    Review {
        request: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Reject a request (say why).
    Reject {
        request: String,
        #[arg(long)]
        note: String,
    },
    /// The agency withdrew the request.
    Withdraw {
        request: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Attach the served document (a new one replaces it).
    Document { request: String, file: PathBuf },
}

/// The CLI acts with the installation's full authority, under `--actor`'s name.
pub(crate) fn caller() -> Caller {
    Caller {
        key_id: crate::cli_actor().id,
        role: Role::Admin,
        scope: None,
    }
}

fn scope(s: ScopeArgs) -> Result<ScopeInput> {
    let mut identifiers = vec![];
    for i in &s.identifiers {
        let Some((k, v)) = i.split_once(':') else {
            bail!(
                "--identifier `{i}` is not KIND:VALUE (email, phone, national_id, card, iban, wallet)"
            );
        };
        let kind: SearchKind = serde_json::from_value(serde_json::Value::String(k.to_owned()))
            .map_err(|_| {
                anyhow::anyhow!(
                    "--identifier kind `{k}` is not email, phone, national_id, card, iban or wallet"
                )
            })?;
        identifiers.push(SearchInput {
            kind,
            value: v.to_owned(),
        });
    }
    let categories = s
        .categories
        .iter()
        .map(|c| {
            Category::parse(c).with_context(|| {
                format!(
                    "--category `{c}` is not one of {}",
                    Category::ALL.map(|c| c.as_str()).join(", ")
                )
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(ScopeInput {
        accounts: s.accounts,
        customers: s.customers,
        identifiers,
        ips: s.ips,
        from: s.from,
        to: s.to,
        categories,
    })
}

fn day(flag: &str, v: Option<String>) -> Result<Option<NaiveDate>> {
    v.map(|d| crate::out::date(flag, &d)).transpose()
}

fn print_request(r: &LegalRequest) {
    println!("legal request {} ({})", r.id, r.state.as_str());
    println!("  agency: {}, case {}", r.agency, r.case_number);
    println!("  instrument: {}", r.instrument.title());
    println!(
        "  served: {}; due: {}",
        crate::out::time_text(r.served_at),
        r.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into())
    );
    if let Some(n) = r.ndo_expires {
        println!("  non-disclosure order until {n}: tell no one, the customer least");
    }
    println!(
        "  scope: {} customer(s), {} account(s); categories: {}",
        r.customers.len(),
        r.accounts.len(),
        if r.categories.is_empty() {
            "none".into()
        } else {
            r.categories
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        }
    );
    if let Some(u) = r.preserved_until {
        println!(
            "  preserved until {}{}",
            crate::out::time_text(u),
            if r.preservation_extended {
                " (extended)"
            } else {
                ""
            }
        );
    }
    if let Some(d) = &r.document {
        println!("  served document: {} (sha256 {})", d.file_name, d.sha256);
    }
    match (&r.approval_id, r.state) {
        (Some(a), RequestState::Received | RequestState::InReview) => println!(
            "  waits for a second person: custos --actor OTHER legal approve {} (approval {a})",
            r.id
        ),
        (Some(_), _) => {
            if let Some(by) = &r.approved_by {
                println!("  production approved (asked by {by})");
            }
        }
        _ => {}
    }
    for p in &r.productions {
        println!(
            "  produced {} to {}: {} event(s), manifest sha256 {}",
            crate::out::time_text(p.produced_at),
            p.recipient,
            p.events,
            p.manifest_sha256
        );
    }
}

fn bar() -> indicatif::ProgressBar {
    let b = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    b.set_style(
        indicatif::ProgressStyle::with_template("{msg} {wide_bar} {pos}/{len} {eta}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

pub async fn run(app: &App, cmd: LegalCmd) -> Result<()> {
    let svc = &app.service;
    let c = caller();
    match cmd {
        LegalCmd::Requests { cmd } => match cmd {
            RequestsCmd::Add(args) => {
                let AddArgs {
                    agency,
                    case_number,
                    instrument,
                    court,
                    served_at,
                    served_how,
                    due,
                    ndo_expires,
                    officer,
                    officer_email,
                    officer_phone,
                    contact_verified,
                    justification,
                    document,
                    scope: s,
                    json,
                } = *args;
                let instrument = Instrument::parse(&instrument).with_context(|| {
                    format!(
                        "--instrument `{instrument}` is not one of {}",
                        Instrument::ALL.map(|i| i.as_str()).join(", ")
                    )
                })?;
                let served_at = crate::out::time("--served-at", &served_at)?;
                let doc = match &document {
                    Some(p) => Some(
                        std::fs::read(p).with_context(|| format!("cannot read {}", p.display()))?,
                    ),
                    None => None,
                };
                let officer = match (officer, officer_email, officer_phone) {
                    (None, None, None) => None,
                    (Some(name), email, phone) => Some(Officer { name, email, phone }),
                    _ => bail!("--officer-email and --officer-phone need --officer (the name)"),
                };
                let input = RequestInput {
                    agency,
                    case_number,
                    instrument,
                    court,
                    served_at,
                    served_how,
                    due: day("--due", due)?,
                    ndo_expires: day("--ndo-expires", ndo_expires)?,
                    officer,
                    contact_verified,
                    justification,
                    scope: scope(s)?,
                };
                let mut v = svc.add_legal_request(&c, input).await?;
                if let (Some(bytes), Some(p)) = (doc, &document) {
                    let name = p
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "document".into());
                    v.request = svc
                        .attach_served_document(&c, &v.request.id, &name, media_type(p), &bytes)
                        .await?;
                }
                if json {
                    print_json(&v)
                } else {
                    print_request(&v.request);
                    Ok(())
                }
            }
            RequestsCmd::Ls { json } => {
                let all = svc.legal_requests(&c).await?;
                if json {
                    return print_json(&all);
                }
                let mut t = Table::new(&[
                    "id",
                    "state",
                    "instrument",
                    "agency",
                    "case",
                    "served",
                    "due",
                    "customers",
                ]);
                for r in &all {
                    t.row(vec![
                        r.id.clone(),
                        r.state.as_str().into(),
                        r.instrument.as_str().into(),
                        r.agency.clone(),
                        r.case_number.clone(),
                        crate::out::day(r.served_at),
                        r.due.map(|d| d.to_string()).unwrap_or_else(|| "-".into()),
                        r.customers.len().to_string(),
                    ]);
                }
                print!("{}", t.render("no legal requests"));
                Ok(())
            }
            RequestsCmd::Show { request, json } => {
                let v = svc.legal_request(&c, &request).await?;
                if json {
                    return print_json(&v);
                }
                print_request(&v.request);
                if let Some(o) = &v.sealed.officer {
                    println!(
                        "  officer: {}{}{}",
                        o.name,
                        o.email
                            .as_deref()
                            .map(|e| format!(", {e}"))
                            .unwrap_or_default(),
                        o.phone
                            .as_deref()
                            .map(|p| format!(", {p}"))
                            .unwrap_or_default()
                    );
                }
                if let Some(h) = &v.sealed.contact_verified {
                    println!("  contact verified: {h}");
                }
                for custos_app::legal::Named {
                    kind: k,
                    value: val,
                } in &v.sealed.identifiers
                {
                    println!("  identifier: {k} {val}");
                }
                for ip in &v.sealed.ips {
                    println!("  events from: {ip}");
                }
                for s in &v.request.history {
                    println!(
                        "  {} {} by {}{}",
                        crate::out::time_text(s.at),
                        s.state.as_str(),
                        s.by,
                        s.note
                            .as_deref()
                            .map(|n| format!(": {n}"))
                            .unwrap_or_default()
                    );
                }
                Ok(())
            }
            RequestsCmd::Review { request, note } => {
                move_to(svc, &c, &request, RequestState::InReview, note).await
            }
            RequestsCmd::Reject { request, note } => {
                move_to(svc, &c, &request, RequestState::Rejected, Some(note)).await
            }
            RequestsCmd::Withdraw { request, note } => {
                move_to(svc, &c, &request, RequestState::Withdrawn, note).await
            }
            RequestsCmd::Document { request, file } => {
                let bytes = std::fs::read(&file)
                    .with_context(|| format!("cannot read {}", file.display()))?;
                let name = file
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "document".into());
                let r = svc
                    .attach_served_document(&c, &request, &name, media_type(&file), &bytes)
                    .await?;
                print_request(&r);
                Ok(())
            }
        },
        LegalCmd::Approve { request } => {
            let r = svc.approve_legal(&c, &request).await?;
            print_request(&r);
            Ok(())
        }
        LegalCmd::Preserve(args) if args.extend.is_some() => {
            let PreserveArgs {
                extend, note, json, ..
            } = *args;
            let id = extend.unwrap_or_default();
            let r = svc.extend_preservation(&c, &id, note).await?;
            if json {
                print_json(&r)
            } else {
                print_request(&r);
                Ok(())
            }
        }
        LegalCmd::Preserve(args) => {
            let PreserveArgs {
                agency,
                case_number,
                served_at,
                scope: s,
                json,
                ..
            } = *args;
            let served_at = match served_at {
                Some(t) => crate::out::time("--served-at", &t)?,
                None => svc.now(),
            };
            let input = RequestInput {
                agency: agency.unwrap_or_default(),
                case_number: case_number.unwrap_or_default(),
                instrument: Instrument::Preservation,
                court: None,
                served_at,
                served_how: None,
                due: None,
                ndo_expires: None,
                officer: None,
                contact_verified: None,
                justification: None,
                scope: scope(s)?,
            };
            let v = svc.add_legal_request(&c, input).await?;
            if json {
                print_json(&v)
            } else {
                print_request(&v.request);
                Ok(())
            }
        }
        LegalCmd::Package {
            request,
            out,
            recipient,
            json,
        } => {
            let b = bar();
            let progress = std::sync::Arc::new(move |s: Stage| match s {
                Stage::Gathering => b.set_message("reading the records"),
                Stage::Events(n, total) => {
                    b.set_message("writing events and proofs");
                    b.set_length(total);
                    b.set_position(n);
                }
                Stage::Manifest => b.set_message("hashing the manifest"),
                Stage::Done => b.finish_and_clear(),
            });
            let p = if svc.ledger().is_some() {
                svc.produce_legal(&c, &request, &out, recipient, progress)
                    .await?
            } else {
                // A running server holds the ledger: it writes the package, in our name.
                let spin = indicatif::ProgressBar::new_spinner();
                spin.set_message("the running server writes the package");
                let tick = spin.clone();
                let p = svc
                    .produce_legal_via_owner(
                        &c,
                        &request,
                        &out,
                        recipient,
                        std::time::Duration::from_secs(15 * 60),
                        &move || tick.tick(),
                    )
                    .await;
                spin.finish_and_clear();
                p?
            };
            if json {
                return print_json(&p);
            }
            println!(
                "wrote {}: {} customer(s), {} event(s){}; manifest sha256 {}",
                out.display(),
                p.customers.len(),
                p.events,
                if p.destroyed.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({} customer(s) destroyed by retention before the request)",
                        p.destroyed.len()
                    )
                },
                p.manifest_sha256
            );
            println!(
                "recorded as a disclosure to {}; the custodian signs data/declaration.pdf",
                p.recipient
            );
            Ok(())
        }
        LegalCmd::VerifyPackage { .. } => unreachable!("verified without opening anything"),
    }
}

async fn move_to(
    svc: &custos_app::App,
    c: &Caller,
    request: &str,
    to: RequestState,
    note: Option<String>,
) -> Result<()> {
    print_request(&svc.set_legal_state(c, request, to, note).await?);
    Ok(())
}

/// Checks a package: needs nothing of the installation.
pub fn verify(path: PathBuf, json: bool) -> Result<()> {
    let v = custos_app::legal::verify::verify_package(&path)
        .map_err(|e| anyhow::anyhow!("{} does not verify: {e}", path.display()))?;
    if json {
        return print_json(&v);
    }
    println!(
        "{}: the package holds: {} file(s) match the manifest, {} event(s) proven against the \
         signed checkpoint{}; records digest {}",
        path.display(),
        v.files,
        v.events,
        v.checkpoint_size
            .map(|s| format!(" of {s} entries"))
            .unwrap_or_default(),
        v.records_digest
    );
    Ok(())
}

fn media_type(p: &std::path::Path) -> &'static str {
    match p
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase())
        .as_deref()
    {
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        Some("png") => "image/png",
        Some("jpg" | "jpeg") => "image/jpeg",
        Some("tif" | "tiff") => "image/tiff",
        _ => "application/octet-stream",
    }
}
