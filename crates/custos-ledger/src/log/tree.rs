//! The tree: hash tiles, entry bundles, inclusion and consistency proofs, the root at a size.
//! Hashes below level 8 are recomputed from a bundle's entries when needed.

use super::*;

/// A subtree's hashes, level by level (see [`tile_levels`]).
pub(super) type Levels = Vec<Vec<Hash>>;

/// The levels of a tile's tree from its leaf hashes: level 0 the leaves, each next the
/// hashes of complete pairs of the one before (so an incomplete tile has only its complete
/// subtrees).
pub(super) fn tile_levels(leaves: Vec<Hash>) -> Vec<Vec<Hash>> {
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

/// The root of a complete subtree from its levels (see [`tile_levels`]).
pub(super) fn top(levels: &[Vec<Hash>]) -> Hash {
    levels
        .last()
        .and_then(|l| l.first())
        .copied()
        .unwrap_or(tlog_tiles::EMPTY_HASH)
}

/// The hashes from level 8 up, from `upper` and those of a batch not yet written.
pub(super) struct Upper<'a> {
    pub(super) file: &'a File,
    /// `(first stored index, hashes)` not yet on disk.
    pub(super) pending: (u64, &'a [Hash]),
}

impl Upper<'_> {
    pub(super) fn read(&self, i: u64) -> std::result::Result<Hash, tlog_tiles::Error> {
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
pub(super) struct Hashes<'a> {
    pub(super) store: &'a Store,
    pub(super) upper: Upper<'a>,
    pub(super) complete: u64,
    pub(super) tail_hashes: &'a [Hash],
    /// The levels of the subtrees read in this call (see [`tile_levels`]), by tile and group
    /// of [`MID_LEVEL`] (the incomplete tile: group `u64::MAX`, the whole of it).
    pub(super) tiles: RefCell<HashMap<(u64, u64), Levels>>,
    /// Complete tiles' hashes at [`MID_LEVEL`] read in this call.
    pub(super) mids: RefCell<HashMap<u64, Vec<Hash>>>,
    /// The last complete bundle read, decoded: its other groups need it too.
    pub(super) bundle: RefCell<Option<(u64, Vec<u8>)>>,
}

impl<'a> Hashes<'a> {
    pub(super) fn new(store: &'a Store, st: &'a State) -> Self {
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
            bundle: RefCell::default(),
        }
    }

    /// A stored hash below level 8 of complete tile `tile`: at [`MID_LEVEL`] and above from
    /// `mid`, below it from the entries of its group.
    pub(super) fn below(
        &self,
        level: u8,
        n: u64,
        tile: u64,
    ) -> std::result::Result<Hash, tlog_tiles::Error> {
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
                let mut b = self.bundle.borrow_mut();
                if b.as_ref().is_none_or(|(k, _)| *k != tile) {
                    *b = Some((tile, self.store.read_bundle(tile).map_err(gone)?));
                }
                let data = b.as_ref().map(|(_, d)| d.as_slice()).unwrap_or_default();
                v.insert(tile_levels(self.store.group_leaf_hashes_in(
                    tile,
                    data,
                    group as usize * width,
                    width,
                )))
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

    /// The leaf hashes and inclusion proofs of entries `indexes` (ascending, for the reads
    /// neighbours share) in the tree of `size`: what a records package proves, thousands at a
    /// time. The hashes from level 8 up are read once for the whole run; those below, once per
    /// tile.
    pub fn prove_many(&self, indexes: &[u64], size: u64) -> Result<Vec<(Hash, Vec<Hash>)>> {
        let mut out = Vec::with_capacity(indexes.len());
        self.prove_each(indexes, size, indexes.len().max(1), |_, proven| {
            out.extend(proven);
            Ok(())
        })?;
        Ok(out)
    }

    /// [`Log::prove_many`] handed out `chunk` entries at a time, in order, as they are
    /// proven (so that what uses them need not wait for the whole run): `each` gets the
    /// entries of the chunk and their leaf hashes and proofs. An error of `each` ends the run.
    pub fn prove_each(
        &self,
        indexes: &[u64],
        size: u64,
        chunk: usize,
        mut each: impl FnMut(&[u64], Vec<(Hash, Vec<Hash>)>) -> Result<()>,
    ) -> Result<()> {
        let st = self.store.state();
        self.committed("the tree", size, st.size)?;
        let h = Shared {
            below: Hashes::new(&self.store, &st),
            upper: RefCell::default(),
        };
        let corrupt = |e: tlog_tiles::Error| LedgerError::Corrupt(format!("{e:?}"));
        let mut tile = u64::MAX;
        for run in indexes.chunks(chunk.max(1)) {
            let mut out = Vec::with_capacity(run.len());
            for &i in run {
                if i >= size {
                    return Err(LedgerError::Invalid(format!(
                        "entry {i} is not in a tree of {size}"
                    )));
                }
                if i / TILE != tile {
                    tile = i / TILE;
                    h.below.tiles.borrow_mut().clear();
                    h.below.mids.borrow_mut().clear();
                }
                let leaf = h.read_hashes(&[stored_hash_index(0, i)]).map_err(corrupt)?[0];
                out.push((leaf, prove_record(size, i, &h).map_err(corrupt)?));
            }
            each(run, out)?;
        }
        Ok(())
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
}

/// [`Hashes`] with the hashes from level 8 up kept across calls (a run of proofs).
struct Shared<'a> {
    below: Hashes<'a>,
    upper: RefCell<HashMap<u64, Hash>>,
}

impl HashReader for Shared<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> std::result::Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|&i| {
                let (level, _) = split_stored_hash_index(i);
                if level < HEIGHT {
                    return Ok(self.below.read_hashes(&[i])?[0]);
                }
                if let Some(h) = self.upper.borrow().get(&i) {
                    return Ok(*h);
                }
                let h = self.below.read_hashes(&[i])?[0];
                self.upper.borrow_mut().insert(i, h);
                Ok(h)
            })
            .collect()
    }
}
