//! Retention's purge: payloads zeroed, leaf hashes kept.

use super::*;

impl Log {
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

pub(super) fn purged_bit(dir: &Path, i: u64) -> bool {
    let Ok(f) = File::open(dir.join("purged")) else {
        return false;
    };
    let mut b = [0u8; 1];
    f.read_exact_at(&mut b, i / 8).is_ok() && b[0] & (1 << (i % 8)) != 0
}
