//! The `custos` binary.

mod app;
mod batch;
mod bench;
mod bench_console;
mod bench_customers;
mod bench_detection;
mod bench_ledger;
mod bench_legal;
mod bench_links;
mod bench_screen;
mod compliance;
mod config;
mod detection;
mod ledger;
mod legal;
mod lists;
mod nats;
mod out;
mod reference;
mod resellers;
mod serving;
mod sharing;
mod users;
mod webhooks;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::{Parser, Subcommand};
use custos_app::Actor;
use custos_app::keys::Role;
use custos_store::Store;
use tracing_subscriber::EnvFilter;

use crate::app::App;
use crate::config::Config;

/// mimalloc rather than the system's allocator: a screening query allocates and frees dozens
/// of short-lived vectors, and glibc's malloc spent a fifth of a query's time on them
/// (docs/BENCHMARKS.md, "Screening across scripts").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Debug, Parser)]
#[command(
    name = "custos",
    version,
    about = "Identity verification and record keeping for IaaS providers (EO 13984)"
)]
struct Cli {
    /// The data directory (SQLite database, keyring). Also CUSTOS_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// A TOML configuration file (default: DATA_DIR/custos.toml when it exists).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Who is acting, for the audit trail (default: the operating-system user). Also
    /// CUSTOS_ACTOR.
    #[arg(long, global = true, env = "CUSTOS_ACTOR")]
    actor: Option<String>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run the API server.
    Serve {
        /// Address to listen on (default from the configuration: 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<String>,
    },
    /// Start a server on a fresh SQLite data directory seeded with realistic demo records.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
    },
    /// Apply pending database migrations.
    Migrate,
    /// API keys.
    Keys {
        #[command(subcommand)]
        cmd: KeysCmd,
    },
    /// The people who sign in to the console.
    Users {
        #[command(subcommand)]
        cmd: users::UsersCmd,
    },
    /// The key-encryption keyring.
    Keyring {
        #[command(subcommand)]
        cmd: KeyringCmd,
    },
    /// Record retention.
    Retention {
        #[command(subcommand)]
        cmd: RetentionCmd,
    },
    /// The customers linked to one through shared values (an email, a phone, a document, a
    /// card, an IBAN, a wallet): the connected group, each link with the kind shared (never
    /// the value) and when. A read of personal data: audited with its purpose.
    Links {
        customer: String,
        /// Why the links are read, e.g. a case number.
        #[arg(long)]
        purpose: String,
        #[arg(long)]
        json: bool,
    },
    /// Red-flag rules: backtest a candidate set over the stored customers.
    Rules {
        #[command(subcommand)]
        cmd: detection::RulesCmd,
    },
    /// Abuse reports traced through the ledger to accounts, and the cases they open.
    Abuse {
        #[command(subcommand)]
        cmd: detection::AbuseCmd,
    },
    /// Sharing with peers: TAXII collections, abuse cases shared as STIX, peers' collections
    /// pulled in.
    Sharing {
        #[command(subcommand)]
        cmd: sharing::SharingCmd,
    },
    /// Cyber incidents: recorded with what CISA asks, their 72-hour clock, the sheet and STIX.
    Incidents {
        #[command(subcommand)]
        cmd: sharing::IncidentsCmd,
    },
    /// Reference lists for detection: IP ranges, disposable email domains, BIN ranges.
    Reference {
        #[command(subcommand)]
        cmd: reference::ReferenceCmd,
    },
    /// Designated lists: sanctions lists and special-measure designations.
    Lists {
        #[command(subcommand)]
        cmd: lists::ListsCmd,
    },
    /// Screen a name against the current version of every imported list.
    Screen {
        #[arg(long)]
        name: Option<String>,
        /// person or organization.
        #[arg(long = "type")]
        name_type: Option<String>,
        /// Year or date of birth: YYYY or YYYY-MM-DD (`--dob` until the next release).
        #[arg(long = "date-of-birth", alias = "dob", value_name = "DATE")]
        dob: Option<String>,
        /// ISO 3166-1 country (nationality or residence).
        #[arg(long)]
        country: Option<String>,
        /// An identifier of the subject, KIND:VALUE (passport, national_id, email, phone,
        /// wallet); repeatable.
        #[arg(long = "id")]
        ids: Vec<String>,
        /// The best N hits among the names screening looks at for the threshold (lowered by a
        /// date of birth or country): hits below it may be among them, but a name that could
        /// not reach it is not looked for, and at most about 80 come back (default: every hit
        /// at or above the threshold).
        #[arg(long)]
        limit: Option<usize>,
        /// Print JSON: {"hits":[{"entity_id","list","name","matched_name","score","explanation"}]}.
        #[arg(long)]
        json: bool,
        /// Read JSON lines of subjects ({"name","type","date_of_birth","country"}) and write one JSON line
        /// of results each ({"line":N,"error":..} for a line that cannot be screened; the exit
        /// status is then non-zero).
        #[arg(long)]
        batch: bool,
    },
    /// Name comparison as screening uses it.
    Names {
        #[command(subcommand)]
        cmd: NamesCmd,
    },
    /// Identifiers: validate and normalise what customers type.
    Id {
        #[command(subcommand)]
        cmd: IdCmd,
    },
    /// The access ledger: its verifier key, verification, queries.
    Ledger {
        #[command(subcommand)]
        cmd: ledger::LedgerCmd,
    },
    /// Legal process: requests, their approval, preservation, records packages.
    Legal {
        #[command(subcommand)]
        cmd: Box<legal::LegalCmd>,
    },
    /// Put events into the access ledger.
    Ingest {
        #[command(subcommand)]
        cmd: ledger::IngestCmd,
    },
    /// Special-measure designations: what is in force, the schedule, new ones, extensions.
    Designations {
        #[command(subcommand)]
        cmd: compliance::DesignationsCmd,
    },
    /// Resellers: their trees, CIPs and the package that produces them, non-compliance.
    Resellers {
        #[command(subcommand)]
        cmd: resellers::ResellersCmd,
    },
    /// Webhooks: the endpoints that receive them, their delivery log, redelivery.
    Webhooks {
        #[command(subcommand)]
        cmd: webhooks::WebhooksCmd,
    },
    /// Reports: the CIP certification.
    Report {
        #[command(subcommand)]
        cmd: compliance::ReportCmd,
    },
    /// The compliance program: the daily sweep, the deadlines calendar, exemptions, the
    /// program profile and documents, the ADP record, re-verification, certifications.
    Compliance {
        #[command(subcommand)]
        cmd: compliance::ComplianceCmd,
    },
    /// Benchmarks whose figures go in docs/BENCHMARKS.md.
    Bench {
        #[command(subcommand)]
        cmd: bench::BenchCmd,
    },
}

#[derive(Debug, Subcommand)]
enum KeysCmd {
    /// Create a key; the token is printed once, on standard output.
    Create {
        /// integrator, reviewer, compliance_officer, auditor, admin, or reseller (with --scope).
        #[arg(long)]
        role: String,
        #[arg(long, default_value = "cli")]
        name: String,
        /// For a reseller's key: the reseller account it is limited to.
        #[arg(long)]
        scope: Option<String>,
    },
    /// List keys (never their secrets).
    #[command(visible_alias = "ls")]
    List {
        #[arg(long)]
        json: bool,
    },
    /// Revoke a key by id.
    Revoke { id: String },
}

#[derive(Debug, Subcommand)]
enum NamesCmd {
    /// How alike two names are: a score in [0, 1]. With --batch, reads JSON lines
    /// {"a":..,"b":..,"type":..} and writes one score a line ({"line":N,"error":..} for a line
    /// that is not such a pair; the exit status is then non-zero).
    Compare {
        a: Option<String>,
        b: Option<String>,
        /// person or organization (default: either).
        #[arg(long = "type")]
        name_type: Option<String>,
        #[arg(long)]
        batch: bool,
    },
}

#[derive(Debug, Subcommand)]
enum IdCmd {
    /// Check one value (or, with --batch, one value per line of standard input) and print one
    /// JSON object per value: {"kind","valid","normalized","country","details","error"}.
    /// Exits 0 whether the value is valid or not; with --batch, non-zero when a line could
    /// not be read as a value (every line is still answered).
    Check {
        /// mrz, iban, bic, card, aba, ein, lei, wallet, phone, email, country, national-id:CC.
        kind: String,
        /// The value (for mrz, the rows joined by newlines).
        value: Option<String>,
        /// Read values from standard input, one per line (for mrz, each line a JSON string
        /// holding the whole zone), and write one JSON line each, in order.
        #[arg(long)]
        batch: bool,
        /// The date expiry is judged on (YYYY-MM-DD).
        #[arg(long)]
        on: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum KeyringCmd {
    /// Add a new key-encryption key, make it primary and re-wrap every data key under it.
    Rotate,
}

#[derive(Debug, Subcommand)]
enum RetentionCmd {
    /// Destroy (crypto-shred) every customer whose retention period has ended, unless a legal
    /// hold keeps it; print what was destroyed and what holds kept.
    Run {
        /// Judge as of this time (an RFC 3339 time, or a day) instead of now.
        #[arg(long)]
        as_of: Option<String>,
        /// Report what is due without destroying anything.
        #[arg(long)]
        dry_run: bool,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

fn init_tracing(c: &Config) {
    let filter = EnvFilter::try_new(&c.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let b = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if c.log_format == "json" {
        b.json().init();
    } else {
        b.init();
    }
}

fn parse_role(s: &str) -> Result<Role> {
    Role::parse(s).with_context(|| {
        format!(
            "unknown role `{s}`: use integrator, reviewer, compliance_officer, auditor, admin, reseller or peer"
        )
    })
}

/// Who the audit trail names for what this command does: `--actor`, else the
/// operating-system user. The CLI acts with the installation's full authority.
static ACTOR: std::sync::OnceLock<String> = std::sync::OnceLock::new();

pub(crate) fn cli_actor() -> Actor {
    let id = ACTOR.get_or_init(|| {
        let user = ["USER", "LOGNAME"]
            .iter()
            .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
            .unwrap_or_else(|| format!("uid {}", rustix::process::getuid().as_raw()));
        format!("os:{user}")
    });
    Actor {
        id: id.clone(),
        role: "admin".into(),
    }
}

fn is_fresh(dir: &Path) -> bool {
    !dir.join("custos.db").exists()
}

fn id_check(kind: &str, value: Option<String>, batch: bool, on: Option<String>) -> Result<()> {
    let kind = custos_ids::Kind::parse(kind).map_err(anyhow::Error::msg)?;
    let on = on
        .map(|s| {
            chrono::NaiveDate::parse_from_str(&s, "%Y-%m-%d")
                .with_context(|| format!("--on `{s}` is not a YYYY-MM-DD date"))
        })
        .transpose()?;
    match (value, batch) {
        (Some(v), false) => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::new(stdout.lock());
            serde_json::to_writer(&mut out, &custos_ids::check(&kind, &v, on))?;
            writeln!(out)?;
            out.flush()?;
            Ok(())
        }
        // An invalid value is an answer; a line that cannot be read as a value (an mrz line
        // that is not a JSON string) is a line that failed.
        (None, true) => batch::run(|n, line| {
            let (checked, failed) = if kind == custos_ids::Kind::Mrz {
                match serde_json::from_str::<String>(line) {
                    Ok(zone) => (custos_ids::check(&kind, &zone, on), false),
                    Err(_) => (
                        custos_ids::Checked {
                            kind: kind.name(),
                            valid: false,
                            normalized: None,
                            country: None,
                            details: Default::default(),
                            error: Some("in batch mode each mrz line is a JSON string".into()),
                        },
                        true,
                    ),
                }
            } else {
                (custos_ids::check(&kind, line, on), false)
            };
            let text =
                serde_json::to_string(&checked).map_err(|e| batch::error_line(n, &e.into()))?;
            if failed { Err(text) } else { Ok(text) }
        }),
        (Some(_), true) => bail!("give a VALUE or --batch, not both"),
        (None, false) => bail!("give a VALUE, or --batch to read values from standard input"),
    }
}

fn names_compare(
    a: Option<String>,
    b: Option<String>,
    t: Option<String>,
    batch: bool,
) -> Result<()> {
    use custos_screen::names::{NameType, compare};
    let parse_type = |t: Option<&str>| -> Result<NameType> {
        t.map_or(Ok(NameType::Any), |t| {
            NameType::parse(t).map_err(anyhow::Error::msg)
        })
    };
    match (a, b, batch) {
        (Some(a), Some(b), false) => {
            println!("{:.4}", compare(&a, &b, parse_type(t.as_deref())?));
        }
        (None, None, true) => {
            let default = parse_type(t.as_deref())?;
            batch::run(|n, line| {
                let pair = || -> Result<String> {
                    let v: serde_json::Value =
                        serde_json::from_str(line).context("not a JSON object")?;
                    let (Some(a), Some(b)) = (v["a"].as_str(), v["b"].as_str()) else {
                        bail!("needs string fields `a` and `b`");
                    };
                    let t = match v["type"].as_str() {
                        Some(t) => parse_type(Some(t))?,
                        None => default,
                    };
                    Ok(format!("{:.4}", compare(a, b, t)))
                };
                pair().map_err(|e| batch::error_line(n, &e))
            })?;
        }
        _ => bail!("give two names, or --batch to read pairs from standard input"),
    }
    Ok(())
}

async fn run(cli: Cli) -> Result<()> {
    if let Cmd::Names {
        cmd:
            NamesCmd::Compare {
                a,
                b,
                name_type,
                batch,
            },
    } = cli.cmd
    {
        return names_compare(a, b, name_type, batch);
    }
    if let Cmd::Id {
        cmd:
            IdCmd::Check {
                kind,
                value,
                batch,
                on,
            },
    } = cli.cmd
    {
        return id_check(&kind, value, batch, on);
    }
    let mut config = Config::load(cli.config.as_deref(), cli.data_dir.as_deref())?;
    init_tracing(&config);
    // A command that only reads does not make an installation where there is none (a
    // mistyped --data-dir would otherwise answer "no API key", over a new empty database).
    let installed = config.keyring_path().exists()
        || std::fs::read_dir(&config.data_dir).is_ok_and(|mut d| d.next().is_some());
    if reads_only(&cli.cmd) && !installed {
        bail!(
            "{} holds no custos installation (check --data-dir or CUSTOS_DATA_DIR; a command \
             that writes, such as `custos migrate` or `custos serve`, makes one)",
            config.data_dir.display()
        );
    }
    match cli.cmd {
        Cmd::Serve { listen } => {
            let listen = listen.unwrap_or_else(|| config.listen.clone());
            let pulls = config.sharing_pulls.clone();
            let (sweep, maintain, limits) = (
                config.sweep_interval_secs,
                config.maintenance_interval_secs,
                config.limits(),
            );
            let app = App::open_server(config).await?;
            serving::serve(&app, &listen, sweep, maintain, limits, pulls).await
        }
        Cmd::Demo { listen } => {
            if cli.data_dir.is_none() && std::env::var_os("CUSTOS_DATA_DIR").is_none() {
                let dir = std::env::temp_dir().join(format!("custos-demo-{}", std::process::id()));
                config.data_dir = dir;
            }
            if config.database_url.is_some() {
                bail!("the demo runs on SQLite; unset database_url");
            }
            if !is_fresh(&config.data_dir) {
                bail!(
                    "{} already holds a custos database; the demo needs a fresh directory",
                    config.data_dir.display()
                );
            }
            eprintln!("demo data directory: {}", config.data_dir.display());
            let pulls = config.sharing_pulls.clone();
            let (sweep, maintain, limits) = (
                config.sweep_interval_secs,
                config.maintenance_interval_secs,
                config.limits(),
            );
            let app = App::open_server(config).await?;
            custos_app::demo::seed(&app.service)
                .await
                .context("cannot seed the demo records")?;
            let (token, _) = app.service.create_key("demo-admin", Role::Admin).await?;
            println!("admin key: {token}");
            let (peer, _) = app.service.create_key("demo-peer", Role::Peer).await?;
            println!("peer key: {peer}");
            println!(
                "TAXII 2.1: /taxii2/ (every peer reads collection {})",
                custos_app::demo::DEMO_COLLECTION
            );
            for c in custos_app::demo::console_users(&app.service).await? {
                let totp = c
                    .totp_secret
                    .map(|t| format!(" totp:{t}"))
                    .unwrap_or_default();
                println!(
                    "console user {}: {} {}{totp}",
                    c.user.role.as_str(),
                    c.user.email,
                    c.password
                );
            }
            serving::serve(&app, &listen, sweep, maintain, limits, pulls).await
        }
        Cmd::Migrate => {
            let app = App::open(config, false).await?;
            let n = app
                .store
                .migrate()
                .await
                .context("cannot apply migrations")?;
            println!("applied {n} migration(s)");
            Ok(())
        }
        Cmd::Keys { cmd } => {
            let app = App::open(config, true).await?;
            match cmd {
                KeysCmd::Create { role, name, scope } => {
                    let role = parse_role(&role)?;
                    let scope = scope
                        .map(|s| {
                            custos_core::AccountId::parse(&s)
                                .with_context(|| format!("--scope `{s}` is not an account id"))
                        })
                        .transpose()?;
                    let (token, id) = app
                        .service
                        .issue_key(&cli_actor(), &name, role, scope.as_ref())
                        .await?;
                    eprintln!(
                        "created {} key {id}; the token is shown only now:",
                        role.as_str()
                    );
                    println!("{token}");
                }
                KeysCmd::List { json } => {
                    let keys = app.service.api_keys().await?;
                    if json {
                        // Never the hash.
                        let all: Vec<serde_json::Value> = keys
                            .iter()
                            .map(|k| {
                                serde_json::json!({"id": k.id, "name": k.name, "role": k.role,
                                    "scope": k.scope, "created_at": k.created_at,
                                    "revoked_at": k.revoked_at})
                            })
                            .collect();
                        return out::print_json(&all);
                    }
                    let mut t =
                        out::Table::new(&["ID", "ROLE", "NAME", "SCOPE", "CREATED", "REVOKED"]);
                    for k in keys {
                        t.row(vec![
                            k.id,
                            k.role,
                            k.name,
                            k.scope.unwrap_or_else(|| "-".into()),
                            out::day(k.created_at),
                            out::day_or_dash(k.revoked_at),
                        ]);
                    }
                    t.print("no API key")?;
                }
                KeysCmd::Revoke { id } => {
                    app.service.revoke_key(&cli_actor(), &id).await?;
                    println!("revoked {id}");
                }
            }
            Ok(())
        }
        Cmd::Keyring {
            cmd: KeyringCmd::Rotate,
        } => {
            let app = App::open(config, true).await?;
            let new = app.keyring.rotate().context("cannot rotate the keyring")?;
            let n = app
                .store
                .rewrap_data_keys()
                .await
                .context("cannot re-wrap data keys")?;
            app.service
                .audit(&cli_actor(), None, "rotate_keyring", &new)
                .await?;
            println!("primary key-encryption key is now {new}; re-wrapped {n} data key(s)");
            Ok(())
        }
        Cmd::Retention {
            cmd:
                RetentionCmd::Run {
                    as_of,
                    dry_run,
                    json,
                },
        } => {
            let now: DateTime<Utc> = match as_of {
                Some(s) => out::time("as-of", &s)?,
                None => Utc::now(),
            };
            let app = App::open(config, true).await?;
            let bar = indicatif::ProgressBar::new_spinner();
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} examined {pos} customer(s) {elapsed}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
            );
            let report = app
                .service
                .retention_run(now, dry_run, &cli_actor(), |n| bar.set_position(n))
                .await?;
            bar.finish_and_clear();
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                let verb = if dry_run {
                    "due (dry run)"
                } else {
                    "destroyed"
                };
                println!(
                    "examined {} customer(s) as of {}",
                    report.examined,
                    out::time_text(now)
                );
                for t in &report.destroyed {
                    println!(
                        "{verb}: {} ({} account(s))",
                        t.customer_id,
                        t.accounts.len()
                    );
                }
                for (id, holds) in &report.held {
                    println!("kept by legal hold: {id} ({})", holds.join(", "));
                }
                if report.ledger_counted {
                    println!(
                        "ledger events {}: {} (their leaf hashes stay)",
                        if dry_run { "due for purging" } else { "purged" },
                        report.ledger_events_purged
                    );
                } else {
                    println!(
                        "ledger events due for purging: not counted (the running server holds \
                         the ledger)"
                    );
                }
                if report.ledger_purges_waiting > 0 {
                    println!(
                        "ledger events of {} account(s) wait to be purged by the running server \
                         (within its maintenance interval)",
                        report.ledger_purges_waiting
                    );
                }
                if !report.keys_retired.is_empty() {
                    println!(
                        "key-encryption key(s) retired: {} (nothing they wrapped can be \
                         unwrapped again)",
                        report.keys_retired.join(", ")
                    );
                }
                if report.keys_retirement_waiting {
                    println!(
                        "the keys that wrapped what was destroyed wait to be retired by the \
                         running server (within its maintenance interval)"
                    );
                }
                println!(
                    "{} {verb}, {} kept by legal holds",
                    report.destroyed.len(),
                    report.held.len()
                );
            }
            Ok(())
        }
        Cmd::Bench { cmd } => bench::run(cmd).await,
        Cmd::Ledger { cmd } => ledger::run(&config, cmd).await,
        Cmd::Ingest {
            cmd: ledger::IngestCmd::File { file, format },
        } => tokio::task::block_in_place(|| ledger::ingest_file(&config, file, format)),
        Cmd::Ingest {
            cmd: ledger::IngestCmd::Nats(args),
        } => {
            let l = std::sync::Arc::new(app::open_ledger(&config)?);
            nats::run(l, args).await
        }
        Cmd::Lists { cmd } => {
            let app = App::open(config, true).await?;
            lists::run(&app, cmd).await
        }
        Cmd::Reference { cmd } => {
            let app = App::open(config, true).await?;
            reference::run(&app, cmd).await
        }
        Cmd::Sharing { cmd } => {
            let app = App::open(config, true).await?;
            sharing::run(&app, cmd).await
        }
        Cmd::Incidents { cmd } => {
            let app = App::open(config, true).await?;
            sharing::incidents(&app, cmd).await
        }
        Cmd::Abuse { cmd } => {
            let app = App::open(config, true).await?;
            detection::abuse(&app, cmd).await
        }
        Cmd::Rules { cmd } => {
            let app = App::open(config, true).await?;
            detection::rules(&app, cmd).await
        }
        Cmd::Links {
            customer,
            purpose,
            json,
        } => {
            let app = App::open(config, true).await?;
            detection::links(&app, &customer, &purpose, json).await
        }
        Cmd::Designations { cmd } => {
            let app = App::open(config, true).await?;
            compliance::designations(&app, cmd).await
        }
        Cmd::Resellers { cmd } => {
            let app = App::open(config, true).await?;
            resellers::resellers(&app, cmd).await
        }
        Cmd::Webhooks { cmd } => {
            let app = App::open(config, true).await?;
            webhooks::run(&app, cmd).await
        }
        Cmd::Users { cmd } => {
            let app = App::open(config, true).await?;
            users::run(&app, cmd).await
        }
        Cmd::Report { cmd } => {
            let app = App::open(config, true).await?;
            compliance::report(&app, cmd).await
        }
        Cmd::Compliance { cmd } => {
            let app = App::open(config, true).await?;
            compliance::compliance(&app, cmd).await
        }
        Cmd::Legal { cmd } => match *cmd {
            legal::LegalCmd::VerifyPackage { path, json } => {
                tokio::task::block_in_place(|| legal::verify(path, json))
            }
            cmd => {
                let app = App::open(config, true).await?;
                legal::run(&app, cmd).await
            }
        },
        Cmd::Screen {
            name,
            name_type,
            dob,
            country,
            ids,
            limit,
            json,
            batch,
        } => {
            let app = App::open(config, true).await?;
            lists::screen(
                &app,
                lists::ScreenArgs {
                    name,
                    name_type,
                    dob,
                    country,
                    ids,
                    limit,
                    json,
                    batch,
                },
            )
            .await
        }
        Cmd::Id { .. } | Cmd::Names { .. } => {
            unreachable!("handled before configuration is loaded")
        }
    }
}

/// Whether a command only reads what an installation holds.
fn reads_only(cmd: &Cmd) -> bool {
    use compliance::ProfileCmd;
    use compliance::{AdpCmd, AiReportCmd, ComplianceCmd, DesignationsCmd, ExemptionsCmd};
    use resellers::{RequestsCmd, ResellersCmd};
    match cmd {
        Cmd::Keys { cmd } => matches!(cmd, KeysCmd::List { .. }),
        Cmd::Lists { cmd } => matches!(
            cmd,
            lists::ListsCmd::Ls { .. } | lists::ListsCmd::Diff { .. }
        ),
        Cmd::Reference { cmd } => !matches!(cmd, reference::ReferenceCmd::Import { .. }),
        Cmd::Links { .. } => true,
        Cmd::Sharing { cmd } => matches!(
            cmd,
            sharing::SharingCmd::Ls { .. } | sharing::SharingCmd::Sets { .. }
        ),
        Cmd::Incidents { cmd } => matches!(cmd, sharing::IncidentsCmd::Ls { .. }),
        Cmd::Rules { .. } => false,
        Cmd::Abuse { cmd } => matches!(
            cmd,
            detection::AbuseCmd::Ls { .. } | detection::AbuseCmd::Show { .. }
        ),
        Cmd::Screen { .. } | Cmd::Report { .. } => true,
        Cmd::Ledger { .. } => true,
        Cmd::Designations { cmd } => matches!(
            cmd,
            DesignationsCmd::Ls { .. }
                | DesignationsCmd::Schedule { .. }
                | DesignationsCmd::Preview { .. }
        ),
        Cmd::Resellers { cmd } => matches!(
            cmd,
            ResellersCmd::Ls { .. }
                | ResellersCmd::Tree { .. }
                | ResellersCmd::Cases { .. }
                | ResellersCmd::Requests {
                    cmd: RequestsCmd::Ls { .. }
                }
        ),
        Cmd::Compliance { cmd } => matches!(
            cmd,
            ComplianceCmd::Deadlines { .. }
                | ComplianceCmd::Reverification { .. }
                | ComplianceCmd::Exemptions {
                    cmd: ExemptionsCmd::Ls { .. }
                }
                | ComplianceCmd::Profile {
                    cmd: ProfileCmd::Show { .. }
                }
                | ComplianceCmd::Adp {
                    cmd: AdpCmd::Show { .. }
                }
                | ComplianceCmd::AiReport {
                    cmd: AiReportCmd::Ls { .. }
                }
        ),
        Cmd::Users { cmd } => matches!(cmd, users::UsersCmd::Ls { .. }),
        Cmd::Webhooks { cmd } => matches!(
            cmd,
            webhooks::WebhooksCmd::Ls { .. } | webhooks::WebhooksCmd::Deliveries { .. }
        ),
        Cmd::Retention {
            cmd: RetentionCmd::Run { dry_run, .. },
        } => *dry_run,
        _ => false,
    }
}

#[tokio::main]
async fn main() {
    // Whatever the umask it was started with, what custos creates (the database, the ledger's
    // files, exports, keys) is its owner's alone: files 0600, directories 0700.
    #[cfg(unix)]
    rustix::process::umask(rustix::fs::Mode::from_raw_mode(0o077));
    let cli = Cli::parse();
    if let Some(a) = cli.actor.as_deref().map(str::trim) {
        if a.is_empty() || a.len() > 200 || a.chars().any(char::is_control) {
            eprintln!("error: --actor must be 1 to 200 printable characters");
            std::process::exit(2);
        }
        let _ = ACTOR.set(a.to_owned());
    }
    if let Err(e) = run(cli).await {
        // A reader that stopped reading (`| head`) is not an error of ours.
        if e.chain().any(|c| {
            c.downcast_ref::<std::io::Error>()
                .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
        }) {
            std::process::exit(0);
        }
        eprintln!("error: {e:#}");
        std::process::exit(1);
    }
}
