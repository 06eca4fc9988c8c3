//! Appending: group commit, one round of syncs a batch, the signed checkpoint renamed into
//! place last; a batch that fails is cut back off every file.

use super::*;

/// The open tail file: its bundle, its slot (0 or 1) and the file.
pub(super) type TailFile = (u64, u8, File);

/// Where the writer stands.
pub(super) struct Writer {
    pub(super) entries: File,
    pub(super) bundles: File,
    pub(super) upper: File,
    pub(super) mid: File,
    /// The open `tail-<N>` file of the incomplete bundle.
    pub(super) tail_file: Option<TailFile>,
    pub(super) entries_len: u64,
    pub(super) compressor: zstd::bulk::Compressor<'static>,
    /// Outcomes of batches committed by another caller, by ticket.
    pub(super) done: HashMap<u64, std::result::Result<Range<u64>, String>>,
    /// Set when a failed batch could not be cut back off the files, with where they stood
    /// before it: nothing more is written until a later attempt cuts it off to there (see
    /// [`Log::commit`]).
    pub(super) broken: Option<(String, Before)>,
}

/// Where the files stood before a batch: what a failed batch is cut back to.
#[derive(Clone)]
pub(super) struct Before {
    pub(super) entries: u64,
    pub(super) complete: u64,
    /// The incomplete bundle's file `(bundle, slot)`, and its length.
    pub(super) tail: Option<(u64, u8)>,
    pub(super) tail_len: u64,
}

pub(super) struct Queue {
    pub(super) next: u64,
    pub(super) pending: Vec<(u64, Vec<Vec<u8>>)>,
}

impl Log {
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
    pub(super) fn commit(&self, w: &mut Writer, leaves: Vec<Vec<u8>>) -> Result<Range<u64>> {
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
    pub(super) fn roll_back(&self, w: &mut Writer, b: &Before) -> Result<()> {
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
    pub(super) fn write_batch(
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
                bundle: RefCell::default(),
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

    pub(super) fn sign(&self, size: u64, root: Hash) -> Result<Vec<u8>> {
        let cp = Checkpoint::new(&self.origin, size, root, "")
            .map_err(|_| LedgerError::Invalid(format!("`{}` is not a log origin", self.origin)))?;
        let mut note =
            Note::new(&cp.to_bytes(), &[]).map_err(|e| LedgerError::Key(format!("{e:?}")))?;
        note.add_sigs(&[&self.signer])
            .map_err(|e| LedgerError::Key(format!("{e:?}")))?;
        Ok(note.to_bytes())
    }

    pub(super) fn committed(&self, what: &str, needed: u64, size: u64) -> Result<()> {
        if needed > size {
            return Err(LedgerError::Invalid(format!(
                "{what} is beyond the tree of {size} entries"
            )));
        }
        Ok(())
    }
}
