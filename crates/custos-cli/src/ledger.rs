//! `custos ledger` (the verifier key, verification, queries) and `custos ingest` (backfill
//! from a file, and the NATS JetStream consumer).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
use custos_ledger::index::Net;
use custos_ledger::query::{account_events, net_accounts, prove};
use custos_ledger::{Event, Which};

use crate::config::Config;

#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Print the verifier key of the ledger's checkpoints, in signed-note form.
    Key,
    /// Recompute every log from its stored data: every entry, every stored hash, the signed
    /// checkpoint. Exits non-zero at the first bad entry, naming it.
    Verify {
        /// access, audit or all.
        #[arg(long, default_value = "all")]
        log: String,
    },
    /// The events of an account in a time range, or the accounts that used an address or
    /// network.
    Query {
        #[arg(long, conflicts_with = "ip")]
        account: Option<String>,
        /// An address or a network (ADDR/LEN).
        #[arg(long)]
        ip: Option<String>,
        /// RFC 3339; default: a day (an account) or 30 days (an address) before --to.
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        /// RFC 3339; default: now.
        #[arg(long)]
        to: Option<DateTime<Utc>>,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Carry an inclusion proof for each event against the latest checkpoint.
        #[arg(long)]
        proof: bool,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum IngestCmd {
    /// Backfill events from an NDJSON or CSV file (columns named as the event's fields).
    File {
        file: PathBuf,
        /// ndjson or csv; by default from the file's extension.
        #[arg(long)]
        format: Option<String>,
    },
    /// Consume a NATS JetStream stream; a message is acknowledged once its event is durable.
    Nats(crate::nats::NatsArgs),
}

fn bar(len: u64, what: &str) -> indicatif::ProgressBar {
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template(&format!(
            "{{spinner}} {what} {{bar:30}} {{bytes}}/{{total_bytes}} ({{per_sec}}, {{eta}})"
        ))
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    b
}

pub fn run(config: &Config, cmd: LedgerCmd) -> Result<()> {
    match cmd {
        LedgerCmd::Key => {
            let l = crate::app::open_ledger(config)?;
            println!("{}", l.verifier_key());
            Ok(())
        }
        LedgerCmd::Verify { log } => {
            let which: Vec<Which> = match log.as_str() {
                "all" => vec![Which::Access, Which::Audit],
                other => vec![
                    Which::parse(other)
                        .with_context(|| format!("`{other}` is not a log: access, audit or all"))?,
                ],
            };
            let dir = config.ledger_dir();
            let vkey = custos_ledger::ledger::stored_verifier_key(&dir)
                .with_context(|| format!("no ledger in {}", dir.display()))?;
            for w in which {
                let logdir = dir.join(w.as_str());
                if !logdir.join("checkpoint").exists() {
                    println!("{}: empty", w.as_str());
                    continue;
                }
                let b = indicatif::ProgressBar::new_spinner();
                b.set_message(format!("verifying the {} log", w.as_str()));
                let v = custos_ledger::verify(
                    &logdir,
                    &vkey,
                    &format!("{}/{}", config.ledger_origin, w.as_str()),
                    w == Which::Access,
                    |n| {
                        b.set_message(format!("verifying the {} log: entry {n}", w.as_str()));
                        b.tick();
                    },
                );
                b.finish_and_clear();
                let v = v.with_context(|| format!("the {} log does not verify", w.as_str()))?;
                println!(
                    "{}: {} entries verified; root {}",
                    w.as_str(),
                    v.size,
                    v.root
                );
            }
            Ok(())
        }
        LedgerCmd::Query {
            account,
            ip,
            from,
            to,
            limit,
            proof,
            json,
        } => {
            let l = crate::app::open_ledger(config)?;
            let to = to.unwrap_or_else(Utc::now);
            match (account, ip) {
                (Some(a), None) => {
                    let from = from.unwrap_or(to - chrono::Duration::days(1));
                    if from > to {
                        bail!("--from is after --to");
                    }
                    let (mut found, more) = account_events(&l.access, &a, from, to, limit)?;
                    let size = l.access.size();
                    if proof {
                        for f in &mut found {
                            f.proof = Some(prove(&l.access, f.index, size)?);
                        }
                    }
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"account_id": a, "from": from, "to": to,
                                "events": found, "truncated": more,
                                "checkpoint": proof.then(|| String::from_utf8_lossy(&l.access.checkpoint()).into_owned())})
                        );
                    } else {
                        for f in &found {
                            println!(
                                "{}\t{}\t{}\t{}\t{}",
                                f.index,
                                f.event
                                    .time
                                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                                f.event.ip,
                                f.event.action.as_str(),
                                f.event.source
                            );
                        }
                        if more {
                            println!("(more than {limit}; use --limit)");
                        }
                    }
                }
                (None, Some(n)) => {
                    let net = Net::parse(&n)
                        .with_context(|| format!("`{n}` is not an address or network"))?;
                    let from = from.unwrap_or(to - chrono::Duration::days(30));
                    if from > to {
                        bail!("--from is after --to");
                    }
                    let uses = net_accounts(&l.access, &net, from, to)?;
                    if json {
                        println!(
                            "{}",
                            serde_json::json!({"network": net.to_string(), "from": from, "to": to, "accounts": uses})
                        );
                    } else {
                        for u in &uses {
                            println!(
                                "{}\t{}\t{}\t{}",
                                u.account_id,
                                u.count,
                                u.first_seen
                                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
                                u.last_seen
                                    .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                            );
                        }
                    }
                }
                _ => bail!("give --account or --ip"),
            }
            Ok(())
        }
    }
}

/// One event from a JSON value, with a message naming the field.
fn event(v: serde_json::Value) -> Result<Event> {
    let e: Event = serde_path_to_error::deserialize(v).map_err(|err| {
        let path = err.path().to_string();
        anyhow::anyhow!("{path}: {}", err.into_inner())
    })?;
    e.validate().map_err(anyhow::Error::msg)?;
    Ok(e)
}

/// Reads events in batches of up to 10,000 and appends each; stops at the first bad record.
pub fn ingest_file(config: &Config, file: PathBuf, format: Option<String>) -> Result<()> {
    let format = format.unwrap_or_else(|| {
        match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
            "csv" => "csv",
            _ => "ndjson",
        }
        .to_owned()
    });
    let l = crate::app::open_ledger(config)?;
    let f =
        std::fs::File::open(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let b = bar(len, "ingesting");
    let reader = b.wrap_read(f);
    let mut batch: Vec<Event> = Vec::with_capacity(10_000);
    let mut total = 0u64;
    let mut first: Option<u64> = None;
    let mut flush = |batch: &mut Vec<Event>, total: &mut u64| -> Result<()> {
        if batch.is_empty() {
            return Ok(());
        }
        let r = l.access.append(batch)?;
        first.get_or_insert(r.start);
        *total += batch.len() as u64;
        batch.clear();
        Ok(())
    };
    let fail = |record: u64, e: anyhow::Error, total: u64| -> anyhow::Error {
        anyhow::anyhow!(
            "record {record}: {e:#}; the {total} events before it are in the ledger, nothing from it on"
        )
    };
    match format.as_str() {
        "ndjson" => {
            for (n, line) in BufReader::new(reader).lines().enumerate() {
                let line = line.with_context(|| format!("cannot read {}", file.display()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let e = serde_json::from_str(&line)
                    .map_err(|_| anyhow::anyhow!("not a JSON object"))
                    .and_then(event)
                    .map_err(|e| fail(n as u64 + 1, e, total + batch.len() as u64))?;
                batch.push(e);
                if batch.len() == 10_000 {
                    flush(&mut batch, &mut total)?;
                }
            }
        }
        "csv" => {
            let mut r = csv::Reader::from_reader(reader);
            let headers = r.headers()?.clone();
            for (n, rec) in r.records().enumerate() {
                let rec = rec.map_err(|e| fail(n as u64 + 1, e.into(), total))?;
                let mut obj = serde_json::Map::new();
                for (h, v) in headers.iter().zip(rec.iter()) {
                    if v.is_empty() {
                        continue;
                    }
                    let value = if h == "port" {
                        v.parse::<u16>()
                            .map(serde_json::Value::from)
                            .unwrap_or_else(|_| serde_json::Value::from(v))
                    } else {
                        serde_json::Value::from(v)
                    };
                    obj.insert(h.to_owned(), value);
                }
                let e = event(serde_json::Value::Object(obj))
                    .map_err(|e| fail(n as u64 + 1, e, total + batch.len() as u64))?;
                batch.push(e);
                if batch.len() == 10_000 {
                    flush(&mut batch, &mut total)?;
                }
            }
        }
        other => bail!("`{other}` is not a format: ndjson or csv"),
    }
    flush(&mut batch, &mut total)?;
    b.finish_and_clear();
    match first {
        Some(f) => println!(
            "{total} events appended to the access log (indexes {f}..{})",
            f + total
        ),
        None => println!("no events in {}", file.display()),
    }
    Ok(())
}
