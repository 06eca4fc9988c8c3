//! Verification from the stored data, for `custos ledger verify` and outside auditors.

use super::*;

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
