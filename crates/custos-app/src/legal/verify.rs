//! Checks a records package ([`super::package`]) with nothing but the package: the bag (every
//! file in the manifest and no other, every digest, the tag manifest, the payload's size), the
//! checkpoint's signature against the key in the package, every event's leaf hash against its
//! row, every proof against the checkpoint, the NDJSON against the CSV, and the declaration's
//! records digest. Names the first thing that fails.

use std::collections::BTreeSet;
use std::io::Read;
use std::path::{Path, PathBuf};

use base64::Engine;
use chrono::DateTime;
use custos_ledger::{Action, Event};
use sha2::{Digest, Sha256};

use super::package::{CSV_HEADER, leaf_hash, records_digest, time_text};
use crate::error::{Error, Result};

/// The largest file of a package read (a zip's entries say their sizes; they are not trusted).
const MAX_ENTRY: u64 = 4 * 1024 * 1024 * 1024;

/// What a package that holds up holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    /// Payload files checked against the manifest.
    pub files: u64,
    /// Events whose leaf hash and proof were checked.
    pub events: u64,
    /// The size of the log at the checkpoint the events are proven against.
    pub checkpoint_size: Option<u64>,
    /// The records' digest the declaration names.
    pub records_digest: String,
}

/// What failed.
fn fail(what: impl Into<String>) -> Error {
    Error::Validation {
        field: None,
        detail: what.into(),
    }
}

/// Where a package is read from: a bag directory, or a zip of one, read in place.
enum Source {
    Dir(PathBuf),
    Zip {
        z: std::cell::RefCell<zip::ZipArchive<At>>,
        /// The bag's directory inside the zip, with its `/` (or empty).
        prefix: String,
        path: PathBuf,
    },
}

/// A file read at positions of its own (`pread`): its clones share the file, so one zip's
/// directory serves every thread.
#[derive(Clone)]
struct At {
    f: std::sync::Arc<std::fs::File>,
    pos: u64,
    len: u64,
}

impl std::io::Read for At {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::unix::fs::FileExt;
        let n = self.f.read_at(buf, self.pos)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl std::io::Seek for At {
    fn seek(&mut self, to: std::io::SeekFrom) -> std::io::Result<u64> {
        let (base, off) = match to {
            std::io::SeekFrom::Start(n) => (n, 0),
            std::io::SeekFrom::End(d) => (self.len, d),
            std::io::SeekFrom::Current(d) => (self.pos, d),
        };
        self.pos = base.checked_add_signed(off).ok_or_else(|| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "a seek before the start of the file",
            )
        })?;
        Ok(self.pos)
    }
}

/// Runs `f` over `items` in runs, one a core, each with a source of its own; the first error
/// in `items`' order wins.
fn in_parallel<T: Sync, R: Send>(
    src: &Source,
    items: &[T],
    f: impl Fn(&Source, &[T]) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    let chunk = items.len().div_ceil(threads).max(1024);
    if items.len() <= chunk {
        return Ok(vec![f(src, items)?]);
    }
    // Each run's own handle, opened here (a handle is not shared between threads).
    let sources = items
        .chunks(chunk)
        .map(|_| src.reopen())
        .collect::<Result<Vec<_>>>()?;
    std::thread::scope(|sc| {
        let runs: Vec<_> = items
            .chunks(chunk)
            .zip(sources)
            .map(|(run, own)| {
                let f = &f;
                sc.spawn(move || f(&own, run))
            })
            .collect();
        runs.into_iter()
            .map(|r| {
                r.join()
                    .map_err(|_| Error::Internal("a verifying thread panicked".into()))?
            })
            .collect()
    })
}

impl Source {
    /// Another handle on the same package, for another thread.
    fn reopen(&self) -> Result<Source> {
        Ok(match self {
            Source::Dir(root) => Source::Dir(root.clone()),
            // The zip's directory (a million entries, read once) is shared, not read again.
            Source::Zip { z, prefix, path } => Source::Zip {
                z: std::cell::RefCell::new(z.borrow().clone()),
                prefix: prefix.clone(),
                path: path.clone(),
            },
        })
    }

    fn read(&self, rel: &str) -> Result<Vec<u8>> {
        match self {
            Source::Dir(root) => std::fs::read(root.join(rel))
                .map_err(|e| fail(format!("{rel}: cannot be read ({e})"))),
            Source::Zip { z, prefix, .. } => {
                let mut z = z.borrow_mut();
                let mut e = z
                    .by_name(&format!("{prefix}{rel}"))
                    .map_err(|_| fail(format!("{rel}: not in the package")))?;
                // The size a zip states is not trusted: what is read is bounded.
                // Room for what it states, up to 256 MiB for the rows (a million events: fewer
                // copies as they grow) and 1 MiB for the rest; what cannot be had is not
                // reserved (a hostile size never aborts the process).
                let most: u64 = if rel.ends_with(".csv") || rel.ends_with(".ndjson") {
                    256 << 20
                } else {
                    1 << 20
                };
                let mut out = Vec::new();
                let _ = out.try_reserve_exact(e.size().min(most) as usize);
                e.by_ref()
                    .take(MAX_ENTRY)
                    .read_to_end(&mut out)
                    .map_err(|err| fail(format!("{rel}: cannot be read ({err})")))?;
                Ok(out)
            }
        }
    }

    /// Every file under `data/`, as paths in the bag.
    fn payload(&self) -> Result<Vec<String>> {
        match self {
            Source::Dir(root) => {
                let mut out = vec![];
                if root.join("data").is_dir() {
                    super::package::collect(root, &root.join("data"), &mut out)?;
                }
                Ok(out)
            }
            Source::Zip { z, prefix, .. } => Ok(z
                .borrow()
                .file_names()
                .filter_map(|n| n.strip_prefix(prefix.as_str()))
                .filter(|n| n.starts_with("data/") && !n.ends_with('/'))
                .map(str::to_owned)
                .collect()),
        }
    }
}

fn read(src: &Source, rel: &str) -> Result<Vec<u8>> {
    src.read(rel)
}

fn b64(s: &str, what: &str) -> Result<[u8; 32]> {
    base64::engine::general_purpose::STANDARD
        .decode(s.trim())
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| fail(format!("{what}: `{s}` is not a base64 SHA-256 hash")))
}

fn node(l: &[u8; 32], r: &[u8; 32]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update([1u8]);
    h.update(l);
    h.update(r);
    h.finalize().into()
}

/// The root of the tree of `size` entries from entry `index`'s leaf hash and audit path
/// (RFC 9162, section 2.1.3.2); `None` when the path does not fit the tree.
pub fn root_from(index: u64, size: u64, leaf: [u8; 32], path: &[[u8; 32]]) -> Option<[u8; 32]> {
    if index >= size {
        return None;
    }
    let (mut f, mut s, mut r) = (index, size - 1, leaf);
    for p in path {
        if s == 0 {
            return None;
        }
        if f & 1 == 1 || f == s {
            r = node(p, &r);
            if f & 1 == 0 {
                while f & 1 == 0 && f != 0 {
                    f >>= 1;
                    s >>= 1;
                }
            }
        } else {
            r = node(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    (s == 0).then_some(r)
}

/// Checks the package at `path`: a bag directory, or a `.zip` of one (read in place).
pub fn verify_package(path: &Path) -> Result<Verified> {
    if path.is_dir() {
        return verify_bag(&Source::Dir(path.to_owned()));
    }
    let f = std::fs::File::open(path)
        .map_err(|e| fail(format!("{}: cannot be read ({e})", path.display())))?;
    let len = f
        .metadata()
        .map_err(|e| fail(format!("{}: cannot be read ({e})", path.display())))?
        .len();
    let z = zip::ZipArchive::new(At {
        f: std::sync::Arc::new(f),
        pos: 0,
        len,
    })
    .map_err(|e| fail(format!("{}: not a zip ({e})", path.display())))?;
    // The bag is the zip's one top directory, or the zip itself; nothing may lie outside it.
    let prefix = z
        .file_names()
        .find_map(|n| {
            if n == "bagit.txt" {
                return Some(String::new());
            }
            let (dir, file) = n.split_once('/')?;
            (file == "bagit.txt" && !dir.is_empty()).then(|| format!("{dir}/"))
        })
        .ok_or_else(|| fail("the zip holds no bagit.txt at its top or in one folder"))?;
    if let Some(stray) = z.file_names().find(|n| !n.starts_with(prefix.as_str())) {
        return Err(fail(format!(
            "the zip's entry `{stray}` lies outside the bag `{prefix}`"
        )));
    }
    verify_bag(&Source::Zip {
        z: std::cell::RefCell::new(z),
        prefix,
        path: path.to_owned(),
    })
}

/// The `HASH  PATH` lines of a manifest, in order.
fn manifest_lines(text: &str, name: &str) -> Result<Vec<(String, String)>> {
    let mut out = vec![];
    for (n, line) in text.lines().enumerate() {
        let Some((h, p)) = line.split_once(char::is_whitespace) else {
            return Err(fail(format!("{name} line {}: not `DIGEST PATH`", n + 1)));
        };
        let p = p.trim_start();
        if h.len() != 64 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(fail(format!("{name} line {}: not a SHA-256 digest", n + 1)));
        }
        if p.split('/').any(|c| c == ".." || c.is_empty()) || p.starts_with('/') {
            return Err(fail(format!(
                "{name} line {}: `{p}` is not a path in the bag",
                n + 1
            )));
        }
        out.push((h.to_ascii_lowercase(), p.to_owned()));
    }
    Ok(out)
}

fn check_digest(root: &Source, rel: &str, want: &str, manifest: &str) -> Result<u64> {
    let bytes = read(root, rel)?;
    if hex::encode(Sha256::digest(&bytes)) != want {
        return Err(fail(format!(
            "{rel}: its SHA-256 is not the one {manifest} lists (the file was changed)"
        )));
    }
    Ok(bytes.len() as u64)
}

fn verify_bag(root: &Source) -> Result<Verified> {
    let bagit =
        String::from_utf8(read(root, "bagit.txt")?).map_err(|_| fail("bagit.txt is not UTF-8"))?;
    if !bagit.lines().any(|l| l.starts_with("BagIt-Version: "))
        || !bagit
            .lines()
            .any(|l| l == "Tag-File-Character-Encoding: UTF-8")
    {
        return Err(fail("bagit.txt does not declare a BagIt version and UTF-8"));
    }
    // The tag manifest first: it covers the manifest.
    let tagman = String::from_utf8(read(root, "tagmanifest-sha256.txt")?)
        .map_err(|_| fail("tagmanifest-sha256.txt is not UTF-8"))?;
    let tags = manifest_lines(&tagman, "tagmanifest-sha256.txt")?;
    for need in ["bagit.txt", "bag-info.txt", "manifest-sha256.txt"] {
        if !tags.iter().any(|(_, p)| p == need) {
            return Err(fail(format!("tagmanifest-sha256.txt does not list {need}")));
        }
    }
    for (h, p) in &tags {
        check_digest(root, p, h, "tagmanifest-sha256.txt")?;
    }
    let manifest = String::from_utf8(read(root, "manifest-sha256.txt")?)
        .map_err(|_| fail("manifest-sha256.txt is not UTF-8"))?;
    let lines = manifest_lines(&manifest, "manifest-sha256.txt")?;
    let listed: BTreeSet<&str> = lines.iter().map(|(_, p)| p.as_str()).collect();
    let on_disk = root.payload()?;
    for p in &on_disk {
        if !listed.contains(p.as_str()) {
            return Err(fail(format!(
                "{p} is in the bag but not in manifest-sha256.txt"
            )));
        }
    }
    if let Some((_, p)) = lines.iter().find(|(_, p)| !p.starts_with("data/")) {
        return Err(fail(format!(
            "manifest-sha256.txt lists {p}, outside data/"
        )));
    }
    // The proofs' digests are checked as each proof is read (once): the rest here.
    let proven = listed.contains("data/access/checkpoint");
    let is_proof = |p: &str| proven && p.starts_with("data/access/proofs/");
    let rest: Vec<&(String, String)> = lines.iter().filter(|(_, p)| !is_proof(p)).collect();
    let mut bytes: u64 = in_parallel(root, &rest, |src, run| {
        run.iter()
            .map(|(h, p)| check_digest(src, p, h, "manifest-sha256.txt"))
            .sum::<Result<u64>>()
    })?
    .into_iter()
    .sum();
    let proof_digests: std::collections::HashMap<&str, &str> = lines
        .iter()
        .filter(|(_, p)| is_proof(p))
        .map(|(h, p)| (p.as_str(), h.as_str()))
        .collect();
    let info = String::from_utf8(read(root, "bag-info.txt")?)
        .map_err(|_| fail("bag-info.txt is not UTF-8"))?;
    let field = |name: &str| {
        info.lines()
            .find_map(|l| l.strip_prefix(name).and_then(|v| v.strip_prefix(": ")))
            .map(str::to_owned)
    };
    // The events before the digests that cover them: a changed row is named as such.
    let mut events = 0;
    let mut checkpoint_size = None;
    if listed.contains("data/access/checkpoint") {
        let (n, size, proof_bytes) = verify_access(root, &listed, &proof_digests)?;
        bytes += proof_bytes;
        events = n;
        checkpoint_size = Some(size);
    } else if listed.contains("data/access/events.csv") {
        // No checkpoint: the log had no event when the package was cut, so neither may this.
        let csv = read(root, "data/access/events.csv")?;
        if csv.split(|b| *b == b'\n').filter(|l| !l.is_empty()).count() > 1
            || listed.iter().any(|p| p.starts_with("data/access/proofs/"))
        {
            return Err(fail(
                "data/access holds events but no checkpoint to prove them against",
            ));
        }
    }
    if let Some(oxum) = field("Payload-Oxum")
        && oxum != format!("{bytes}.{}", lines.len())
    {
        return Err(fail(format!(
            "bag-info.txt's Payload-Oxum {oxum} is not the payload's {bytes}.{}",
            lines.len()
        )));
    }
    let digest = records_digest(&manifest);
    for d in ["data/declaration.html", "data/declaration.pdf"] {
        if !listed.contains(d) {
            return Err(fail(format!(
                "{d} is missing: a package carries its declaration"
            )));
        }
    }
    // Where the declaration names it: after "is:", before the sentence's full stop.
    let named = format!(":{digest}.");
    if field("Records-Digest") != Some(format!("sha256:{digest}")) {
        return Err(fail(
            "bag-info.txt's Records-Digest is not the records' digest",
        ));
    }
    if listed.contains("data/declaration.html") {
        let decl = String::from_utf8_lossy(&read(root, "data/declaration.html")?).into_owned();
        if !decl.split_whitespace().collect::<String>().contains(&named) {
            return Err(fail(
                "data/declaration.html does not name the records' digest: the records are not \
                 the ones it declares",
            ));
        }
    }
    if listed.contains("data/declaration.pdf") {
        let pdf = read(root, "data/declaration.pdf")?;
        let text = lopdf::Document::load_mem(&pdf)
            .ok()
            .and_then(|d| {
                let pages: Vec<u32> = d.get_pages().keys().copied().collect();
                d.extract_text(&pages).ok()
            })
            .unwrap_or_default();
        if !text.split_whitespace().collect::<String>().contains(&named) {
            return Err(fail(
                "data/declaration.pdf does not name the records' digest: the records are not \
                 the ones it declares",
            ));
        }
    }
    Ok(Verified {
        files: lines.len() as u64,
        events,
        checkpoint_size,
        records_digest: digest,
    })
}

fn event_of(row: &csv::StringRecord, line: usize) -> Result<(u64, Event, [u8; 32])> {
    let at = |i: usize| row.get(i).unwrap_or_default();
    let bad = |col: &str, why: &str| fail(format!("events.csv row {line}: `{col}` {why}"));
    let opt = |i: usize| Some(at(i).to_owned()).filter(|v| !v.is_empty());
    let index: u64 = at(0).parse().map_err(|_| bad("index", "is not a number"))?;
    let time = DateTime::parse_from_rfc3339(at(2))
        .map_err(|_| bad("time", "is not an RFC 3339 time"))?
        .with_timezone(&chrono::Utc);
    if time_text(time) != at(2) {
        return Err(bad("time", "is not in UTC to the nanosecond"));
    }
    let event = Event {
        account_id: at(1).to_owned(),
        time,
        ip: at(3).parse().map_err(|_| bad("ip", "is not an address"))?,
        port: match at(4) {
            "" => None,
            p => Some(p.parse().map_err(|_| bad("port", "is not a port"))?),
        },
        action: Action::parse(at(5)).ok_or_else(|| bad("action", "is not an action"))?,
        source: at(6).to_owned(),
        actor: opt(7),
        user_agent: opt(8),
        request_id: opt(9),
        ssh_key_fingerprint: opt(11),
    };
    Ok((
        index,
        event,
        b64(at(10), &format!("events.csv row {line}: leaf_hash"))?,
    ))
}

/// A tlog-proof's index, audit path and checkpoint.
fn parse_proof(bytes: &[u8], name: &str) -> Result<(u64, Vec<[u8; 32]>, Vec<u8>)> {
    let bad = |why: &str| fail(format!("{name}: {why}"));
    let split = bytes
        .windows(2)
        .position(|w| w == b"\n\n")
        .ok_or_else(|| bad("no empty line before the checkpoint"))?;
    let head = std::str::from_utf8(&bytes[..split]).map_err(|_| bad("not UTF-8"))?;
    let mut lines = head.lines();
    if lines.next() != Some("c2sp.org/tlog-proof@v1") {
        return Err(bad("not a c2sp.org/tlog-proof@v1"));
    }
    let mut line = lines.next().ok_or_else(|| bad("no index line"))?;
    if line.starts_with("extra ") {
        line = lines.next().ok_or_else(|| bad("no index line"))?;
    }
    let index = line
        .strip_prefix("index ")
        .filter(|n| *n == "0" || !n.starts_with('0'))
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| bad("the index line is not `index N`"))?;
    let path = lines.map(|l| b64(l, name)).collect::<Result<Vec<_>>>()?;
    Ok((index, path, bytes[split + 2..].to_vec()))
}

/// Checks the access events and their proofs (each proof's manifest digest too, from
/// `digests`); returns the events, the checkpoint's size and the proofs' bytes.
fn verify_access(
    root: &Source,
    listed: &BTreeSet<&str>,
    digests: &std::collections::HashMap<&str, &str>,
) -> Result<(u64, u64, u64)> {
    let checkpoint = read(root, "data/access/checkpoint")?;
    let vkey = String::from_utf8(read(root, "data/access/ledger.vkey")?)
        .map_err(|_| fail("data/access/ledger.vkey is not UTF-8"))?;
    let text = String::from_utf8(checkpoint.clone())
        .map_err(|_| fail("data/access/checkpoint is not UTF-8"))?;
    let mut cl = text.lines();
    let origin = cl.next().unwrap_or_default().to_owned();
    custos_ledger::log::open_checkpoint(&checkpoint, vkey.trim(), &origin).map_err(|e| {
        fail(format!(
            "data/access/checkpoint: its signature does not verify with data/access/ledger.vkey \
             ({e})"
        ))
    })?;
    let size: u64 = cl
        .next()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| fail("data/access/checkpoint has no size"))?;
    let root_hash = b64(
        cl.next().unwrap_or_default(),
        "data/access/checkpoint's root hash",
    )?;
    let csv_bytes = read(root, "data/access/events.csv")?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv_bytes.as_slice());
    let header = rdr
        .headers()
        .map_err(|e| fail(format!("events.csv: {e}")))?
        .clone();
    let header = header.iter().collect::<Vec<_>>();
    if header != CSV_HEADER && header != CSV_HEADER[..11] {
        return Err(fail(format!(
            "events.csv's header is neither {} nor (a package made before events carried SSH \
             keys) {}",
            CSV_HEADER.join(","),
            CSV_HEADER[..11].join(",")
        )));
    }
    let ndjson = read(root, "data/access/events.ndjson")?;
    let nd: Vec<&[u8]> = ndjson
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    // In order first: each entry once, ascending, with its proof in the bag.
    let mut rows: Vec<(usize, u64, csv::StringRecord)> = vec![];
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| fail(format!("events.csv row {line}: {e}")))?;
        let index: u64 = rec
            .get(0)
            .unwrap_or_default()
            .parse()
            .map_err(|_| fail(format!("events.csv row {line}: `index` is not a number")))?;
        let name = format!("data/access/proofs/{index}.tlog-proof");
        if !listed.contains(name.as_str()) {
            return Err(fail(format!("{name} is missing")));
        }
        if rows.last().is_some_and(|(_, last, _)| *last >= index) {
            return Err(fail(format!(
                "events.csv row {line}: entry {index} is not after the row before (each entry \
                 once, in log order)"
            )));
        }
        rows.push((line, index, rec));
    }
    if nd.len() > rows.len() {
        return Err(fail(
            "events.ndjson has more lines than events.csv has rows",
        ));
    }
    let n = rows.len() as u64;
    // Then each row (its fields, its leaf hash, its NDJSON line) and its proof, against the
    // one checkpoint, on every core.
    let proof_bytes: u64 = in_parallel(root, &rows, |src, run| {
        let mut bytes = 0u64;
        for (line, index, rec) in run {
            let (line, index) = (*line, *index);
            let (_, event, leaf) = event_of(rec, line)?;
            if event.validate().is_err() {
                return Err(fail(format!(
                    "events.csv row {line}: not an event custos keeps"
                )));
            }
            if leaf_hash(&event.encode()) != leaf {
                return Err(fail(format!(
                    "events.csv row {line} (entry {index}): its fields do not give its leaf hash \
                     (the row was changed)"
                )));
            }
            let j: serde_json::Value = nd
                .get(line - 2)
                .and_then(|l| serde_json::from_slice(l).ok())
                .ok_or_else(|| fail(format!("events.ndjson has no line for entry {index}")))?;
            let mut want = serde_json::to_value(&event).unwrap_or_default();
            want["index"] = index.into();
            want["time"] = time_text(event.time).into();
            want["leaf_hash"] = base64::engine::general_purpose::STANDARD
                .encode(leaf)
                .into();
            if j != want {
                return Err(fail(format!(
                    "events.ndjson's line for entry {index} is not its row in events.csv"
                )));
            }
            let name = format!("data/access/proofs/{index}.tlog-proof");
            let data = read(src, &name)?;
            if digests
                .get(name.as_str())
                .is_none_or(|h| hex::encode(Sha256::digest(&data)) != *h)
            {
                return Err(fail(format!(
                    "{name}: its SHA-256 is not the one manifest-sha256.txt lists (the file was \
                     changed)"
                )));
            }
            bytes += data.len() as u64;
            let (pi, path, cp) = parse_proof(&data, &name)?;
            if pi != index {
                return Err(fail(format!("{name} proves entry {pi}, not {index}")));
            }
            if cp != checkpoint {
                return Err(fail(format!(
                    "{name} is against another checkpoint than data/access/checkpoint"
                )));
            }
            if root_from(index, size, leaf, &path) != Some(root_hash) {
                return Err(fail(format!(
                    "{name}: the inclusion proof of entry {index} does not lead to the \
                     checkpoint's root"
                )));
            }
        }
        Ok(bytes)
    })?
    .into_iter()
    .sum();
    let proven: std::collections::HashSet<u64> = rows.iter().map(|r| r.1).collect();
    if let Some(stray) = listed.iter().find(|p| {
        p.strip_prefix("data/access/proofs/")
            .and_then(|f| f.strip_suffix(".tlog-proof"))
            .is_some_and(|i| i.parse::<u64>().map_or(true, |i| !proven.contains(&i)))
    }) {
        return Err(fail(format!("{stray} proves no row of events.csv")));
    }
    let proofs = listed
        .iter()
        .filter(|p| p.starts_with("data/access/proofs/"))
        .count() as u64;
    if proofs != n {
        return Err(fail(format!(
            "data/access/proofs holds {proofs} proofs for {n} events"
        )));
    }
    Ok((n, size, proof_bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_does_not_fit_the_tree_is_refused() {
        let leaf = [7u8; 32];
        assert_eq!(root_from(0, 1, leaf, &[]), Some(leaf));
        assert_eq!(root_from(1, 1, leaf, &[]), None);
        assert_eq!(root_from(0, 2, leaf, &[]), None);
        let sib = [9u8; 32];
        assert_eq!(root_from(0, 2, leaf, &[sib]), Some(node(&leaf, &sib)));
        assert_eq!(root_from(1, 2, leaf, &[sib]), Some(node(&sib, &leaf)));
        assert_eq!(root_from(0, 1, leaf, &[sib]), None);
    }
}
