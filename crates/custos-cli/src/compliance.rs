//! `custos designations` and `custos compliance`: the special measures' schedule, new
//! designations and extensions, and the daily sweep that applies what the calendar changed.

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use custos_app::designations::NewDesignation;
use custos_screen::model::{DesignationSubject, Measure};

use crate::app::App;
use crate::cli_actor;
use crate::out::{Table, day, name};
pub(crate) use crate::out::{date, print_json, time};

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
        #[arg(long)]
        json: bool,
    },
    /// Whom a designation will reach when it takes effect, as the records stand today.
    Preview {
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Extend a designation entered through the API or this command.
    Extend {
        id: String,
        /// YYYY-MM-DD: the new end.
        #[arg(long)]
        until: String,
        #[arg(long)]
        reference: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ComplianceCmd {
    /// Apply what the calendar changed since the last sweep: designations that took effect or
    /// ended (every customer screened again, every account re-decided), exemptions that
    /// started or ended, and verification deadlines that passed. Run it daily (the server
    /// does, every `sweep_interval_secs`).
    Sweep {
        #[arg(long)]
        json: bool,
    },
    /// Every clock due within N days (default 90), and every one overdue.
    Deadlines {
        #[arg(long, default_value_t = 90)]
        within: u32,
        #[arg(long)]
        json: bool,
    },
    /// Verified foreign subjects due to be verified again within N days (default 90).
    Reverification {
        #[arg(long, default_value_t = 90)]
        within: u32,
        #[arg(long)]
        json: bool,
    },
    /// Exemptions (EO 1(c)).
    Exemptions {
        #[command(subcommand)]
        cmd: ExemptionsCmd,
    },
    /// The program profile: provider name, CIP contact, detection resources, reseller
    /// oversight (`set FILE.json`, or `show`).
    Profile {
        #[command(subcommand)]
        cmd: ProfileCmd,
    },
    /// Store a new version of a program document: cip, adp, red_flag_procedures,
    /// reseller_oversight.
    Document {
        kind: String,
        file: std::path::PathBuf,
    },
    /// The Abuse Deterrence Program's record.
    Adp {
        #[command(subcommand)]
        cmd: AdpCmd,
    },
    /// Reports on transactions that may train a large AI model (due in 15 days; optional).
    AiReport {
        #[command(subcommand)]
        cmd: AiReportCmd,
    },
    /// File the certification (initial, or --annual): its PDF is kept and the next one's
    /// clock starts.
    Certify {
        #[arg(long)]
        annual: bool,
        /// The certifying official the document names (a person signs it).
        #[arg(long, requires = "title")]
        signer: Option<String>,
        /// The official's title.
        #[arg(long, requires = "signer")]
        title: Option<String>,
    },
    /// The certifications recorded as filed, oldest first.
    Filings {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ExemptionsCmd {
    /// Grant one: --provider, --account-kind/--offering, or --lessee CUSTOMER.
    Add {
        /// Why it is granted (`--basis` until the next release).
        #[arg(long, alias = "basis")]
        reason: String,
        #[arg(long)]
        provider: bool,
        #[arg(long)]
        account_kind: Option<String>,
        #[arg(long)]
        offering: Option<String>,
        #[arg(long)]
        lessee: Option<String>,
        /// verification, reverification; repeatable.
        #[arg(long = "requirement", required = true)]
        requirements: Vec<String>,
        /// A day (YYYY-MM-DD) or an RFC 3339 time; now when omitted.
        #[arg(long)]
        starts: Option<String>,
        #[arg(long)]
        expires: Option<String>,
        #[arg(long)]
        reference: Option<String>,
    },
    /// Every exemption, revoked ones too.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Revoke an exemption: every account is decided anew without it.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
pub enum ProfileCmd {
    /// Store the program profile from a JSON file.
    Set { file: std::path::PathBuf },
    /// The program profile.
    Show {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdpCmd {
    /// The program's documents, reviews and deviations.
    Show {
        #[arg(long)]
        json: bool,
    },
    /// Record a periodic review of the program.
    Review {
        /// YYYY-MM-DD.
        #[arg(long)]
        on: String,
        #[arg(long)]
        reviewer: String,
        #[arg(long)]
        summary: String,
        #[arg(long = "finding")]
        findings: Vec<String>,
        #[arg(long)]
        next: Option<String>,
    },
    /// Record a deviation from the program (Commerce is to be told within 30 days).
    Deviation {
        /// A day (YYYY-MM-DD) or an RFC 3339 time.
        #[arg(long)]
        at: String,
        #[arg(long)]
        description: String,
    },
    /// Record that Commerce was told of a deviation.
    Notified {
        id: String,
        #[arg(long)]
        reference: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AiReportCmd {
    /// Record a transaction that may train a large AI model (the report is due in 15 days).
    Add {
        customer: String,
        #[arg(long)]
        transaction: String,
        /// A day (YYYY-MM-DD) or an RFC 3339 time; now when omitted.
        #[arg(long)]
        at: Option<String>,
    },
    /// Record that a report was filed.
    Filed {
        id: String,
        #[arg(long)]
        reference: String,
    },
    /// Every report, with its due day.
    Ls {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// The CIP certification generated from the records as they are now.
    Certification {
        /// The annual certification (the last twelve months).
        #[arg(long)]
        annual: bool,
        /// json, html or pdf.
        #[arg(long, default_value = "json")]
        format: String,
        /// Write here instead of standard output (a PDF needs a file).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
    },
}

fn parse_enum<T: serde::de::DeserializeOwned>(flag: &str, s: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_owned()))
        .with_context(|| format!("--{flag} `{s}` is not one of the accepted values"))
}

pub async fn designations(app: &App, cmd: DesignationsCmd) -> Result<()> {
    let s = &app.service;
    match cmd {
        DesignationsCmd::Ls { json } => {
            let all = s.designation_views().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&[
                "ID",
                "STATUS",
                "SUBJECT",
                "EFFECTIVE",
                "ENDS",
                "MEASURE",
                "CASES",
                "REFERENCE",
            ]);
            for v in all {
                let d = &v.designation;
                let subject = match &d.subject {
                    DesignationSubject::Jurisdiction { country } => {
                        format!("jurisdiction {country}")
                    }
                    DesignationSubject::Person { name, .. } => format!("person {name}"),
                };
                t.row(vec![
                    d.id.clone(),
                    name(&v.status),
                    subject,
                    d.effective.to_string(),
                    v.ends.map_or_else(|| "-".into(), |e| e.to_string()),
                    match d.measure {
                        Measure::Prohibition => "prohibition".to_owned(),
                        Measure::Conditions => format!("conditions: {}", d.conditions.join(" ; ")),
                    },
                    format!("{} confirmed, {} open", v.confirmed_cases, v.open_cases),
                    d.reference.clone(),
                ]);
            }
            t.print("no designation")?;
        }
        DesignationsCmd::Schedule { json } => {
            let all = s.schedule().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["DATE", "DAYS", "EVENT", "DESIGNATION", "REFERENCE"]);
            for e in all {
                t.row(vec![
                    e.date.to_string(),
                    format!("{:+}", e.days_from_today),
                    e.event,
                    e.designation_id,
                    e.reference,
                ]);
            }
            t.print("nothing scheduled")?;
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
            json,
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
            if json {
                return print_json(&v);
            }
            println!(
                "designation {} entered: in force {} until {}",
                v.designation.id,
                v.designation.effective,
                v.ends.map(|e| e.to_string()).unwrap_or_default()
            );
        }
        DesignationsCmd::Preview { id, json } => {
            let p = s.preview_designation(&id, &cli_actor()).await?;
            if json {
                return print_json(&p);
            }
            println!(
                "{}: from {}, of {} customers: {} reached, {} to review",
                p.designation_id,
                p.effective,
                p.customers_screened,
                p.decisive.len(),
                p.review.len()
            );
            let mut t = Table::new(&["REACH", "CUSTOMER", "OPEN ACCOUNTS"]);
            for (what, hits) in [("reached", &p.decisive), ("review", &p.review)] {
                for h in hits {
                    t.row(vec![
                        what.to_owned(),
                        h.customer_id.to_string(),
                        h.accounts
                            .iter()
                            .map(|a| a.as_str())
                            .collect::<Vec<_>>()
                            .join(","),
                    ]);
                }
            }
            if !t.is_empty() {
                t.print("")?;
            }
        }
        DesignationsCmd::Extend {
            id,
            until,
            reference,
            json,
        } => {
            let v = s
                .extend_designation(&id, date("until", &until)?, reference, &cli_actor())
                .await?;
            if json {
                return print_json(&v);
            }
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
    let s = &app.service;
    let actor = cli_actor();
    match cmd {
        ComplianceCmd::Deadlines { within, json } => {
            let all = s
                .deadlines(chrono::Duration::days(i64::from(within)))
                .await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["DUE", "CLOCK", "DAYS", "OVERDUE", "WHAT"]);
            for d in all {
                t.row(vec![
                    day(d.due_at),
                    d.clock,
                    d.days.map_or_else(|| "-".into(), |n| n.to_string()),
                    if d.overdue { "overdue" } else { "" }.to_owned(),
                    d.what,
                ]);
            }
            t.print("nothing due")?;
            return Ok(());
        }
        ComplianceCmd::Reverification { within, json } => {
            let all = s
                .reverifications(chrono::Duration::days(i64::from(within)))
                .await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["DUE", "CUSTOMER", "SUBJECT", "VERIFIED", "OVERDUE"]);
            for r in all {
                t.row(vec![
                    day(r.due_at),
                    r.customer_id.to_string(),
                    r.subject_id.to_string(),
                    day(r.verified_at),
                    if r.overdue { "overdue" } else { "" }.to_owned(),
                ]);
            }
            t.print("nothing due")?;
            return Ok(());
        }
        ComplianceCmd::Exemptions { cmd } => {
            use custos_core::exemptions::ExemptionScope;
            match cmd {
                ExemptionsCmd::Add {
                    reason,
                    provider,
                    account_kind,
                    offering,
                    lessee,
                    requirements,
                    starts,
                    expires,
                    reference,
                } => {
                    let scope = match (
                        provider,
                        lessee,
                        account_kind.is_some() || offering.is_some(),
                    ) {
                        (true, None, false) => ExemptionScope::Provider,
                        (false, Some(c), false) => ExemptionScope::Lessee {
                            customer_id: custos_core::CustomerId::parse(&c)
                                .with_context(|| format!("`{c}` is not a customer id"))?,
                        },
                        (false, None, true) => ExemptionScope::AccountType {
                            account_kind: account_kind
                                .map(|k| parse_enum("account-kind", &k))
                                .transpose()?,
                            offering: offering.map(|o| parse_enum("offering", &o)).transpose()?,
                        },
                        _ => bail!(
                            "name one scope: --provider, --lessee, or --account-kind/--offering"
                        ),
                    };
                    let (e, n) = s
                        .grant_exemption(
                            custos_app::program::NewExemption {
                                reason,
                                scope,
                                requirements: requirements
                                    .iter()
                                    .map(|r| parse_enum("requirement", r))
                                    .collect::<Result<_>>()?,
                                starts: starts.map(|t| time("starts", &t)).transpose()?,
                                // A day is the last one in force, as a range's end is.
                                expires: expires
                                    .map(|t| {
                                        custos_app::when::parse(&t, custos_app::when::End::End)
                                            .map_err(anyhow::Error::msg)
                                            .with_context(|| {
                                                format!(
                                                    "--expires `{t}` is not a day (YYYY-MM-DD) \
                                                     or an RFC 3339 time"
                                                )
                                            })
                                    })
                                    .transpose()?,
                                reference,
                            },
                            &actor,
                        )
                        .await?;
                    println!("{}: granted; {n} accounts decided anew", e.id);
                }
                ExemptionsCmd::Ls { json } => {
                    let all = s.exemptions().await?;
                    if json {
                        return print_json(&all);
                    }
                    let mut t = Table::new(&[
                        "ID",
                        "SCOPE",
                        "REQUIREMENTS",
                        "STARTS",
                        "EXPIRES",
                        "REVOKED",
                        "REASON",
                    ]);
                    for e in all {
                        let scope = match &e.scope {
                            ExemptionScope::Lessee { customer_id } => {
                                format!("lessee {customer_id}")
                            }
                            ExemptionScope::AccountType {
                                account_kind,
                                offering,
                            } => {
                                let parts: Vec<String> = [name(account_kind), name(offering)]
                                    .into_iter()
                                    .filter(|p| !p.is_empty())
                                    .collect();
                                format!("account type {}", parts.join(" "))
                            }
                            other => name(other),
                        };
                        t.row(vec![
                            e.id,
                            scope,
                            name(&e.requirements),
                            day(e.starts),
                            crate::out::day_or_dash(e.expires),
                            crate::out::day_or_dash(e.revoked_at),
                            e.reason,
                        ]);
                    }
                    t.print("no exemption")?;
                }
                ExemptionsCmd::Revoke { id } => {
                    let (e, n) = s.revoke_exemption(&id, &actor).await?;
                    println!("{}: revoked; {n} accounts decided anew", e.id);
                }
            }
            return Ok(());
        }
        ComplianceCmd::Profile { cmd } => {
            match cmd {
                ProfileCmd::Set { file } => {
                    let text = std::fs::read_to_string(&file)
                        .with_context(|| format!("cannot read {}", file.display()))?;
                    let p: custos_app::report::ProgramProfile = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a program profile", file.display()))?;
                    s.put_program_profile(&p, &actor).await?;
                    println!("program profile stored");
                }
                ProfileCmd::Show { json } => match s.program_profile(&actor).await? {
                    Some(p) if json => print_json(&p)?,
                    Some(p) => {
                        let c = &p.cip_contact;
                        let mut t = Table::new(&["FIELD", "VALUE"]);
                        for (k, v) in [
                            ("provider", p.provider_name.clone()),
                            (
                                "CIP contact",
                                format!(
                                    "{}{} <{}>{}",
                                    c.name,
                                    c.title
                                        .as_deref()
                                        .map(|t| format!(", {t}"))
                                        .unwrap_or_default(),
                                    c.email,
                                    c.phone
                                        .as_deref()
                                        .map(|t| format!(", {t}"))
                                        .unwrap_or_default()
                                ),
                            ),
                            ("detection resources", p.detection_resources.join("; ")),
                            ("reseller oversight", p.reseller_oversight.clone()),
                            (
                                "verification notes",
                                p.verification_notes.clone().unwrap_or_else(|| "-".into()),
                            ),
                        ] {
                            t.row(vec![k.to_owned(), v]);
                        }
                        t.print("")?;
                    }
                    None => bail!("no program profile has been stored"),
                },
            }
            return Ok(());
        }
        ComplianceCmd::Document { kind, file } => {
            if !custos_app::program::PROGRAM_DOCUMENTS.contains(&kind.as_str()) {
                bail!(
                    "`{kind}`: a program document is one of {}",
                    custos_app::program::PROGRAM_DOCUMENTS.join(", ")
                );
            }
            let content =
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
            let name = file
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("document")
                .to_owned();
            let m = s
                .put_document(
                    custos_app::resellers::PROVIDER,
                    &kind,
                    &name,
                    crate::resellers::media_type(&file)?,
                    &content,
                    &actor,
                )
                .await?;
            println!("{}: version {} ({})", m.kind, m.version, m.id);
            return Ok(());
        }
        ComplianceCmd::Adp { cmd } => {
            match cmd {
                AdpCmd::Show { json } => {
                    let r = s.adp_record().await?;
                    if json {
                        return print_json(&r);
                    }
                    let mut t = Table::new(&["DOCUMENT", "VERSION", "ID", "STORED"]);
                    for d in &r.documents {
                        t.row(vec![
                            d.kind.clone(),
                            d.version.to_string(),
                            d.id.clone(),
                            day(d.uploaded_at),
                        ]);
                    }
                    t.print("no program document")?;
                    println!();
                    let mut t = Table::new(&["REVIEW", "REVIEWED", "REVIEWER", "NEXT", "SUMMARY"]);
                    for v in &r.reviews {
                        t.row(vec![
                            v.id.clone(),
                            v.reviewed_on.to_string(),
                            v.reviewer.clone(),
                            v.next_review.map_or_else(|| "-".into(), |n| n.to_string()),
                            v.summary.clone(),
                        ]);
                    }
                    t.print("no review")?;
                    println!();
                    let mut t = Table::new(&[
                        "DEVIATION",
                        "OCCURRED",
                        "NOTIFY BY",
                        "NOTIFIED",
                        "DESCRIPTION",
                    ]);
                    for v in &r.deviations {
                        t.row(vec![
                            v.id.clone(),
                            day(v.occurred_at),
                            day(v.notify_by),
                            crate::out::day_or_dash(v.notified_at),
                            v.description.clone(),
                        ]);
                    }
                    t.print("no deviation")?;
                }
                AdpCmd::Review {
                    on,
                    reviewer,
                    summary,
                    findings,
                    next,
                } => {
                    let r = s
                        .add_adp_review(
                            custos_app::program::AdpReview {
                                id: String::new(),
                                reviewed_on: date("on", &on)?,
                                reviewer,
                                summary,
                                findings,
                                next_review: next.map(|n| date("next", &n)).transpose()?,
                                recorded_by: String::new(),
                            },
                            &actor,
                        )
                        .await?;
                    println!("{}: recorded", r.id);
                }
                AdpCmd::Deviation { at, description } => {
                    let d = s
                        .add_adp_deviation(time("at", &at)?, description, &actor)
                        .await?;
                    println!("{}: notify by {}", d.id, d.notify_by.format("%Y-%m-%d"));
                }
                AdpCmd::Notified { id, reference } => {
                    let d = s.notify_adp_deviation(&id, reference, &actor).await?;
                    println!("{}: notified", d.id);
                }
            }
            return Ok(());
        }
        ComplianceCmd::AiReport { cmd } => {
            match cmd {
                AiReportCmd::Add {
                    customer,
                    transaction,
                    at,
                } => {
                    let at = match at {
                        Some(t) => time("at", &t)?,
                        None => s.now(),
                    };
                    let r = s
                        .add_ai_report(
                            custos_core::CustomerId::parse(&customer)
                                .with_context(|| format!("`{customer}` is not a customer id"))?,
                            transaction,
                            at,
                            &actor,
                        )
                        .await?;
                    println!("{}: due {}", r.id, r.due_at.format("%Y-%m-%d"));
                }
                AiReportCmd::Filed { id, reference } => {
                    let r = s.file_ai_report(&id, reference, &actor).await?;
                    println!("{}: filed", r.id);
                }
                AiReportCmd::Ls { json } => {
                    let all = s.ai_reports().await?;
                    if json {
                        return print_json(&all);
                    }
                    let mut t =
                        Table::new(&["ID", "CUSTOMER", "TRANSACTION", "DETECTED", "DUE", "FILED"]);
                    for r in all {
                        t.row(vec![
                            r.id,
                            r.customer_id.to_string(),
                            r.transaction_reference,
                            day(r.detected_at),
                            day(r.due_at),
                            crate::out::day_or_dash(r.filed_at),
                        ]);
                    }
                    t.print("no report")?;
                }
            }
            return Ok(());
        }
        ComplianceCmd::Certify {
            annual,
            signer,
            title,
        } => {
            let signer = match (signer, title) {
                (Some(n), Some(t)) => Some(custos_app::report::Signer::new(&n, &t)?),
                _ => None,
            };
            let f = s.file_certification(annual, signer, &actor).await?;
            println!(
                "{} certification filed: {} (document {}, sha256 {})",
                f.kind, f.id, f.document_id, f.sha256
            );
            return Ok(());
        }
        ComplianceCmd::Filings { json } => {
            let all = s.filings().await?;
            if json {
                return print_json(&all);
            }
            let mut t = Table::new(&["FILED", "KIND", "BY", "SIGNER", "DOCUMENT"]);
            for f in &all {
                t.row(vec![
                    crate::out::time_text(f.filed_at),
                    f.kind.clone(),
                    f.filed_by.clone(),
                    f.signer
                        .as_ref()
                        .map(|x| format!("{} ({})", x.name, x.title))
                        .unwrap_or_default(),
                    f.document_id.clone(),
                ]);
            }
            t.print("nothing filed")?;
            return Ok(());
        }
        ComplianceCmd::Sweep { json } => {
            let r = app.service.sweep(&cli_actor()).await?;
            if json {
                return print_json(&r);
            }
            let mut t = Table::new(&["DATE", "EVENT", "DESIGNATION"]);
            for x in &r.transitions {
                t.row(vec![
                    x.date.to_string(),
                    x.event.clone(),
                    x.designation_id.clone(),
                ]);
            }
            if !t.is_empty() {
                t.print("")?;
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

pub async fn report(app: &App, cmd: ReportCmd) -> Result<()> {
    match cmd {
        ReportCmd::Certification {
            annual,
            format,
            out,
        } => {
            let c = app.service.certification(annual, &cli_actor()).await?;
            let bytes = match format.as_str() {
                "json" => {
                    let mut v = serde_json::to_vec_pretty(&c)?;
                    v.push(b'\n');
                    v
                }
                "html" => custos_app::report::to_html(&c).into_bytes(),
                "pdf" => custos_app::report::to_pdf(&c)?,
                f => bail!("--format `{f}`: use json, html or pdf"),
            };
            match out {
                Some(path) => {
                    std::fs::write(&path, &bytes)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    eprintln!(
                        "{}: {} certification, {} bytes",
                        path.display(),
                        c.kind,
                        bytes.len()
                    );
                }
                None if format == "pdf" => bail!("a PDF goes to a file: add --out FILE.pdf"),
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
        }
    }
    Ok(())
}
