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
use tlog_tiles::{
    Checkpoint, HASH_SIZE, Hash, HashReader, Tile, node_hash, prove_record, prove_tree,
    record_hash, split_stored_hash_index, stored_hash_count, stored_hash_index,
    stored_hashes_for_record_hash, tree_hash,
};

use crate::event::Event;
use crate::index::{Index, SEGMENT_BUNDLES};

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
        Ok(split_bundle(&data)
            .enumerate()
            .skip(first)
            .take(count)
            .map(|(j, leaf)| self.leaf_of(k * TILE + j as u64, leaf))
            .collect())
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

/// Decompresses one zstd frame, with one context per thread when the frame states its size
/// (every frame custos writes does).
pub(crate) fn unzstd(frame: &[u8]) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static DCTX: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
    }
    match zstd::zstd_safe::get_frame_content_size(frame) {
        // A bundle is at most 256 entries of 64 KiB.
        Ok(Some(n)) if n <= 32 << 20 => DCTX.with(|d| {
            let mut d = d.borrow_mut();
            if d.is_none() {
                *d = Some(zstd::bulk::Decompressor::new()?);
            }
            match d.as_mut() {
                Some(d) => d.decompress(frame, n as usize),
                None => zstd::decode_all(frame),
            }
        }),
        _ => zstd::decode_all(frame),
    }
}

/// A subtree's hashes, level by level (see [`tile_levels`]).
type Levels = Vec<Vec<Hash>>;

/// The levels of a tile's tree from its leaf hashes: level 0 the leaves, each next the
/// hashes of complete pairs of the one before (so an incomplete tile has only its complete
/// subtrees).
fn tile_levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
    let mut levels = vec![leaves];
    while levels.last().is_some_and(|l| l.len() > 1) {
        let next = levels
            .last()
            .map(|l| {
                l.chunks_exact(2)
                    .map(|p| node_hash(p[0], p[1]))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default();
        levels.push(next);
    }
    levels
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

/// A bundle's bytes from its entries.
pub fn join_bundle<'a>(leaves: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![];
    for l in leaves {
        out.extend_from_slice(&(l.len() as u16).to_be_bytes());
        out.extend_from_slice(l);
    }
    out
}

/// The root of a complete subtree from its levels (see [`tile_levels`]).
fn top(levels: &[Vec<Hash>]) -> Hash {
    levels
        .last()
        .and_then(|l| l.first())
        .copied()
        .unwrap_or(tlog_tiles::EMPTY_HASH)
}

/// The hashes from level 8 up, from `upper` and those of a batch not yet written.
struct Upper<'a> {
    file: &'a File,
    /// `(first stored index, hashes)` not yet on disk.
    pending: (u64, &'a [Hash]),
}

impl Upper<'_> {
    fn read(&self, i: u64) -> std::result::Result<Hash, tlog_tiles::Error> {
        let (base, pending) = self.pending;
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
    }
}

impl HashReader for Upper<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        indexes.iter().map(|&i| self.read(i)).collect()
    }
}

/// Every stored hash of the tree, as `tlog_tiles` numbers them: from level 8 up out of
/// `upper`; below, recomputed from the leaf hashes of the tile (a complete bundle's, read
/// once a call, or the incomplete one's).
struct Hashes<'a> {
    store: &'a Store,
    upper: Upper<'a>,
    complete: u64,
    tail_hashes: &'a [Hash],
    /// The levels of the subtrees read in this call (see [`tile_levels`]), by tile and group
    /// of [`MID_LEVEL`] (the incomplete tile: group `u64::MAX`, the whole of it).
    tiles: RefCell<HashMap<(u64, u64), Levels>>,
    /// Complete tiles' hashes at [`MID_LEVEL`] read in this call.
    mids: RefCell<HashMap<u64, Vec<Hash>>>,
}

impl<'a> Hashes<'a> {
    fn new(store: &'a Store, st: &'a State) -> Self {
        Hashes {
            store,
            upper: Upper {
                file: &store.upper,
                pending: (u64::MAX, &[]),
            },
            complete: st.complete(),
            tail_hashes: &st.tail_hashes,
            tiles: RefCell::default(),
            mids: RefCell::default(),
        }
    }

    /// A stored hash below level 8 of complete tile `tile`: at [`MID_LEVEL`] and above from
    /// `mid`, below it from the entries of its group.
    fn below(&self, level: u8, n: u64, tile: u64) -> std::result::Result<Hash, tlog_tiles::Error> {
        let gone = |_| tlog_tiles::Error::IndexesNotInTree;
        if level >= MID_LEVEL {
            let mut mids = self.mids.borrow_mut();
            let m = match mids.entry(tile) {
                std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::hash_map::Entry::Vacant(v) => {
                    v.insert(self.store.mid_hashes(tile).map_err(gone)?)
                }
            };
            // The mid-level hashes' own levels, up to the tile's root.
            let levels = tile_levels(m.clone());
            return levels
                .get(usize::from(level - MID_LEVEL))
                .and_then(|l| l.get((n - ((tile * TILE) >> level)) as usize))
                .copied()
                .ok_or(tlog_tiles::Error::IndexesNotInTree);
        }
        let leaf = (n << level) - tile * TILE;
        let group = leaf >> MID_LEVEL;
        let mut tiles = self.tiles.borrow_mut();
        let levels = match tiles.entry((tile, group)) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(v) => {
                let width = 1usize << MID_LEVEL;
                v.insert(tile_levels(
                    self.store
                        .group_leaf_hashes(tile, group as usize * width, width)
                        .map_err(gone)?,
                ))
            }
        };
        levels
            .get(usize::from(level))
            .and_then(|l| l.get(((leaf - (group << MID_LEVEL)) >> level) as usize))
            .copied()
            .ok_or(tlog_tiles::Error::IndexesNotInTree)
    }
}

impl HashReader for Hashes<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                let (level, n) = split_stored_hash_index(i);
                if level >= HEIGHT {
                    return self.upper.read(stored_hash_index(level - HEIGHT, n));
                }
                let tile = (n << level) / TILE;
                if tile > self.complete {
                    return Err(tlog_tiles::Error::IndexesNotInTree);
                }
                if tile < self.complete {
                    return self.below(level, n, tile);
                }
                let mut tiles = self.tiles.borrow_mut();
                let levels = tiles
                    .entry((tile, u64::MAX))
                    .or_insert_with(|| tile_levels(self.tail_hashes.to_vec()));
                levels
                    .get(usize::from(level))
                    .and_then(|l| l.get((n - ((tile * TILE) >> level)) as usize))
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// The open tail file: its bundle, its slot (0 or 1) and the file.
type TailFile = (u64, u8, File);

/// Where the writer stands.
struct Writer {
    entries: File,
    bundles: File,
    upper: File,
    mid: File,
    /// The open `tail-<N>` file of the incomplete bundle.
    tail_file: Option<TailFile>,
    entries_len: u64,
    compressor: zstd::bulk::Compressor<'static>,
    /// Outcomes of batches committed by another caller, by ticket.
    done: HashMap<u64, std::result::Result<Range<u64>, String>>,
    /// Set when a failed batch could not be cut back off the files, with where they stood
    /// before it: nothing more is written until a later attempt cuts it off to there (see
    /// [`Log::commit`]).
    broken: Option<(String, Before)>,
}

/// Where the files stood before a batch: what a failed batch is cut back to.
#[derive(Clone)]
struct Before {
    entries: u64,
    complete: u64,
    /// The incomplete bundle's file `(bundle, slot)`, and its length.
    tail: Option<(u64, u8)>,
    tail_len: u64,
}

struct Queue {
    next: u64,
    pending: Vec<(u64, Vec<Vec<u8>>)>,
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

/// The tail file that holds bundle `k`, `(slot, bytes)`; an error if both claim it.
fn find_tail(dir: &Path, k: u64) -> Result<Option<(u8, Vec<u8>)>> {
    let mut found = None;
    for slot in 0..2u8 {
        let data = match std::fs::read(dir.join(tail_name(slot))) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(format!("cannot read {}", tail_name(slot)))(e)),
        };
        if tail_body(&data, k).is_some() {
            if found.is_some() {
                return Err(LedgerError::Corrupt(format!(
                    "entry {}: both tail files claim its bundle",
                    k * TILE
                )));
            }
            found = Some((slot, data));
        }
    }
    Ok(found)
}

/// The entries' bytes of a tail file, if it holds bundle `k`.
fn tail_body(data: &[u8], k: u64) -> Option<&[u8]> {
    (data.get(..8)? == k.to_be_bytes()).then(|| &data[8..])
}

/// The first `n` entries of a tail file's bytes, and where they end.
fn tail_entries(data: &[u8], n: u64) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut at = 0usize;
    let mut out = vec![];
    for _ in 0..n {
        let len = usize::from(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]));
        out.push(data.get(at + 2..at + 2 + len)?.to_vec());
        at += 2 + len;
    }
    Some((out, at))
}

/// The `purged-leaves` records (a torn last record is ignored).
fn read_purged_leaves(dir: &Path) -> Result<HashMap<u64, Hash>> {
    let data = match std::fs::read(dir.join("purged-leaves")) {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => vec![],
        Err(e) => return Err(io("cannot read purged-leaves")(e)),
    };
    let mut m = HashMap::new();
    for r in data.chunks_exact(PURGED_RECORD) {
        let mut i = [0u8; 8];
        i.copy_from_slice(&r[..8]);
        let mut h = [0u8; HASH_SIZE];
        h.copy_from_slice(&r[8..]);
        m.insert(u64::from_be_bytes(i), Hash(h));
    }
    Ok(m)
}

/// Every bundle record, `(offset, length)`, of the first `complete` bundles.
fn read_locs(bundles: &File, complete: u64) -> Result<Vec<(u64, u32)>> {
    let mut raw = vec![0u8; (complete * LOC) as usize];
    bundles
        .read_exact_at(&mut raw, 0)
        .map_err(|_| LedgerError::Corrupt("bundles is cut short".into()))?;
    Ok(raw
        .chunks_exact(LOC as usize)
        .map(|c| split_loc(c.try_into().unwrap_or(&[0; LOC as usize])))
        .collect())
}

/// The byte ranges of `entries` no bundle holds (left by retention), and the end of the last
/// frame; an error if two frames overlap.
fn gaps(locs: &[(u64, u32)]) -> Result<(Vec<Range<u64>>, u64)> {
    let mut v: Vec<(u64, u64, usize)> = locs
        .iter()
        .enumerate()
        .map(|(k, &(s, l))| (s, s + u64::from(l), k))
        .collect();
    v.sort_unstable();
    let mut at = 0u64;
    let mut out = vec![];
    for (s, e, k) in v {
        if s < at {
            return Err(LedgerError::Corrupt(format!(
                "entry {} (the first of bundle {k}): its frame overlaps another",
                k as u64 * TILE
            )));
        }
        if s > at {
            out.push(at..s);
        }
        at = e;
    }
    Ok((out, at))
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

    /// The root of the tree at the latest checkpoint.
    pub fn root(&self) -> Hash {
        self.store.state().root
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

    /// Whether the log can take a batch now. After a write failed (a full disk, say), a
    /// probe of a megabyte is written and synced in the log's directory, and removed: the
    /// answer is whether that worked. Readiness checks ask this.
    pub fn writable(&self) -> Result<()> {
        use std::sync::atomic::Ordering;
        if let Some((b, _)) = &self.lock_writer().broken {
            return Err(LedgerError::Corrupt(b.clone()));
        }
        if !self.failing.load(Ordering::Relaxed) {
            return Ok(());
        }
        let path = self.store.dir.join("probe");
        let probe = File::create(&path)
            .and_then(|mut f| {
                f.write_all(&vec![0u8; 1 << 20])?;
                f.sync_all()
            })
            .map_err(io("the ledger cannot write (its last write failed)"));
        let _ = std::fs::remove_file(&path);
        probe?;
        self.failing.store(false, Ordering::Relaxed);
        Ok(())
    }

    /// Writes leaves, syncs, signs and installs the new checkpoint. A batch that fails on the
    /// way (a full disk, an I/O error) is cut back off every file, so that the files are as
    /// the last checkpoint left them and the next batch starts where that one ends; if even
    /// that fails, nothing more is written until a later batch manages it.
    fn commit(&self, w: &mut Writer, leaves: Vec<Vec<u8>>) -> Result<Range<u64>> {
        use std::sync::atomic::Ordering;
        // A batch that failed and could not be cut back is cut back first, to where the files
        // stood before it (not to where they stand now, which is what failed).
        if let Some((_, b)) = w.broken.clone() {
            match self.roll_back(w, &b) {
                Ok(()) => w.broken = None,
                Err(e) => {
                    self.failing.store(true, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
        let st = self.store.state();
        let before = Before {
            entries: w.entries_len,
            complete: st.complete(),
            tail: w.tail_file.as_ref().map(|(k, s, _)| (*k, *s)),
            tail_len: 8 + st.tail.iter().map(|l| 2 + l.len() as u64).sum::<u64>(),
        };
        match self.write_batch(w, st, leaves) {
            Ok((range, fully_synced)) => {
                self.failing.store(!fully_synced, Ordering::Relaxed);
                Ok(range)
            }
            Err(e) => {
                self.failing.store(true, Ordering::Relaxed);
                if let Err(re) = self.roll_back(w, &before) {
                    w.broken = Some((
                        format!("a failed batch ({e}) could not be cut back off the files: {re}"),
                        before,
                    ));
                }
                Err(e)
            }
        }
    }

    /// Cuts every file back to where it stood before a batch that failed.
    fn roll_back(&self, w: &mut Writer, b: &Before) -> Result<()> {
        let cut = |f: &File, len: u64, what: &str| -> Result<()> {
            if file_len(f, what)? != len {
                f.set_len(len)
                    .and_then(|()| f.sync_all())
                    .map_err(io(format!("cannot cut {what} back")))?;
            }
            Ok(())
        };
        cut(&w.entries, b.entries, "entries")?;
        cut(&w.bundles, b.complete * LOC, "bundles")?;
        cut(
            &w.upper,
            stored_hash_count(b.complete) * HASH_SIZE as u64,
            "upper",
        )?;
        cut(&w.mid, b.complete * MID_BYTES, "mid")?;
        w.entries_len = b.entries;
        let now = w.tail_file.as_ref().map(|(k, s, _)| (*k, *s));
        if now != b.tail {
            // The file of the incomplete bundle before the batch, opened before anything is
            // given up; then the one the batch started, which no checkpoint needs, emptied.
            let prev = match b.tail {
                Some((k, s)) => Some((k, s, open_file(&self.store.dir, &tail_name(s))?)),
                None => None,
            };
            if let Some((_, s, f)) = &w.tail_file
                && b.tail.is_none_or(|(_, bs)| bs != *s)
            {
                cut(f, 0, &tail_name(*s))?;
            }
            w.tail_file = prev;
        }
        if let Some((_, s, f)) = &w.tail_file {
            cut(f, b.tail_len, &tail_name(*s))?;
        }
        Ok(())
    }

    /// [`Log::commit`]'s writing; also says whether the directory was synced after the
    /// checkpoint was renamed into place (the batch is committed either way).
    fn write_batch(
        &self,
        w: &mut Writer,
        st: Arc<State>,
        leaves: Vec<Vec<u8>>,
    ) -> Result<(Range<u64>, bool)> {
        let start = st.size;
        if leaves.is_empty() {
            return Ok((start..start, true));
        }
        let prev_tail = w.tail_file.as_ref().map(|(k, s, _)| (*k, *s));
        if !st.tail.is_empty() && prev_tail.is_none_or(|(k, _)| k != st.complete()) {
            return Err(LedgerError::Corrupt(
                "the incomplete bundle's file is not open; reopen the ledger".into(),
            ));
        }
        let first_bundle = st.complete();
        let mut tail: Vec<Vec<u8>> = st.tail.as_ref().clone();
        let mut tail_hashes: Vec<Hash> = st.tail_hashes.as_ref().clone();
        let upper_base = stored_hash_count(first_bundle);
        let mut upper: Vec<Hash> = vec![];
        let mut mid: Vec<u8> = vec![];
        let mut frames = vec![];
        let mut locs = vec![];
        let mut offset = w.entries_len;
        let mut k = first_bundle;
        // The entries new to the incomplete bundle's file.
        let mut tail_new = 0usize;
        for leaf in leaves {
            tail_hashes.push(record_hash(&leaf));
            tail.push(leaf);
            tail_new += 1;
            if tail.len() as u64 == TILE {
                let levels = tile_levels(tail_hashes.clone());
                mid.extend(levels[usize::from(MID_LEVEL)].iter().flat_map(|h| h.0));
                let tile = top(&levels);
                let hs = stored_hashes_for_record_hash(
                    k,
                    tile,
                    &Upper {
                        file: &w.upper,
                        pending: (upper_base, &upper),
                    },
                )
                .map_err(|e| LedgerError::Corrupt(format!("hashing bundle {k}: {e:?}")))?;
                upper.extend(hs);
                let raw = join_bundle(tail.iter().map(Vec::as_slice));
                let frame = crate::columns::pack(&mut w.compressor, &raw)
                    .map_err(io("cannot compress a bundle"))?;
                locs.extend_from_slice(&loc_bytes(offset, frame.len() as u32));
                offset += frame.len() as u64;
                frames.extend_from_slice(&frame);
                tail.clear();
                tail_hashes.clear();
                tail_new = 0;
                k += 1;
            }
        }
        let n = k * TILE + tail.len() as u64;
        if !frames.is_empty() {
            let upper_bytes: Vec<u8> = upper.iter().flat_map(|h| h.0).collect();
            for (f, data, what) in [
                (&w.entries, &frames, "entries"),
                (&w.bundles, &locs, "bundles"),
                (&w.upper, &upper_bytes, "upper"),
                (&w.mid, &mid, "mid"),
            ] {
                let mut f = f;
                f.write_all(data)
                    .map_err(io(format!("cannot write {what}")))?;
                f.sync_data().map_err(io(format!("cannot sync {what}")))?;
            }
        }
        if !tail.is_empty() {
            if w.tail_file.as_ref().is_none_or(|(tk, _, _)| *tk != k) {
                // The other file than the one the last checkpoint may need.
                let slot = w.tail_file.as_ref().map_or(0, |(_, s, _)| 1 - s);
                let name = tail_name(slot);
                let new_file = !self.store.dir.join(&name).exists();
                let mut f = open_file(&self.store.dir, &name)?;
                // Set as the writer's before anything is written to it, so that a failure
                // from here on is cut back from this file (and the previous one reopened).
                w.tail_file = Some((k, slot, f.try_clone().map_err(io("cannot open a tail"))?));
                f.set_len(0)
                    .and_then(|()| f.write_all(&k.to_be_bytes()))
                    .map_err(io("cannot start a tail"))?;
                if new_file {
                    sync_dir(&self.store.dir)?;
                }
            }
            if let Some((_, _, f)) = &w.tail_file {
                let mut f = f;
                let new = &tail[tail.len() - tail_new..];
                f.write_all(&join_bundle(new.iter().map(Vec::as_slice)))
                    .map_err(io("cannot write the tail"))?;
                f.sync_data().map_err(io("cannot sync the tail"))?;
            }
        }
        let root = tree_hash(
            n,
            &Hashes {
                store: &self.store,
                upper: Upper {
                    file: &w.upper,
                    pending: (u64::MAX, &[]),
                },
                complete: k,
                tail_hashes: &tail_hashes,
                tiles: RefCell::default(),
                mids: RefCell::default(),
            },
        )
        .map_err(|e| LedgerError::Corrupt(format!("the tree: {e:?}")))?;
        let cp = self.sign(n, root)?;
        let tmp = self.store.dir.join("checkpoint.tmp");
        let mut f = File::create(&tmp).map_err(io("cannot write the checkpoint"))?;
        f.write_all(&cp)
            .map_err(io("cannot write the checkpoint"))?;
        f.sync_all().map_err(io("cannot sync the checkpoint"))?;
        std::fs::rename(&tmp, self.store.dir.join("checkpoint"))
            .map_err(io("cannot install the checkpoint"))?;
        // The batch is committed: the checkpoint in place needs what was written. A failed
        // sync of the directory is not cut back (a crash could at worst bring the previous
        // checkpoint back, and opening trims to it), but it is reported as a failing write.
        let synced = sync_dir(&self.store.dir).is_ok();
        w.entries_len = offset;
        // The file of the bundle that was incomplete before this batch, if the batch
        // completed it: the checkpoint no longer needs it, and it is emptied so that no
        // uncovered copy of a complete bundle's entries outlives this batch (a purge would
        // not reach it). Not synced: a crash that brought it back would find it trimmed when
        // the log is opened, and a sync here would cost every such batch another flush.
        // Unless the directory could not be synced: a crash could then bring back the previous
        // checkpoint, which needs that file.
        if synced {
            if tail.is_empty() {
                if let Some((_, _, f)) = w.tail_file.take() {
                    let _ = f.set_len(0);
                }
            } else if let Some((_, prev_slot)) = prev_tail
                && w.tail_file
                    .as_ref()
                    .is_some_and(|(_, s, _)| *s != prev_slot)
                && let Ok(f) = open_rw(&self.store.dir, &tail_name(prev_slot))
            {
                let _ = f.set_len(0);
            }
        }
        *self.store.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(State {
            size: n,
            root,
            checkpoint: cp,
            tail: Arc::new(tail),
            tail_hashes: Arc::new(tail_hashes),
        });
        if let Some(ix) = &self.index {
            ix.notify(k);
        }
        Ok((start..n, synced))
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
        let st = self.store.state();
        self.committed(&format!("entry {i}"), i + 1, st.size)?;
        let h = Hashes::new(&self.store, &st)
            .read_hashes(&[stored_hash_index(0, i)])
            .map_err(|e| LedgerError::Corrupt(format!("{e:?}")))?;
        Ok(h[0])
    }

    /// The encoded entry `i` (all zeros once purged: see [`Log::purge`]).
    pub fn entry(&self, i: u64) -> Result<Vec<u8>> {
        let st = self.store.state();
        self.committed(&format!("entry {i}"), i + 1, st.size)?;
        let bundle = self.store.bundle_at(&st, i / TILE)?;
        split_bundle(&bundle)
            .nth((i % TILE) as usize)
            .map(<[u8]>::to_vec)
            .ok_or_else(|| LedgerError::Corrupt(format!("entry {i} is missing")))
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
        let st = self.store.state();
        self.committed(&format!("bundle {n}"), first + width, st.size)?;
        let data = self.store.bundle_at(&st, n)?;
        let end: usize = split_bundle(&data)
            .take(width as usize)
            .map(|l| l.len() + 2)
            .sum();
        Ok(data[..end].to_vec())
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
        let st = self.store.state();
        self.committed(&format!("tile {level}/{n}"), needed, st.size)?;
        Tile::new(HEIGHT, level, n, width as u32, false)
            .read_data(&Hashes::new(&self.store, &st))
            .map_err(|e| LedgerError::Corrupt(format!("tile {level}/{n}: {e:?}")))
    }

    /// The inclusion proof of entry `i` in the tree of `size` entries.
    pub fn inclusion_proof(&self, i: u64, size: u64) -> Result<Vec<Hash>> {
        let st = self.store.state();
        self.committed("the tree", size, st.size)?;
        if i >= size {
            return Err(LedgerError::Invalid(format!(
                "entry {i} is not in a tree of {size}"
            )));
        }
        prove_record(size, i, &Hashes::new(&self.store, &st))
            .map_err(|e| LedgerError::Corrupt(format!("{e:?}")))
    }

    /// The consistency proof from the tree of `old` entries to the tree of `new`.
    pub fn consistency_proof(&self, old: u64, new: u64) -> Result<Vec<Hash>> {
        let st = self.store.state();
        self.committed("the tree", new, st.size)?;
        if old > new {
            return Err(LedgerError::Invalid(
                "the older tree must be the smaller".into(),
            ));
        }
        prove_tree(new, old, &Hashes::new(&self.store, &st))
            .map_err(|e| LedgerError::Corrupt(format!("{e:?}")))
    }

    /// The root of the tree of the first `size` entries.
    pub fn root_at(&self, size: u64) -> Result<Hash> {
        let st = self.store.state();
        self.committed("the tree", size, st.size)?;
        tree_hash(size, &Hashes::new(&self.store, &st))
            .map_err(|e| LedgerError::Corrupt(format!("{e:?}")))
    }

    /// Whether entry `i`'s payload was purged.
    pub fn is_purged(&self, i: u64) -> bool {
        purged_bit(&self.store.dir, i)
    }

    /// Purges the payload of entries whose retention ended: their bytes become zeros and they
    /// are marked in `purged`, their leaf hashes kept in `purged-leaves`, so the tree, its
    /// checkpoints and every proof still verify. Returns how many were newly purged. The only
    /// write that is not an append: a complete bundle is written anew at the end of
    /// `entries`, its record in `bundles` pointed at it, and only then is the old frame zeroed
    /// (opening the log finishes that last step if it was cut short). The index segments that
    /// held the entries are rebuilt without them.
    pub fn purge(&self, indexes: &[u64]) -> Result<u64> {
        let mut w = self.lock_writer();
        if let Some((m, _)) = &w.broken {
            return Err(LedgerError::Corrupt(format!(
                "{m}; the next append cuts it back, then purges can run"
            )));
        }
        let _building = self.index.as_ref().map(|ix| ix.hold());
        let st = self.store.state();
        let dir = &self.store.dir;
        let mut by_bundle: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for &i in indexes {
            if i >= st.size {
                return Err(LedgerError::Invalid(format!(
                    "entry {i} is beyond the tree of {} entries",
                    st.size
                )));
            }
            by_bundle.entry(i / TILE).or_default().push(i);
        }
        let purged_bits = open_rw(dir, "purged")?;
        let need = st.size.div_ceil(8);
        if file_len(&purged_bits, "purged")? < need {
            purged_bits
                .set_len(need)
                .map_err(io("cannot grow purged"))?;
        }
        let mut leaves_file = open_file(dir, "purged-leaves")?;
        let mut newly = 0;
        let mut touched = std::collections::BTreeSet::new();
        let mut new_tail = None;
        for (k, is) in by_bundle {
            let mut entries: Vec<Vec<u8>> = split_bundle(&self.store.bundle_at(&st, k)?)
                .map(<[u8]>::to_vec)
                .collect();
            // The entries whose payloads are still there, and their leaf hashes.
            let mut victims: Vec<(u64, Hash)> = vec![];
            for i in is {
                let e = entries
                    .get_mut((i % TILE) as usize)
                    .ok_or_else(|| LedgerError::Corrupt(format!("entry {i} is missing")))?;
                if e.iter().all(|&b| b == 0) {
                    continue;
                }
                victims.push((i, record_hash(e)));
                e.iter_mut().for_each(|b| *b = 0);
            }
            if victims.is_empty() {
                continue;
            }
            // 1. The leaf hashes, so that the tree stands without the payloads (but those a
            // purge cut short already kept).
            let mut records = vec![];
            let mut added = vec![];
            {
                let mut m = self.store.purged.write().unwrap_or_else(|p| p.into_inner());
                for &(i, h) in &victims {
                    if m.insert(i, h).is_none() {
                        records.extend_from_slice(&i.to_be_bytes());
                        records.extend_from_slice(&h.0);
                        added.push(i);
                    }
                }
            }
            let leaves_len = file_len(&leaves_file, "purged-leaves")?;
            if let Err(e) = leaves_file
                .write_all(&records)
                .and_then(|()| leaves_file.sync_data())
            {
                // Neither a torn record on disk nor hashes only in memory: the next purge
                // writes them again.
                let mut m = self.store.purged.write().unwrap_or_else(|p| p.into_inner());
                for i in added {
                    m.remove(&i);
                }
                self.failing
                    .store(true, std::sync::atomic::Ordering::Relaxed);
                let _ = leaves_file
                    .set_len(leaves_len)
                    .and_then(|()| leaves_file.sync_all());
                return Err(io("cannot write purged-leaves")(e));
            }
            // 2. The marks.
            for &(i, _) in &victims {
                let mut byte = [0u8; 1];
                purged_bits
                    .read_exact_at(&mut byte, i / 8)
                    .map_err(io("cannot read purged"))?;
                if byte[0] & (1 << (i % 8)) != 0 {
                    continue;
                }
                byte[0] |= 1 << (i % 8);
                purged_bits
                    .write_all_at(&byte, i / 8)
                    .map_err(io("cannot mark an entry purged"))?;
                newly += 1;
            }
            purged_bits.sync_data().map_err(io("cannot sync purged"))?;
            // 3. The payloads.
            if k < st.complete() {
                let raw = join_bundle(entries.iter().map(Vec::as_slice));
                let frame = crate::columns::pack(&mut w.compressor, &raw)
                    .map_err(io("cannot compress a bundle"))?;
                let (old_start, old_len) = self.store.locate(k)?;
                let start = w.entries_len;
                if let Err(e) = (&w.entries)
                    .write_all(&frame)
                    .and_then(|()| w.entries.sync_data())
                {
                    // Cut back what was written of the frame, so that the next batch starts
                    // where the last frame ends.
                    self.failing
                        .store(true, std::sync::atomic::Ordering::Relaxed);
                    if let Err(re) = w.entries.set_len(start).and_then(|()| w.entries.sync_all()) {
                        let before = Before {
                            entries: start,
                            complete: st.complete(),
                            tail: w.tail_file.as_ref().map(|(k, s, _)| (*k, *s)),
                            tail_len: 8 + st.tail.iter().map(|l| 2 + l.len() as u64).sum::<u64>(),
                        };
                        w.broken = Some((
                            format!("a failed purge could not be cut back off entries: {re}"),
                            before,
                        ));
                    }
                    return Err(io("cannot write entries")(e));
                }
                w.entries_len += frame.len() as u64;
                let rw = open_rw(dir, "bundles")?;
                rw.write_all_at(&loc_bytes(start, frame.len() as u32), k * LOC)
                    .and_then(|()| rw.sync_data())
                    .map_err(io("cannot write bundles"))?;
                let rw = open_rw(dir, "entries")?;
                rw.write_all_at(&vec![0u8; old_len as usize], old_start)
                    .and_then(|()| rw.sync_data())
                    .map_err(io("cannot zero a purged bundle"))?;
                touched.insert(k);
            } else {
                // The incomplete bundle's file, in place.
                let slot = w.tail_file.as_ref().map(|t| t.1).ok_or_else(|| {
                    LedgerError::Corrupt(format!("no tail file holds bundle {k}"))
                })?;
                let rw = open_rw(dir, &tail_name(slot))?;
                rw.write_all_at(&join_bundle(entries.iter().map(Vec::as_slice)), 8)
                    .and_then(|()| rw.sync_data())
                    .map_err(io("cannot purge the tail"))?;
                new_tail = Some(entries);
            }
        }
        if let Some(tail) = new_tail {
            let mut s = self.store.state.write().unwrap_or_else(|p| p.into_inner());
            let mut next = s.as_ref().clone();
            next.tail = Arc::new(tail);
            *s = Arc::new(next);
        }
        if let Some(ix) = &self.index {
            ix.rebuild(&touched)?;
        }
        drop(w);
        Ok(newly)
    }
}

fn purged_bit(dir: &Path, i: u64) -> bool {
    let Ok(f) = File::open(dir.join("purged")) else {
        return false;
    };
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, i / 8).is_ok() && b[0] & (1 << (i % 8)) != 0
}

/// Cuts every file to what the checkpoint of `size` commits, zeroes what an interrupted
/// purge left, reads the incomplete bundle, and checks the tree's root. Returns the end of
/// `entries` and the open tail file.
fn recover(store: &Store, size: u64, root: Hash) -> Result<(u64, Option<TailFile>)> {
    let dir = &store.dir;
    let complete = size / TILE;
    let trim = |f: &File, len: u64, what: &str| -> Result<()> {
        let have = file_len(f, what)?;
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
    trim(&store.bundles, complete * LOC, "bundles")?;
    trim(
        &store.upper,
        stored_hash_count(complete) * HASH_SIZE as u64,
        "upper",
    )?;
    // `mid` is derived from the bundles: past the checkpoint it is trimmed; a log written
    // before it existed gets it now.
    let mid_have = file_len(&store.mid, "mid")?;
    if mid_have > complete * MID_BYTES {
        trim(&store.mid, complete * MID_BYTES, "mid")?;
    } else if mid_have < complete * MID_BYTES {
        let first = mid_have / MID_BYTES;
        let mut at = first;
        store
            .mid
            .set_len(at * MID_BYTES)
            .map_err(io("cannot trim mid"))?;
        let mut buf = vec![];
        for k in first..complete {
            let levels = tile_levels(store.leaf_hashes(k)?);
            buf.extend(levels[usize::from(MID_LEVEL)].iter().flat_map(|h| h.0));
            if buf.len() >= 1 << 20 || k + 1 == complete {
                store
                    .mid
                    .write_all_at(&buf, at * MID_BYTES)
                    .map_err(io("cannot write mid"))?;
                at = k + 1;
                buf.clear();
            }
        }
        store.mid.sync_all().map_err(io("cannot sync mid"))?;
    }
    let locs = read_locs(&store.bundles, complete)?;
    let (holes, end) = gaps(&locs)?;
    trim(&store.entries, end, "entries")?;
    if !holes.is_empty() {
        let rw = open_rw(dir, "entries")?;
        for h in holes {
            let mut b = vec![0u8; (h.end - h.start) as usize];
            rw.read_exact_at(&mut b, h.start)
                .map_err(io("cannot read entries"))?;
            if b.iter().any(|&x| x != 0) {
                b.fill(0);
                rw.write_all_at(&b, h.start)
                    .and_then(|()| rw.sync_data())
                    .map_err(io("cannot zero a purged bundle"))?;
            }
        }
    }
    // A purge cut short while appending leaves a torn record: cut it, so that the next
    // record starts where records do.
    let leaves_path = dir.join("purged-leaves");
    if leaves_path.exists() {
        let f = open_file(dir, "purged-leaves")?;
        let len = file_len(&f, "purged-leaves")?;
        trim(&f, len - len % PURGED_RECORD as u64, "purged-leaves")?;
    }
    let want = size % TILE;
    let mut tail = vec![];
    let mut tail_file = None;
    let found = if want > 0 {
        find_tail(dir, complete)?
    } else {
        None
    };
    if let Some((slot, data)) = &found {
        let name = tail_name(*slot);
        let (leaves, end) = tail_body(data, complete)
            .and_then(|body| tail_entries(body, want))
            .ok_or_else(|| {
                LedgerError::Corrupt(format!(
                    "{name} holds fewer than the {want} entries the checkpoint needs"
                ))
            })?;
        let f = open_file(dir, &name)?;
        trim(&f, 8 + end as u64, &name)?;
        tail = leaves;
        tail_file = Some((complete, *slot, f));
    }
    // The other file holds nothing the checkpoint needs: emptied, so that no stale bundle
    // number is ever read again.
    for slot in 0..2u8 {
        let path = dir.join(tail_name(slot));
        if found.as_ref().is_none_or(|(s, _)| *s != slot) && path.exists() {
            let f = open_file(dir, &tail_name(slot))?;
            trim(&f, 0, &tail_name(slot))?;
        }
    }
    if tail.len() as u64 != want {
        return Err(LedgerError::Corrupt(format!(
            "no tail file holds the {want} entries of bundle {complete} the checkpoint needs"
        )));
    }
    let tail_hashes: Vec<Hash> = tail
        .iter()
        .enumerate()
        .map(|(j, l)| store.leaf_of(complete * TILE + j as u64, l))
        .collect();
    let st = State {
        size,
        root,
        checkpoint: store.state().checkpoint.clone(),
        tail: Arc::new(tail),
        tail_hashes: Arc::new(tail_hashes),
    };
    if size > 0 {
        let got = tree_hash(size, &Hashes::new(store, &st))
            .map_err(|e| LedgerError::Corrupt(format!("the tree: {e:?}")))?;
        if got != root {
            return Err(LedgerError::Corrupt(
                "the stored tree does not have the checkpoint's root".into(),
            ));
        }
    }
    *store.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(st);
    Ok((end, tail_file))
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
    /// Index segments rebuilt from the entries and found identical.
    pub index_segments: u64,
}

/// Recomputes everything from the stored data: every bundle decompresses and is stored as
/// custos stores it, every entry decodes canonically (when `decode` is set), every stored
/// hash is what the entries give, purged entries are zeros with their leaf hashes kept, no
/// byte of `entries` lies outside a bundle but zeros, the root is the signed checkpoint's, and
/// every index segment is what the entries give. Fails at the first bad index, naming it (for
/// a bundle that does not decompress, or whose hashes are not the stored ones, its first).
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
    let complete = size / TILE;
    let opened = |name: &str| {
        File::open(dir.join(name)).map_err(io(format!("cannot open {}", dir.join(name).display())))
    };
    let store = Store {
        dir: dir.to_owned(),
        entries: opened("entries")?,
        bundles: opened("bundles")?,
        upper: opened("upper")?,
        mid: opened("mid")?,
        purged: RwLock::new(read_purged_leaves(dir)?),
        state: RwLock::new(Arc::new(State {
            size: 0,
            root: tlog_tiles::EMPTY_HASH,
            checkpoint: vec![],
            tail: Arc::default(),
            tail_hashes: Arc::default(),
        })),
    };
    let leaves_len = match std::fs::metadata(dir.join("purged-leaves")) {
        Ok(m) => m.len(),
        Err(_) => 0,
    };
    if leaves_len % PURGED_RECORD as u64 != 0 {
        return Err(LedgerError::Corrupt(
            "purged-leaves has a torn record".into(),
        ));
    }
    let purged_map = store
        .purged
        .read()
        .unwrap_or_else(|p| p.into_inner())
        .clone();
    if purged_map.len() as u64 != leaves_len / PURGED_RECORD as u64 {
        return Err(LedgerError::Corrupt(
            "purged-leaves holds an entry twice".into(),
        ));
    }
    let bundles_len = file_len(&store.bundles, "bundles")?;
    if bundles_len != complete * LOC {
        return Err(LedgerError::Corrupt(format!(
            "bundles holds {bundles_len} bytes; {size} entries need {}",
            complete * LOC
        )));
    }
    let upper_len = file_len(&store.upper, "upper")?;
    if upper_len != stored_hash_count(complete) * HASH_SIZE as u64 {
        return Err(LedgerError::Corrupt(format!(
            "upper holds {upper_len} bytes; a tree of {size} needs {}",
            stored_hash_count(complete) * HASH_SIZE as u64
        )));
    }
    let mid_len = file_len(&store.mid, "mid")?;
    if mid_len != complete * MID_BYTES {
        return Err(LedgerError::Corrupt(format!(
            "mid holds {mid_len} bytes; a tree of {size} needs {}",
            complete * MID_BYTES
        )));
    }
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
    let is_purged = |n: u64| {
        purged
            .get((n / 8) as usize)
            .is_some_and(|b| b & (1 << (n % 8)) != 0)
    };
    if let Some(&i) = purged_map.keys().filter(|&&i| i >= size).min() {
        return Err(bad(i, "a purged leaf hash past the last entry"));
    }
    // One entry: its leaf hash, after every check on it.
    let leaf = |n: u64, data: &[u8]| -> Result<Hash> {
        let kept = purged_map.get(&n);
        if is_purged(n) {
            let Some(&h) = kept else {
                return Err(bad(n, "marked purged but its leaf hash is not kept"));
            };
            if data.iter().any(|&b| b != 0) && record_hash(data) != h {
                return Err(bad(
                    n,
                    "marked purged but its bytes are neither zeros nor its own",
                ));
            }
            return Ok(h);
        }
        if decode {
            Event::decode(data).map_err(|e| bad(n, &format!("does not decode: {e}")))?;
        }
        let h = record_hash(data);
        if kept.is_some_and(|k| *k != h) {
            return Err(bad(n, "its kept leaf hash is not its own"));
        }
        Ok(h)
    };
    let locs = read_locs(&store.bundles, complete)?;
    let (holes, end) = gaps(&locs)?;
    let entries_len = file_len(&store.entries, "entries")?;
    if entries_len != end {
        return Err(LedgerError::Corrupt(format!(
            "entries holds {entries_len} bytes; its bundles end at {end}"
        )));
    }
    for h in holes {
        let mut b = vec![0u8; (h.end - h.start) as usize];
        store
            .entries
            .read_exact_at(&mut b, h.start)
            .map_err(io("cannot read entries"))?;
        if b.iter().any(|&x| x != 0) {
            return Err(LedgerError::Corrupt(format!(
                "bytes {}..{} of entries belong to no bundle and are not zeros",
                h.start, h.end
            )));
        }
    }
    let mut compressor = zstd::bulk::Compressor::new(LEVEL).map_err(io("cannot start zstd"))?;
    compressor
        .include_checksum(true)
        .map_err(io("cannot set up zstd"))?;
    let mut upper: Vec<Hash> = vec![];
    let reader = Upper {
        file: &store.upper,
        pending: (u64::MAX, &[]),
    };
    for k in 0..complete {
        let first = k * TILE;
        let (start, len) = locs[k as usize];
        let mut frame = vec![0u8; len as usize];
        store
            .entries
            .read_exact_at(&mut frame, start)
            .map_err(|_| bad(first, "its bundle is cut short"))?;
        let (raw, form) = crate::columns::unpack_form(&frame)
            .map_err(|e| bad(first, &format!("its bundle does not decompress: {e}")))?;
        // As custos stores it now, or as a version before did (in the first columnar form,
        // or a zstd frame of the bytes as they are): the same bytes again in the same form.
        let packed = crate::columns::pack_as(&mut compressor, &raw, form)
            .map_err(io("cannot compress a bundle"))?;
        if packed != frame {
            return Err(bad(first, "its bundle is not stored as custos stores it"));
        }
        let mut hashes = Vec::with_capacity(TILE as usize);
        let mut used = 0usize;
        for (j, data) in split_bundle(&raw).enumerate() {
            if j as u64 >= TILE {
                return Err(bad(first, "its bundle holds more than 256 entries"));
            }
            hashes.push(leaf(first + j as u64, data)?);
            used += 2 + data.len();
        }
        if hashes.len() as u64 != TILE || used != raw.len() {
            return Err(bad(
                first + hashes.len() as u64,
                "missing from its bundle, or cut short",
            ));
        }
        let levels = tile_levels(hashes);
        let mid = store
            .mid_hashes(k)
            .map_err(|e| bad(first, &e.to_string()))?;
        if levels[usize::from(MID_LEVEL)] != mid {
            return Err(bad(
                first,
                "its bundle's level-6 hashes are not the stored ones",
            ));
        }
        let want = stored_hashes_for_record_hash(
            k,
            top(&levels),
            &Upper {
                file: &store.upper,
                pending: (stored_hash_count(k), &upper),
            },
        )
        .map_err(|e| bad(first, &format!("{e:?}")))?;
        let at = stored_hash_count(k);
        let have = reader
            .read_hashes(&(at..at + want.len() as u64).collect::<Vec<_>>())
            .map_err(|e| bad(first, &format!("{e:?}")))?;
        if have != want {
            return Err(bad(first, "its bundle's hashes are not the stored ones"));
        }
        upper.clear();
        if first.is_multiple_of(65_536) {
            progress(first);
        }
    }
    // The incomplete bundle.
    let want = size % TILE;
    let mut tail_hashes = vec![];
    if want > 0 {
        let (slot, data) = find_tail(dir, complete)?
            .ok_or_else(|| bad(complete * TILE, "no tail file holds its bundle"))?;
        let name = tail_name(slot);
        let body = tail_body(&data, complete)
            .ok_or_else(|| bad(complete * TILE, &format!("{name} is not this bundle's")))?;
        let (leaves, end) = tail_entries(body, want)
            .ok_or_else(|| bad(complete * TILE, &format!("{name} is cut short")))?;
        if end != body.len() {
            return Err(bad(
                size,
                &format!("{name} holds bytes past the checkpoint"),
            ));
        }
        for (j, l) in leaves.iter().enumerate() {
            tail_hashes.push(leaf(complete * TILE + j as u64, l)?);
        }
    }
    // A tail file holds the incomplete bundle, or one a batch is writing now, or nothing:
    // never a copy of a complete bundle, which nothing would cover (and no purge reach).
    for slot in 0..2u8 {
        let data = match std::fs::read(dir.join(tail_name(slot))) {
            Ok(d) => d,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(format!("cannot read {}", tail_name(slot)))(e)),
        };
        let Some(head) = data.get(..8) else {
            if data.is_empty() {
                continue;
            }
            return Err(LedgerError::Corrupt(format!(
                "{} is cut short",
                tail_name(slot)
            )));
        };
        let k = u64::from_be_bytes(head.try_into().unwrap_or_default());
        // A server that completed the bundle since the checkpoint was read empties the
        // file next: only a checkpoint that still says so makes it an error.
        let still = std::fs::read(dir.join("checkpoint")).is_ok_and(|b| b == bytes);
        if k < complete && still {
            return Err(bad(
                k * TILE,
                &format!(
                    "{} keeps a copy of its bundle, which is complete; nothing covers it",
                    tail_name(slot)
                ),
            ));
        }
    }
    let st = State {
        size,
        root: tlog_tiles::EMPTY_HASH,
        checkpoint: vec![],
        tail: Arc::default(),
        tail_hashes: Arc::new(tail_hashes),
    };
    let root = tree_hash(size, &Hashes::new(&store, &st))
        .map_err(|e| LedgerError::Corrupt(format!("{e:?}")))?;
    if &root != cp.hash() {
        return Err(LedgerError::Corrupt(
            "the tree's root is not the signed checkpoint's".into(),
        ));
    }
    *store.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(State { size, root, ..st });
    let index_segments = crate::index::verify(&store)?;
    progress(size);
    use base64::Engine;
    Ok(Verified {
        size,
        root: base64::engine::general_purpose::STANDARD.encode(root.0),
        index_segments,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ORIGIN: &str = "custos.test/ledger/access";

    #[test]
    fn bundles_stored_by_earlier_versions_still_read_prove_and_verify() {
        // Before the columnar form a bundle was stored as a zstd frame of its bytes as they
        // are (level 3, with a checksum), and then in the first columnar form (times as plain
        // differences): logs holding such bundles read, prove and verify as they did.
        let mut comp = zstd::bulk::Compressor::new(LEVEL).unwrap();
        comp.include_checksum(true).unwrap();
        for form in [None, Some(crate::columns::FORM_DELTAS)] {
            let dir = tempfile::tempdir().unwrap();
            let logdir = dir.path().join("log");
            let (skey, vkey) = generate_key("custos.test");
            let log = Log::open(&logdir, ORIGIN, &skey).unwrap();
            log.append_encoded(crate::columns::tests::events(600))
                .unwrap();
            let (size, root) = (log.size(), log.root());
            let bundle = log.entry_bundle(1, TILE).unwrap();
            drop(log);
            let old = crate::columns::pack_as(&mut comp, &bundle, form).unwrap();
            // Bundle 1 moved to the end of `entries` in the old form, its frame as written now
            // zeroed, as a purge moves one.
            let mut entries = std::fs::read(logdir.join("entries")).unwrap();
            let mut locs = std::fs::read(logdir.join("bundles")).unwrap();
            let (start, len) = split_loc(locs[12..24].try_into().unwrap());
            let (start, len) = (start as usize, len as usize);
            assert_eq!(entries[start], 0xc5, "stored in columns");
            assert_ne!(entries[start..start + len], old[..]);
            entries[start..start + len].fill(0);
            locs[12..24].copy_from_slice(&loc_bytes(entries.len() as u64, old.len() as u32));
            entries.extend_from_slice(&old);
            std::fs::write(logdir.join("entries"), &entries).unwrap();
            std::fs::write(logdir.join("bundles"), &locs).unwrap();
            verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
            let log = Log::open(&logdir, ORIGIN, &skey).unwrap();
            assert_eq!(log.entry_bundle(1, TILE).unwrap(), bundle);
            for i in [256, 300, 511] {
                let proof = log.inclusion_proof(i, size).unwrap();
                tlog_tiles::check_record(&proof, size, root, i, log.leaf_hash(i).unwrap()).unwrap();
            }
            drop(log);
            // And a flip in it is found.
            let at = entries.len() - old.len() / 2;
            entries[at] ^= 0x10;
            std::fs::write(logdir.join("entries"), &entries).unwrap();
            assert!(verify(&logdir, &vkey, ORIGIN, true, |_| {}).is_err());
        }
    }
}
