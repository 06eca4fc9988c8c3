//! The records package that answers a legal request: a BagIt bag (RFC 8493), a directory or a
//! `.zip` of one, holding what the request's instrument reaches and nothing else:
//!
//! - `data/request.json`: the request as recorded, with the served document's SHA-256;
//! - `data/subscriber/CUSTOMER.json` per customer, and `data/subscriber/records.html`, one
//!   readable document of them all;
//! - `data/access/`: the events in scope (`events.csv`, `events.ndjson`), each with its
//!   inclusion proof as a C2SP tlog-proof (`proofs/INDEX.tlog-proof`) against the one signed
//!   checkpoint the package is cut at (`checkpoint`), the verifier key (`ledger.vkey`) and
//!   `ENCODING.md`, which says how a row's leaf hash is recomputed;
//! - `data/declaration.html` and `.pdf`: the certificate of authenticity of business records
//!   (28 U.S.C. 1746; FRE 902(11), (13), (14)) with the records' digest, for a person to sign;
//! - `bagit.txt`, `bag-info.txt`, `manifest-sha256.txt`, `tagmanifest-sha256.txt`.
//!
//! The bag is written under a temporary name beside `OUT` and renamed when complete: a package
//! that failed halfway (a full disk) leaves nothing under `OUT`.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use custos_core::CustomerId;
use custos_core::legal::{Category, RequestState};
use custos_ledger::index::Net;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

pub use super::document::record_of;
use super::document::{DECLARE, declaration_html, declaration_lines, records_html};
use super::{LegalRequest, Production, RequestView};
use crate::error::{Error, Result};
use crate::keys::{Caller, Permission};
use crate::service::{App, new_id};

/// What one customer's part of a package holds.
#[derive(Debug, Clone)]
pub struct SubscriberPart {
    pub customer_id: CustomerId,
    /// The record, by category; `None` when retention destroyed it.
    pub record: Option<Value>,
    /// When retention destroyed it.
    pub destroyed_at: Option<DateTime<Utc>>,
}

pub use super::proofs::{AccessPart, Rendered, csv_row, gather_events, tlog_proof};

/// Everything a package is written from.
#[derive(Debug, Clone)]
pub struct Contents {
    pub request: RequestView,
    pub produced_at: DateTime<Utc>,
    pub production_id: String,
    pub recipient: String,
    pub provider_name: String,
    pub provider_address: Option<String>,
    pub subscribers: Vec<SubscriberPart>,
    pub access: Option<AccessPart>,
}

/// What a package came to.
#[derive(Debug, Clone, PartialEq)]
pub struct Written {
    pub path: PathBuf,
    /// SHA-256 of `manifest-sha256.txt`, hex.
    pub manifest_sha256: String,
    /// SHA-256 of the records' manifest lines (all but the declaration's), hex: what the
    /// declaration names.
    pub records_digest: String,
    pub files: u64,
    pub bytes: u64,
}

/// The stages of writing a package, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the records and the events.
    Gathering,
    /// Writing the events and their proofs: done, of how many.
    Events(u64, u64),
    /// Hashing the manifest.
    Manifest,
    Done,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> Error {
    let context = context.into();
    move |e| Error::Internal(format!("{context}: {e}"))
}

/// Writing fails with what the disk said, naming the file (a full disk is the usual cause).
fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |e| {
        if e.kind() == std::io::ErrorKind::StorageFull {
            Error::StoreUnavailable(format!(
                "the disk is full: cannot write {}; nothing was produced",
                path.display()
            ))
        } else {
            Error::Internal(format!("cannot write {}: {e}", path.display()))
        }
    }
}

/// The RFC 6962 leaf hash of an entry: SHA-256(0x00 || entry).
pub fn leaf_hash(entry: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([0u8]);
    h.update(entry);
    h.finalize().into()
}

/// An event's time as the package writes it: RFC 3339 in UTC, to the nanosecond.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// The columns of `events.csv`. Packages made before events carried SSH keys have all but the
/// last, and are read as such.
pub const CSV_HEADER: [&str; 12] = [
    "index",
    "account_id",
    "time",
    "ip",
    "port",
    "action",
    "source",
    "actor",
    "user_agent",
    "request_id",
    "leaf_hash",
    "ssh_key_fingerprint",
];

/// The leaf encoding, the proofs and the checkpoint, specified for whoever verifies a package
/// with tools of their own.
pub const ENCODING: &str = include_str!("ENCODING.md");

const BAGIT: &str = "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n";

/// The payload files that are records (all but the declaration), for the records' digest.
pub fn is_declaration(rel: &str) -> bool {
    rel == "data/declaration.html" || rel == "data/declaration.pdf"
}

/// The records' digest: SHA-256 over the lines `DIGEST  PATH` of every payload file but the
/// declaration, sorted by path, each ending in `\n`, whatever the manifest's own layout (a
/// tool that rewrites the manifest changes nothing of it).
pub fn records_digest(manifest: &str) -> String {
    let mut lines: Vec<(&str, String)> = manifest
        .lines()
        .filter_map(|l| {
            let (h, p) = l.split_once(char::is_whitespace)?;
            let p = p.trim_start();
            (!is_declaration(p)).then(|| (p, h.to_ascii_lowercase()))
        })
        .collect();
    lines.sort();
    let mut h = Sha256::new();
    for (p, d) in lines {
        h.update(format!("{d}  {p}\n").as_bytes());
    }
    hex::encode(h.finalize())
}

/// Where a bag's files go: a directory, or a zip written as it goes (no file of it on disk
/// but the zip: a million proofs are a million entries, not a million inodes).
enum Sink {
    Dir(PathBuf),
    Zip {
        z: Box<zip::ZipWriter<std::io::BufWriter<std::fs::File>>>,
        /// The bag's directory inside the zip, with its `/`.
        prefix: String,
        path: PathBuf,
    },
}

/// A small writer that counts and names what it writes.
struct Bag {
    sink: Sink,
    /// (path relative to the bag, SHA-256 hex, size) of each payload file.
    payload: Vec<(String, String, u64)>,
}

impl Bag {
    fn put(&mut self, rel: &str, bytes: &[u8]) -> Result<()> {
        self.put_digested(rel, bytes, None)
    }

    /// [`Bag::put`] of a file whose SHA-256 (hex) was computed beside it.
    fn put_digested(&mut self, rel: &str, bytes: &[u8], digest: Option<String>) -> Result<()> {
        match &mut self.sink {
            Sink::Dir(root) => {
                let path = root.join(rel);
                if let Some(dir) = path.parent() {
                    std::fs::create_dir_all(dir).map_err(write_err(dir))?;
                }
                let mut f = std::fs::File::create(&path).map_err(write_err(&path))?;
                f.write_all(bytes).map_err(write_err(&path))?;
            }
            Sink::Zip { z, prefix, path } => {
                // Proofs and the PDF do not compress; the rest does.
                // The fastest level: the rows' text still shrinks by half, at a fraction of
                // the default's time.
                let (method, level) = if rel.ends_with(".tlog-proof") || rel.ends_with(".pdf") {
                    (zip::CompressionMethod::Stored, None)
                } else {
                    (zip::CompressionMethod::Deflated, Some(1))
                };
                let opts = zip::write::SimpleFileOptions::default()
                    .compression_method(method)
                    .compression_level(level)
                    .large_file(bytes.len() as u64 >= u32::MAX as u64)
                    .unix_permissions(0o600);
                z.start_file(format!("{prefix}{rel}"), opts)
                    .map_err(|e| zip_err(path, e))?;
                z.write_all(bytes).map_err(write_err(path))?;
            }
        }
        if rel.starts_with("data/") {
            self.payload.push((
                rel.to_owned(),
                digest.unwrap_or_else(|| hex::encode(Sha256::digest(bytes))),
                bytes.len() as u64,
            ));
        }
        Ok(())
    }
}

fn zip_err(path: &Path, e: zip::result::ZipError) -> Error {
    match e {
        zip::result::ZipError::Io(io) => write_err(path)(io),
        e => Error::Internal(format!("the zip {}: {e}", path.display())),
    }
}

/// Writes the package to `out` (a directory, or a `.zip` when it ends so), under a temporary
/// name renamed when complete. `out` must not exist.
pub fn write(c: &Contents, out: &Path, progress: &dyn Fn(Stage)) -> Result<Written> {
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(Error::Conflict(format!(
            "{} exists: a package is never written over anything",
            out.display()
        )));
    }
    let zip = out
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
        _ => PathBuf::from("."),
    };
    if !parent.is_dir() {
        return Err(Error::invalid(
            "out",
            format!("{} is not a directory", parent.display()),
        ));
    }
    let name = out
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("package")
        .to_owned();
    let written = if zip {
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}.partial-"))
            .suffix(".zip")
            .tempfile_in(&parent)
            .map_err(write_err(&parent))?;
        let file = tmp.as_file().try_clone().map_err(write_err(tmp.path()))?;
        let sink = Sink::Zip {
            z: Box::new(zip::ZipWriter::new(std::io::BufWriter::with_capacity(
                1 << 20,
                file,
            ))),
            prefix: format!("{name}/"),
            path: tmp.path().to_owned(),
        };
        let (written, sink) = write_bag(c, sink, progress)?;
        if let Sink::Zip { z, path, .. } = sink {
            let mut w = z.finish().map_err(|e| zip_err(&path, e))?;
            w.flush().map_err(write_err(&path))?;
            w.get_ref().sync_all().map_err(write_err(&path))?;
        }
        tmp.persist_noclobber(out)
            .map_err(|e| write_err(out)(e.error))?;
        written
    } else {
        let tmp = tempfile::Builder::new()
            .prefix(&format!(".{name}.partial-"))
            .tempdir_in(&parent)
            .map_err(write_err(&parent))?;
        let bag_dir = tmp.path().join(&name);
        std::fs::create_dir(&bag_dir).map_err(write_err(&bag_dir))?;
        let (written, _) = write_bag(c, Sink::Dir(bag_dir.clone()), progress)?;
        // OUT is made here first (it fails if anything, a dangling link too, is there), then
        // the bag is renamed over that empty directory of ours: nothing else is replaced.
        std::fs::create_dir(out).map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                Error::Conflict(format!(
                    "{} exists: a package is never written over anything",
                    out.display()
                ))
            } else {
                write_err(out)(e)
            }
        })?;
        if let Err(e) = std::fs::rename(&bag_dir, out) {
            let _ = std::fs::remove_dir(out);
            return Err(write_err(out)(e));
        }
        written
    };
    if let Ok(d) = std::fs::File::open(&parent) {
        let _ = d.sync_all();
    }
    progress(Stage::Done);
    Ok(Written {
        path: out.to_owned(),
        ..written
    })
}

fn write_bag(c: &Contents, sink: Sink, progress: &dyn Fn(Stage)) -> Result<(Written, Sink)> {
    let mut bag = Bag {
        sink,
        payload: vec![],
    };
    let pretty = |v: &Value| -> Result<Vec<u8>> {
        let mut b = serde_json::to_vec_pretty(v)
            .map_err(|e| Error::Internal(format!("a package's JSON: {e}")))?;
        b.push(b'\n');
        Ok(b)
    };
    let request = json!({
        "request": c.request.request,
        "sealed": c.request.sealed,
        "production": {"id": c.production_id, "produced_at": c.produced_at, "recipient": c.recipient},
    });
    bag.put("data/request.json", &pretty(&request)?)?;
    if !c.subscribers.is_empty() {
        for s in &c.subscribers {
            let v = match &s.record {
                Some(v) => v.clone(),
                None => json!({
                    "customer_id": s.customer_id,
                    "destroyed": super::document::destroyed_text(s.destroyed_at, c.request.request.received_at),
                }),
            };
            bag.put(
                &format!("data/subscriber/{}.json", s.customer_id),
                &pretty(&v)?,
            )?;
        }
        bag.put("data/subscriber/records.html", records_html(c).as_bytes())?;
    }
    if let Some(a) = &c.access {
        write_access(&mut bag, a, progress)?;
    }
    progress(Stage::Manifest);
    bag.payload.sort_by(|a, b| a.0.cmp(&b.0));
    let records_manifest: String = bag
        .payload
        .iter()
        .map(|(p, h, _)| format!("{h}  {p}\n"))
        .collect();
    let digest = records_digest(&records_manifest);
    let lines = declaration_lines(c, &digest);
    bag.put("data/declaration.html", declaration_html(&lines).as_bytes())?;
    let pdf = crate::report::pdf_of(
        &lines,
        "Certificate of authenticity of business records",
        DECLARE,
    )?;
    bag.put("data/declaration.pdf", &pdf)?;
    bag.payload.sort_by(|a, b| a.0.cmp(&b.0));
    let manifest: String = bag
        .payload
        .iter()
        .map(|(p, h, _)| format!("{h}  {p}\n"))
        .collect();
    let (files, bytes) = (
        bag.payload.len() as u64,
        bag.payload.iter().map(|p| p.2).sum::<u64>(),
    );
    let r = &c.request.request;
    let info = format!(
        "Source-Organization: {}\nExternal-Identifier: {}\nExternal-Description: Records produced \
         for {} case {} under {}\nBagging-Date: {}\nBag-Software-Agent: custos {}\nPayload-Oxum: \
         {bytes}.{files}\nRecords-Digest: sha256:{digest}\n",
        one_line(&c.provider_name),
        c.production_id,
        one_line(&r.agency),
        one_line(&r.case_number),
        r.instrument.as_str(),
        c.produced_at.date_naive(),
        env!("CARGO_PKG_VERSION"),
    );
    let mut tags = vec![];
    for (rel, body) in [
        ("bagit.txt", BAGIT.as_bytes().to_vec()),
        ("bag-info.txt", info.into_bytes()),
        ("manifest-sha256.txt", manifest.clone().into_bytes()),
    ] {
        bag.put(rel, &body)?;
        tags.push(format!("{}  {rel}\n", hex::encode(Sha256::digest(&body))));
    }
    bag.put("tagmanifest-sha256.txt", tags.concat().as_bytes())?;
    Ok((
        Written {
            path: PathBuf::new(),
            manifest_sha256: hex::encode(Sha256::digest(manifest.as_bytes())),
            records_digest: digest,
            files,
            bytes,
        },
        bag.sink,
    ))
}

/// A bag-info value on one line.
fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn write_access(bag: &mut Bag, a: &AccessPart, progress: &dyn Fn(Stage)) -> Result<()> {
    let mut csv = csv::Writer::from_writer(Vec::with_capacity(a.events.len() * 192));
    csv.write_record(CSV_HEADER)
        .map_err(|e| Error::Internal(format!("events.csv: {e}")))?;
    let mut csv = csv
        .into_inner()
        .map_err(|e| Error::Internal(format!("events.csv: {e}")))?;
    let mut ndjson = Vec::with_capacity(a.events.len() * 320);
    let (total, mut done) = (a.events.len() as u64, 0u64);
    progress(Stage::Events(0, total));
    // The proofs are made on the other cores while this thread writes the ones before.
    a.render(|r| {
        csv.extend_from_slice(&r.csv);
        ndjson.extend_from_slice(&r.ndjson);
        done += r.proofs.len() as u64;
        for (index, file, digest) in r.proofs {
            bag.put_digested(
                &format!("data/access/proofs/{index}.tlog-proof"),
                &file,
                Some(digest),
            )?;
        }
        progress(Stage::Events(done, total));
        Ok(())
    })?;
    bag.put("data/access/events.csv", &csv)?;
    bag.put("data/access/events.ndjson", &ndjson)?;
    // A log that has never had an event has no checkpoint: the files say there is none.
    if !a.checkpoint.is_empty() {
        bag.put("data/access/checkpoint", &a.checkpoint)?;
        let mut vkey = a.verifier_key.clone().into_bytes();
        vkey.push(b'\n');
        bag.put("data/access/ledger.vkey", &vkey)?;
    }
    bag.put("data/access/ENCODING.md", ENCODING.as_bytes())?;
    Ok(())
}

/// Every file under `dir`, relative to `root`, with `/` separators.
pub(crate) fn collect(root: &Path, dir: &Path, out: &mut Vec<String>) -> Result<()> {
    for e in std::fs::read_dir(dir).map_err(io(format!("cannot read {}", dir.display())))? {
        let e = e.map_err(io(format!("cannot read {}", dir.display())))?;
        let p = e.path();
        let t = e
            .file_type()
            .map_err(io(format!("cannot read {}", p.display())))?;
        if t.is_dir() {
            collect(root, &p, out)?;
        } else {
            let rel = p
                .strip_prefix(root)
                .map_err(|_| Error::Internal("a path outside the bag".into()))?;
            out.push(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect::<Vec<_>>()
                    .join("/"),
            );
        }
    }
    Ok(())
}

impl App {
    /// Produces the records a request reaches as a package at `out`, recorded as a
    /// disclosure (to `recipient`, the agency unless named) before anything is read. The
    /// request must be approved (by a second person); a preservation produces nothing.
    pub async fn produce_legal(
        &self,
        caller: &Caller,
        id: &str,
        out: &Path,
        recipient: Option<String>,
        progress: std::sync::Arc<dyn Fn(Stage) + Send + Sync>,
    ) -> Result<Production> {
        caller.require(Permission::LegalHold)?;
        let actor = caller.actor();
        let r = self.kept_one::<LegalRequest>(id).await?;
        ready_to_produce(&r, out)?;
        let recipient = match recipient {
            Some(v) => super::text("recipient", &v)?,
            None => r.agency.clone(),
        };
        let sessions = r.categories.contains(&Category::Sessions);
        let ledger = if sessions && !r.accounts.is_empty() {
            Some(self.ledger_or_conflict()?)
        } else {
            None
        };
        progress(Stage::Gathering);
        // The disclosure is recorded first: if it cannot be, nothing is read.
        let production_id = new_id("lprod_");
        self.audit(
            &actor,
            Some(&format!(
                "legal request {id}: {} {}",
                r.agency, r.case_number
            )),
            "disclose_records",
            &format!(
                "{id}/{production_id} to {recipient} under {}: {} customer(s), categories {}",
                r.instrument.as_str(),
                r.customers.len(),
                r.categories
                    .iter()
                    .map(|c| c.as_str())
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        )
        .await?;
        let sealed = self.sealed_of(id).await?;
        let profile = self.program_profile(&actor).await?;
        let mut subscribers = vec![];
        let mut destroyed = vec![];
        for c in &r.customers {
            match self.store().load_customer(c).await {
                Ok(v) => {
                    let accounts = self.store().accounts_of(c).await?;
                    let mut children = BTreeMap::new();
                    for a in &accounts {
                        let kids = self.store().children_of(&a.id).await?;
                        if !kids.is_empty() {
                            children.insert(a.id.clone(), kids.into_iter().map(|k| k.id).collect());
                        }
                    }
                    subscribers.push(SubscriberPart {
                        customer_id: c.clone(),
                        record: Some(record_of(&v.value, &accounts, &children, &r.categories)),
                        destroyed_at: None,
                    });
                }
                Err(custos_store::StoreError::Destroyed(_)) => {
                    destroyed.push(c.clone());
                    let at = self.store().tombstone(c).await?.map(|t| t.destroyed_at);
                    subscribers.push(SubscriberPart {
                        customer_id: c.clone(),
                        record: None,
                        destroyed_at: at,
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        let nets = sealed
            .ips
            .iter()
            .map(|n| Net::parse(n))
            .collect::<Option<Vec<_>>>()
            .ok_or_else(|| Error::Internal("a kept network does not parse".into()))?;
        let access = match ledger {
            Some(l) => {
                let (accounts, from, to) = (
                    r.accounts
                        .iter()
                        .map(|a| a.as_str().to_owned())
                        .collect::<Vec<_>>(),
                    r.from.unwrap_or(DateTime::<Utc>::MIN_UTC),
                    r.to.unwrap_or(DateTime::<Utc>::MAX_UTC),
                );
                Some(
                    tokio::task::spawn_blocking(move || {
                        gather_events(&l, &accounts, from, to, &nets)
                    })
                    .await??,
                )
            }
            None => None,
        };
        let contents = Contents {
            request: RequestView {
                request: r.clone(),
                sealed,
            },
            produced_at: self.now(),
            production_id: production_id.clone(),
            recipient: recipient.clone(),
            provider_name: profile
                .as_ref()
                .map(|p| p.provider_name.clone())
                .unwrap_or_else(|| "the provider".into()),
            provider_address: profile.and_then(|p| p.provider_address),
            subscribers,
            access,
        };
        let events = contents
            .access
            .as_ref()
            .map_or(0, |a| a.events.len() as u64);
        let checkpoint_size = contents.access.as_ref().map(|a| a.checkpoint_size);
        let (out, contents) = (out.to_owned(), std::sync::Arc::new(contents));
        let written = {
            let (contents, out) = (contents.clone(), out.clone());
            tokio::task::spawn_blocking(move || write(&contents, &out, &*progress))
                .await
                .map_err(|e| Error::Internal(format!("writing the package: {e}")))??
        };
        let production = Production {
            id: production_id,
            produced_at: contents.produced_at,
            produced_by: actor.id.clone(),
            recipient,
            categories: r.categories.clone(),
            customers: r.customers.clone(),
            destroyed: destroyed.clone(),
            events,
            checkpoint_size,
            manifest_sha256: written.manifest_sha256,
            document_id: None,
        };
        let _once = self.once.lock().await;
        let mut r = self.kept_one::<LegalRequest>(id).await?;
        let to = if destroyed.is_empty() {
            RequestState::Produced
        } else {
            RequestState::PartiallyProduced
        };
        if let Err(e) = r.state.check(to) {
            // Withdrawn or rejected while it was written: the package does not stay.
            if out.is_dir() {
                let _ = std::fs::remove_dir_all(&out);
            } else {
                let _ = std::fs::remove_file(&out);
            }
            return Err(e.into());
        }
        r.productions.push(production.clone());
        // Answered: what it held is retention's again (a preservation keeps its own clock).
        if r.instrument != custos_core::legal::Instrument::Preservation {
            self.release_scope(&mut r, &actor).await?;
        }
        r.step(
            self.now(),
            &actor.id,
            to,
            Some(format!("production {}", production.id)),
        );
        self.keep(&r).await?;
        Ok(production)
    }
}

/// What a production needs of its request and its destination, checked before anything is read.
pub(super) fn ready_to_produce(r: &LegalRequest, out: &Path) -> Result<()> {
    let id = &r.id;
    if r.instrument == custos_core::legal::Instrument::Preservation {
        return Err(Error::Conflict(format!(
            "legal request {id} is a preservation: it keeps records, it discloses none \
             (a subpoena, an order or a warrant for the same scope produces them)"
        )));
    }
    if r.state.is_final() {
        return Err(Error::Conflict(format!(
            "legal request {id} is {}: nothing is produced for it",
            r.state.as_str()
        )));
    }
    if !matches!(
        r.state,
        RequestState::Approved | RequestState::Produced | RequestState::PartiallyProduced
    ) {
        return Err(Error::Conflict(format!(
            "legal request {id} is {}: a second person approves a production first{}",
            r.state.as_str(),
            r.approval_id
                .as_deref()
                .map(|a| format!(" (approval {a})"))
                .unwrap_or_default()
        )));
    }
    if std::fs::symlink_metadata(out).is_ok() {
        return Err(Error::Conflict(format!(
            "{} exists: a package is never written over anything",
            out.display()
        )));
    }
    Ok(())
}
