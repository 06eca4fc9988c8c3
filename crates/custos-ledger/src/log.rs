//! One append-only, tamper-evident log in a directory: the events (as C2SP entry bundles, each
//! entry a 16-bit length and the event's canonical encoding), the RFC 6962 Merkle tree's
//! stored hashes (`tlog_tiles`' layout), the start of every bundle, and the signed checkpoint
//! that commits them.
//!
//! **Durability**: a batch is written, the three data files are synced, and only then is the
//! new checkpoint written to a temporary file, synced and renamed over the old one (and the
//! directory synced). A batch is acknowledged after that. Opening a log trims whatever lies
//! past its checkpoint: a batch that was not acknowledged.
//!
//! **Group commit**: concurrent [`Log::append`] calls queue their batches; whichever holds the
//! writer commits everything queued with one round of syncs.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
use tlog_tiles::{
    Checkpoint, HASH_SIZE, Hash, HashReader, Tile, prove_record, prove_tree, record_hash,
    stored_hash_count, stored_hash_index, stored_hashes, tree_hash,
};

use crate::event::Event;
use crate::index::{BLOOM_BYTES, Probe, Summary};

/// The entries of a bundle: each a 16-bit big-endian length and the bytes.
pub fn split_bundle(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]));
        let leaf = data.get(at + 2..at + 2 + len)?;
        at += 2 + len;
        Some(leaf)
    })
}

/// Entries per bundle, and hashes per tile (C2SP tlog-tiles: height 8).
pub const TILE: u64 = 256;
const HEIGHT: u8 = 8;

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("{context}")]
    Io {
        context: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the ledger is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Invalid(String),
    #[error("the signing key: {0}")]
    Key(String),
    #[error("the ledger is open in another custos process (a running server?)")]
    InUse,
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> LedgerError {
    let context = context.into();
    move |source| LedgerError::Io { context, source }
}

type Result<T> = std::result::Result<T, LedgerError>;

/// The files of a log.
struct Files {
    entries: File,
    hashes: File,
    bundles: File,
}

/// The query index of an indexed log (see [`crate::index`]).
struct IndexFiles {
    times: File,
    blooms: File,
}

/// Where the log stands.
struct Writer {
    files: Files,
    size: u64,
    entries_len: u64,
    /// The signed checkpoint of `size`.
    checkpoint: Vec<u8>,
    root: Hash,
    /// Outcomes of batches committed by another caller, by ticket.
    done: HashMap<u64, std::result::Result<Range<u64>, String>>,
}

struct Queue {
    next: u64,
    pending: Vec<(u64, Vec<Vec<u8>>)>,
}

/// An open log.
pub struct Log {
    dir: PathBuf,
    origin: String,
    signer: StandardSigner,
    verifier_key: String,
    writer: Mutex<Writer>,
    queue: Mutex<Queue>,
    /// Read handles for proofs, tiles and entries.
    read: Files,
    index: Option<IndexFiles>,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("dir", &self.dir)
            .field("origin", &self.origin)
            .finish()
    }
}

/// Reads stored hashes from the hashes file, and those of a batch not yet written from memory.
struct Reader<'a> {
    file: &'a File,
    /// `(first stored index, hashes)` not yet on disk.
    pending: (u64, &'a [Hash]),
}

impl HashReader for Reader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        let (base, pending) = self.pending;
        indexes
            .iter()
            .map(|&i| {
                if i >= base {
                    return pending
                        .get((i - base) as usize)
                        .copied()
                        .ok_or(tlog_tiles::Error::IndexesNotInTree);
                }
                let mut h = [0u8; HASH_SIZE];
                self.file
                    .read_exact_at(&mut h, i * HASH_SIZE as u64)
                    .map_err(|_| tlog_tiles::Error::IndexesNotInTree)?;
                Ok(Hash(h))
            })
            .collect()
    }
}

fn open_file(dir: &Path, name: &str) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(dir.join(name))
        .map_err(io(format!("cannot open {}", dir.join(name).display())))
}

fn open_files(dir: &Path) -> Result<Files> {
    Ok(Files {
        entries: open_file(dir, "entries")?,
        hashes: open_file(dir, "hashes")?,
        bundles: open_file(dir, "bundles")?,
    })
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(io(format!("cannot sync {}", dir.display())))
}

/// A new signing key for a log, in signed-note form: `(private key, verifier key)`.
pub fn generate_key(name: &str) -> (String, String) {
    signed_note::generate_key(&mut rand::rngs::OsRng, name)
}

/// The verifier key of a private key.
pub fn verifier_key(skey: &str) -> Result<String> {
    // PRIVATE+KEY+<name>+<id hex>+<base64(0x01 || seed)>; base64 has `+` of its own.
    let parts: Vec<&str> = skey.trim().splitn(5, '+').collect();
    let ["PRIVATE", "KEY", name, _, key] = parts.as_slice() else {
        return Err(LedgerError::Key("not a signed-note private key".into()));
    };
    use base64::Engine;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(key)
        .map_err(|_| LedgerError::Key("not base64".into()))?;
    let seed: [u8; 32] = raw
        .get(1..)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(|| LedgerError::Key("not an Ed25519 key".into()))?;
    let sk = ed25519_dalek::SigningKey::from_bytes(&seed);
    Ok(signed_note::new_ed25519_verifier_key(
        name,
        &sk.verifying_key(),
    ))
}

/// The path of a hash tile or entry bundle in the C2SP tlog-tiles layout:
/// `tile/<L>/<N>[.p/<W>]`, `tile/entries/<N>[.p/<W>]`, `N` in groups of three digits.
pub fn tile_path(level: Option<u8>, n: u64, width: u64) -> String {
    let mut rest = n;
    let mut s = format!("{:03}", rest % 1000);
    while rest >= 1000 {
        rest /= 1000;
        s = format!("x{:03}/{s}", rest % 1000);
    }
    let l = level.map_or_else(|| "entries".to_owned(), |l| l.to_string());
    if width == TILE {
        format!("tile/{l}/{s}")
    } else {
        format!("tile/{l}/{s}.p/{width}")
    }
}

/// Parses a tile path (the inverse of [`tile_path`]): `(level or None for entries, N, width)`.
pub fn parse_tile_path(p: &str) -> Option<(Option<u8>, u64, u64)> {
    let rest = p.strip_prefix("tile/")?;
    let (l, rest) = rest.split_once('/')?;
    let level = if l == "entries" {
        None
    } else {
        let v: u8 = l.parse().ok()?;
        (l == v.to_string() && v < 64).then_some(v)?.into()
    };
    let (n_part, width) = match rest.split_once(".p/") {
        Some((n, w)) => {
            let w: u64 = w.parse().ok()?;
            ((1..TILE).contains(&w) && w.to_string() == rest.split_once(".p/")?.1)
                .then_some((n, w))?
        }
        None => (rest, TILE),
    };
    let groups: Vec<&str> = n_part.split('/').collect();
    let mut n: u64 = 0;
    for (i, g) in groups.iter().enumerate() {
        let digits = if i + 1 < groups.len() {
            g.strip_prefix('x')?
        } else {
            g
        };
        if digits.len() != 3 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        n = n.checked_mul(1000)?.checked_add(digits.parse().ok()?)?;
    }
    (tile_path(level, n, width) == p).then_some((level, n, width))
}

impl Log {
    /// Opens the log in `dir`, creating it if empty, and trims anything past its checkpoint.
    /// `skey` is its signing key (see [`generate_key`]); `origin` names the log in checkpoints.
    pub fn open(dir: &Path, origin: &str, skey: &str) -> Result<Log> {
        Self::open_with(dir, origin, skey, false)
    }

    /// The same, keeping the query index of [`crate::index`] when `indexed`.
    pub fn open_with(dir: &Path, origin: &str, skey: &str, indexed: bool) -> Result<Log> {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
        let signer = StandardSigner::new(skey).map_err(|e| LedgerError::Key(format!("{e:?}")))?;
        let verifier_key = verifier_key(skey)?;
        let files = open_files(dir)?;
        let read = open_files(dir)?;
        let cp_path = dir.join("checkpoint");
        let (size, root, checkpoint) = if cp_path.exists() {
            let bytes = std::fs::read(&cp_path).map_err(io("cannot read the checkpoint"))?;
            let cp = open_checkpoint(&bytes, &verifier_key, origin)?;
            (cp.size(), *cp.hash(), bytes)
        } else {
            (0, tlog_tiles::EMPTY_HASH, vec![])
        };
        let log = Log {
            dir: dir.to_owned(),
            origin: origin.to_owned(),
            signer,
            verifier_key,
            writer: Mutex::new(Writer {
                files,
                size,
                entries_len: 0,
                checkpoint,
                root,
                done: HashMap::new(),
            }),
            queue: Mutex::new(Queue {
                next: 0,
                pending: vec![],
            }),
            read,
            index: if indexed {
                Some(IndexFiles {
                    times: open_file(dir, "times")?,
                    blooms: open_file(dir, "blooms")?,
                })
            } else {
                None
            },
        };
        log.recover()?;
        log.catch_up_index()?;
        Ok(log)
    }

    /// Summarises every complete bundle the index lacks; drops summaries past the log.
    fn catch_up_index(&self) -> Result<()> {
        let Some(ix) = &self.index else {
            return Ok(());
        };
        let complete = self.size() / TILE;
        let len = |f: &File, what: &str| -> Result<u64> {
            Ok(f.metadata()
                .map_err(io(format!("cannot stat {what}")))?
                .len())
        };
        let have = (len(&ix.times, "times")? / 16)
            .min(len(&ix.blooms, "blooms")? / BLOOM_BYTES as u64)
            .min(complete);
        ix.times
            .set_len(have * 16)
            .map_err(io("cannot trim times"))?;
        ix.blooms
            .set_len(have * BLOOM_BYTES as u64)
            .map_err(io("cannot trim blooms"))?;
        let size = self.size();
        for k in have..complete {
            self.summarise_at(ix, k, size)?;
        }
        Ok(())
    }

    /// Cuts every file to what the checkpoint commits, and checks the tree's root.
    fn recover(&self) -> Result<()> {
        let mut w = self.lock_writer();
        let size = w.size;
        let bundles = size.div_ceil(TILE);
        let entries_len = self.entries_end(size)?;
        let trim = |f: &File, len: u64, what: &str| -> Result<()> {
            let have = f
                .metadata()
                .map_err(io(format!("cannot stat {what}")))?
                .len();
            if have < len {
                return Err(LedgerError::Corrupt(format!(
                    "{what} holds {have} bytes; the checkpoint needs {len}"
                )));
            }
            if have > len {
                f.set_len(len).map_err(io(format!("cannot trim {what}")))?;
                f.sync_all().map_err(io(format!("cannot sync {what}")))?;
            }
            Ok(())
        };
        trim(&w.files.bundles, bundles * 8, "bundles")?;
        trim(&w.files.entries, entries_len, "entries")?;
        trim(
            &w.files.hashes,
            stored_hash_count(size) * HASH_SIZE as u64,
            "hashes",
        )?;
        w.entries_len = entries_len;
        if size > 0 {
            let root = tree_hash(
                size,
                &Reader {
                    file: &self.read.hashes,
                    pending: (u64::MAX, &[]),
                },
            )
            .map_err(|e| LedgerError::Corrupt(format!("the tree: {e:?}")))?;
            if root != w.root {
                return Err(LedgerError::Corrupt(
                    "the stored tree does not have the checkpoint's root".into(),
                ));
            }
        }
        Ok(())
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The byte offset where entry `i` starts (`i` = size: the end of the entries).
    fn entries_end(&self, i: u64) -> Result<u64> {
        if i == 0 {
            return Ok(0);
        }
        let bundle = (i - 1) / TILE;
        self.skip(self.bundle_start(bundle)?, i - bundle * TILE)
    }

    /// The offset `n` entries past the one starting at `at`, read from their length prefixes.
    fn skip(&self, mut at: u64, n: u64) -> Result<u64> {
        for _ in 0..n {
            let mut len = [0u8; 2];
            self.read
                .entries
                .read_exact_at(&mut len, at)
                .map_err(|_| LedgerError::Corrupt(format!("the entries end at byte {at}")))?;
            at += 2 + u64::from(u16::from_be_bytes(len));
        }
        Ok(at)
    }

    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The signed-note verifier key of this log.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// How many events are committed.
    pub fn size(&self) -> u64 {
        self.lock_writer().size
    }

    /// The latest signed checkpoint (empty before the first event).
    pub fn checkpoint(&self) -> Vec<u8> {
        self.lock_writer().checkpoint.clone()
    }

    /// The root of the tree at the latest checkpoint.
    pub fn root(&self) -> Hash {
        self.lock_writer().root
    }

    /// Appends events; returns their indexes once they are durable. Invalid events refuse the
    /// whole batch before anything is written.
    pub fn append(&self, events: &[Event]) -> Result<Range<u64>> {
        for (i, e) in events.iter().enumerate() {
            e.validate()
                .map_err(|err| LedgerError::Invalid(format!("event {i}: {err}")))?;
        }
        self.append_encoded(events.iter().map(Event::encode).collect())
    }

    /// Appends already-encoded leaves (`custos-ledger`'s own audit records use this).
    pub fn append_encoded(&self, leaves: Vec<Vec<u8>>) -> Result<Range<u64>> {
        if leaves.iter().any(|l| l.len() > usize::from(u16::MAX)) {
            return Err(LedgerError::Invalid("an entry over 65,535 bytes".into()));
        }
        let ticket = {
            let mut q = self.queue.lock().unwrap_or_else(|p| p.into_inner());
            let t = q.next;
            q.next += 1;
            q.pending.push((t, leaves));
            t
        };
        let mut w = self.lock_writer();
        if let Some(r) = w.done.remove(&ticket) {
            return r.map_err(LedgerError::Corrupt);
        }
        let batch =
            std::mem::take(&mut self.queue.lock().unwrap_or_else(|p| p.into_inner()).pending);
        let tickets: Vec<(u64, usize)> = batch.iter().map(|(t, l)| (*t, l.len())).collect();
        let outcome = self.commit(&mut w, batch.into_iter().flat_map(|(_, l)| l).collect());
        let mut mine = None;
        let mut at = match &outcome {
            Ok(r) => r.start,
            Err(_) => 0,
        };
        for (t, n) in tickets {
            let r = match &outcome {
                Ok(_) => Ok(at..at + n as u64),
                Err(e) => Err(e.to_string()),
            };
            at += n as u64;
            if t == ticket {
                mine = Some(r);
            } else {
                w.done.insert(t, r);
            }
        }
        match (outcome, mine) {
            (Err(e), _) => Err(e),
            (Ok(_), Some(r)) => r.map_err(LedgerError::Corrupt),
            (Ok(_), None) => Err(LedgerError::Corrupt("a batch was lost in the queue".into())),
        }
    }

    /// Writes leaves, syncs, signs and installs the new checkpoint.
    fn commit(&self, w: &mut Writer, leaves: Vec<Vec<u8>>) -> Result<Range<u64>> {
        let start = w.size;
        if leaves.is_empty() {
            return Ok(start..start);
        }
        let first_hash = stored_hash_count(start);
        let mut hashes: Vec<Hash> = Vec::with_capacity(leaves.len() * 2);
        let mut entries = Vec::with_capacity(leaves.iter().map(|l| l.len() + 2).sum());
        let mut bundles = vec![];
        let mut n = start;
        let mut offset = w.entries_len;
        for leaf in &leaves {
            if n.is_multiple_of(TILE) {
                bundles.extend_from_slice(&offset.to_be_bytes());
            }
            let reader = Reader {
                file: &w.files.hashes,
                pending: (first_hash, &hashes),
            };
            let hs = stored_hashes(n, leaf, &reader)
                .map_err(|e| LedgerError::Corrupt(format!("hashing entry {n}: {e:?}")))?;
            hashes.extend(hs);
            entries.extend_from_slice(&(leaf.len() as u16).to_be_bytes());
            entries.extend_from_slice(leaf);
            offset += 2 + leaf.len() as u64;
            n += 1;
        }
        let hash_bytes: Vec<u8> = hashes.iter().flat_map(|h| h.0).collect();
        w.files
            .entries
            .write_all(&entries)
            .map_err(io("cannot write entries"))?;
        w.files
            .hashes
            .write_all(&hash_bytes)
            .map_err(io("cannot write hashes"))?;
        w.files
            .bundles
            .write_all(&bundles)
            .map_err(io("cannot write bundles"))?;
        for (f, what) in [
            (&w.files.entries, "entries"),
            (&w.files.hashes, "hashes"),
            (&w.files.bundles, "bundles"),
        ] {
            f.sync_data().map_err(io(format!("cannot sync {what}")))?;
        }
        let root = tree_hash(
            n,
            &Reader {
                file: &w.files.hashes,
                pending: (first_hash, &hashes),
            },
        )
        .map_err(|e| LedgerError::Corrupt(format!("the tree: {e:?}")))?;
        let cp = self.sign(n, root)?;
        let tmp = self.dir.join("checkpoint.tmp");
        let mut f = File::create(&tmp).map_err(io("cannot write the checkpoint"))?;
        f.write_all(&cp)
            .map_err(io("cannot write the checkpoint"))?;
        f.sync_all().map_err(io("cannot sync the checkpoint"))?;
        std::fs::rename(&tmp, self.dir.join("checkpoint"))
            .map_err(io("cannot install the checkpoint"))?;
        sync_dir(&self.dir)?;
        w.size = n;
        w.entries_len = offset;
        w.root = root;
        w.checkpoint = cp;
        if let Some(ix) = &self.index {
            // Derived data: a failure here loses no event, and the next open rebuilds it.
            for k in start / TILE..n / TILE {
                if let Err(e) = self.summarise_at(ix, k, n) {
                    return Err(LedgerError::Corrupt(format!("indexing bundle {k}: {e}")));
                }
            }
        }
        Ok(start..n)
    }

    /// [`Log::summarise`] while the writer is held (the size is not yet readable).
    fn summarise_at(&self, ix: &IndexFiles, bundle: u64, size: u64) -> Result<()> {
        let first = bundle * TILE;
        debug_assert!(first + TILE <= size);
        let start = self.bundle_start(bundle)?;
        let end = self.skip(start, TILE)?;
        let mut data = vec![0u8; (end - start) as usize];
        self.read
            .entries
            .read_exact_at(&mut data, start)
            .map_err(io("cannot read entries"))?;
        let s = Summary::of(split_bundle(&data));
        (&ix.times)
            .write_all(&s.times_bytes())
            .map_err(io("cannot write times"))?;
        (&ix.blooms)
            .write_all(&s.bloom)
            .map_err(io("cannot write blooms"))?;
        Ok(())
    }

    fn bundle_start(&self, bundle: u64) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read
            .bundles
            .read_exact_at(&mut b, bundle * 8)
            .map_err(|_| LedgerError::Corrupt(format!("no start for bundle {bundle}")))?;
        Ok(u64::from_be_bytes(b))
    }

    /// Calls `f` with every event whose time is in `from..=to` (seconds) and that may match
    /// `probe`, in log order; `f` applies the exact filter and returns whether to go on. Reads
    /// only the bundles the index cannot rule out. An unindexed log is read whole.
    pub fn scan(
        &self,
        from: i64,
        to: i64,
        probe: &Probe,
        mut f: impl FnMut(u64, Event) -> bool,
    ) -> Result<()> {
        let size = self.size();
        let complete = size / TILE;
        let mut times = vec![];
        if let Some(ix) = &self.index {
            times = vec![0u8; (complete * 16) as usize];
            ix.times
                .read_exact_at(&mut times, 0)
                .map_err(io("cannot read times"))?;
        }
        let mut bloom = [0u8; BLOOM_BYTES];
        for k in 0..size.div_ceil(TILE) {
            if let Some(ix) = &self.index
                && k < complete
            {
                let t = &times[(k * 16) as usize..][..16];
                let min = i64::from_be_bytes(t[..8].try_into().unwrap_or_default());
                let max = i64::from_be_bytes(t[8..].try_into().unwrap_or_default());
                if max < from || min > to {
                    continue;
                }
                ix.blooms
                    .read_exact_at(&mut bloom, k * BLOOM_BYTES as u64)
                    .map_err(io("cannot read blooms"))?;
                if !probe.may_match(&bloom) {
                    continue;
                }
            }
            let width = (size - k * TILE).min(TILE);
            let data = self.entry_bundle(k, width)?;
            for (j, leaf) in split_bundle(&data).enumerate() {
                let Ok(e) = Event::decode(leaf) else {
                    continue;
                };
                let t = e.time.timestamp();
                if t < from || t > to {
                    continue;
                }
                if !f(k * TILE + j as u64, e) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn sign(&self, size: u64, root: Hash) -> Result<Vec<u8>> {
        let cp = Checkpoint::new(&self.origin, size, root, "")
            .map_err(|_| LedgerError::Invalid(format!("`{}` is not a log origin", self.origin)))?;
        let mut note =
            Note::new(&cp.to_bytes(), &[]).map_err(|e| LedgerError::Key(format!("{e:?}")))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| LedgerError::Key(format!("{e:?}")))?;
        Ok(note.to_bytes())
    }

    fn reader(&self) -> Reader<'_> {
        Reader {
            file: &self.read.hashes,
            pending: (u64::MAX, &[]),
        }
    }

    fn committed(&self, what: &str, needed: u64, size: u64) -> Result<()> {
        if needed > size {
            return Err(LedgerError::Invalid(format!(
                "{what} is beyond the tree of {size} entries"
            )));
        }
        Ok(())
    }

    /// The leaf hash of entry `i`.
    pub fn leaf_hash(&self, i: u64) -> Result<Hash> {
        self.committed(&format!("entry {i}"), i + 1, self.size())?;
        let h = self
            .reader()
            .read_hashes(&[stored_hash_index(0, i)])
            .map_err(|e| LedgerError::Corrupt(format!("{e:?}")))?;
        Ok(h[0])
    }

    /// The encoded entry `i` (all zeros once purged: see [`Log::purge`]).
    pub fn entry(&self, i: u64) -> Result<Vec<u8>> {
        self.committed(&format!("entry {i}"), i + 1, self.size())?;
        let bundle = self.entry_bundle(i / TILE, (i % TILE) + 1)?;
        let mut at = 0usize;
        let mut k = 0;
        while at + 2 <= bundle.len() {
            let len = usize::from(u16::from_be_bytes([bundle[at], bundle[at + 1]]));
            if k == i % TILE {
                return bundle
                    .get(at + 2..at + 2 + len)
                    .map(<[u8]>::to_vec)
                    .ok_or_else(|| LedgerError::Corrupt(format!("entry {i} is cut short")));
            }
            at += 2 + len;
            k += 1;
        }
        Err(LedgerError::Corrupt(format!("entry {i} is missing")))
    }

    /// Entry bundle `n` (C2SP tlog-tiles), `width` entries.
    pub fn entry_bundle(&self, n: u64, width: u64) -> Result<Vec<u8>> {
        if !(1..=TILE).contains(&width) {
            return Err(LedgerError::Invalid(
                "a bundle holds 1 to 256 entries".into(),
            ));
        }
        let first = n
            .checked_mul(TILE)
            .ok_or_else(|| LedgerError::Invalid("no such bundle".into()))?;
        self.committed(&format!("bundle {n}"), first + width, self.size())?;
        let start = self.entries_end(first)?;
        let end = self.entries_end(first + width)?;
        let mut buf = vec![0u8; (end - start) as usize];
        self.read
            .entries
            .read_exact_at(&mut buf, start)
            .map_err(io("cannot read entries"))?;
        Ok(buf)
    }

    /// Hash tile `n` at `level` (C2SP tlog-tiles), `width` hashes.
    pub fn hash_tile(&self, level: u8, n: u64, width: u64) -> Result<Vec<u8>> {
        if !(1..=TILE).contains(&width) || level > 7 {
            return Err(LedgerError::Invalid("no such tile".into()));
        }
        let needed = n
            .checked_mul(TILE)
            .and_then(|x| x.checked_add(width))
            .and_then(|x| x.checked_mul(1u64.checked_shl(8 * u32::from(level))?))
            .ok_or_else(|| LedgerError::Invalid("no such tile".into()))?;
        self.committed(&format!("tile {level}/{n}"), needed, self.size())?;
        Tile::new(HEIGHT, level, n, width as u32, false)
            .read_data(&self.reader())
            .map_err(|e| LedgerError::Corrupt(format!("tile {level}/{n}: {e:?}")))
    }

    /// The inclusion proof of entry `i` in the tree of `size` entries.
    pub fn inclusion_proof(&self, i: u64, size: u64) -> Result<Vec<Hash>> {
        self.committed("the tree", size, self.size())?;
        if i >= size {
            return Err(LedgerError::Invalid(format!(
                "entry {i} is not in a tree of {size}"
            )));
        }
        prove_record(size, i, &self.reader()).map_err(|e| LedgerError::Corrupt(format!("{e:?}")))
    }

    /// The consistency proof from the tree of `old` entries to the tree of `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        self.committed("the tree", new, self.size())?;
        if old > new {
            return Err(LedgerError::Invalid(
                "the older tree must be the smaller".into(),
            ));
        }
        prove_tree(new, old, &self.reader()).map_err(|e| LedgerError::Corrupt(format!("{e:?}")))
    }

    /// Purges the payload of entries whose retention ended: their bytes are overwritten with
    /// zeros (the bundle layout stays) and they are marked in `purged`; their leaf hashes stay,
    /// so the tree, its checkpoints and every proof still verify. Returns how many were newly
    /// purged. The only write that is not an append.
    pub fn purge(&self, indexes: &[u64]) -> Result<u64> {
        let w = self.lock_writer();
        let size = w.size;
        let open_rw = |name: &str| -> Result<File> {
            OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(self.dir.join(name))
                .map_err(io(format!("cannot open {name}")))
        };
        let entries = open_rw("entries")?;
        let purged = open_rw("purged")?;
        let need = size.div_ceil(8);
        if purged.metadata().map_err(io("cannot stat purged"))?.len() < need {
            purged.set_len(need).map_err(io("cannot grow purged"))?;
        }
        let mut newly = 0;
        for &i in indexes {
            if i >= size {
                return Err(LedgerError::Invalid(format!(
                    "entry {i} is beyond the tree of {size} entries"
                )));
            }
            let mut byte = [0u8; 1];
            purged
                .read_exact_at(&mut byte, i / 8)
                .map_err(io("cannot read purged"))?;
            if byte[0] & (1 << (i % 8)) != 0 {
                continue;
            }
            // Where the entry's bytes are: its bundle's start, then the lengths before it.
            let at = self.skip(self.bundle_start(i / TILE)?, i % TILE)?;
            let mut len = [0u8; 2];
            self.read
                .entries
                .read_exact_at(&mut len, at)
                .map_err(io("cannot read entries"))?;
            let zeros = vec![0u8; usize::from(u16::from_be_bytes(len))];
            entries
                .write_all_at(&zeros, at + 2)
                .map_err(io("cannot purge an entry"))?;
            byte[0] |= 1 << (i % 8);
            purged
                .write_all_at(&byte, i / 8)
                .map_err(io("cannot mark an entry purged"))?;
            newly += 1;
        }
        entries.sync_data().map_err(io("cannot sync entries"))?;
        purged.sync_data().map_err(io("cannot sync purged"))?;
        drop(w);
        Ok(newly)
    }

    /// Whether entry `i`'s payload was purged.
    pub fn is_purged(&self, i: u64) -> bool {
        purged_bit(&self.dir, i)
    }

    /// The root of the tree of the first `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        self.committed("the tree", size, self.size())?;
        tree_hash(size, &self.reader()).map_err(|e| LedgerError::Corrupt(format!("{e:?}")))
    }
}

fn purged_bit(dir: &Path, i: u64) -> bool {
    let Ok(f) = File::open(dir.join("purged")) else {
        return false;
    };
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, i / 8).is_ok() && b[0] & (1 << (i % 8)) != 0
}

/// Checks a checkpoint's signature and origin.
pub fn open_checkpoint(bytes: &[u8], vkey: &str, origin: &str) -> Result<Checkpoint> {
    let verifier = StandardVerifier::new(vkey).map_err(|e| LedgerError::Key(format!("{e:?}")))?;
    let note = Note::from_bytes(bytes)
        .map_err(|e| LedgerError::Corrupt(format!("the checkpoint is not a signed note: {e:?}")))?;
    note.verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|e| LedgerError::Corrupt(format!("the checkpoint's signature: {e:?}")))?;
    let cp = Checkpoint::from_bytes(note.text())
        .map_err(|_| LedgerError::Corrupt("the checkpoint is malformed".into()))?;
    if cp.origin() != origin {
        return Err(LedgerError::Corrupt(format!(
            "the checkpoint is for `{}`, not `{origin}`",
            cp.origin()
        )));
    }
    Ok(cp)
}

/// What [`verify`] found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Verified {
    pub size: u64,
    pub root: String,
}

/// Recomputes everything from the stored data: every entry decodes canonically (when
/// `decode` is set), every stored hash is what the entries give, the bundle starts match, the
/// root is the signed checkpoint's, and nothing lies past it. Fails at the first bad index,
/// naming it.
pub fn verify(
    dir: &Path,
    vkey: &str,
    origin: &str,
    decode: bool,
    mut progress: impl FnMut(u64),
) -> Result<Verified> {
    let bad = |i: u64, what: &str| LedgerError::Corrupt(format!("entry {i}: {what}"));
    let bytes = std::fs::read(dir.join("checkpoint")).map_err(io("cannot read the checkpoint"))?;
    let cp = open_checkpoint(&bytes, vkey, origin)?;
    let size = cp.size();
    let files = open_files(dir)?;
    let entries = std::fs::read(dir.join("entries")).map_err(io("cannot read entries"))?;
    let hashes_len = files
        .hashes
        .metadata()
        .map_err(io("cannot stat hashes"))?
        .len();
    let bundles_len = files
        .bundles
        .metadata()
        .map_err(io("cannot stat bundles"))?
        .len();
    if hashes_len != stored_hash_count(size) * HASH_SIZE as u64 {
        return Err(LedgerError::Corrupt(format!(
            "hashes holds {hashes_len} bytes; a tree of {size} needs {}",
            stored_hash_count(size) * HASH_SIZE as u64
        )));
    }
    if bundles_len != size.div_ceil(TILE) * 8 {
        return Err(LedgerError::Corrupt(format!(
            "bundles holds {bundles_len} bytes; {size} entries need {}",
            size.div_ceil(TILE) * 8
        )));
    }
    let reader = Reader {
        file: &files.hashes,
        pending: (u64::MAX, &[]),
    };
    let purged = match std::fs::read(dir.join("purged")) {
        Ok(p) => p,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(io("cannot read purged")(e)),
    };
    if purged.len() as u64 > size.div_ceil(8)
        || purged.iter().enumerate().any(|(k, &b)| {
            // No mark past the last entry.
            (0..8).any(|bit| b & (1 << bit) != 0 && (k as u64) * 8 + bit >= size)
        })
    {
        return Err(LedgerError::Corrupt(
            "purged marks past the last entry".into(),
        ));
    }
    let mut at = 0usize;
    for n in 0..size {
        if n.is_multiple_of(TILE) {
            let mut b = [0u8; 8];
            files
                .bundles
                .read_exact_at(&mut b, (n / TILE) * 8)
                .map_err(|_| bad(n, "no bundle start"))?;
            if u64::from_be_bytes(b) != at as u64 {
                return Err(bad(n, "its bundle does not start where the entries say"));
            }
        }
        let len = entries
            .get(at..at + 2)
            .map(|l| usize::from(u16::from_be_bytes([l[0], l[1]])))
            .ok_or_else(|| bad(n, "missing"))?;
        let data = entries
            .get(at + 2..at + 2 + len)
            .ok_or_else(|| bad(n, "cut short"))?;
        let is_purged = purged
            .get((n / 8) as usize)
            .is_some_and(|b| b & (1 << (n % 8)) != 0);
        let want = if is_purged {
            // Retention took the payload; the stored leaf hash stands for it.
            if data.iter().any(|&b| b != 0) {
                return Err(bad(n, "marked purged but its bytes are not"));
            }
            let leaf = reader
                .read_hashes(&[stored_hash_index(0, n)])
                .map_err(|e| bad(n, &format!("{e:?}")))?[0];
            tlog_tiles::stored_hashes_for_record_hash(n, leaf, &reader)
                .map_err(|e| bad(n, &format!("{e:?}")))?
        } else {
            if decode {
                Event::decode(data).map_err(|e| bad(n, &format!("does not decode: {e}")))?;
            }
            stored_hashes(n, data, &reader).map_err(|e| bad(n, &format!("{e:?}")))?
        };
        let first = stored_hash_count(n);
        let have = reader
            .read_hashes(&(first..first + want.len() as u64).collect::<Vec<_>>())
            .map_err(|e| bad(n, &format!("{e:?}")))?;
        if have != want {
            return Err(bad(n, "its stored hashes are not what its content gives"));
        }
        debug_assert!(is_purged || record_hash(data) == want[0]);
        at += 2 + len;
        if n.is_multiple_of(65_536) {
            progress(n);
        }
    }
    if at != entries.len() {
        return Err(LedgerError::Corrupt(format!(
            "{} bytes of entries past entry {size}",
            entries.len() - at
        )));
    }
    let root = tree_hash(size, &reader).map_err(|e| LedgerError::Corrupt(format!("{e:?}")))?;
    if &root != cp.hash() {
        return Err(LedgerError::Corrupt(
            "the tree's root is not the signed checkpoint's".into(),
        ));
    }
    progress(size);
    use base64::Engine;
    Ok(Verified {
        size,
        root: base64::engine::general_purpose::STANDARD.encode(root.0),
    })
}
