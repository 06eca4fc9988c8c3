//! What makes the access log searchable without reading all of it: for every segment of
//! [`SEGMENT_BUNDLES`] complete bundles (262,144 events), a file `index/seg-<N>` holding
//!
//! - the segment's events sorted by account, time and index, in zstd blocks of about 16 KiB
//!   of events as they are (each row the entry's index within the segment and its canonical
//!   encoding, stored in columns by `columns`, each time as its difference from the time
//!   predicted from its index by the segment's `Anchors`), so that an account's day is a
//!   few blocks of each segment of that day;
//! - for every pair of address and account in the segment, the count and the first and last
//!   events (time and index), sorted by address, in zstd blocks of about 4 KiB of rows as they
//!   were (in columns: `encode_ip_rows`, times predicted as above), so that an address
//!   over a month is one small block of each segment;
//! - a footer: the segment's time span, its anchors (each bundle's time) and every block's
//!   first and last keys.
//!
//! A background thread builds each segment once its last bundle is committed, and holds the
//! complete bundles past the last segment in memory with their entries by account and by
//! address ([`PendingIndex`]); a query reads the segments, then those, then scans the rest
//! (the incomplete bundle, and whatever the builder has not reached while the writer is a
//! segment or more ahead). The index is derived data: rebuilt
//! from the entries when missing or unreadable, rebuilt without purged entries by retention,
//! and compared byte for byte with a rebuild by `verify`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::fs::File;
use std::net::IpAddr;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, RwLock};

use crate::event::peek;
use crate::log::{LedgerError, Store, TILE, split_bundle, unzstd};

/// Bundles in one index segment.
pub const SEGMENT_BUNDLES: u64 = 1024;
/// Raw bytes at which a block of events is closed, and one of address rows: an address's
/// month reads one block of every segment, so those are small.
const ACC_BLOCK: usize = 16 * 1024;
const IP_BLOCK: usize = 4 * 1024;
const LEVEL: i32 = 3;
const MAGIC: &[u8; 8] = b"CUSTOSIX";
const VERSION: u8 = 4;
/// The first byte of a block of events: its rows in columnar form (`columns`), or
/// each an index within the segment (32 bits), a 16-bit length and the encoding.
const COLUMNS: u8 = 1;
const ROWS: u8 = 0;

type Result<T> = std::result::Result<T, LedgerError>;

/// A time: seconds and nanoseconds.
pub type T = (i64, u32);

/// An address as a sort key: its family (4 or 6), then its bytes, padded to 16.
pub type Key = [u8; 17];

pub fn ip_sort_key(ip: IpAddr) -> Key {
    let mut k = [0u8; 17];
    match ip {
        IpAddr::V4(v) => {
            k[0] = 4;
            k[1..5].copy_from_slice(&v.octets());
        }
        IpAddr::V6(v) => {
            k[0] = 6;
            k[1..].copy_from_slice(&v.octets());
        }
    }
    k
}

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub len: u8,
}

impl Net {
    /// Parses `ADDR` or `ADDR/LEN`; the address is masked to the prefix. A network of
    /// IPv4-mapped IPv6 addresses (`::ffff:203.0.113.7`, `::ffff:203.0.113.0/120`) is the
    /// IPv4 network it maps, as events' addresses are.
    pub fn parse(s: &str) -> Option<Net> {
        let (a, len) = match s.split_once('/') {
            Some((a, l)) => (a, Some(l.parse::<u8>().ok()?)),
            None => (s, None),
        };
        let addr: IpAddr = a.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let len = len.unwrap_or(max);
        if len > max {
            return None;
        }
        let addr = mask(addr, len);
        if let (IpAddr::V6(v6), 96..) = (addr, len)
            && let Some(v4) = v6.to_ipv4_mapped()
        {
            return Some(Net {
                addr: IpAddr::V4(v4),
                len: len - 96,
            });
        }
        Some(Net { addr, len })
    }

    /// Whether `ip` is in the network, as it is or as the IPv4 address it maps (events stored
    /// before their addresses were read that way).
    pub fn contains(&self, ip: IpAddr) -> bool {
        let within =
            |ip: IpAddr| ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.len) == self.addr;
        within(ip) || within(ip.to_canonical())
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.len)
    }
}

fn mask(ip: IpAddr, len: u8) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => {
            let m = if len == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(len))
            };
            IpAddr::from((u32::from(v4) & m).to_be_bytes())
        }
        IpAddr::V6(v6) => {
            let m = if len == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(len))
            };
            IpAddr::from((u128::from(v6) & m).to_be_bytes())
        }
    }
}

impl Net {
    /// The ranges of sort keys that hold the network's addresses: its own, and for an IPv4
    /// network the IPv4-mapped IPv6 addresses of it too. They never overlap.
    pub fn key_ranges(&self) -> Vec<(Key, Key)> {
        let mut ranges = vec![self.key_range()];
        if let IpAddr::V4(v4) = self.addr {
            let mapped = Net {
                addr: IpAddr::V6(v4.to_ipv6_mapped()),
                len: self.len + 96,
            };
            ranges.push(mapped.key_range());
        }
        ranges
    }

    /// The first and last sort keys of the network.
    fn key_range(&self) -> (Key, Key) {
        let lo = ip_sort_key(self.addr);
        let hi = match self.addr {
            IpAddr::V4(v) => {
                let host = if self.len == 0 {
                    u32::MAX
                } else {
                    u32::MAX.checked_shr(u32::from(self.len)).unwrap_or(0)
                };
                ip_sort_key(IpAddr::from((u32::from(v) | host).to_be_bytes()))
            }
            IpAddr::V6(v) => {
                let host = if self.len == 0 {
                    u128::MAX
                } else {
                    u128::MAX.checked_shr(u32::from(self.len)).unwrap_or(0)
                };
                ip_sort_key(IpAddr::from((u128::from(v) | host).to_be_bytes()))
            }
        };
        (lo, hi)
    }
}

fn corrupt(seg: u64, what: &str) -> LedgerError {
    LedgerError::Corrupt(format!("index segment {seg}: {what}"))
}

/// Little readers and writers of the file format (big-endian).
struct Cur<'a> {
    b: &'a [u8],
    at: usize,
}

impl<'a> Cur<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let s = self.b.get(self.at..self.at.checked_add(n)?)?;
        self.at += n;
        Some(s)
    }
    fn u8(&mut self) -> Option<u8> {
        Some(self.take(1)?[0])
    }
    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes(self.take(2)?.try_into().ok()?))
    }
    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?))
    }
    fn u64(&mut self) -> Option<u64> {
        Some(u64::from_be_bytes(self.take(8)?.try_into().ok()?))
    }
    fn t(&mut self) -> Option<T> {
        Some((self.u64()? as i64, self.u32()?))
    }
    fn bytes(&mut self) -> Option<&'a [u8]> {
        let n = usize::from(self.u16()?);
        self.take(n)
    }
    fn key(&mut self) -> Option<Key> {
        self.take(17)?.try_into().ok()
    }
    fn done(&self) -> bool {
        self.at == self.b.len()
    }
}

fn put_t(out: &mut Vec<u8>, t: T) {
    out.extend_from_slice(&(t.0 as u64).to_be_bytes());
    out.extend_from_slice(&t.1.to_be_bytes());
}

fn put_bytes(out: &mut Vec<u8>, b: &[u8]) {
    out.extend_from_slice(&(b.len() as u16).to_be_bytes());
    out.extend_from_slice(b);
}

#[derive(Debug)]
struct AccBlock {
    off: u64,
    len: u32,
    first: (Vec<u8>, T),
    last: (Vec<u8>, T),
}

#[derive(Debug)]
struct IpBlock {
    off: u64,
    len: u32,
    first: Key,
    last: Key,
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
    anchors: Anchors,
    acc: Vec<AccBlock>,
    ip: Vec<IpBlock>,
    file: File,
}

impl Segment {
    fn parse(seg: u64, sb: u64, file: File) -> Result<Segment> {
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

    fn block(&self, off: u64, len: u32) -> Result<Vec<u8>> {
        let mut frame = vec![0u8; len as usize];
        self.file
            .read_exact_at(&mut frame, off)
            .map_err(|_| corrupt(self.seg, "a block is cut short"))?;
        unzstd(&frame).map_err(|_| corrupt(self.seg, "a block is damaged"))
    }

    /// The blocks that may hold events of `account` between `from` and `to`: consecutive
    /// in the file.
    fn account_blocks(&self, account: &[u8], from: T, to: T) -> &[AccBlock] {
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
    fn ip_blocks(&self, lo: Key, hi: Key) -> &[IpBlock] {
        let start = self.ip.partition_point(|b| b.last < lo);
        let n = self.ip[start..]
            .iter()
            .take_while(|b| b.first <= hi)
            .count();
        &self.ip[start..start + n]
    }

    /// Asks the kernel to read a range of the file ahead (a query asks this of every segment
    /// it will read, so that reads of pages not in memory overlap).
    fn prefetch(&self, first: Option<(u64, u32)>, last: Option<(u64, u32)>) {
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
fn ns(t: T) -> Option<i64> {
    (t.1 < 1_000_000_000)
        .then(|| t.0.checked_mul(1_000_000_000)?.checked_add(i64::from(t.1)))
        .flatten()
}

fn from_ns(ns: i64) -> T {
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
pub(crate) struct Anchors(Vec<i64>);

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

    fn put(&self, out: &mut Vec<u8>) {
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

    fn read(c: &mut Cur) -> Option<Anchors> {
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
fn encode_ip_rows<'a>(
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
fn decode_ip_rows(b: &[u8], anchors: &Anchors) -> std::result::Result<Vec<IpRow>, &'static str> {
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

fn seg_name(seg: u64) -> String {
    format!("seg-{seg}")
}

/// A complete bundle that no segment holds yet, held in memory.
#[derive(Debug)]
pub struct Pending {
    pub bundle: u64,
    data: Vec<u8>,
    /// Where each entry lies in `data`.
    leaves: Vec<(u32, u32)>,
}

impl Pending {
    fn of(bundle: u64, data: Vec<u8>) -> Pending {
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

    fn leaf(&self, j: usize) -> Option<&[u8]> {
        let &(at, len) = self.leaves.get(j)?;
        self.data.get(at as usize..(at + len) as usize)
    }
}

/// The entries of the pending bundles by account and by address.
#[derive(Debug, Clone, Default)]
pub struct PendingIndex {
    by_account: HashMap<Vec<u8>, VecDeque<u64>>,
    by_ip: BTreeMap<Key, VecDeque<u64>>,
}

impl PendingIndex {
    fn add(&mut self, p: &Pending) {
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
    fn remove_first(&mut self, p: &Pending) {
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

    fn pending_leaf(&self, i: u64) -> Option<&[u8]> {
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

struct Signal {
    complete: u64,
    stop: bool,
    error: Option<String>,
}

/// The index of a log, and the thread that builds it.
pub(crate) struct Index {
    store: Arc<Store>,
    sb: u64,
    dir: PathBuf,
    view: RwLock<View>,
    building: Mutex<()>,
    signal: Mutex<Signal>,
    wake: Condvar,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
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

    fn lock_signal(&self) -> MutexGuard<'_, Signal> {
        self.signal.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// What is indexed now.
    pub fn view(&self) -> View {
        self.view.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    fn write_view(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(|p| p.into_inner())
    }

    /// (segments built, first bundle not summarised)
    fn progress(&self) -> (u64, u64) {
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

    fn caught_up(&self, complete: u64) -> bool {
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

    fn run(&self) {
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
    fn step(&self, complete: u64) -> Result<()> {
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
    fn install(&self, seg: u64) -> Result<Arc<Segment>> {
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
fn reindex(v: &mut View) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_network_of_ipv4_mapped_addresses_is_the_ipv4_network() {
        let check = |s: &str, expect: &str| {
            assert_eq!(
                Net::parse(s).map(|n| n.to_string()).as_deref(),
                Some(expect),
                "{s}"
            );
        };
        check("::ffff:203.0.113.77", "203.0.113.77/32");
        check("::ffff:203.0.113.77/120", "203.0.113.0/24");
        check("::ffff:0:0/96", "0.0.0.0/0");
        check("::ffff:0:0/95", "::fffe:0:0/95");
        check("::203.0.113.77", "::cb00:714d/128");
        check("203.0.113.77", "203.0.113.77/32");
        check("2001:db8::1/32", "2001:db8::/32");
        // An IPv4 network holds the mapped form of its addresses too (events stored before
        // addresses were read as IPv4), under keys of their own.
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        let net = Net::parse("203.0.113.0/24").unwrap();
        for a in ["203.0.113.77", "::ffff:203.0.113.77"] {
            assert!(net.contains(ip(a)), "{a}");
            let k = ip_sort_key(ip(a));
            assert!(
                net.key_ranges().iter().any(|&(lo, hi)| lo <= k && k <= hi),
                "{a}"
            );
        }
        for a in [
            "203.0.114.1",
            "::ffff:203.0.114.1",
            "::203.0.113.77",
            "2001:db8::1",
        ] {
            assert!(!net.contains(ip(a)), "{a}");
            let k = ip_sort_key(ip(a));
            assert!(
                !net.key_ranges().iter().any(|&(lo, hi)| lo <= k && k <= hi),
                "{a}"
            );
        }
        let ranges = Net::parse("0.0.0.0/0").unwrap().key_ranges();
        assert!(ranges[0].1 < ranges[1].0, "{ranges:?}");
        assert_eq!(Net::parse("2001:db8::/32").unwrap().key_ranges().len(), 1);
    }

    #[test]
    fn address_rows_round_trip() {
        let k = |s: &str| ip_sort_key(s.parse().unwrap());
        let keys = [
            k("192.0.2.1"),
            k("192.0.2.1"),
            k("192.0.2.200"),
            k("2001:db8::1"),
            k("2001:db8::1"),
        ];
        type Row<'a> = (Key, &'a [u8], u32, (T, u32), (T, u32));
        let rows: Vec<Row> = vec![
            (
                keys[0],
                b"acc_1",
                3,
                ((1_793_000_000, 5), 7),
                ((1_793_000_100, 0), 99),
            ),
            // The same first time as the row before.
            (
                keys[1],
                b"acc_2",
                1,
                ((1_793_000_000, 5), 8),
                ((1_793_000_000, 5), 8),
            ),
            // Past 2262, and a leap second.
            (
                keys[2],
                b"acc_1",
                2,
                ((10_000_000_000, 1), 1),
                ((1_793_000_000, 1_500_000_000), 0),
            ),
            (keys[3], b"acc_3", 1, ((0, 0), 262_143), ((0, 0), 262_143)),
            (
                keys[4],
                b"acc_1",
                9,
                ((1_793_000_000, 5), 0),
                ((1_793_000_001, 5), 262_143),
            ),
        ];
        let mut b = vec![];
        // Predictions near some of the times, and far from others.
        let anchors = Anchors(
            (0..1024)
                .map(|k| 1_793_000_000_000_000_000 + k * 7_000_000_000)
                .collect(),
        );
        encode_ip_rows(
            rows.iter().map(|r| (&r.0, r.1, r.2, r.3, r.4)),
            &anchors,
            &mut b,
        );
        let back = decode_ip_rows(&b, &anchors).unwrap();
        assert_eq!(back.len(), rows.len());
        for (r, x) in rows.iter().zip(&back) {
            assert_eq!(
                (x.key, x.account.as_slice(), x.count),
                (r.0, r.1, u64::from(r.2))
            );
            assert_eq!(x.first, (r.3.0, u64::from(r.3.1)));
            assert_eq!(x.last, (r.4.0, u64::from(r.4.1)));
        }
        for i in 0..b.len() {
            assert!(decode_ip_rows(&b[..i], &anchors).is_err(), "cut at {i}");
            let mut d = b.clone();
            d[i] ^= 0x80;
            let _ = decode_ip_rows(&d, &anchors);
        }
    }
}
