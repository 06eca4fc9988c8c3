//! `custos designations` and `custos compliance`: the special measures' schedule, new
//! designations and extensions, and the daily sweep that applies what the calendar changed.

use anyhow::{Context, Result, bail};
use chrono::NaiveDate;
use clap::Subcommand;
use custos_screen::model::{DesignationSubject, Measure};
use custos_server::designations::NewDesignation;

use crate::app::App;
use crate::cli_actor;

#[derive(Debug, Subcommand)]
pub enum DesignationsCmd {
    /// Every designation of the current lists and where it stands today.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// What takes effect and what ends when.
    Schedule {
        #[arg(long)]
        json: bool,
    },
    /// Enter a designation (kept in the `designations` list). It takes effect no earlier than
    /// the policy's lead time (180 days) after its determination.
    Add {
        #[arg(long)]
        id: String,
        /// A designated foreign jurisdiction: an ISO 3166-1 code or name.
        #[arg(long, conflicts_with = "person")]
        jurisdiction: Option<String>,
        /// A designated foreign person's name.
        #[arg(long)]
        person: Option<String>,
        /// Another name of the person; repeatable.
        #[arg(long = "alias")]
        aliases: Vec<String>,
        /// A country of the person; repeatable.
        #[arg(long = "country")]
        countries: Vec<String>,
        /// A condition (a CEL expression over `account` and `customer`); repeatable. Without
        /// any, the designation is a prohibition.
        #[arg(long = "condition")]
        conditions: Vec<String>,
        /// YYYY-MM-DD; today when omitted.
        #[arg(long)]
        determined: Option<String>,
        /// YYYY-MM-DD; the lead time after the determination when omitted.
        #[arg(long)]
        effective: Option<String>,
        /// YYYY-MM-DD; the policy's duration after the effective date when omitted.
        #[arg(long)]
        expires: Option<String>,
        /// The authority's reference, e.g. a Federal Register citation.
        #[arg(long)]
        reference: String,
    },
    /// Extend a designation entered through the API or this command.
    Extend {
        id: String,
        /// YYYY-MM-DD: the new end.
        #[arg(long)]
        until: String,
        #[arg(long)]
        reference: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ComplianceCmd {
    /// Apply what the calendar changed since the last sweep: designations that took effect or
    /// ended (every customer screened again, every account re-decided) and verification
    /// deadlines that passed. Run it daily (the server does, every `sweep_interval_secs`).
    Sweep {
        #[arg(long)]
        json: bool,
    },
}

pub fn date(flag: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .with_context(|| format!("--{flag} `{s}` is not a YYYY-MM-DD date"))
}

fn print_json(v: &impl serde::Serialize) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub async fn designations(app: &App, cmd: DesignationsCmd) -> Result<()> {
    let s = &app.service;
    match cmd {
        DesignationsCmd::Ls { json } => {
            let all = s.designation_views().await?;
            if json {
                return print_json(&all);
            }
            if all.is_empty() {
                println!("no designation");
            }
            for v in all {
                let d = &v.designation;
                let subject = match &d.subject {
                    DesignationSubject::Jurisdiction { country } => {
                        format!("jurisdiction {country}")
                    }
                    DesignationSubject::Person { name, .. } => format!("person {name}"),
                };
                println!(
                    "{}\t{}\t{:?}\t{}\t{}..{}\t{}\t{} confirmed, {} open\t{}",
                    d.id,
                    v.list,
                    v.status,
                    subject,
                    d.effective,
                    v.ends.map(|e| e.to_string()).unwrap_or_default(),
                    match d.measure {
                        Measure::Prohibition => "prohibition".to_owned(),
                        Measure::Conditions => format!("conditions: {}", d.conditions.join(" ; ")),
                    },
                    v.confirmed_cases,
                    v.open_cases,
                    d.reference
                );
            }
        }
        DesignationsCmd::Schedule { json } => {
            let all = s.schedule().await?;
            if json {
                return print_json(&all);
            }
            for e in all {
                println!(
                    "{}\t{:+} days\t{}\t{}\t{}\t{}",
                    e.date, e.days_from_today, e.event, e.designation_id, e.list, e.reference
                );
            }
        }
        DesignationsCmd::Add {
            id,
            jurisdiction,
            person,
            aliases,
            countries,
            conditions,
            determined,
            effective,
            expires,
            reference,
        } => {
            let subject = match (jurisdiction, person) {
                (Some(country), None) => DesignationSubject::Jurisdiction { country },
                (None, Some(name)) => DesignationSubject::Person {
                    name,
                    aliases,
                    entity_kind: None,
                    birth_date: None,
                    countries,
                },
                _ => bail!("name either --jurisdiction or --person"),
            };
            let measure = if conditions.is_empty() {
                Measure::Prohibition
            } else {
                Measure::Conditions
            };
            let v = s
                .add_designation(
                    NewDesignation {
                        id,
                        subject,
                        measure,
                        conditions,
                        determined: determined.map(|d| date("determined", &d)).transpose()?,
                        effective: effective.map(|d| date("effective", &d)).transpose()?,
                        expires: expires.map(|d| date("expires", &d)).transpose()?,
                        reference,
                    },
                    &cli_actor(),
                )
                .await?;
            println!(
                "designation {} entered: in force {} until {}",
                v.designation.id,
                v.designation.effective,
                v.ends.map(|e| e.to_string()).unwrap_or_default()
            );
        }
        DesignationsCmd::Extend {
            id,
            until,
            reference,
        } => {
            let v = s
                .extend_designation(&id, date("until", &until)?, reference, &cli_actor())
                .await?;
            println!(
                "designation {} extended until {}",
                v.designation.id,
                v.ends.map(|e| e.to_string()).unwrap_or_default()
            );
        }
    }
    Ok(())
}

pub async fn compliance(app: &App, cmd: ComplianceCmd) -> Result<()> {
    match cmd {
        ComplianceCmd::Sweep { json } => {
            let r = app.service.sweep(&cli_actor()).await?;
            if json {
                return print_json(&r);
            }
            for t in &r.transitions {
                println!("{}\t{}\t{}", t.date, t.event, t.designation_id);
            }
            if let Some(x) = &r.rescreen {
                println!(
                    "screened {} customers again: {} new hits, {} gone",
                    x.screened,
                    x.new.len(),
                    x.resolved.len()
                );
            }
            println!(
                "{} accounts re-decided past a deadline, {} of them closed",
                r.redecided, r.closed
            );
        }
    }
    Ok(())
}

#[derive(Debug, Subcommand)]
pub enum ResellersCmd {
    /// Every reseller account: foreign or not, its latest CIP, open non-compliance cases.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// The accounts under a reseller account.
    Tree { account: String },
    /// CIP documents: store a new version of a reseller's (or, with `provider`, your own).
    Cip {
        #[command(subcommand)]
        cmd: CipCmd,
    },
    /// The CIP package.
    Cips {
        #[command(subcommand)]
        cmd: CipsCmd,
    },
    /// Requests to produce the CIPs (due 10 calendar days after they arrive).
    Requests {
        #[command(subcommand)]
        cmd: RequestsCmd,
    },
    /// Flag a reseller as not complying: the 30-day termination clock starts.
    Flag {
        account: String,
        #[arg(long)]
        reason: String,
    },
    /// Add a report to a non-compliance case.
    Report {
        case: String,
        #[arg(long)]
        text: String,
        /// The report includes suspected malicious cyber activity.
        #[arg(long)]
        malicious: bool,
    },
    /// Close a non-compliance case: `resolved`, or `terminated` (the reseller account and
    /// everything under it closed).
    Close {
        case: String,
        #[arg(long)]
        outcome: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Every non-compliance case.
    Cases {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum CipCmd {
    /// Store FILE as the new version of OWNER's CIP (a reseller account id, or `provider`).
    Put {
        owner: String,
        file: std::path::PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum CipsCmd {
    /// Write the package (the provider's CIP and every foreign reseller's, with a manifest)
    /// as a zip; with --request, it answers that request.
    Export {
        out: std::path::PathBuf,
        #[arg(long)]
        request: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum RequestsCmd {
    Add {
        /// Who asked.
        #[arg(long)]
        by: String,
        #[arg(long)]
        reference: String,
        /// When it arrived (RFC 3339; now when omitted).
        #[arg(long)]
        at: Option<String>,
    },
    Ls {
        #[arg(long)]
        json: bool,
    },
}

/// The media type of a program document, from its extension.
fn media_type(file: &std::path::Path) -> Result<&'static str> {
    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    Ok(match ext.as_str() {
        "pdf" => "application/pdf",
        "md" | "markdown" => "text/markdown",
        "txt" => "text/plain",
        "html" | "htm" => "text/html",
        "docx" => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "odt" => "application/vnd.oasis.opendocument.text",
        _ => bail!(
            "{}: a program document is .pdf, .md, .txt, .html, .docx or .odt",
            file.display()
        ),
    })
}

pub async fn resellers(app: &App, cmd: ResellersCmd) -> Result<()> {
    use custos_core::AccountId;
    use custos_server::resellers::NonComplianceOutcome;
    let s = &app.service;
    let actor = cli_actor();
    let account =
        |a: &str| AccountId::parse(a).with_context(|| format!("`{a}` is not an account id"));
    match cmd {
        ResellersCmd::Ls { json } => {
            let all = s.resellers().await?;
            if json {
                return print_json(&all);
            }
            for r in all {
                println!(
                    "{}\t{}\t{}\t{}\tCIP {}\t{}",
                    r.account_id,
                    r.customer_id,
                    r.status.as_str(),
                    if r.foreign { "foreign" } else { "US" },
                    r.cip
                        .map(|c| format!("v{}", c.version))
                        .unwrap_or_else(|| "none".into()),
                    if r.open_non_compliance.is_empty() {
                        String::new()
                    } else {
                        format!("non-compliance: {}", r.open_non_compliance.join(", "))
                    }
                );
            }
        }
        ResellersCmd::Tree { account: a } => {
            print_json(&s.tree(&account(&a)?).await?)?;
        }
        ResellersCmd::Cip {
            cmd: CipCmd::Put { owner, file },
        } => {
            let content =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let owner = if owner == custos_server::resellers::PROVIDER {
                owner
            } else {
                account(&owner)?.as_str().to_owned()
            };
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("cip")
                .to_owned();
            let m = s
                .put_document(&owner, "cip", &name, media_type(&file)?, &content, &actor)
                .await?;
            println!(
                "{}: version {} ({}, sha256 {})",
                m.owner, m.version, m.id, m.sha256
            );
        }
        ResellersCmd::Cips {
            cmd: CipsCmd::Export { out, request },
        } => {
            let (manifest, bytes) = s.cip_package(request.as_deref(), &actor).await?;
            let tmp = out.with_extension("zip.partial");
            std::fs::write(&tmp, &bytes)
                .with_context(|| format!("cannot write {}", tmp.display()))?;
            std::fs::rename(&tmp, &out)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!(
                "{}: {} documents{}",
                out.display(),
                manifest.documents.len(),
                if manifest.missing.is_empty() {
                    String::new()
                } else {
                    format!(
                        "; no CIP from foreign resellers {}",
                        manifest
                            .missing
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                }
            );
        }
        ResellersCmd::Requests {
            cmd: RequestsCmd::Add { by, reference, at },
        } => {
            let at = at
                .map(|t| {
                    chrono::DateTime::parse_from_rfc3339(&t)
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .with_context(|| format!("--at `{t}` is not an RFC 3339 time"))
                })
                .transpose()?;
            let r = s.add_cip_request(at, by, reference, &actor).await?;
            println!("{}: due {}", r.id, r.due_at.format("%Y-%m-%d %H:%M UTC"));
        }
        ResellersCmd::Requests {
            cmd: RequestsCmd::Ls { json },
        } => {
            let all = s.cip_requests().await?;
            if json {
                return print_json(&all);
            }
            for r in all {
                println!(
                    "{}\t{}\t{}\tdue {}\t{}",
                    r.id,
                    r.requested_by,
                    r.reference,
                    r.due_at.format("%Y-%m-%d"),
                    r.fulfilled_at
                        .map(|f| format!("fulfilled {}", f.format("%Y-%m-%d")))
                        .unwrap_or_else(|| "open".into())
                );
            }
        }
        ResellersCmd::Flag { account: a, reason } => {
            let n = s.flag_non_compliance(&account(&a)?, reason, &actor).await?;
            println!(
                "{}: terminate by {}",
                n.id,
                n.terminate_by.format("%Y-%m-%d")
            );
        }
        ResellersCmd::Report {
            case,
            text,
            malicious,
        } => {
            let n = s
                .report_non_compliance(&case, text, malicious, &actor)
                .await?;
            println!("{}: {} reports", n.id, n.reports.len());
        }
        ResellersCmd::Close {
            case,
            outcome,
            note,
        } => {
            let outcome = match outcome.as_str() {
                "resolved" => NonComplianceOutcome::Resolved,
                "terminated" => NonComplianceOutcome::Terminated,
                o => bail!("--outcome `{o}`: use resolved or terminated"),
            };
            let n = s.close_non_compliance(&case, outcome, note, &actor).await?;
            println!("{}: {:?}", n.id, n.outcome.unwrap_or(outcome));
        }
        ResellersCmd::Cases { json } => {
            let all = s.non_compliance_cases().await?;
            if json {
                return print_json(&all);
            }
            for n in all {
                println!(
                    "{}\t{}\tflagged {}\tterminate by {}\t{}",
                    n.id,
                    n.account_id,
                    n.flagged_at.format("%Y-%m-%d"),
                    n.terminate_by.format("%Y-%m-%d"),
                    match (n.outcome, n.closed_at) {
                        (Some(o), Some(t)) => format!("{o:?} {}", t.format("%Y-%m-%d")),
                        _ => "open".into(),
                    }
                );
            }
        }
    }
    Ok(())
}
