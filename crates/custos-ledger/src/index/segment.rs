//! A segment file: its blocks of events by account and of address rows, their columns, the anchors times are predicted from, and the footer; built from the entries, read block by block.

use super::*;

pub(super) fn corrupt(seg: u64, what: &str) -> LedgerError {
    LedgerError::Corrupt(format!("index segment {seg}: {what}"))
}

/// Little readers and writers of the file format (big-endian).
pub(super) struct Cur<'a> {
    pub(super) b: &'a [u8],
    pub(super) at: usize,
}

impl<'a> Cur<'a> {
    pub(super) fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    pub(super) fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    pub(super) fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    pub(super) fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    pub(super) fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    pub(super) fn t(&mut self) -> Option<T> {
        Some((self.u64()? as i64, self.u32()?))
    }
    pub(super) fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }
    pub(super) fn key(&mut self) -> Option<Key> {
        self.take(17)?.try_into().ok()
    }
    pub(super) fn done(&self) -> bool {
        self.at == self.b.len()
    }
}

pub(super) fn put_t(out: &mut Vec<u8>, t: T) {
    out.extend_from_slice(&(t.0 as u64).to_be_bytes());
    out.extend_from_slice(&t.1.to_be_bytes());
}

pub(super) fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

#[derive(Debug)]
pub(super) struct AccBlock {
    pub(super) off: u64,
    pub(super) len: u32,
    pub(super) first: (Vec<u8>, T),
    pub(super) last: (Vec<u8>, T),
}

#[derive(Debug)]
pub(super) struct IpBlock {
    pub(super) off: u64,
    pub(super) len: u32,
    pub(super) first: Key,
    pub(super) last: Key,
}

/// One address and account pair of a segment.
#[derive(Debug, Clone)]
pub struct IpRow {
    pub key: Key,
    pub account: Vec<u8>,
    pub count: u64,
    /// Time and index (in the log) of the first and last events.
    pub first: (T, u64),
    pub last: (T, u64),
}

/// A built segment: its footer in memory, its blocks read on demand.
#[derive(Debug)]
pub struct Segment {
    pub seg: u64,
    /// The log index of its first entry.
    pub first: u64,
    pub min: T,
    pub max: T,
    pub(super) anchors: Anchors,
    pub(super) acc: Vec<AccBlock>,
    pub(super) ip: Vec<IpBlock>,
    pub(super) file: File,
}

impl Segment {
    pub(super) fn parse(seg: u64, sb: u64, file: File) -> Result<Segment> {
        let len = file
            .metadata()
            .map_err(|_| corrupt(seg, "cannot stat"))?
            .len();
        let mut tail = [0u8; 12];
        if len < 12 {
            return Err(corrupt(seg, "too short"));
        }
        file.read_exact_at(&mut tail, len - 12)
            .map_err(|_| corrupt(seg, "cannot read"))?;
        if &tail[4..] != MAGIC {
            return Err(corrupt(seg, "not an index segment"));
        }
        let flen = u64::from(u32::from_be_bytes([tail[0], tail[1], tail[2], tail[3]]));
        if flen + 12 > len {
            return Err(corrupt(seg, "its footer is cut short"));
        }
        let mut footer = vec![0u8; flen as usize];
        file.read_exact_at(&mut footer, len - 12 - flen)
            .map_err(|_| corrupt(seg, "cannot read"))?;
        let body = len - 12 - flen;
        let parse = || -> Option<Segment> {
            let mut c = Cur { b: &footer, at: 0 };
            if c.take(8)? != MAGIC || c.u8()? != VERSION || c.u64()? != sb || c.u64()? != seg {
                return None;
            }
            let first = c.u64()?;
            let (min, max) = (c.t()?, c.t()?);
            let anchors = Anchors::read(&mut c).filter(|a| a.0.len() as u64 == sb)?;
            let mut acc = vec![];
            for _ in 0..c.u32()? {
                let (off, len) = (c.u64()?, c.u32()?);
                let first = (c.bytes()?.to_vec(), c.t()?);
                let last = (c.bytes()?.to_vec(), c.t()?);
                acc.push(AccBlock {
                    off,
                    len,
                    first,
                    last,
                });
            }
            let mut ip = vec![];
            for _ in 0..c.u32()? {
                let (off, len) = (c.u64()?, c.u32()?);
                ip.push(IpBlock {
                    off,
                    len,
                    first: c.key()?,
                    last: c.key()?,
                });
            }
            let in_body = acc
                .iter()
                .map(|b| (b.off, b.len))
                .chain(ip.iter().map(|b| (b.off, b.len)))
                .all(|(o, l)| o + u64::from(l) <= body);
            (c.done() && in_body && first == seg * sb * TILE).then_some(Segment {
                seg,
                first,
                min,
                max,
                anchors,
                acc,
                ip,
                file: file.try_clone().ok()?,
            })
        };
        parse().ok_or_else(|| corrupt(seg, "its footer is malformed"))
    }

    pub(super) fn block(&self, off: u64, len: u32) -> Result<Vec<u8>> {
        let mut frame = vec![0u8; len as usize];
        self.file
            .read_exact_at(&mut frame, off)
            .map_err(|_| corrupt(self.seg, "a block is cut short"))?;
        unzstd(&frame).map_err(|_| corrupt(self.seg, "a block is damaged"))
    }

    /// The blocks that may hold events of `account` between `from` and `to`: consecutive
    /// in the file.
    pub(super) fn account_blocks(&self, account: &[u8], from: T, to: T) -> &[AccBlock] {
        // Blocks are in key order: the first that may hold the account's `from`, then on
        // while they may hold its `to`.
        let start = self
            .acc
            .partition_point(|b| (b.last.0.as_slice(), b.last.1) < (account, from));
        let n = self.acc[start..]
            .iter()
            .take_while(|b| (b.first.0.as_slice(), b.first.1) <= (account, to))
            .count();
        &self.acc[start..start + n]
    }

    /// The blocks that may hold addresses in `lo..=hi`.
    pub(super) fn ip_blocks(&self, lo: Key, hi: Key) -> &[IpBlock] {
        let start = self.ip.partition_point(|b| b.last < lo);
        let n = self.ip[start..]
            .iter()
            .take_while(|b| b.first <= hi)
            .count();
        &self.ip[start..start + n]
    }

    /// Asks the kernel to read a range of the file ahead (a query asks this of every segment
    /// it will read, so that reads of pages not in memory overlap).
    pub(super) fn prefetch(&self, first: Option<(u64, u32)>, last: Option<(u64, u32)>) {
        if let (Some((off, _)), Some((l_off, l_len))) = (first, last) {
            let len = std::num::NonZeroU64::new(l_off + u64::from(l_len) - off);
            // Advice only: a failure changes nothing but speed.
            let _ = rustix::fs::fadvise(&self.file, off, len, rustix::fs::Advice::WillNeed);
        }
    }

    /// Asks the kernel to read ahead the blocks [`Segment::account_rows`] will read (a query
    /// asks this of every segment first, so that reads of pages not in memory overlap).
    pub fn prefetch_account(&self, account: &[u8], from: T, to: T) {
        let bs = self.account_blocks(account, from, to);
        self.prefetch(
            bs.first().map(|b| (b.off, b.len)),
            bs.last().map(|b| (b.off, b.len)),
        );
    }

    /// The same for the blocks [`Segment::net_rows`] will read.
    pub fn prefetch_net(&self, lo: Key, hi: Key) {
        let bs = self.ip_blocks(lo, hi);
        self.prefetch(
            bs.first().map(|b| (b.off, b.len)),
            bs.last().map(|b| (b.off, b.len)),
        );
    }

    /// Calls `f(index, encoded event)` for every event of `account` between `from` and `to`.
    pub fn account_rows(
        &self,
        account: &[u8],
        from: T,
        to: T,
        f: &mut dyn FnMut(u64, &[u8]),
    ) -> Result<()> {
        for b in self.account_blocks(account, from, to) {
            let data = self.block(b.off, b.len)?;
            let mut each = |rel: u32, leaf: &[u8]| {
                if let Some((a, t, _)) = peek(leaf)
                    && a == account
                    && t >= from
                    && t <= to
                {
                    f(self.first + u64::from(rel), leaf);
                }
            };
            match data.split_first() {
                Some((&COLUMNS, cols)) => {
                    let predict = |rel| self.anchors.predict(rel);
                    let (leaves, rels) = crate::columns::decode(cols, Some(&predict))
                        .map_err(|_| corrupt(self.seg, "a block is malformed"))?;
                    for (leaf, rel) in split_bundle(&leaves).zip(rels) {
                        each(rel, leaf);
                    }
                }
                Some((&ROWS, rows)) => {
                    let mut c = Cur { b: rows, at: 0 };
                    while !c.done() {
                        let (Some(rel), Some(leaf)) = (c.u32(), c.bytes()) else {
                            return Err(corrupt(self.seg, "a block is malformed"));
                        };
                        each(rel, leaf);
                    }
                }
                _ => return Err(corrupt(self.seg, "a block is malformed")),
            }
        }
        Ok(())
    }

    /// Calls `f` with every address and account pair whose address is in `lo..=hi`.
    pub fn net_rows(&self, lo: Key, hi: Key, f: &mut dyn FnMut(IpRow)) -> Result<()> {
        for b in self.ip_blocks(lo, hi) {
            let data = self.block(b.off, b.len)?;
            let rows = decode_ip_rows(&data, &self.anchors)
                .map_err(|_| corrupt(self.seg, "a block is malformed"))?;
            for r in rows {
                if r.key >= lo && r.key <= hi {
                    f(IpRow {
                        first: (r.first.0, self.first + r.first.1),
                        last: (r.last.0, self.first + r.last.1),
                        ..r
                    });
                }
            }
        }
        Ok(())
    }
}

/// Builds the file of segment `seg` from the log's entries: the same entries always give the
/// same bytes.
pub(crate) fn build(store: &Store, seg: u64, sb: u64) -> Result<Vec<u8>> {
    let first = seg * sb * TILE;
    let mut leaves: Vec<u8> = vec![];
    // (account, time, index within the segment, where its encoding lies in `leaves`)
    let mut rows: Vec<(u32, T, u32, usize, usize)> = vec![];
    let mut accounts: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut names: Vec<Vec<u8>> = vec![];
    struct Agg {
        count: u32,
        first: (T, u32),
        last: (T, u32),
    }
    let mut ips: HashMap<(Key, u32), Agg> = HashMap::new();
    let (mut min, mut max) = ((i64::MAX, 0u32), (i64::MIN, 0u32));
    let mut anchors = Anchors::default();
    for k in seg * sb..(seg + 1) * sb {
        let data = store.read_bundle(k)?;
        let mut anchor = None;
        for (j, leaf) in split_bundle(&data).enumerate() {
            let rel = ((k - seg * sb) * TILE) as u32 + j as u32;
            let Some((acc, t, ip)) = peek(leaf) else {
                continue;
            };
            if anchor.is_none() {
                anchor = ns(t);
            }
            let id = match accounts.get(acc) {
                Some(&id) => id,
                None => {
                    let id = names.len() as u32;
                    accounts.insert(acc.to_vec(), id);
                    names.push(acc.to_vec());
                    id
                }
            };
            min = min.min(t);
            max = max.max(t);
            rows.push((id, t, rel, leaves.len(), leaf.len()));
            leaves.extend_from_slice(leaf);
            let a = ips.entry((ip_sort_key(ip), id)).or_insert(Agg {
                count: 0,
                first: (t, rel),
                last: (t, rel),
            });
            a.count += 1;
            a.first = a.first.min((t, rel));
            a.last = a.last.max((t, rel));
        }
        let before = anchors.0.last().copied().unwrap_or(0);
        anchors.0.push(anchor.unwrap_or(before));
    }
    rows.sort_unstable_by(|a, b| {
        (names[a.0 as usize].as_slice(), a.1, a.2).cmp(&(names[b.0 as usize].as_slice(), b.1, b.2))
    });
    let mut ip_rows: Vec<((Key, u32), Agg)> = ips.into_iter().collect();
    ip_rows.sort_unstable_by(|a, b| {
        (a.0.0, names[a.0.1 as usize].as_slice()).cmp(&(b.0.0, names[b.0.1 as usize].as_slice()))
    });
    let mut comp = zstd::bulk::Compressor::new(LEVEL).map_err(|e| LedgerError::Io {
        context: "cannot start zstd".into(),
        source: e,
    })?;
    let mut out: Vec<u8> = vec![];
    let mut footer: Vec<u8> = vec![];
    let mut flush = |raw: &mut Vec<u8>, out: &mut Vec<u8>| -> Result<(u64, u32)> {
        let frame = comp.compress(raw).map_err(|e| LedgerError::Io {
            context: "cannot compress an index block".into(),
            source: e,
        })?;
        let at = (out.len() as u64, frame.len() as u32);
        out.extend_from_slice(&frame);
        raw.clear();
        Ok(at)
    };
    let mut acc_blocks: Vec<u8> = vec![];
    let mut n_acc = 0u32;
    let mut raw = vec![];
    let mut block_first: Option<(u32, T)> = None;
    let mut block_start = 0usize;
    let mut block_len = 0usize;
    for (i, r) in rows.iter().enumerate() {
        block_first.get_or_insert((r.0, r.1));
        block_len += 6 + r.4;
        if block_len >= ACC_BLOCK || i + 1 == rows.len() {
            let block = &rows[block_start..=i];
            let ls: Vec<&[u8]> = block.iter().map(|r| &leaves[r.3..r.3 + r.4]).collect();
            let rels: Vec<u32> = block.iter().map(|r| r.2).collect();
            let predict = |rel| anchors.predict(rel);
            match crate::columns::encode(&ls, Some(&rels), Some(&predict)) {
                Some(cols) => {
                    raw.push(COLUMNS);
                    raw.extend_from_slice(&cols);
                }
                None => {
                    raw.push(ROWS);
                    for (leaf, rel) in ls.iter().zip(&rels) {
                        raw.extend_from_slice(&rel.to_be_bytes());
                        put_bytes(&mut raw, leaf);
                    }
                }
            }
            block_start = i + 1;
            block_len = 0;
            let (off, len) = flush(&mut raw, &mut out)?;
            let (fa, ft) = block_first.take().unwrap_or((r.0, r.1));
            acc_blocks.extend_from_slice(&off.to_be_bytes());
            acc_blocks.extend_from_slice(&len.to_be_bytes());
            put_bytes(&mut acc_blocks, &names[fa as usize]);
            put_t(&mut acc_blocks, ft);
            put_bytes(&mut acc_blocks, &names[r.0 as usize]);
            put_t(&mut acc_blocks, r.1);
            n_acc += 1;
        }
    }
    let mut ip_blocks: Vec<u8> = vec![];
    let mut n_ip = 0u32;
    let mut block_first: Option<Key> = None;
    let (mut block_start, mut block_len) = (0usize, 0usize);
    for (i, ((key, id), _)) in ip_rows.iter().enumerate() {
        block_first.get_or_insert(*key);
        // Blocks close at the rows' size as they are, not as stored.
        block_len += 65 + names[*id as usize].len();
        if block_len >= IP_BLOCK || i + 1 == ip_rows.len() {
            encode_ip_rows(
                ip_rows[block_start..=i].iter().map(|((key, id), a)| {
                    (
                        key,
                        names[*id as usize].as_slice(),
                        a.count,
                        a.first,
                        a.last,
                    )
                }),
                &anchors,
                &mut raw,
            );
            (block_start, block_len) = (i + 1, 0);
            let (off, len) = flush(&mut raw, &mut out)?;
            ip_blocks.extend_from_slice(&off.to_be_bytes());
            ip_blocks.extend_from_slice(&len.to_be_bytes());
            ip_blocks.extend_from_slice(&block_first.take().unwrap_or(*key));
            ip_blocks.extend_from_slice(key);
            n_ip += 1;
        }
    }
    footer.extend_from_slice(MAGIC);
    footer.push(VERSION);
    footer.extend_from_slice(&sb.to_be_bytes());
    footer.extend_from_slice(&seg.to_be_bytes());
    footer.extend_from_slice(&first.to_be_bytes());
    put_t(&mut footer, min);
    put_t(&mut footer, max);
    anchors.put(&mut footer);
    footer.extend_from_slice(&n_acc.to_be_bytes());
    footer.extend_from_slice(&acc_blocks);
    footer.extend_from_slice(&n_ip.to_be_bytes());
    footer.extend_from_slice(&ip_blocks);
    out.extend_from_slice(&footer);
    out.extend_from_slice(&(footer.len() as u32).to_be_bytes());
    out.extend_from_slice(MAGIC);
    Ok(out)
}

/// Nanoseconds since the epoch, if they fit (and the time is not a leap second).
pub(super) fn ns(t: T) -> Option<i64> {
    (t.1 < 1_000_000_000)
        .then(|| t.0.checked_mul(1_000_000_000)?.checked_add(i64::from(t.1)))
        .flatten()
}

pub(super) fn from_ns(ns: i64) -> T {
    (
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as u32,
    )
}

/// Each bundle's time in a segment (nanoseconds: the first event's that has one, else the
/// bundle's before), from which a row's time is predicted by its index within the segment,
/// so that the blocks keep only how far each time lies from its prediction: in a log kept in
/// about the order of time, a few milliseconds rather than minutes or hours.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Anchors(pub(super) Vec<i64>);

impl Anchors {
    /// The time predicted for the entry at `rel` within the segment: its bundle's time, and
    /// the way to the next bundle's in proportion to its place in its bundle (any number
    /// gives some prediction; a bad one costs room, never the time).
    pub fn predict(&self, rel: u32) -> i64 {
        let k = (u64::from(rel) / TILE) as usize;
        let j = i128::from(rel) % i128::from(TILE);
        let Some(&a) = self.0.get(k) else {
            return 0;
        };
        let next = match self.0.get(k + 1) {
            Some(&b) => i128::from(b),
            None => match k.checked_sub(1).and_then(|p| self.0.get(p)) {
                Some(&p) => 2 * i128::from(a) - i128::from(p),
                None => i128::from(a),
            },
        };
        (i128::from(a) + (next - i128::from(a)) * j / i128::from(TILE)) as i64
    }

    pub(super) fn put(&self, out: &mut Vec<u8>) {
        use crate::columns::{put_var, zigzag};
        let mut b = vec![];
        let mut prev = 0i64;
        for &a in &self.0 {
            put_var(&mut b, zigzag(a.wrapping_sub(prev)));
            prev = a;
        }
        out.extend_from_slice(&(self.0.len() as u32).to_be_bytes());
        out.extend_from_slice(&(b.len() as u32).to_be_bytes());
        out.extend_from_slice(&b);
    }

    pub(super) fn read(c: &mut Cur) -> Option<Anchors> {
        use crate::columns::{Col, unzigzag};
        let n = c.u32()?;
        let len = c.u32()?;
        let mut col = Col {
            b: c.take(len as usize)?,
            at: 0,
        };
        let mut v = Vec::with_capacity((n as usize).min(1 << 16));
        let mut prev = 0i64;
        for _ in 0..n {
            prev = prev.wrapping_add(unzigzag(col.var().ok()?));
            v.push(prev);
        }
        col.done().then_some(Anchors(v))
    }
}

/// A block of address rows, in columns: each address by what it shares with the one before,
/// the accounts in a table, the counts, the first and last times as differences from their
/// predictions ([`Anchors`]), the first indexes within the segment and the last ones as
/// differences from the first.
pub(super) fn encode_ip_rows<'a>(
    rows: impl Iterator<Item = (&'a Key, &'a [u8], u32, (T, u32), (T, u32))>,
    anchors: &Anchors,
    out: &mut Vec<u8>,
) {
    use crate::columns::{Dict, put_var, zigzag};
    let (mut keys, mut ids, mut counts, mut times, mut rels) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut names = Dict::default();
    let (mut prev_key, mut n) = ([0u8; 17], 0u64);
    for (key, account, count, first, last) in rows {
        let common = key
            .iter()
            .zip(&prev_key)
            .take_while(|(a, b)| a == b)
            .count();
        keys.push(common as u8);
        keys.extend_from_slice(&key[common..]);
        prev_key = *key;
        put_var(&mut ids, names.code(account));
        put_var(&mut counts, u64::from(count));
        let off = |t: T, rel: u32| Some(zigzag(ns(t)?.wrapping_sub(anchors.predict(rel))));
        let step = off(first.0, first.1)
            .and_then(|f| f.checked_add(1))
            .zip(off(last.0, last.1));
        match step {
            Some((f, l)) => {
                put_var(&mut times, f);
                put_var(&mut times, l);
            }
            // A time past 2262: as it is, behind a zero (a difference is kept plus one).
            None => {
                times.push(0);
                for t in [first.0, last.0] {
                    put_var(&mut times, zigzag(t.0));
                    put_var(&mut times, u64::from(t.1));
                }
            }
        }
        put_var(&mut rels, u64::from(first.1));
        put_var(&mut rels, zigzag(i64::from(last.1) - i64::from(first.1)));
        n += 1;
    }
    put_var(out, n);
    for col in [&keys, &names.planes(), &ids, &counts, &times, &rels] {
        put_var(out, col.len() as u64);
        out.extend_from_slice(col);
    }
}

/// The rows of a block [`encode_ip_rows`] wrote (indexes within the segment).
pub(super) fn decode_ip_rows(
    b: &[u8],
    anchors: &Anchors,
) -> std::result::Result<Vec<IpRow>, &'static str> {
    use crate::columns::{Codes, Col, Planes, unzigzag};
    let mut c = Col { b, at: 0 };
    let n = c.len()?;
    let mut cols = vec![];
    for _ in 0..6 {
        cols.push(c.column()?);
    }
    let [mut keys, names, ids, mut counts, mut times, mut rels]: [Col; 6] =
        cols.try_into().map_err(|_| "a malformed block")?;
    if !c.done() {
        return Err("trailing bytes");
    }
    let names = Planes::read(names)?;
    let mut ids = Codes::new(ids);
    let mut rows = Vec::with_capacity(n.min(1 << 16));
    let mut key = [0u8; 17];
    for _ in 0..n {
        let common = usize::from(keys.take(1)?[0]);
        let rest = keys.take(17usize.checked_sub(common).ok_or("a malformed address")?)?;
        key[common..].copy_from_slice(rest);
        let account = names.get(ids.next(names.len())?).to_vec();
        let count = counts.var()?;
        let fr = rels.var()?;
        let lr = (fr as i64).wrapping_add(unzigzag(rels.var()?));
        let (fr, lr) = (
            u32::try_from(fr).map_err(|_| "an index is out of range")?,
            u32::try_from(lr).map_err(|_| "an index is out of range")?,
        );
        let (first, last) = match times.var()? {
            0 => {
                let mut t = || -> std::result::Result<T, &'static str> {
                    let secs = unzigzag(times.var()?);
                    let nanos =
                        u32::try_from(times.var()?).map_err(|_| "a time is out of range")?;
                    Ok((secs, nanos))
                };
                (t()?, t()?)
            }
            d => {
                let f = anchors.predict(fr).wrapping_add(unzigzag(d - 1));
                let l = anchors.predict(lr).wrapping_add(unzigzag(times.var()?));
                (from_ns(f), from_ns(l))
            }
        };
        rows.push(IpRow {
            key,
            account,
            count,
            first: (first, u64::from(fr)),
            last: (last, u64::from(lr)),
        });
    }
    if ids.met != names.len()
        || ![&keys, &ids.col, &counts, &times, &rels]
            .iter()
            .all(|c| c.done())
    {
        return Err("a column is longer than its rows, or a table than its references");
    }
    Ok(rows)
}
