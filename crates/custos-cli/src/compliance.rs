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
