//! The index as the log sees it: the segments built, the complete bundles past the last one held in memory, and the thread that builds the next segment.

use super::*;

/// A complete bundle that no segment holds yet, held in memory.
#[derive(Debug)]
pub struct Pending {
    pub bundle: u64,
    pub(super) data: Vec<u8>,
    /// Where each entry lies in `data`.
    pub(super) leaves: Vec<(u32, u32)>,
}

impl Pending {
    pub(super) fn of(bundle: u64, data: Vec<u8>) -> Pending {
        let mut leaves = vec![];
        let mut at = 0usize;
        for leaf in split_bundle(&data) {
            leaves.push(((at + 2) as u32, leaf.len() as u32));
            at += 2 + leaf.len();
        }
        Pending {
            bundle,
            data,
            leaves,
        }
    }

    pub(super) fn leaf(&self, j: usize) -> Option<&[u8]> {
        let &(at, len) = self.leaves.get(j)?;
        self.data.get(at as usize..(at + len) as usize)
    }
}

/// The entries of the pending bundles by account and by address.
#[derive(Debug, Clone, Default)]
pub struct PendingIndex {
    pub(super) by_account: HashMap<Vec<u8>, VecDeque<u64>>,
    pub(super) by_ip: BTreeMap<Key, VecDeque<u64>>,
}

impl PendingIndex {
    pub(super) fn add(&mut self, p: &Pending) {
        for j in 0..p.leaves.len() {
            if let Some((acc, _, ip)) = p.leaf(j).and_then(peek) {
                let i = p.bundle * TILE + j as u64;
                match self.by_account.get_mut(acc) {
                    Some(v) => v.push_back(i),
                    None => {
                        self.by_account.insert(acc.to_vec(), VecDeque::from([i]));
                    }
                }
                self.by_ip.entry(ip_sort_key(ip)).or_default().push_back(i);
            }
        }
    }

    /// Takes out the entries of `p`, the first pending bundle (so they are at the front).
    pub(super) fn remove_first(&mut self, p: &Pending) {
        for j in 0..p.leaves.len() {
            if let Some((acc, _, ip)) = p.leaf(j).and_then(peek) {
                let i = p.bundle * TILE + j as u64;
                if let Some(v) = self.by_account.get_mut(acc) {
                    if v.front() == Some(&i) {
                        v.pop_front();
                    }
                    if v.is_empty() {
                        self.by_account.remove(acc);
                    }
                }
                let k = ip_sort_key(ip);
                if let Some(v) = self.by_ip.get_mut(&k) {
                    if v.front() == Some(&i) {
                        v.pop_front();
                    }
                    if v.is_empty() {
                        self.by_ip.remove(&k);
                    }
                }
            }
        }
    }
}

/// What a query reads: the segments built, then the bundles summarised past them.
#[derive(Debug, Clone, Default)]
pub struct View {
    pub segments: Vec<Arc<Segment>>,
    pub pending: Vec<Arc<Pending>>,
    pub pending_index: Arc<PendingIndex>,
}

impl View {
    /// The segments whose events may lie between `from` and `to`.
    pub fn segments_within(&self, from: T, to: T) -> Vec<&Arc<Segment>> {
        self.segments
            .iter()
            .filter(|s| s.max >= from && s.min <= to)
            .collect()
    }

    /// The first bundle the view does not hold.
    pub fn end(&self, sb: u64) -> u64 {
        self.segments.len() as u64 * sb + self.pending.len() as u64
    }

    pub(super) fn pending_leaf(&self, i: u64) -> Option<&[u8]> {
        let first = self.pending.first()?.bundle;
        let p = self
            .pending
            .get(usize::try_from((i / TILE).checked_sub(first)?).ok()?)?;
        p.leaf((i % TILE) as usize)
    }

    /// Calls `f(index, encoded event)` for every pending event of `account` between `from`
    /// and `to`, in log order.
    pub fn pending_account_rows(
        &self,
        account: &[u8],
        from: T,
        to: T,
        f: &mut dyn FnMut(u64, &[u8]),
    ) {
        for &i in self
            .pending_index
            .by_account
            .get(account)
            .into_iter()
            .flatten()
        {
            if let Some(leaf) = self.pending_leaf(i)
                && let Some((_, t, _)) = peek(leaf)
                && t >= from
                && t <= to
            {
                f(i, leaf);
            }
        }
    }

    /// Calls `f(index, encoded event)` for every pending event whose address is in
    /// `lo..=hi`.
    pub fn pending_net_rows(&self, lo: Key, hi: Key, f: &mut dyn FnMut(u64, &[u8])) {
        for is in self.pending_index.by_ip.range(lo..=hi).map(|(_, v)| v) {
            for &i in is {
                if let Some(leaf) = self.pending_leaf(i) {
                    f(i, leaf);
                }
            }
        }
    }
}

pub(super) struct Signal {
    pub(super) complete: u64,
    pub(super) stop: bool,
    pub(super) error: Option<String>,
}

/// The index of a log, and the thread that builds it.
pub(crate) struct Index {
    pub(super) store: Arc<Store>,
    pub(super) sb: u64,
    pub(super) dir: PathBuf,
    pub(super) view: RwLock<View>,
    pub(super) building: Mutex<()>,
    pub(super) signal: Mutex<Signal>,
    pub(super) wake: Condvar,
    pub(super) thread: Mutex<Option<std::thread::JoinHandle<()>>>,
}

impl std::fmt::Debug for Index {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Index").field("dir", &self.dir).finish()
    }
}

impl Index {
    /// Loads the segments built (dropping any unreadable one and all after it, and any past
    /// the log) and starts the builder.
    pub fn open(store: Arc<Store>, sb: u64) -> Result<Arc<Index>> {
        if sb == 0 {
            return Err(LedgerError::Invalid(
                "an index segment holds bundles".into(),
            ));
        }
        let dir = store.dir().join("index");
        std::fs::create_dir_all(&dir).map_err(|e| LedgerError::Io {
            context: format!("cannot create {}", dir.display()),
            source: e,
        })?;
        let complete = store.state().complete();
        let mut segments = vec![];
        loop {
            let seg = segments.len() as u64;
            let path = dir.join(seg_name(seg));
            if (seg + 1) * sb > complete {
                break;
            }
            let Ok(f) = File::open(&path) else { break };
            match Segment::parse(seg, sb, f) {
                Ok(s) => segments.push(Arc::new(s)),
                Err(_) => break,
            }
        }
        // Whatever is not loaded is rebuilt.
        for e in std::fs::read_dir(&dir).map_err(|e| LedgerError::Io {
            context: format!("cannot list {}", dir.display()),
            source: e,
        })? {
            let Ok(e) = e else { continue };
            let keep = e
                .file_name()
                .to_str()
                .and_then(|n| n.strip_prefix("seg-"))
                .and_then(|n| n.parse::<u64>().ok())
                .is_some_and(|n| n < segments.len() as u64);
            if !keep {
                let _ = std::fs::remove_file(e.path());
            }
        }
        let ix = Arc::new(Index {
            store,
            sb,
            dir,
            view: RwLock::new(View {
                segments,
                ..View::default()
            }),
            building: Mutex::new(()),
            signal: Mutex::new(Signal {
                complete,
                stop: false,
                error: None,
            }),
            wake: Condvar::new(),
            thread: Mutex::new(None),
        });
        let worker = ix.clone();
        let handle = std::thread::Builder::new()
            .name("custos-ledger-index".into())
            .spawn(move || worker.run())
            .map_err(|e| LedgerError::Io {
                context: "cannot start the index builder".into(),
                source: e,
            })?;
        *ix.thread.lock().unwrap_or_else(|p| p.into_inner()) = Some(handle);
        Ok(ix)
    }

    pub fn segment_bundles(&self) -> u64 {
        self.sb
    }

    pub(super) fn lock_signal(&self) -> MutexGuard<'_, Signal> {
        self.signal.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What is indexed now.
    pub fn view(&self) -> View {
        self.view.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub(super) fn write_view(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(|p| p.into_inner())
    }

    /// (segments built, first bundle not summarised)
    pub(super) fn progress(&self) -> (u64, u64) {
        let v = self.view.read().unwrap_or_else(|p| p.into_inner());
        (v.segments.len() as u64, v.end(self.sb))
    }

    /// Bundles `0..complete` are committed.
    pub fn notify(&self, complete: u64) {
        self.lock_signal().complete = complete;
        self.wake.notify_all();
    }

    /// Holds the builder off (retention rewrites bundles meanwhile).
    pub fn hold(&self) -> MutexGuard<'_, ()> {
        self.building.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn stop(&self) {
        self.lock_signal().stop = true;
        self.wake.notify_all();
        if let Some(h) = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = h.join();
        }
    }

    pub(super) fn caught_up(&self, complete: u64) -> bool {
        let (built, end) = self.progress();
        built >= complete / self.sb && end >= complete
    }

    /// Waits until every bundle within `complete` is summarised and every segment built.
    pub fn wait(&self, complete: u64) -> Result<()> {
        let mut s = self.lock_signal();
        loop {
            if let Some(e) = &s.error {
                return Err(LedgerError::Corrupt(format!("the index: {e}")));
            }
            if self.caught_up(complete) || s.stop {
                return Ok(());
            }
            s = self.wake.wait(s).unwrap_or_else(|p| p.into_inner());
        }
    }

    pub(super) fn run(&self) {
        loop {
            let complete = {
                let mut s = self.lock_signal();
                while !s.stop && (s.error.is_some() || self.caught_up(s.complete)) {
                    s = self.wake.wait(s).unwrap_or_else(|p| p.into_inner());
                }
                if s.stop {
                    return;
                }
                s.complete
            };
            if let Err(e) = self.step(complete) {
                self.lock_signal().error = Some(e.to_string());
            }
            self.wake.notify_all();
        }
    }

    /// Builds the next segment if it is complete (its bundles leave the pending ones), else
    /// summarises the bundles committed since. While the writer is ahead by a segment or more,
    /// segments come first: queries scan what is neither built nor summarised, and the pending
    /// bundles held in memory stay under a segment's worth.
    pub(super) fn step(&self, complete: u64) -> Result<()> {
        let _b = self.hold();
        let (built, mut end) = self.progress();
        if built < complete / self.sb {
            let s = self.install(built)?;
            let mut v = self.write_view();
            v.segments.push(s);
            let n = (self.sb as usize).min(v.pending.len());
            let gone: Vec<Arc<Pending>> = v.pending.drain(..n).collect();
            let ix = Arc::make_mut(&mut v.pending_index);
            for p in &gone {
                ix.remove_first(p);
            }
            return Ok(());
        }
        while end < complete {
            let p = Pending::of(end, self.store.read_bundle(end)?);
            let mut v = self.write_view();
            Arc::make_mut(&mut v.pending_index).add(&p);
            v.pending.push(Arc::new(p));
            end += 1;
        }
        Ok(())
    }

    /// Builds segment `seg`, writes it (to a temporary file, synced, renamed) and loads it.
    pub(super) fn install(&self, seg: u64) -> Result<Arc<Segment>> {
        let bytes = build(&self.store, seg, self.sb)?;
        let io = |context: &str| {
            let context = context.to_owned();
            move |source| LedgerError::Io { context, source }
        };
        let tmp = self.dir.join(format!("{}.tmp", seg_name(seg)));
        let path = self.dir.join(seg_name(seg));
        {
            use std::io::Write;
            let mut f = File::create(&tmp).map_err(io("cannot write an index segment"))?;
            f.write_all(&bytes)
                .and_then(|()| f.sync_all())
                .map_err(io("cannot write an index segment"))?;
        }
        std::fs::rename(&tmp, &path).map_err(io("cannot install an index segment"))?;
        let f = File::open(&path).map_err(io("cannot open an index segment"))?;
        Ok(Arc::new(Segment::parse(seg, self.sb, f)?))
    }

    /// Rebuilds what held the bundles given (after retention): their segments, or their
    /// summaries. The caller holds the builder off.
    pub fn rebuild(&self, bundles: &BTreeSet<u64>) -> Result<()> {
        let segs: BTreeSet<u64> = bundles.iter().map(|k| k / self.sb).collect();
        for seg in segs {
            if seg < self.progress().0 {
                let s = self.install(seg)?;
                self.write_view().segments[seg as usize] = s;
            }
        }
        for &k in bundles {
            let (built, end) = self.progress();
            let first = built * self.sb;
            if k >= first && k < end {
                let p = Arc::new(Pending::of(k, self.store.read_bundle(k)?));
                let mut v = self.write_view();
                v.pending[(k - first) as usize] = p;
                reindex(&mut v);
            }
        }
        Ok(())
    }
}

/// Indexes the pending bundles anew (after some left, or changed).
pub(super) fn reindex(v: &mut View) {
    let mut ix = PendingIndex::default();
    for p in &v.pending {
        ix.add(p);
    }
    v.pending_index = Arc::new(ix);
}

/// Rebuilds every index segment of the log in `store` from its entries and compares it with
/// the stored one, byte for byte; returns how many there are.
pub(crate) fn verify(store: &Store) -> Result<u64> {
    let dir = store.dir().join("index");
    let Ok(list) = std::fs::read_dir(&dir) else {
        return Ok(0);
    };
    let complete = store.state().complete();
    let mut n = 0;
    for e in list {
        let e = e.map_err(|source| LedgerError::Io {
            context: format!("cannot list {}", dir.display()),
            source,
        })?;
        let name = e.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            continue;
        }
        let Some(seg) = name
            .strip_prefix("seg-")
            .and_then(|n| n.parse::<u64>().ok())
        else {
            return Err(LedgerError::Corrupt(format!(
                "index/{name} is not an index segment"
            )));
        };
        let stored = std::fs::read(e.path()).map_err(|source| LedgerError::Io {
            context: format!("cannot read index/{name}"),
            source,
        })?;
        // The segment's size, from its footer: a footer too damaged to read is a mismatch.
        let sb = stored
            .len()
            .checked_sub(12)
            .and_then(|end| {
                let flen = u32::from_be_bytes(stored.get(end..end + 4)?.try_into().ok()?) as usize;
                let start = end.checked_sub(flen)?;
                let f = stored.get(start..end)?;
                Some(u64::from_be_bytes(f.get(9..17)?.try_into().ok()?))
            })
            .filter(|&sb| sb > 0 && (seg + 1).checked_mul(sb).is_some_and(|b| b <= complete));
        let first = |sb: u64| seg * sb * TILE;
        let Some(sb) = sb else {
            return Err(LedgerError::Corrupt(format!(
                "index segment {seg}: its footer is not one the entries give"
            )));
        };
        if build(store, seg, sb)? != stored {
            return Err(LedgerError::Corrupt(format!(
                "index segment {seg} (entries {} to {}) is not what the entries give",
                first(sb),
                first(sb) + sb * TILE - 1
            )));
        }
        n += 1;
    }
    Ok(n)
}
