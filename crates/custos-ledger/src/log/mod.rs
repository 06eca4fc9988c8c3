//! One append-only, tamper-evident log in a directory.
//!
//! **Files**: `entries` holds every complete bundle of 256 entries (C2SP tlog-tiles: each entry
//! a 16-bit length and the event's canonical encoding), each stored as the byte 0xc5 and a zstd
//! frame of its fields in columns (`columns`, which gives the bundle's bytes back exactly), or,
//! if it holds anything but events (or was written before the columnar form), as a zstd frame
//! of its bytes as they are; `bundles` says where each frame lies (12 bytes a bundle); `upper`
//! holds the RFC 6962 tree's hashes from level 8 up (the hashes of whole tiles, and every hash above
//! them, in `tlog_tiles`' stored-hash layout over those); `tail-0` or `tail-1` holds the
//! entries of the incomplete bundle as they are (the two take turns: a new incomplete bundle
//! starts in the file the last checkpoint does not need); `checkpoint` is the C2SP checkpoint in a
//! signed note (Ed25519) that commits them; `purged` and `purged-leaves` are what retention
//! leaves (see [`Log::purge`]). `mid` holds each complete bundle's four hashes at level 6 (128
//! bytes a bundle): a proof recomputes only the 64 entries' subtree its entry is in, not the
//! whole tile. The other hashes below level 8 are not stored: they are recomputed from a
//! bundle's entries when a proof or a tile needs them, which keeps the tree at five eighths of a
//! byte an entry.
//!
//! **Durability**: a batch is written, the data files are synced, and only then is the new
//! checkpoint written to a temporary file, synced and renamed over the old one (and the
//! directory synced). A batch is acknowledged after that. Opening a log trims whatever lies
//! past its checkpoint: a batch that was not acknowledged.
//!
//! **Group commit**: concurrent [`Log::append`] calls queue their batches; whichever holds the
//! writer commits everything queued with one round of syncs.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::ops::Range;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use signed_note::{Note, StandardSigner, StandardVerifier, VerifierList};
/// A tree hash (SHA-256), as proofs hold them.
pub use tlog_tiles::Hash;
use tlog_tiles::{
    Checkpoint, HASH_SIZE, HashReader, Tile, node_hash, prove_record, prove_tree, record_hash,
    split_stored_hash_index, stored_hash_count, stored_hash_index, stored_hashes_for_record_hash,
    tree_hash,
};

use crate::event::Event;
use crate::index::{Index, SEGMENT_BUNDLES};

pub use crate::bundle::{join_bundle, split_bundle, unzstd};

mod purge;
mod recovery;
mod tree;
mod verify;
mod writer;

use recovery::*;
use tree::*;
pub use tree::{parse_tile_path, tile_path};
pub use verify::{Verified, open_checkpoint, verify};
use writer::*;

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

/// zstd level of stored bundles.
const LEVEL: i32 = 3;
/// Bytes of one `bundles` record: the frame's offset (8) and length (4).
const LOC: u64 = 12;
/// Bytes of one `purged-leaves` record: the entry's index (8) and its leaf hash (32).
const PURGED_RECORD: usize = 40;
/// The level of the hashes `mid` keeps, and how many a bundle has there.
const MID_LEVEL: u8 = 6;
const MID_PER_BUNDLE: u64 = TILE >> MID_LEVEL;
/// Bytes of a bundle's hashes in `mid`.
const MID_BYTES: u64 = MID_PER_BUNDLE * HASH_SIZE as u64;

/// What readers see: the committed size and the incomplete last bundle.
#[derive(Debug, Clone)]
pub(crate) struct State {
    pub size: u64,
    pub root: Hash,
    pub checkpoint: Vec<u8>,
    /// The entries of bundle `size / TILE` (fewer than 256), and their leaf hashes.
    pub tail: Arc<Vec<Vec<u8>>>,
    pub tail_hashes: Arc<Vec<Hash>>,
}

impl State {
    pub fn complete(&self) -> u64 {
        self.size / TILE
    }
}

/// The read side of a log, shared with its indexer.
#[derive(Debug)]
pub(crate) struct Store {
    dir: PathBuf,
    entries: File,
    bundles: File,
    upper: File,
    /// Each complete bundle's hashes at [`MID_LEVEL`].
    mid: File,
    /// Leaf hashes of purged entries, by index.
    purged: RwLock<HashMap<u64, Hash>>,
    state: RwLock<Arc<State>>,
}

impl Store {
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn state(&self) -> Arc<State> {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn locate(&self, k: u64) -> Result<(u64, u32)> {
        let mut b = [0u8; LOC as usize];
        self.bundles
            .read_exact_at(&mut b, k * LOC)
            .map_err(|_| LedgerError::Corrupt(format!("no record of bundle {k}")))?;
        Ok(split_loc(&b))
    }

    /// The bytes of complete bundle `k`, as C2SP serves them.
    pub fn read_bundle(&self, k: u64) -> Result<Vec<u8>> {
        let at = self.locate(k)?;
        match self.read_frame(k, at) {
            // A purge may have moved the bundle (written it anew and zeroed the old frame)
            // between finding where it lay and reading it: where it lies now is the answer.
            Err(e) => match self.locate(k)? {
                now if now != at => self.read_frame(k, now),
                _ => Err(e),
            },
            ok => ok,
        }
    }

    fn read_frame(&self, k: u64, (start, len): (u64, u32)) -> Result<Vec<u8>> {
        let mut frame = vec![0u8; len as usize];
        self.entries
            .read_exact_at(&mut frame, start)
            .map_err(|_| LedgerError::Corrupt(format!("bundle {k} is cut short")))?;
        crate::columns::unpack(&frame).map_err(|e| {
            LedgerError::Corrupt(format!(
                "entry {} (the first of bundle {k}): its bundle does not decompress: {e}",
                k * TILE
            ))
        })
    }

    /// The bytes of bundle `k` at `st`, complete or not.
    pub fn bundle_at(&self, st: &State, k: u64) -> Result<Vec<u8>> {
        if k < st.complete() {
            return self.read_bundle(k);
        }
        Ok(join_bundle(st.tail.iter().map(Vec::as_slice)))
    }

    fn leaf_of(&self, i: u64, data: &[u8]) -> Hash {
        if data.iter().all(|&b| b == 0)
            && let Some(h) = self
                .purged
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .get(&i)
        {
            return *h;
        }
        record_hash(data)
    }

    /// The leaf hashes of complete bundle `k`.
    fn leaf_hashes(&self, k: u64) -> Result<Vec<Hash>> {
        self.group_leaf_hashes(k, 0, TILE as usize)
    }

    /// The leaf hashes of `count` entries of complete bundle `k` from its `first`.
    fn group_leaf_hashes(&self, k: u64, first: usize, count: usize) -> Result<Vec<Hash>> {
        let data = self.read_bundle(k)?;
        Ok(self.group_leaf_hashes_in(k, &data, first, count))
    }

    /// [`Store::group_leaf_hashes`] of bundle `k` already read (`data`).
    fn group_leaf_hashes_in(&self, k: u64, data: &[u8], first: usize, count: usize) -> Vec<Hash> {
        split_bundle(data)
            .enumerate()
            .skip(first)
            .take(count)
            .map(|(j, leaf)| self.leaf_of(k * TILE + j as u64, leaf))
            .collect()
    }

    /// Complete bundle `k`'s hashes at [`MID_LEVEL`], from `mid`.
    fn mid_hashes(&self, k: u64) -> Result<Vec<Hash>> {
        let mut b = [0u8; MID_BYTES as usize];
        self.mid
            .read_exact_at(&mut b, k * MID_BYTES)
            .map_err(|_| LedgerError::Corrupt(format!("no level-6 hashes of bundle {k}")))?;
        Ok(b.chunks_exact(HASH_SIZE)
            .map(|c| {
                let mut h = [0u8; HASH_SIZE];
                h.copy_from_slice(c);
                Hash(h)
            })
            .collect())
    }
}

fn split_loc(b: &[u8; LOC as usize]) -> (u64, u32) {
    let mut s = [0u8; 8];
    s.copy_from_slice(&b[..8]);
    let mut l = [0u8; 4];
    l.copy_from_slice(&b[8..]);
    (u64::from_be_bytes(s), u32::from_be_bytes(l))
}

fn loc_bytes(start: u64, len: u32) -> [u8; LOC as usize] {
    let mut b = [0u8; LOC as usize];
    b[..8].copy_from_slice(&start.to_be_bytes());
    b[8..].copy_from_slice(&len.to_be_bytes());
    b
}

/// An open log.
pub struct Log {
    origin: String,
    signer: StandardSigner,
    verifier_key: String,
    store: Arc<Store>,
    writer: Mutex<Writer>,
    queue: Mutex<Queue>,
    index: Option<Arc<Index>>,
    /// Whether the last write failed (a full disk, say); cleared by the next that succeeds
    /// or by [`Log::writable`]'s probe.
    failing: std::sync::atomic::AtomicBool,
}

impl std::fmt::Debug for Log {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Log")
            .field("dir", &self.store.dir)
            .field("origin", &self.origin)
            .finish()
    }
}

impl Drop for Log {
    fn drop(&mut self) {
        if let Some(ix) = &self.index {
            ix.stop();
        }
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

fn open_rw(dir: &Path, name: &str) -> Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(dir.join(name))
        .map_err(io(format!("cannot open {name}")))
}

fn file_len(f: &File, what: &str) -> Result<u64> {
    Ok(f.metadata()
        .map_err(io(format!("cannot stat {what}")))?
        .len())
}

/// The files of the incomplete bundle: `tail-0` and `tail-1` take turns (a new incomplete
/// bundle starts in the file the last checkpoint does not need), each beginning with its
/// bundle's number (8 bytes).
fn tail_name(slot: u8) -> String {
    format!("tail-{slot}")
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

impl Log {
    /// Opens the log in `dir`, creating it if empty, and trims anything past its checkpoint.
    /// `skey` is its signing key (see [`generate_key`]); `origin` names the log in checkpoints.
    pub fn open(dir: &Path, origin: &str, skey: &str) -> Result<Log> {
        Self::open_with(dir, origin, skey, false)
    }

    /// The same, keeping the query index of [`crate::index`] when `indexed` (segments of
    /// [`SEGMENT_BUNDLES`] bundles).
    pub fn open_with(dir: &Path, origin: &str, skey: &str, indexed: bool) -> Result<Log> {
        Self::open_indexed(dir, origin, skey, indexed.then_some(SEGMENT_BUNDLES))
    }

    /// The same, with index segments of `segment_bundles` bundles (or no index).
    pub fn open_indexed(
        dir: &Path,
        origin: &str,
        skey: &str,
        segment_bundles: Option<u64>,
    ) -> Result<Log> {
        std::fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
        let signer = StandardSigner::new(skey).map_err(|e| LedgerError::Key(format!("{e:?}")))?;
        let verifier_key = verifier_key(skey)?;
        let cp_path = dir.join("checkpoint");
        let (size, root, checkpoint) = if cp_path.exists() {
            let bytes = std::fs::read(&cp_path).map_err(io("cannot read the checkpoint"))?;
            let cp = open_checkpoint(&bytes, &verifier_key, origin)?;
            (cp.size(), *cp.hash(), bytes)
        } else {
            (0, tlog_tiles::EMPTY_HASH, vec![])
        };
        let store = Store {
            dir: dir.to_owned(),
            entries: open_file(dir, "entries")?,
            bundles: open_file(dir, "bundles")?,
            upper: open_file(dir, "upper")?,
            mid: open_file(dir, "mid")?,
            purged: RwLock::new(read_purged_leaves(dir)?),
            state: RwLock::new(Arc::new(State {
                size,
                root,
                checkpoint,
                tail: Arc::default(),
                tail_hashes: Arc::default(),
            })),
        };
        let (entries_len, tail_file) = recover(&store, size, root)?;
        let mut compressor = zstd::bulk::Compressor::new(LEVEL).map_err(io("cannot start zstd"))?;
        compressor
            .include_checksum(true)
            .map_err(io("cannot set up zstd"))?;
        let store = Arc::new(store);
        let index = match segment_bundles {
            Some(sb) => Some(Index::open(store.clone(), sb)?),
            None => None,
        };
        Ok(Log {
            origin: origin.to_owned(),
            signer,
            verifier_key,
            writer: Mutex::new(Writer {
                entries: open_file(dir, "entries")?,
                bundles: open_file(dir, "bundles")?,
                upper: open_file(dir, "upper")?,
                mid: open_file(dir, "mid")?,
                tail_file,
                entries_len,
                compressor,
                done: HashMap::new(),
                broken: None,
            }),
            store,
            queue: Mutex::new(Queue {
                next: 0,
                pending: vec![],
            }),
            index,
            failing: std::sync::atomic::AtomicBool::new(false),
        })
    }

    fn lock_writer(&self) -> std::sync::MutexGuard<'_, Writer> {
        self.writer.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn store(&self) -> &Store {
        &self.store
    }

    pub(crate) fn index(&self) -> Option<&Index> {
        self.index.as_deref()
    }

    /// Waits until every complete index segment is built (benchmarks and tests; queries
    /// never wait: they read what is not indexed yet from the entries).
    pub fn wait_indexed(&self) -> Result<()> {
        match &self.index {
            Some(ix) => ix.wait(self.store.state().complete()),
            None => Ok(()),
        }
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
        self.store.state().size
    }

    /// The latest signed checkpoint (empty before the first event).
    pub fn checkpoint(&self) -> Vec<u8> {
        self.store.state().checkpoint.clone()
    }

    /// The size and the signed checkpoint of that size, read together (an append between two
    /// separate reads would pair a size with another's checkpoint).
    pub fn head(&self) -> (u64, Vec<u8>) {
        let s = self.store.state();
        (s.size, s.checkpoint.clone())
    }

    /// The root of the tree at the latest checkpoint.
    pub fn root(&self) -> Hash {
        self.store.state().root
    }
}

#[cfg(test)]
mod tests;
