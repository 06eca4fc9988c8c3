//! `custos ledger` (the verifier key, verification, queries) and `custos ingest` (backfill
//! from a file, and the NATS JetStream consumer).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Subcommand;
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
        /// A day or an RFC 3339 time; default: a day (an account) or 30 days (an address)
        /// before --to.
        #[arg(long, value_parser = crate::out::range_start)]
        from: Option<DateTime<Utc>>,
        /// A day (to its end) or an RFC 3339 time; default: now.
        #[arg(long, value_parser = crate::out::range_end)]
        to: Option<DateTime<Utc>>,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
        /// Carry an inclusion proof for each event against the latest checkpoint.
        #[arg(long)]
        proof: bool,
        #[arg(long)]
        json: bool,
        /// Why the events are read (a case, a request): written to the audit trail before
        /// anything is read, as the API's `X-Custos-Purpose` is.
        #[arg(long)]
        purpose: String,
    },
    /// Export the access log's events (an index range, a time range, one account's, or all) to
    /// a zstd Parquet file that DuckDB, pandas or Spark read as it is; each row carries its leaf
    /// hash, and the file's metadata the signed checkpoint it was cut at and the verifier key.
    Export {
        out: PathBuf,
        /// Only this account's events.
        #[arg(long)]
        account: Option<String>,
        /// The first index (default 0).
        #[arg(long)]
        first: Option<u64>,
        /// The index after the last (default: the log's size).
        #[arg(long)]
        end: Option<u64>,
        #[arg(long, value_parser = crate::out::range_start)]
        from: Option<DateTime<Utc>>,
        #[arg(long, value_parser = crate::out::range_end)]
        to: Option<DateTime<Utc>>,
        /// Why the events are read: written to the audit trail before anything is read.
        #[arg(long)]
        purpose: String,
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

/// The ledger, held by this command, and the service that audits its reads. While a server
/// holds the ledger, its events are read through the server's API.
async fn open_for_reading(config: &Config) -> Result<crate::app::App> {
    let app = crate::app::App::open(config.clone(), true).await?;
    if app.service.ledger().is_none() {
        bail!(
            "the ledger is held by a running custos server: ask it (GET /v1/accounts/{{id}}/events, \
             GET /v1/ips/{{ip}}/accounts)"
        );
    }
    Ok(app)
}

pub async fn run(config: &Config, cmd: LedgerCmd) -> Result<()> {
    match cmd {
        LedgerCmd::Export {
            out,
            account,
            first,
            end,
            from,
            to,
            purpose,
        } => {
            if purpose.trim().is_empty() {
                bail!("--purpose must say why the events are read");
            }
            let app = open_for_reading(config).await?;
            // The ledger keeps events of accounts custos does not know, under the id they
            // came with: any id a query takes is exported.
            if let Some(a) = &account
                && (a.is_empty() || a.len() > 256 || a.chars().any(char::is_control))
            {
                bail!("--account `{a}` is not an account id (1 to 256 characters)");
            }
            let what = format!(
                "access[{}..{}]{}{}",
                first.map(|f| f.to_string()).unwrap_or_default(),
                end.map(|e| e.to_string()).unwrap_or_default(),
                match (from, to) {
                    (None, None) => String::new(),
                    _ => format!(
                        " {}..{}",
                        from.map(|t| t.to_rfc3339()).unwrap_or_default(),
                        to.map(|t| t.to_rfc3339()).unwrap_or_default()
                    ),
                },
                account
                    .as_deref()
                    .map(|a| format!(" account {a}"))
                    .unwrap_or_default()
            );
            let l = app
                .service
                .audited_ledger(&crate::cli_actor(), &purpose, "ledger_export", &what)
                .await
                .context("nothing was read")?;
            let only = Only {
                first,
                end,
                from,
                to,
                account,
            };
            tokio::task::block_in_place(|| export(&l, out, &only))
        }
        LedgerCmd::Query {
            account,
            ip,
            from,
            to,
            limit,
            proof,
            json,
            purpose,
        } => {
            if purpose.trim().is_empty() {
                bail!("--purpose must say why the events are read");
            }
            // The flags' own names in what is wrong, before anything is opened or audited.
            if let (Some(f), Some(t)) = (from, to)
                && f > t
            {
                bail!("--from is after --to");
            }
            if let Some(n) = &ip {
                custos_ledger::index::Net::parse(n).with_context(|| {
                    format!("--ip `{n}` is not an address or network (ADDR/LEN)")
                })?;
            }
            let app = open_for_reading(config).await?;
            let actor = crate::cli_actor();
            match (account, ip) {
                (Some(a), None) => {
                    let q = custos_app::ledger::EventsQuery {
                        from,
                        to,
                        limit,
                        proof: proof.then_some(custos_app::ledger::ProofAt::Latest),
                        starting_after: None,
                    };
                    let found = app.service.account_events(&actor, &purpose, &a, q).await?;
                    print_events(&found, limit, json)
                }
                (None, Some(n)) => {
                    let uses = app
                        .service
                        .network_accounts(
                            &actor,
                            &purpose,
                            &n,
                            from,
                            to,
                            proof.then_some(custos_app::ledger::ProofAt::Latest),
                        )
                        .await?;
                    print_uses(&uses, json)
                }
                _ => bail!("give --account or --ip"),
            }
        }
        other => tokio::task::block_in_place(|| run_sync(config, other)),
    }
}

fn run_sync(config: &Config, cmd: LedgerCmd) -> Result<()> {
    match cmd {
        LedgerCmd::Key => {
            // The key is public: read from its file, so that it is given while a server
            // holds the ledger; a ledger not made yet is made.
            let key = match custos_ledger::ledger::stored_verifier_key(&config.ledger_dir()) {
                Ok(k) => k,
                Err(_) => crate::app::open_ledger(config)?.verifier_key().to_owned(),
            };
            println!("{key}");
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
                    "{}: {} entries verified; root {}; {} index segments rebuilt and identical",
                    w.as_str(),
                    v.size,
                    v.root,
                    v.index_segments
                );
            }
            Ok(())
        }
        LedgerCmd::Export { .. } | LedgerCmd::Query { .. } => {
            unreachable!("read through `run`, audited")
        }
    }
}

fn print_events(found: &custos_app::ledger::AccountEvents, limit: usize, json: bool) -> Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(found)?)?;
        return Ok(());
    }
    let mut t = crate::out::Table::new(&["INDEX", "TIME", "IP", "ACTION", "SOURCE"]);
    for f in &found.events {
        t.row(vec![
            f.index.to_string(),
            f.event
                .time
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            f.event.ip.to_string(),
            f.event.action.as_str().to_owned(),
            f.event.source.to_string(),
        ]);
    }
    out.write_all(t.render("no event").as_bytes())?;
    if found.has_more {
        writeln!(out, "(more than {limit}; use --limit)")?;
    }
    Ok(())
}

fn print_uses(uses: &custos_app::ledger::NetAccounts, json: bool) -> Result<()> {
    use std::io::Write;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    if json {
        writeln!(out, "{}", serde_json::to_string(uses)?)?;
        return Ok(());
    }
    if uses.accounts.is_empty() {
        return Ok(());
    }
    let mut t = crate::out::Table::new(&["ACCOUNT", "EVENTS", "FIRST SEEN", "LAST SEEN"]);
    for u in &uses.accounts {
        t.row(vec![
            u.account_id.to_string(),
            u.count.to_string(),
            u.first_seen
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
            u.last_seen
                .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        ]);
    }
    out.write_all(t.render("").as_bytes())?;
    Ok(())
}

/// One event from its JSON text, read as every door reads it ([`custos_app::events`]).
fn event(json: &[u8]) -> Result<Event> {
    custos_app::events::parse_event(json, Utc::now()).map_err(|r| anyhow::anyhow!("{r}"))
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
            "record {record}: {e:#}; the first {total} events of the file are in the ledger (they \
             go in by batches of 10,000), none after them: mend the record and ingest from the \
             event after those"
        )
    };
    match format.as_str() {
        "ndjson" => {
            for (n, line) in BufReader::new(reader).lines().enumerate() {
                let line = line.with_context(|| format!("cannot read {}", file.display()))?;
                if line.trim().is_empty() {
                    continue;
                }
                let e = event(line.as_bytes()).map_err(|e| fail(n as u64 + 1, e, total))?;
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
                let e = event(&serde_json::to_vec(&serde_json::Value::Object(obj))?)
                    .map_err(|e| fail(n as u64 + 1, e, total))?;
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

/// Which events an export holds: an index range, a time range, one account's (each bound
/// optional; all of them apply).
#[derive(Debug, Default)]
pub struct Only {
    pub first: Option<u64>,
    pub end: Option<u64>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub account: Option<String>,
}

/// Writes the access log's events that `only` names as a zstd-compressed Parquet file, one
/// row group per 128Ki events.
pub fn export(l: &custos_ledger::Ledger, out: PathBuf, only: &Only) -> Result<()> {
    // Written beside the destination and renamed into place: a failed export leaves no
    // partial file behind.
    let name = out
        .file_name()
        .with_context(|| format!("{} is not a file name", out.display()))?;
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(".partial");
    let tmp = out.with_file_name(tmp_name);
    let rows = match export_log(&l.access, &tmp, only, Some(l.verifier_key()), true) {
        Ok(r) => r,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .and_then(|()| std::fs::rename(&tmp, &out))
        .with_context(|| format!("cannot write {}", out.display()))?;
    println!("{rows} events written to {}", out.display());
    Ok(())
}

/// [`export`] of one log; returns the rows written. The file's key-value metadata carries
/// `custos.checkpoint`, the signed checkpoint the export was cut at (no row is past its size),
/// and `custos.verifier_key`, so that each row's leaf hash can be proven against it.
pub fn export_log(
    log: &custos_ledger::Log,
    out: &std::path::Path,
    only: &Only,
    vkey: Option<&str>,
    progress: bool,
) -> Result<u64> {
    use arrow_array::builder::{
        BooleanBuilder, FixedSizeBinaryBuilder, StringBuilder, TimestampNanosecondBuilder,
        UInt16Builder, UInt64Builder,
    };
    use arrow_array::{ArrayRef, RecordBatch};
    use arrow_schema::{DataType, Field, Schema, TimeUnit};
    use std::sync::Arc;

    let Only {
        first,
        end,
        from,
        to,
        account,
    } = only;
    let (from, to) = (*from, *to);
    let (size, checkpoint) = log.head();
    let first = first.unwrap_or(0);
    if only.end.is_none() && first > size {
        bail!("--first {first} is past the log's end: it holds {size} events");
    }
    let end = end.unwrap_or(size).min(size);
    if first > end {
        bail!("--first is after --end");
    }
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        bail!("--from is after --to");
    }
    let (from_s, to_s) = (
        from.map_or(i64::MIN, |t| t.timestamp()),
        to.map_or(i64::MAX, |t| t.timestamp()),
    );
    let tz: Arc<str> = Arc::from("UTC");
    // A row whose payload retention purged keeps its index and leaf hash (so the export
    // still proves against the tree), `purged` set, and nulls for the rest.
    let schema = Arc::new(Schema::new(vec![
        Field::new("index", DataType::UInt64, false),
        Field::new("account_id", DataType::Utf8, true),
        Field::new(
            "time",
            DataType::Timestamp(TimeUnit::Nanosecond, Some(tz.clone())),
            true,
        ),
        Field::new("ip", DataType::Utf8, true),
        Field::new("port", DataType::UInt16, true),
        Field::new("action", DataType::Utf8, true),
        Field::new("source", DataType::Utf8, true),
        Field::new("actor", DataType::Utf8, true),
        Field::new("user_agent", DataType::Utf8, true),
        Field::new("request_id", DataType::Utf8, true),
        Field::new("ssh_key_fingerprint", DataType::Utf8, true),
        Field::new("leaf_hash", DataType::FixedSizeBinary(32), false),
        Field::new("purged", DataType::Boolean, false),
    ]));
    let file =
        std::fs::File::create(out).with_context(|| format!("cannot create {}", out.display()))?;
    let props = parquet::file::properties::WriterProperties::builder()
        .set_compression(parquet::basic::Compression::ZSTD(
            parquet::basic::ZstdLevel::try_new(3).map_err(|e| anyhow::anyhow!("{e}"))?,
        ))
        .set_key_value_metadata(Some(
            [
                (
                    "custos.checkpoint",
                    Some(String::from_utf8_lossy(&checkpoint).into_owned()),
                ),
                ("custos.verifier_key", vkey.map(str::to_owned)),
            ]
            .into_iter()
            .filter_map(|(k, v)| {
                v.filter(|v| !v.is_empty())
                    .map(|v| parquet::file::metadata::KeyValue::new(k.to_owned(), v))
            })
            .collect(),
        ))
        .build();
    let mut w = parquet::arrow::ArrowWriter::try_new(file, schema.clone(), Some(props))?;
    let b = if progress {
        indicatif::ProgressBar::new(end - first)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut rows = 0u64;
    let mut i = first;
    while i < end {
        let chunk_end = (i + 131_072).min(end);
        let (mut ix, mut acc, mut time, mut ip, mut port) = (
            UInt64Builder::new(),
            StringBuilder::new(),
            TimestampNanosecondBuilder::new().with_timezone(tz.clone()),
            StringBuilder::new(),
            UInt16Builder::new(),
        );
        let (mut action, mut source, mut actor, mut ua, mut req, mut leaf) = (
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            StringBuilder::new(),
            FixedSizeBinaryBuilder::new(32),
        );
        let mut purged = BooleanBuilder::new();
        let mut ssh = StringBuilder::new();
        let mut n = 0;
        let mut k = i;
        while k < chunk_end {
            let bundle = k / custos_ledger::log::TILE;
            let width = (size - bundle * custos_ledger::log::TILE).min(custos_ledger::log::TILE);
            let data = log.entry_bundle(bundle, width)?;
            for (j, raw) in custos_ledger::log::split_bundle(&data).enumerate() {
                let idx = bundle * custos_ledger::log::TILE + j as u64;
                if idx < k || idx >= chunk_end {
                    continue;
                }
                if raw.iter().all(|&b| b == 0) && log.is_purged(idx) {
                    // Its time and account are gone with its payload: only a range of indexes
                    // reaches it.
                    if from.is_some() || to.is_some() || account.is_some() {
                        continue;
                    }
                    ix.append_value(idx);
                    acc.append_null();
                    time.append_null();
                    ip.append_null();
                    port.append_null();
                    action.append_null();
                    source.append_null();
                    actor.append_null();
                    ua.append_null();
                    req.append_null();
                    ssh.append_null();
                    leaf.append_value(log.leaf_hash(idx)?.0)?;
                    purged.append_value(true);
                    n += 1;
                    continue;
                }
                let e = Event::decode(raw).map_err(|e| anyhow::anyhow!("entry {idx}: {e}"))?;
                let t = e.time.timestamp();
                if t < from_s || t > to_s || account.as_ref().is_some_and(|a| *a != e.account_id) {
                    continue;
                }
                // A time a Parquet timestamp in nanoseconds cannot hold (a ledger may keep one
                // from before times were bounded) stops the export: no value is written as
                // another.
                let Some(nanos) = e.time.timestamp_nanos_opt() else {
                    bail!(
                        "entry {idx}: its time is outside what a Parquet timestamp in nanoseconds \
                         holds (1677-09-21 to 2262-04-11); {} is not a complete export: export \
                         the entries before it (--end {idx}) and after it (--first {})",
                        out.display(),
                        idx + 1
                    );
                };
                ix.append_value(idx);
                acc.append_value(&e.account_id);
                time.append_value(nanos);
                ip.append_value(e.ip.to_string());
                port.append_option(e.port);
                action.append_value(e.action.as_str());
                source.append_value(&e.source);
                actor.append_option(e.actor.as_deref());
                ua.append_option(e.user_agent.as_deref());
                req.append_option(e.request_id.as_deref());
                ssh.append_option(e.ssh_key_fingerprint.as_deref());
                leaf.append_value(tlog_tiles::record_hash(raw).0)?;
                purged.append_value(false);
                n += 1;
            }
            k = (bundle + 1) * custos_ledger::log::TILE;
        }
        if n > 0 {
            let cols: Vec<ArrayRef> = vec![
                Arc::new(ix.finish()),
                Arc::new(acc.finish()),
                Arc::new(time.finish()),
                Arc::new(ip.finish()),
                Arc::new(port.finish()),
                Arc::new(action.finish()),
                Arc::new(source.finish()),
                Arc::new(actor.finish()),
                Arc::new(ua.finish()),
                Arc::new(req.finish()),
                Arc::new(ssh.finish()),
                Arc::new(leaf.finish()),
                Arc::new(purged.finish()),
            ];
            w.write(&RecordBatch::try_new(schema.clone(), cols)?)?;
            rows += n;
        }
        b.inc(chunk_end - i);
        i = chunk_end;
    }
    w.close()?;
    b.finish_and_clear();
    Ok(rows)
}
