//! `custos links`: a customer's connected group through shared values, for an investigator.

use anyhow::{Result, anyhow};
use custos_core::CustomerId;

use crate::app::App;
use crate::cli_actor;
use crate::out::{Table, day_or_dash, print_json};

pub async fn links(app: &App, customer: &str, purpose: &str, json: bool) -> Result<()> {
    let id = CustomerId::parse(customer.trim())
        .map_err(|e| anyhow!("`{}` is not a customer id: {e}", customer.trim()))?;
    let g = app
        .service
        .customer_links(&cli_actor(), purpose, &id)
        .await?;
    if json {
        return print_json(&g);
    }
    println!(
        "{}: {} linked customer(s){}",
        g.customer_id,
        g.members.len(),
        if g.complete {
            String::new()
        } else {
            format!(
                " (stopped at {}: the group is larger)",
                custos_app::links::MAX_GROUP
            )
        }
    );
    let mut t = Table::new(&["customer", "hops", "linked to", "shares", "since"]);
    for m in &g.members {
        for l in g
            .links
            .iter()
            .filter(|l| l.a == m.customer_id || l.b == m.customer_id)
            .filter(|l| {
                let other = if l.a == m.customer_id { &l.b } else { &l.a };
                g.members
                    .iter()
                    .find(|x| &x.customer_id == other)
                    .map_or(0, |x| x.hops)
                    < m.hops
            })
        {
            let other = if l.a == m.customer_id { &l.b } else { &l.a };
            t.row(vec![
                m.customer_id.to_string(),
                m.hops.to_string(),
                other.to_string(),
                l.kind.clone(),
                day_or_dash(l.since),
            ]);
        }
    }
    t.print("no customer shares a value with it")?;
    for w in &g.widely_shared {
        println!(
            "{} shares a {} with more than {} customers: not followed",
            w.customer_id, w.kind, g.share_cap
        );
    }
    if !g.addresses_followed {
        eprintln!(
            "note: links through connecting addresses are not in this answer: the running \
             server holds the ledger (ask it: GET /v1/customers/{}/links)",
            g.customer_id
        );
    }
    Ok(())
}

/// Abuse reports and the cases they open.
#[derive(clap::Subcommand, Debug)]
pub enum AbuseCmd {
    /// Report abuse: an address and a time (or an account), a category, the evidence. The
    /// ledger says which accounts used the address then; a case opens on each, or one
    /// unmatched case.
    Report {
        /// The address the abuse came from (with --at).
        #[arg(long, conflicts_with = "account")]
        ip: Option<String>,
        /// When it happened (RFC 3339, e.g. 2026-12-01T10:15:00Z).
        #[arg(long)]
        at: Option<String>,
        /// The account, when the report names one instead of an address.
        #[arg(long)]
        account: Option<String>,
        /// scanning, phishing, malware_c2, ddos, spam, fraud, crypto_mining or other.
        #[arg(long)]
        category: String,
        /// A file holding the evidence (log lines, headers), or - for standard input.
        #[arg(long)]
        evidence: std::path::PathBuf,
        /// Where more is (a ticket, a URL); repeatable.
        #[arg(long = "reference")]
        references: Vec<String>,
        /// A domain the abuse used (a phishing site, a C2 host); repeatable.
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// A wallet the abuse used (`ADDRESS` or `CHAIN:ADDRESS`); repeatable.
        #[arg(long = "wallet")]
        wallets: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// The cases, newest first.
    Ls {
        /// open or closed.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// One case, with its actions.
    Show { case: String },
    /// A case's sealed evidence (the report and the ledger's trace): audited, with a purpose.
    Evidence {
        case: String,
        #[arg(long)]
        purpose: String,
    },
    /// Act on a case: suspend, lift, preserve, close_for_abuse (waits for a second person),
    /// dismiss, or clear (red flags).
    Act {
        case: String,
        action: String,
        #[arg(long)]
        note: Option<String>,
    },
}

fn parse_word<T: serde::de::DeserializeOwned>(what: &str, v: &str, words: &str) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(v.trim().to_owned()))
        .map_err(|_| anyhow!("{what} `{}` is not one of: {words}", v.trim()))
}

pub async fn abuse(app: &App, cmd: AbuseCmd) -> Result<()> {
    use custos_core::abuse::{Action, CaseState, Category};
    let caller = crate::legal::caller();
    match cmd {
        AbuseCmd::Report {
            ip,
            at,
            account,
            category,
            evidence,
            references,
            domains,
            wallets,
            json,
        } => {
            let category: Category = parse_word(
                "--category",
                &category,
                "scanning, phishing, malware_c2, ddos, spam, fraud, crypto_mining, other",
            )?;
            let at = at
                .map(|a| {
                    chrono::DateTime::parse_from_rfc3339(a.trim())
                        .map(|t| t.with_timezone(&chrono::Utc))
                        .map_err(|_| anyhow!("--at `{a}` is not an RFC 3339 time"))
                })
                .transpose()?;
            let text = if evidence.as_os_str() == "-" {
                std::io::read_to_string(std::io::stdin())?
            } else {
                std::fs::read_to_string(&evidence)
                    .map_err(|e| anyhow!("reading {}: {e}", evidence.display()))?
            };
            let r = app
                .service
                .report_abuse(
                    &caller,
                    custos_app::abuse::AbuseReport {
                        ip,
                        at,
                        account_id: account,
                        category,
                        evidence: text,
                        references,
                        domains,
                        wallets,
                    },
                )
                .await?;
            if json {
                return print_json(&r);
            }
            if r.matched {
                println!("report {}: {} case(s) opened", r.report_id, r.cases.len());
            } else {
                println!(
                    "report {}: no account used the address then; kept as unmatched case {}",
                    r.report_id, r.cases[0].id
                );
            }
            cases_table(&r.cases)
        }
        AbuseCmd::Ls { state, json } => {
            let state: Option<CaseState> = state
                .map(|s| parse_word("--state", &s, "open, closed"))
                .transpose()?;
            let cases = app.service.abuse_cases(state).await?;
            if json {
                return print_json(&cases);
            }
            cases_table(&cases)
        }
        AbuseCmd::Show { case } => print_json(&app.service.abuse_case(case.trim()).await?),
        AbuseCmd::Evidence { case, purpose } => print_json(
            &app.service
                .abuse_evidence(&cli_actor(), &purpose, case.trim())
                .await?,
        ),
        AbuseCmd::Act { case, action, note } => {
            let action: Action = parse_word(
                "the action",
                &action,
                "suspend, lift, preserve, close_for_abuse, dismiss, clear",
            )?;
            match app
                .service
                .act_on_abuse_case(&caller, case.trim(), action, note)
                .await?
            {
                custos_app::approvals::Decided::Done(c) => {
                    let state = match c.state {
                        CaseState::Open => "open",
                        CaseState::Closed => "closed",
                    };
                    println!(
                        "abuse case {}: {} (the case is {state})",
                        c.id,
                        action.as_str()
                    );
                    Ok(())
                }
                custos_app::approvals::Decided::Waiting(a) => {
                    println!(
                        "waiting for a second person: approval {} (approve it in the console's \
                         approvals, or with POST /v1/approvals/{}/approve)",
                        a.id, a.id
                    );
                    Ok(())
                }
            }
        }
    }
}

fn cases_table(cases: &[custos_core::abuse::AbuseCase]) -> Result<()> {
    let mut t = Table::new(&[
        "case", "kind", "state", "category", "about", "opened", "due", "actions",
    ]);
    // Each as the API writes it (`red_flags`, `peer_signal`), not as the code names it.
    let word = |v: serde_json::Result<serde_json::Value>| {
        v.ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    };
    for c in cases {
        t.row(vec![
            c.id.clone(),
            word(serde_json::to_value(c.kind)),
            word(serde_json::to_value(c.state)),
            word(serde_json::to_value(c.category)),
            c.account_id
                .as_ref()
                .map(|a| a.to_string())
                .or_else(|| c.customer_id.as_ref().map(|x| x.to_string()))
                .unwrap_or_else(|| "unmatched".into()),
            day_or_dash(Some(c.opened_at)),
            day_or_dash(Some(c.due_at)),
            c.actions
                .iter()
                .map(|a| a.action.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        ]);
    }
    t.print("no abuse case")
}

/// Red-flag rules.
#[derive(clap::Subcommand, Debug)]
pub enum RulesCmd {
    /// Run a candidate rule set (a TOML file with a `[detection]` section, as in the CIP
    /// policy) over every stored customer beside the rules in use, changing nothing: per rule,
    /// on how many customers it fires now and would fire; which account decisions would
    /// change. One audited read of personal data.
    Backtest {
        file: std::path::PathBuf,
        #[arg(long)]
        json: bool,
    },
}

pub async fn rules(app: &App, cmd: RulesCmd) -> Result<()> {
    let RulesCmd::Backtest { file, json } = cmd;
    let text =
        std::fs::read_to_string(&file).map_err(|e| anyhow!("reading {}: {e}", file.display()))?;
    #[derive(serde::Deserialize)]
    struct Doc {
        detection: Option<custos_core::detection::DetectionPolicy>,
    }
    let doc: Doc = toml::from_str(&text)
        .map_err(|e| anyhow!("{} is not a rule set: {}", file.display(), e.message()))?;
    let Some(candidate) = doc.detection else {
        anyhow::bail!("{} has no [detection] section", file.display());
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(indicatif::ProgressStyle::with_template(
        "{spinner} {pos} customers ({per_sec})",
    )?);
    let b = app
        .service
        .backtest_rules(&cli_actor(), &candidate, &|n| bar.set_position(n as u64))
        .await?;
    bar.finish_and_clear();
    if json {
        return print_json(&b);
    }
    println!(
        "{} customers, {} open accounts: {} decision(s) would change",
        b.customers, b.open_accounts, b.changed
    );
    let mut t = Table::new(&["rule", "fires now", "would fire"]);
    for r in &b.rules {
        t.row(vec![
            r.rule.clone(),
            r.now.to_string(),
            r.candidate.to_string(),
        ]);
    }
    t.print("no rule fires on any customer")?;
    let mut t = Table::new(&["account", "customer", "now", "would be"]);
    let word = |d: &(custos_core::Decision, custos_core::AccountStatus)| {
        format!(
            "{} / {}",
            serde_json::to_value(d.0)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            d.1.as_str()
        )
    };
    for c in b.changes.iter().take(50) {
        t.row(vec![
            c.account_id.to_string(),
            c.customer_id.to_string(),
            word(&c.from),
            word(&c.to),
        ]);
    }
    if !b.changes.is_empty() {
        t.print("")?;
    }
    if b.changed > 50 {
        println!("(the first 50 of {}; --json lists up to 1,000)", b.changed);
    }
    Ok(())
}
