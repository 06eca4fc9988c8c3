//! A columnar form of a run of canonical event encodings, for storage: the same bytes back,
//! exactly, in about two thirds of the room zstd alone takes over the encodings as they are
//! (12.6 bytes an event against 18.2 in the ledger benchmark's bundles, docs/BENCHMARKS.md).
//!
//! Each field goes to a column of its own, so that zstd meets like beside like:
//!
//! - the times as differences from the one before (nanoseconds) less the run's usual
//!   difference (its median: what is left is how irregular the times are, not how far
//!   apart);
//! - each row's kind (its action, which optional fields it has, and its source) as a number
//!   in a table of the kinds met;
//! - the addresses, the accounts and the other strings (actor, user agent) each once in a
//!   table of its own, kept as byte planes (the values' lengths, then every first byte, every
//!   second byte, ...: an address family, an IPv6 prefix or an id's prefix becomes a run),
//!   and each row's value as 0 if it is the next new one, else its number plus one (in a
//!   bundle most addresses and accounts are new, and a column of zeros costs nothing);
//! - request ids by what they share with the one before.
//!
//! An entry of zeros (one that retention purged) is kept as its length. Anything else, an
//! entry that is not an event in the canonical encoding, makes [`encode`] decline: the caller
//! keeps those bytes as they are.
//!
//! [`encode`] reads each entry only where the canonical layout puts each field and takes it
//! only if the entry ends where the layout does; writing the fields back in that layout gives
//! the entry again, byte for byte. [`decode`] checks every length and index it reads, and
//! answers a damaged column with an error, never a panic.
//!
//! The rows may carry a number each (`rel`: where the entry lies in its segment, in the
//! index's blocks sorted by account), kept as differences too. Rows with numbers may keep
//! their times as differences from times predicted from those numbers (`Predict`): in the
//! index, rows sorted by account lie far apart in time, but each lies close to where its
//! place in the log puts it.
//!
//! Bundles stored in the first form (times as plain differences, one table of every string
//! numbered as first met, a tag a row) are read, and `verify` stores them again in that form
//! to compare.

use std::collections::HashMap;

/// The first columnar form (its first byte): times as differences from the one before. Bundles
/// stored in it are still read, and verified against it.
pub(crate) const FORM_DELTAS: u8 = 1;
/// The columnar form written now: times as differences from the one before less the run's
/// usual difference (its median), or, for rows numbered by their place in a segment, as
/// differences from a time predicted from that number (`Predict`); kinds, addresses, accounts
/// and strings in tables of byte planes.
const FORM: u8 = 2;
/// Form 2's flags: the rows carry numbers; their times are differences from predictions.
const HAS_REL: u8 = 1;
const PREDICTED: u8 = 2;

/// A time (nanoseconds) predicted for a row from its number.
pub(crate) type Predict<'a> = &'a dyn Fn(u32) -> i64;
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

/// Values, each once, numbered in the order first met.
pub(crate) struct Dict<K> {
    ids: HashMap<K, u32, foldhash::fast::RandomState>,
    pub values: Vec<K>,
}

impl<K> Default for Dict<K> {
    fn default() -> Self {
        Dict {
            ids: HashMap::default(),
            values: vec![],
        }
    }
}

impl<K: std::hash::Hash + Eq + Copy> Dict<K> {
    /// `k`'s number.
    pub fn id(&mut self, k: K) -> u32 {
        let n = self.values.len() as u32;
        *self.ids.entry(k).or_insert_with(|| {
            self.values.push(k);
            n
        })
    }

    /// `k` as the second form refers to it: 0 for a value met for the first time (the next
    /// in the table), else its number plus one. Runs where most values are new (a bundle's
    /// addresses and accounts) then compress to little.
    pub fn code(&mut self, k: K) -> u64 {
        let n = self.values.len() as u32;
        match self.id(k) {
            id if id == n => 0,
            id => u64::from(id) + 1,
        }
    }
}

impl Dict<&[u8]> {
    /// The values in order, each its length and its bytes.
    pub fn list(&self) -> Vec<u8> {
        let mut out = vec![];
        for v in &self.values {
            put_var(&mut out, v.len() as u64);
            out.extend_from_slice(v);
        }
        out
    }

    /// The values as byte planes: their lengths in order, then, for each length from the
    /// shortest, the values of that length byte by byte (every first byte, then every second
    /// one, ...), so that the bytes values share (a family byte, an IPv6 prefix, an id's
    /// prefix) stand in runs.
    pub fn planes(&self) -> Vec<u8> {
        let mut out = vec![];
        put_var(&mut out, self.values.len() as u64);
        for v in &self.values {
            put_var(&mut out, v.len() as u64);
        }
        let mut order: Vec<&[u8]> = self.values.clone();
        order.sort_by_key(|v| v.len());
        for group in order.chunk_by(|a, b| a.len() == b.len()) {
            for p in 0..group[0].len() {
                out.extend(group.iter().map(|v| v[p]));
            }
        }
        out
    }
}

/// A table [`Dict::planes`] wrote, read back.
pub(crate) struct Planes {
    buf: Vec<u8>,
    /// Where each value starts in `buf` (and, last, where the last ends).
    at: Vec<usize>,
}

impl Planes {
    pub fn read(mut c: Col) -> Result<Planes, &'static str> {
        let n = c.len()?;
        // (Each value's length takes a byte at least: a damaged count reserves little.)
        if n > MAX_ROWS || n > c.b.len() {
            return Err("a table is too long");
        }
        let mut at = Vec::with_capacity(n + 1);
        let mut total = 0usize;
        let mut lens = Vec::with_capacity(n);
        for _ in 0..n {
            let len = c.len()?;
            at.push(total);
            total = total.checked_add(len).ok_or("a table is too long")?;
            lens.push(len);
        }
        at.push(total);
        let bytes = c.take(total)?;
        if !c.done() {
            return Err("a table is longer than its values");
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|&i| lens[i]);
        let mut buf = vec![0u8; total];
        let mut from = 0usize;
        for group in order.chunk_by(|&a, &b| lens[a] == lens[b]) {
            for p in 0..lens[group[0]] {
                for &i in group {
                    buf[at[i] + p] = bytes[from];
                    from += 1;
                }
            }
        }
        Ok(Planes { buf, at })
    }

    pub fn len(&self) -> usize {
        self.at.len() - 1
    }

    pub fn get(&self, i: usize) -> &[u8] {
        &self.buf[self.at[i]..self.at[i + 1]]
    }
}

/// Reads [`Dict::code`]s: how many of the table's values have been met.
pub(crate) struct Codes<'a> {
    pub col: Col<'a>,
    pub met: usize,
}

impl<'a> Codes<'a> {
    pub fn new(col: Col<'a>) -> Self {
        Codes { col, met: 0 }
    }

    /// The number of the next value referred to, in a table of `len`.
    pub fn next(&mut self, len: usize) -> Result<usize, &'static str> {
        let i = match self.col.var()? {
            0 => {
                self.met += 1;
                self.met - 1
            }
            v => usize::try_from(v - 1)
                .ok()
                .filter(|&i| i < self.met)
                .ok_or("a reference to a value not met yet")?,
        };
        if i >= len {
            return Err("an index is out of range");
        }
        Ok(i)
    }
}

/// The columnar form of `leaves` (with one number each from `rel`, if given, and their times
/// kept against `predict`'s times for those numbers, if given), before compression; `None`
/// if any entry is neither a canonical event nor zeros.
pub fn encode(leaves: &[&[u8]], rel: Option<&[u32]>, predict: Option<Predict>) -> Option<Vec<u8>> {
    encode_form(FORM, leaves, rel, predict)
}

/// Times as differences from the one before, less `base`.
fn time_differences(ns: &[i64], base: i64) -> impl Iterator<Item = u64> {
    let mut prev = 0i64;
    ns.iter().map(move |&t| {
        let d = t.wrapping_sub(prev).wrapping_sub(base);
        prev = t;
        zigzag(d)
    })
}

/// The median of the differences between consecutive times (zero for fewer than two).
fn usual_difference(ns: &[i64]) -> i64 {
    let mut d: Vec<i64> = ns.windows(2).map(|w| w[1].wrapping_sub(w[0])).collect();
    if d.is_empty() {
        return 0;
    }
    let mid = d.len() / 2;
    *d.select_nth_unstable(mid).1
}

/// The columns of either form: in the first, a tag a row (present fields and action), the
/// addresses and one table of every string, numbered as first met; in the second, a table
/// of kinds (tag and source) a row, the addresses, the accounts and the other strings
/// (actor, user agent) each in a table of byte planes, referred to by [`Dict::code`].
fn encode_form(
    form: u8,
    leaves: &[&[u8]],
    rel: Option<&[u32]>,
    predict: Option<Predict>,
) -> Option<Vec<u8>> {
    if leaves.len() > MAX_ROWS
        || rel.is_some_and(|r| r.len() != leaves.len())
        || (predict.is_some() && (rel.is_none() || form == FORM_DELTAS))
    {
        return None;
    }
    let first = form == FORM_DELTAS;
    let mut tags = Vec::with_capacity(leaves.len());
    let mut kinds: Dict<(u8, &[u8])> = Dict::default();
    let mut lens = vec![];
    let mut times = vec![];
    // Each event's time, and its row.
    let mut event_ns = Vec::with_capacity(leaves.len());
    let mut event_rows = Vec::with_capacity(leaves.len());
    let mut ips = Dict::default();
    let mut ip_ids = vec![];
    let mut ports = vec![];
    let mut accounts = Dict::default();
    let mut strings = Dict::default();
    let mut ids = [vec![], vec![], vec![], vec![]];
    let mut requests = vec![];
    let mut prev_request: &[u8] = &[];
    fn refer<'a>(first: bool, d: &mut Dict<&'a [u8]>, out: &mut Vec<u8>, v: &'a [u8]) {
        put_var(out, if first { u64::from(d.id(v)) } else { d.code(v) });
    }
    for (row, leaf) in leaves.iter().enumerate() {
        let Some(f) = fields(leaf) else {
            if leaf.iter().all(|&b| b == 0) {
                if first {
                    tags.push(ZEROS);
                } else {
                    put_var(&mut tags, kinds.code((ZEROS, &[])));
                }
                put_var(&mut lens, leaf.len() as u64);
                continue;
            }
            return None;
        };
        let tag = f.present | (f.action << 4);
        event_ns.push(f.ns);
        event_rows.push(row);
        refer(first, &mut ips, &mut ip_ids, f.ip);
        if let Some(p) = f.port {
            ports.extend_from_slice(p);
        }
        if first {
            tags.push(tag);
            for (col, s) in [Some(f.account), Some(f.source), f.actor, f.agent]
                .into_iter()
                .enumerate()
            {
                if let Some(s) = s {
                    refer(first, &mut strings, &mut ids[col], s);
                }
            }
        } else {
            put_var(&mut tags, kinds.code((tag, f.source)));
            refer(first, &mut accounts, &mut ids[0], f.account);
            for (col, s) in [(2, f.actor), (3, f.agent)] {
                if let Some(s) = s {
                    refer(first, &mut strings, &mut ids[col], s);
                }
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
    let mut flags = 0u8;
    let mut base = None;
    match (form, predict, rel) {
        (FORM_DELTAS, ..) => {
            // (As the first form wrote them: checked, not wrapping.)
            let mut prev = 0i64;
            for &t in &event_ns {
                put_var(&mut times, zigzag(t.checked_sub(prev)?));
                prev = t;
            }
        }
        (_, Some(predict), Some(rel)) => {
            flags |= PREDICTED;
            for (&t, &row) in event_ns.iter().zip(&event_rows) {
                put_var(&mut times, zigzag(t.wrapping_sub(predict(rel[row]))));
            }
        }
        _ => {
            let b = usual_difference(&event_ns);
            for d in time_differences(&event_ns, b) {
                put_var(&mut times, d);
            }
            base = Some(b);
        }
    }
    let mut rels = vec![];
    if let Some(rel) = rel {
        flags |= HAS_REL;
        let mut prev = 0i64;
        for &r in rel {
            put_var(&mut rels, zigzag(i64::from(r) - prev));
            prev = i64::from(r);
        }
    }
    let mut out = vec![form];
    put_var(&mut out, leaves.len() as u64);
    let [account_ids, source_ids, actor_ids, agent_ids] = ids;
    // The same fourteen columns as `decode_rows` reads (the first form has no kinds, and its
    // one table of strings and the sources where the second has its accounts' table and its
    // strings').
    if first {
        out.push(u8::from(rel.is_some()));
    } else {
        out.push(flags);
        if let Some(b) = base {
            put_var(&mut out, zigzag(b));
        }
    }
    let mut kind_table = vec![];
    for (tag, source) in &kinds.values {
        kind_table.push(*tag);
        put_var(&mut kind_table, source.len() as u64);
        kind_table.extend_from_slice(source);
    }
    let (ip_table, table_a, table_b) = if first {
        (ips.list(), strings.list(), source_ids)
    } else {
        (ips.planes(), accounts.planes(), strings.planes())
    };
    let cols: [&[u8]; 14] = [
        &kind_table,
        &tags,
        &lens,
        &times,
        &ip_table,
        &ip_ids,
        &ports,
        &table_a,
        &account_ids,
        &table_b,
        &actor_ids,
        &agent_ids,
        &requests,
        &rels,
    ];
    for col in &cols[usize::from(first)..] {
        put_var(&mut out, col.len() as u64);
        out.extend_from_slice(col);
    }
    Some(out)
}
/// A reader of one column.
#[derive(Clone, Copy)]
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
/// and the rows' numbers (empty if they had none); `predict` as [`encode`] was given it.
pub fn decode(b: &[u8], predict: Option<Predict>) -> Result<(Vec<u8>, Vec<u32>), String> {
    decode_rows(b, predict).map_err(str::to_owned)
}

/// The tables of either form.
enum Tables<'a> {
    First {
        ips: Vec<&'a [u8]>,
        strings: Vec<&'a [u8]>,
    },
    Second {
        kinds: Vec<(u8, &'a [u8])>,
        ips: Planes,
        accounts: Planes,
        strings: Planes,
    },
}

fn decode_rows(b: &[u8], predict: Option<Predict>) -> Result<(Vec<u8>, Vec<u32>), &'static str> {
    let mut c = Col { b, at: 0 };
    let form = c.take(1)?[0];
    let n = c.len()?;
    if n > MAX_ROWS {
        return Err("too many rows");
    }
    let flags = c.take(1)?[0];
    let (has_rel, predict, base) = match (form, flags) {
        (FORM_DELTAS, 0 | 1) => (flags == 1, None, 0),
        (FORM, 0 | HAS_REL) => (flags == HAS_REL, None, unzigzag(c.var()?)),
        (FORM, f) if f == HAS_REL | PREDICTED => (
            true,
            Some(predict.ok_or("times kept against predictions that are not given")?),
            0,
        ),
        (FORM_DELTAS | FORM, _) => return Err("a malformed header"),
        _ => return Err("an unknown columnar form"),
    };
    let first = form == FORM_DELTAS;
    let mut cols = Vec::with_capacity(14);
    if first {
        // (The first form has no table of kinds.)
        cols.push(Col { b: &[], at: 0 });
    }
    while cols.len() < 14 {
        cols.push(c.column()?);
    }
    if !c.done() {
        return Err("trailing bytes");
    }
    let [
        kinds,
        mut tags,
        mut lens,
        mut times,
        ip_table,
        ip_ids,
        mut ports,
        table_a,
        ids_a,
        table_b,
        ids_b,
        ids_c,
        mut requests,
        mut rels,
    ]: [Col; 14] = cols.try_into().map_err(|_| "a malformed header")?;
    // The first form: strings, accounts, sources, actors, agents; the second: accounts,
    // account ids, strings, actors, agents.
    let tables = if first {
        Tables::First {
            ips: ip_table.table()?,
            strings: table_a.table()?,
        }
    } else {
        let mut k = kinds;
        let mut v = vec![];
        while !k.done() {
            let tag = k.take(1)?[0];
            let n = k.len()?;
            v.push((tag, k.take(n)?));
        }
        Tables::Second {
            kinds: v,
            ips: Planes::read(ip_table)?,
            accounts: Planes::read(table_a)?,
            strings: Planes::read(table_b)?,
        }
    };
    let (mut account_ids, mut source_ids, mut actor_ids, mut agent_ids) = if first {
        (ids_a, table_b, ids_b, ids_c)
    } else {
        (ids_a, Col { b: &[], at: 0 }, ids_b, ids_c)
    };
    let (mut ip_ids, mut kind_ids) = (Codes::new(ip_ids), Codes::new(tags));
    let (mut account_codes, mut string_codes) = (0usize, 0usize);
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
    // The next value of a table of the second form, by its code in `col`.
    fn code<'t>(
        col: &mut Col,
        met: &mut usize,
        table: &'t Planes,
    ) -> Result<&'t [u8], &'static str> {
        // (Actors and user agents share a table, and so what has been met of it.)
        let mut codes = Codes {
            col: *col,
            met: *met,
        };
        let i = codes.next(table.len())?;
        (col.at, *met) = (codes.col.at, codes.met);
        Ok(table.get(i))
    }
    // (A damaged count does not reserve much: the rows must be there to be written.)
    let mut out = Vec::with_capacity(n.min(4096) * 80);
    let mut prev_ns = 0i64;
    // Where the last request id lies in `out`.
    let mut prev_request = 0..0;
    for row in 0..n {
        let (tag, source) = match &tables {
            Tables::First { .. } => (tags.take(1)?[0], None),
            Tables::Second { kinds, .. } => {
                let (tag, source) = kinds[kind_ids.next(kinds.len())?];
                (tag, Some(source))
            }
        };
        if tag == ZEROS {
            if source.is_some_and(|s| !s.is_empty()) {
                return Err("a purged entry with a source");
            }
            let len = u16::try_from(lens.len()?).map_err(|_| "an entry is too long")?;
            out.extend_from_slice(&len.to_be_bytes());
            out.resize(out.len() + usize::from(len), 0);
            continue;
        }
        let start = out.len();
        out.extend_from_slice(&[0, 0, 1, tag & 0x0f, tag >> 4]);
        let d = unzigzag(times.var()?);
        let ns = match predict {
            // (Predicted times come with row numbers, one a row.)
            Some(predict) => predict(rel.get(row).copied().unwrap_or(0)).wrapping_add(d),
            None if first => prev_ns.checked_add(d).ok_or("a time is out of range")?,
            None => prev_ns.wrapping_add(base).wrapping_add(d),
        };
        prev_ns = ns;
        let secs = ns.div_euclid(BILLION);
        let nanos = ns.rem_euclid(BILLION) as u32;
        out.extend_from_slice(&secs.to_be_bytes());
        out.extend_from_slice(&nanos.to_be_bytes());
        let ip = match &tables {
            Tables::First { ips, .. } => ip_ids.col.pick(ips)?,
            Tables::Second { ips, .. } => ips.get(ip_ids.next(ips.len())?),
        };
        if !matches!((ip.first(), ip.len()), (Some(4), 5) | (Some(6), 17)) {
            return Err("a malformed address");
        }
        out.extend_from_slice(ip);
        if tag & 1 != 0 {
            out.extend_from_slice(ports.take(2)?);
        }
        match &tables {
            Tables::First { strings, .. } => {
                put_string(&mut out, account_ids.pick(strings)?)?;
                put_string(&mut out, source_ids.pick(strings)?)?;
                if tag & 2 != 0 {
                    put_string(&mut out, actor_ids.pick(strings)?)?;
                }
                if tag & 4 != 0 {
                    put_string(&mut out, agent_ids.pick(strings)?)?;
                }
            }
            Tables::Second {
                accounts, strings, ..
            } => {
                put_string(
                    &mut out,
                    code(&mut account_ids, &mut account_codes, accounts)?,
                )?;
                put_string(&mut out, source.unwrap_or_default())?;
                if tag & 2 != 0 {
                    put_string(&mut out, code(&mut actor_ids, &mut string_codes, strings)?)?;
                }
                if tag & 4 != 0 {
                    put_string(&mut out, code(&mut agent_ids, &mut string_codes, strings)?)?;
                }
            }
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
    let tags_done = if first {
        tags.done()
    } else {
        kind_ids.col.done()
    };
    let all_met = match &tables {
        Tables::First { .. } => true,
        Tables::Second {
            kinds,
            ips,
            accounts,
            strings,
        } => {
            kind_ids.met == kinds.len()
                && ip_ids.met == ips.len()
                && account_codes == accounts.len()
                && string_codes == strings.len()
        }
    };
    if !(tags_done
        && all_met
        && [
            &lens,
            &times,
            &ip_ids.col,
            &ports,
            &account_ids,
            &source_ids,
            &actor_ids,
            &agent_ids,
            &requests,
            &rels,
        ]
        .iter()
        .all(|c| c.done()))
    {
        return Err("a column is longer than its rows, or a table than its references");
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
    pack_as(comp, raw, Some(FORM))
}

/// A bundle's bytes as stored in columnar form `form` (if all its entries are events or
/// zeros), or as they are (`None`).
pub(crate) fn pack_as(
    comp: &mut zstd::bulk::Compressor<'static>,
    raw: &[u8],
    form: Option<u8>,
) -> std::io::Result<Vec<u8>> {
    let leaves: Vec<&[u8]> = crate::bundle::split_bundle(raw).collect();
    match form.and_then(|form| encode_form(form, &leaves, None, None)) {
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
    Ok(unpack_form(frame)?.0)
}

/// A bundle's bytes from what [`pack`] stored (or a version before it), and its columnar
/// form (`None`: stored as they are).
pub(crate) fn unpack_form(frame: &[u8]) -> Result<(Vec<u8>, Option<u8>), String> {
    match frame.split_first() {
        Some((&COLUMNAR, rest)) => {
            let cols = crate::bundle::unzstd(rest).map_err(|e| e.to_string())?;
            Ok((decode(&cols, None)?.0, cols.first().copied()))
        }
        _ => Ok((
            crate::bundle::unzstd(frame).map_err(|e| e.to_string())?,
            None,
        )),
    }
}

#[cfg(test)]
pub(crate) mod tests;
