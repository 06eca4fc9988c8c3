//! `custos resellers`: overseeing resellers: their trees, their CIPs and the package of them
//! that answers a request, non-compliance cases.

use anyhow::{Context, Result, bail};
use clap::Subcommand;

use crate::app::App;
use crate::cli_actor;
use crate::compliance::print_json;
use crate::out::{Table, day, name};

#[derive(Debug, Subcommand)]
pub enum ResellersCmd {
    /// Every reseller account: foreign or not, its latest CIP, open non-compliance cases.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// The accounts under a reseller account.
    Tree {
        account: String,
        #[arg(long)]
        json: bool,
    },
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
        /// Why (`--note` until the next release).
        #[arg(long = "reason", alias = "note", value_name = "REASON")]
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
    /// Record a request to produce the CIPs (due 10 calendar days after it arrived).
    Add {
        /// Who asked.
        #[arg(long)]
        by: String,
        #[arg(long)]
        reference: String,
        /// When it arrived (a day or an RFC 3339 time; now when omitted).
        #[arg(long)]
        at: Option<String>,
    },
    /// Every request, open or fulfilled.
    Ls {
        #[arg(long)]
        json: bool,
    },
}

/// The media type of a program document, from its extension.
pub(crate) fn media_type(file: &std::path::Path) -> Result<&'static str> {
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
    use custos_app::resellers::NonComplianceOutcome;
    use custos_core::AccountId;
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
            let mut t = Table::new(&[
                "ACCOUNT",
                "CUSTOMER",
                "STATUS",
                "FOREIGN",
                "CIP",
                "OPEN NON-COMPLIANCE",
            ]);
            for r in all {
                t.row(vec![
                    r.account_id.to_string(),
                    r.customer_id.to_string(),
                    r.status.as_str().to_owned(),
                    if r.foreign { "yes" } else { "no" }.to_owned(),
                    r.cip
                        .map_or_else(|| "none".into(), |c| format!("version {}", c.version)),
                    if r.open_non_compliance.is_empty() {
                        "-".into()
                    } else {
                        r.open_non_compliance.join(", ")
                    },
                ]);
            }
            t.print("no reseller")?;
        }
        ResellersCmd::Tree { account: a, json } => {
            let tree = s.tree(&account(&a)?).await?;
            if json {
                return print_json(&tree);
            }
            let mut t = Table::new(&["ACCOUNT", "KIND", "STATUS", "CUSTOMER"]);
            let mut stack = vec![(0usize, &tree)];
            while let Some((depth, n)) = stack.pop() {
                t.row(vec![
                    format!("{}{}", "  ".repeat(depth), n.account_id),
                    name(&n.kind),
                    n.status.as_str().to_owned(),
                    n.customer_id.to_string(),
                ]);
                stack.extend(n.children.iter().rev().map(|c| (depth + 1, c)));
            }
            t.print("")?;
        }
        ResellersCmd::Cip {
            cmd: CipCmd::Put { owner, file },
        } => {
            let content =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let owner = if owner == custos_app::resellers::PROVIDER {
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
            let at = at.map(|t| crate::out::time("at", &t)).transpose()?;
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
            let mut t = Table::new(&["ID", "REQUESTED BY", "REFERENCE", "DUE", "FULFILLED"]);
            for r in all {
                t.row(vec![
                    r.id,
                    r.requested_by,
                    r.reference,
                    day(r.due_at),
                    r.fulfilled_at.map_or_else(|| "open".into(), day),
                ]);
            }
            t.print("no request")?;
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
            println!("{}: {}", n.id, name(&n.outcome.unwrap_or(outcome)));
        }
        ResellersCmd::Cases { json } => {
            let all = s.non_compliance_cases().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["ID", "ACCOUNT", "FLAGGED", "TERMINATE BY", "OUTCOME"]);
            for n in all {
                t.row(vec![
                    n.id,
                    n.account_id.to_string(),
                    day(n.flagged_at),
                    day(n.terminate_by),
                    match (n.outcome, n.closed_at) {
                        (Some(o), Some(c)) => format!("{} {}", name(&o), day(c)),
                        _ => "open".into(),
                    },
                ]);
            }
            t.print("no non-compliance case")?;
        }
    }
    Ok(())
}
