//! Opening a log after a crash: everything past the checkpoint trimmed, an interrupted purge
//! finished, the incomplete bundle read back, the root checked.

use super::*;

/// The tail file that holds bundle `k`, `(slot, bytes)`; an error if both claim it.
pub(super) fn find_tail(dir: &Path, k: u64) -> Result<Option<(u8, Vec<u8>)>> {
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
pub(super) fn tail_body(data: &[u8], k: u64) -> Option<&[u8]> {
    (data.get(..8)? == k.to_be_bytes()).then(|| &data[8..])
}

/// The first `n` entries of a tail file's bytes, and where they end.
pub(super) fn tail_entries(data: &[u8], n: u64) -> Option<(Vec<Vec<u8>>, usize)> {
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
pub(super) fn read_purged_leaves(dir: &Path) -> Result<HashMap<u64, Hash>> {
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
pub(super) fn read_locs(bundles: &File, complete: u64) -> Result<Vec<(u64, u32)>> {
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
pub(super) fn gaps(locs: &[(u64, u32)]) -> Result<(Vec<Range<u64>>, u64)> {
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

/// Cuts every file to what the checkpoint of `size` commits, zeroes what an interrupted
/// purge left, reads the incomplete bundle, and checks the tree's root. Returns the end of
/// `entries` and the open tail file.
pub(super) fn recover(store: &Store, size: u64, root: Hash) -> Result<(u64, Option<TailFile>)> {
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
