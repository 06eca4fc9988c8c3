//! A columnar form of a run of canonical event encodings, for storage: the same bytes back,
//! exactly, in about half the room once compressed.
//!
//! Each field goes to a column of its own, so that zstd meets like beside like: the times as
//! differences from the one before (nanoseconds), the addresses and the strings (account,
//! source, actor, user agent) each once in a table with a small number per entry, request ids
//! by what they share with the one before. An entry of zeros (one that retention purged) is
//! kept as its length. Anything else, an entry that is not an event in the canonical encoding,
//! makes [`encode`] decline: the caller keeps those bytes as they are.
//!
//! [`encode`] reads each entry only where the canonical layout puts each field and takes it
//! only if the entry ends where the layout does; writing the fields back in that layout gives
//! the entry again, byte for byte. [`decode`] checks every length and index it reads, and
//! answers a damaged column with an error, never a panic.
//!
//! The rows may carry a number each (`rel`: where the entry lies in its segment, in the
//! index's blocks sorted by account), kept as differences too.

use std::collections::HashMap;

/// The version of the columnar form, its first byte.
const FORM: u8 = 1;
/// The tag of a purged entry (zeros).
const ZEROS: u8 = 0xff;
/// At most this many rows in one run (a bundle is 256; an index block a few hundred).
const MAX_ROWS: usize = 1 << 20;

/// The fields of one canonical encoding (version 1), borrowed.
struct Fields<'a> {
    present: u8,
    action: u8,
    /// Nanoseconds since the epoch.
    ns: i64,
    /// The family byte and the address.
    ip: &'a [u8],
    port: Option<&'a [u8]>,
    account: &'a [u8],
    source: &'a [u8],
    actor: Option<&'a [u8]>,
    agent: Option<&'a [u8]>,
    request: Option<&'a [u8]>,
}

const BILLION: i64 = 1_000_000_000;

fn fields(b: &[u8]) -> Option<Fields<'_>> {
    let mut at = 0usize;
    let mut take = |n: usize| -> Option<&[u8]> {
        let s = b.get(at..at.checked_add(n)?)?;
        at += n;
        Some(s)
    };
    if take(1)?[0] != 1 {
        return None;
    }
    let present = take(1)?[0];
    let action = take(1)?[0];
    // (An action of 15 would make the tag of zeros.)
    if present & 0xf0 != 0 || action > 0x0e {
        return None;
    }
    let secs = i64::from_be_bytes(take(8)?.try_into().ok()?);
    let nanos = u32::from_be_bytes(take(4)?.try_into().ok()?);
    if i64::from(nanos) >= BILLION {
        return None;
    }
    let ip = match take(1)?[0] {
        4 => 5,
        6 => 17,
        _ => return None,
    };
    let ip = take(ip - 1).and_then(|_| b.get(15..15 + ip))?;
    let port = if present & 1 != 0 {
        Some(take(2)?)
    } else {
        None
    };
    let mut string = || -> Option<&[u8]> {
        let n = u16::from_be_bytes(take(2)?.try_into().ok()?);
        take(usize::from(n))
    };
    let account = string()?;
    let source = string()?;
    let mut opt = |bit: u8| -> Option<Option<&[u8]>> {
        if present & (1 << bit) != 0 {
            string().map(Some)
        } else {
            Some(None)
        }
    };
    let actor = opt(1)?;
    let agent = opt(2)?;
    let request = opt(3)?;
    (at == b.len()).then_some(Fields {
        present,
        action,
        // (Times past 2262 are kept as they are, by the caller.)
        ns: secs.checked_mul(BILLION)?.checked_add(i64::from(nanos))?,
        ip,
        port,
        account,
        source,
        actor,
        agent,
        request,
    })
}

pub(crate) fn put_var(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

pub(crate) fn unzigzag(v: u64) -> i64 {
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// Strings or addresses, each once, numbered in the order first met.
#[derive(Default)]
pub(crate) struct Table<'a> {
    ids: HashMap<&'a [u8], u32, foldhash::fast::RandomState>,
    pub bytes: Vec<u8>,
}

impl<'a> Table<'a> {
    pub fn id(&mut self, s: &'a [u8]) -> u32 {
        let n = self.ids.len() as u32;
        *self.ids.entry(s).or_insert_with(|| {
            put_var(&mut self.bytes, s.len() as u64);
            self.bytes.extend_from_slice(s);
            n
        })
    }
}

/// The columnar form of `leaves` (with one number each from `rel`, if given), before
/// compression; `None` if any entry is neither a canonical event nor zeros.
pub fn encode(leaves: &[&[u8]], rel: Option<&[u32]>) -> Option<Vec<u8>> {
    if leaves.len() > MAX_ROWS || rel.is_some_and(|r| r.len() != leaves.len()) {
        return None;
    }
    let mut tags = Vec::with_capacity(leaves.len());
    let mut lens = vec![];
    let mut times = vec![];
    let mut ips = Table::default();
    let mut ip_ids = vec![];
    let mut ports = vec![];
    let mut strings = Table::default();
    let mut ids = [vec![], vec![], vec![], vec![]];
    let mut requests = vec![];
    let mut prev_ns = 0i64;
    let mut prev_request: &[u8] = &[];
    for leaf in leaves {
        let Some(f) = fields(leaf) else {
            if leaf.iter().all(|&b| b == 0) {
                tags.push(ZEROS);
                put_var(&mut lens, leaf.len() as u64);
                continue;
            }
            return None;
        };
        tags.push(f.present | (f.action << 4));
        put_var(&mut times, zigzag(f.ns.checked_sub(prev_ns)?));
        prev_ns = f.ns;
        put_var(&mut ip_ids, u64::from(ips.id(f.ip)));
        if let Some(p) = f.port {
            ports.extend_from_slice(p);
        }
        for (col, s) in [Some(f.account), Some(f.source), f.actor, f.agent]
            .into_iter()
            .enumerate()
        {
            if let Some(s) = s {
                put_var(&mut ids[col], u64::from(strings.id(s)));
            }
        }
        if let Some(r) = f.request {
            let common = r
                .iter()
                .zip(prev_request)
                .take_while(|(a, b)| a == b)
                .count();
            put_var(&mut requests, common as u64);
            put_var(&mut requests, (r.len() - common) as u64);
            requests.extend_from_slice(&r[common..]);
            prev_request = r;
        }
    }
    let mut rels = vec![];
    if let Some(rel) = rel {
        let mut prev = 0i64;
        for &r in rel {
            put_var(&mut rels, zigzag(i64::from(r) - prev));
            prev = i64::from(r);
        }
    }
    let mut out = vec![FORM];
    put_var(&mut out, leaves.len() as u64);
    out.push(u8::from(rel.is_some()));
    let [accounts, sources, actors, agents] = ids;
    for col in [
        &tags,
        &lens,
        &times,
        &ips.bytes,
        &ip_ids,
        &ports,
        &strings.bytes,
        &accounts,
        &sources,
        &actors,
        &agents,
        &requests,
        &rels,
    ] {
        put_var(&mut out, col.len() as u64);
        out.extend_from_slice(col);
    }
    Some(out)
}

/// A reader of one column.
pub(crate) struct Col<'a> {
    pub b: &'a [u8],
    pub at: usize,
}

impl<'a> Col<'a> {
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], &'static str> {
        let s = self
            .at
            .checked_add(n)
            .and_then(|end| self.b.get(self.at..end))
            .ok_or("a column is cut short")?;
        self.at += n;
        Ok(s)
    }

    pub fn var(&mut self) -> Result<u64, &'static str> {
        // Most numbers take a byte or two.
        if let Some(&b) = self.b.get(self.at)
            && b < 0x80
        {
            self.at += 1;
            return Ok(u64::from(b));
        }
        if let Some(&[b0, b1]) = self.b.get(self.at..self.at + 2)
            && b1 < 0x80
        {
            self.at += 2;
            return Ok(u64::from(b0 & 0x7f) | (u64::from(b1) << 7));
        }
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.take(1)?[0];
            v |= u64::from(b & 0x7f)
                .checked_shl(shift)
                .filter(|x| x >> shift == u64::from(b & 0x7f))
                .ok_or("a number is out of range")?;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err("a number is out of range")
    }

    pub fn len(&mut self) -> Result<usize, &'static str> {
        usize::try_from(self.var()?).map_err(|_| "a length is out of range")
    }

    pub fn column(&mut self) -> Result<Col<'a>, &'static str> {
        let n = self.len()?;
        Ok(Col {
            b: self.take(n)?,
            at: 0,
        })
    }

    pub fn done(&self) -> bool {
        self.at == self.b.len()
    }

    /// A table of strings: each a length and its bytes.
    pub fn table(mut self) -> Result<Vec<&'a [u8]>, &'static str> {
        let mut v = vec![];
        while !self.done() {
            let n = self.len()?;
            v.push(self.take(n)?);
        }
        Ok(v)
    }

    pub fn pick<T: Copy>(&mut self, table: &[T]) -> Result<T, &'static str> {
        let i = usize::try_from(self.var()?).map_err(|_| "an index is out of range")?;
        table.get(i).copied().ok_or("an index is out of range")
    }
}

fn put_string(out: &mut Vec<u8>, s: &[u8]) -> Result<(), &'static str> {
    let n = u16::try_from(s.len()).map_err(|_| "a string is too long")?;
    out.extend_from_slice(&n.to_be_bytes());
    out.extend_from_slice(s);
    Ok(())
}

/// The entries again, as a C2SP bundle lays them out (each a 16-bit length and its bytes),
/// and the rows' numbers (empty if they had none).
pub fn decode(b: &[u8]) -> Result<(Vec<u8>, Vec<u32>), String> {
    decode_rows(b).map_err(str::to_owned)
}

fn decode_rows(b: &[u8]) -> Result<(Vec<u8>, Vec<u32>), &'static str> {
    let mut c = Col { b, at: 0 };
    if c.take(1)?[0] != FORM {
        return Err("an unknown columnar form");
    }
    let n = c.len()?;
    if n > MAX_ROWS {
        return Err("too many rows");
    }
    let has_rel = match c.take(1)?[0] {
        0 => false,
        1 => true,
        _ => return Err("a malformed header"),
    };
    let mut cols = Vec::with_capacity(13);
    for _ in 0..13 {
        cols.push(c.column()?);
    }
    if !c.done() {
        return Err("trailing bytes");
    }
    let [
        mut tags,
        mut lens,
        mut times,
        ip_table,
        mut ip_ids,
        mut ports,
        strings,
        mut accounts,
        mut sources,
        mut actors,
        mut agents,
        mut requests,
        mut rels,
    ]: [Col; 13] = cols.try_into().map_err(|_| "a malformed header")?;
    let ip_table = ip_table.table()?;
    let strings = strings.table()?;
    // (A damaged count does not reserve much: the rows must be there to be written.)
    let mut out = Vec::with_capacity(n.min(4096) * 80);
    let mut prev_ns = 0i64;
    // Where the last request id lies in `out`.
    let mut prev_request = 0..0;
    for _ in 0..n {
        let tag = tags.take(1)?[0];
        if tag == ZEROS {
            let len = u16::try_from(lens.len()?).map_err(|_| "an entry is too long")?;
            out.extend_from_slice(&len.to_be_bytes());
            out.resize(out.len() + usize::from(len), 0);
            continue;
        }
        let start = out.len();
        out.extend_from_slice(&[0, 0, 1, tag & 0x0f, tag >> 4]);
        let ns = prev_ns
            .checked_add(unzigzag(times.var()?))
            .ok_or("a time is out of range")?;
        prev_ns = ns;
        let secs = ns.div_euclid(BILLION);
        let nanos = ns.rem_euclid(BILLION) as u32;
        out.extend_from_slice(&secs.to_be_bytes());
        out.extend_from_slice(&nanos.to_be_bytes());
        let ip = ip_ids.pick(&ip_table)?;
        if !matches!((ip.first(), ip.len()), (Some(4), 5) | (Some(6), 17)) {
            return Err("a malformed address");
        }
        out.extend_from_slice(ip);
        if tag & 1 != 0 {
            out.extend_from_slice(ports.take(2)?);
        }
        put_string(&mut out, accounts.pick(&strings)?)?;
        put_string(&mut out, sources.pick(&strings)?)?;
        if tag & 2 != 0 {
            put_string(&mut out, actors.pick(&strings)?)?;
        }
        if tag & 4 != 0 {
            put_string(&mut out, agents.pick(&strings)?)?;
        }
        if tag & 8 != 0 {
            let common = requests.len()?;
            let rest = requests.len()?;
            let rest = requests.take(rest)?;
            if common > prev_request.len() {
                return Err("a request id is malformed");
            }
            let len = u16::try_from(common + rest.len()).map_err(|_| "a string is too long")?;
            out.extend_from_slice(&len.to_be_bytes());
            let at = out.len();
            out.extend_from_within(prev_request.start..prev_request.start + common);
            out.extend_from_slice(rest);
            prev_request = at..out.len();
        }
        let len = u16::try_from(out.len() - start - 2).map_err(|_| "an entry is too long")?;
        out[start..start + 2].copy_from_slice(&len.to_be_bytes());
    }
    let mut rel = vec![];
    if has_rel {
        let mut prev = 0i64;
        for _ in 0..n {
            prev = prev
                .checked_add(unzigzag(rels.var()?))
                .ok_or("a row number is out of range")?;
            rel.push(u32::try_from(prev).map_err(|_| "a row number is out of range")?);
        }
    }
    if ![
        &tags, &lens, &times, &ip_ids, &ports, &accounts, &sources, &actors, &agents, &requests,
        &rels,
    ]
    .iter()
    .all(|c| c.done())
    {
        return Err("a column is longer than its rows");
    }
    Ok((out, rel))
}

/// The first byte of a stored bundle in columnar form (a zstd frame of the columns follows);
/// any other stored bundle is a zstd frame of its bytes as they are (a zstd frame starts
/// with 0x28).
const COLUMNAR: u8 = 0xc5;

/// A bundle's bytes as stored: columnar if all its entries are events or zeros.
pub(crate) fn pack(
    comp: &mut zstd::bulk::Compressor<'static>,
    raw: &[u8],
) -> std::io::Result<Vec<u8>> {
    let leaves: Vec<&[u8]> = crate::log::split_bundle(raw).collect();
    match encode(&leaves, None) {
        Some(cols) => {
            let mut out = vec![COLUMNAR];
            out.extend_from_slice(&comp.compress(&cols)?);
            Ok(out)
        }
        None => comp.compress(raw),
    }
}

/// A bundle's bytes from what [`pack`] stored.
pub(crate) fn unpack(frame: &[u8]) -> Result<Vec<u8>, String> {
    match frame.split_first() {
        Some((&COLUMNAR, rest)) => {
            let cols = crate::log::unzstd(rest).map_err(|e| e.to_string())?;
            Ok(decode(&cols)?.0)
        }
        _ => crate::log::unzstd(frame).map_err(|e| e.to_string()),
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::{Action, Event};
    use crate::log::{join_bundle, split_bundle};
    use chrono::{DateTime, Duration, Utc};

    fn events(n: usize) -> Vec<Vec<u8>> {
        let t0 = DateTime::<Utc>::from_timestamp(1_793_000_000, 5).unwrap();
        (0..n)
            .map(|i| {
                Event {
                    account_id: format!("acc_{}", i % 7),
                    time: t0 + Duration::nanoseconds((i as i64 * 7_919) % 50_000 - 9_000),
                    ip: if i % 3 == 0 {
                        format!("2001:db8::{i:x}").parse().unwrap()
                    } else {
                        format!("192.0.2.{}", i % 5).parse().unwrap()
                    },
                    port: (i % 4 == 0).then_some(22),
                    action: Action::ALL[i % 9],
                    source: ["api-gw", "sso"][i % 2].into(),
                    actor: (i % 5 == 0).then(|| format!("u{}", i % 3)),
                    user_agent: (i % 6 == 0).then(|| "curl/8".into()),
                    request_id: (i % 2 == 0).then(|| format!("r{:x}", 4000 + i)),
                }
                .encode()
            })
            .collect()
    }

    #[test]
    fn round_trips_events_zeros_and_row_numbers() {
        let mut leaves = events(256);
        leaves[17] = vec![0; leaves[17].len()];
        leaves[18] = vec![];
        let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
        let raw = join_bundle(refs.iter().copied());
        let (back, rel) = decode(&encode(&refs, None).unwrap()).unwrap();
        assert_eq!(back, raw);
        assert!(rel.is_empty());
        let nums: Vec<u32> = (0..256u32).map(|i| (i * 7919) % 262_144).collect();
        let (back, rel) = decode(&encode(&refs, Some(&nums)).unwrap()).unwrap();
        assert_eq!(back, raw);
        assert_eq!(rel, nums);
        assert_eq!(split_bundle(&back).count(), 256);
        let (back, _) = decode(&encode(&[], None).unwrap()).unwrap();
        assert!(back.is_empty());
    }

    #[test]
    fn bundles_stored_either_way_read_back() {
        let leaves = events(256);
        let raw = join_bundle(leaves.iter().map(Vec::as_slice));
        let mut c = zstd::bulk::Compressor::new(3).unwrap();
        let packed = pack(&mut c, &raw).unwrap();
        assert_eq!(packed[0], COLUMNAR);
        assert_eq!(unpack(&packed).unwrap(), raw);
        // As bundles were stored before the columnar form, and as any bundle that holds
        // something other than events is.
        let plain = c.compress(&raw).unwrap();
        assert_eq!(unpack(&plain).unwrap(), raw);
        let other = join_bundle([b"an audit record".as_slice()]);
        assert_eq!(pack(&mut c, &other).unwrap(), c.compress(&other).unwrap());
        assert!(
            packed.len() * 2 < plain.len(),
            "{} {}",
            packed.len(),
            plain.len()
        );
    }

    #[test]
    fn declines_what_is_not_an_event() {
        let mut leaves = events(3);
        leaves[1].push(0);
        let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
        assert!(encode(&refs, None).is_none());
        assert!(encode(&[b"audit record".as_slice()], None).is_none());
        // A leap second's nanoseconds are kept as they are, by the caller.
        let mut leap = events(1).remove(0);
        leap[11..15].copy_from_slice(&1_500_000_000u32.to_be_bytes());
        assert!(encode(&[leap.as_slice()], None).is_none());
    }

    #[test]
    fn damage_is_an_error_or_other_entries_never_a_panic() {
        let leaves = events(64);
        let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
        let raw = join_bundle(refs.iter().copied());
        let enc = encode(&refs, Some(&(0..64).collect::<Vec<u32>>())).unwrap();
        for i in 0..enc.len() {
            for bit in [0x01u8, 0x80] {
                let mut d = enc.clone();
                d[i] ^= bit;
                if let Ok((back, _)) = decode(&d) {
                    let _ = split_bundle(&back).count();
                    let _ = back == raw;
                }
            }
            assert!(decode(&enc[..i]).is_err(), "cut at {i}");
        }
    }
}
