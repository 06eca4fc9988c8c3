//! Reference data for detection, kept as versioned lists like the designated lists: IP ranges
//! with a label (a hosting provider, a VPN, a Tor exit), disposable email domains, and card
//! BIN ranges with their brand, funding and issuing country.
//!
//! Each kind is read whole from its file ([`Reference::parse`]) or refused whole, naming the
//! line: a list that does not parse is never half imported. What is kept is the canonical
//! text ([`Reference::canonical`]: sorted, one entry a line), whose SHA-256 is the version's
//! content hash, so the same data in another order or layout is the same version.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A kind of reference list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RefKind {
    IpRanges,
    DisposableDomains,
    BinRanges,
}

impl RefKind {
    pub const ALL: [RefKind; 3] = [
        RefKind::IpRanges,
        RefKind::DisposableDomains,
        RefKind::BinRanges,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefKind::IpRanges => "ip-ranges",
            RefKind::DisposableDomains => "disposable-domains",
            RefKind::BinRanges => "bin-ranges",
        }
    }

    pub fn parse(s: &str) -> Option<RefKind> {
        RefKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The kinds an IP range may be labelled with, most telling first: an address in ranges of
/// two kinds (a Tor exit inside a hosting provider's block) is of the first.
pub const IP_KINDS: [&str; 8] = [
    "tor",
    "vpn",
    "proxy",
    "hosting",
    "cdn",
    "bot",
    "residential",
    "mobile",
];

/// One labelled range of addresses, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IpRange {
    pub start: IpAddr,
    pub end: IpAddr,
    pub kind: String,
    pub provider: String,
}

/// The most providers an address is said to be of.
const MAX_PROVIDERS: usize = 8;

/// Card funding types.
pub const FUNDING: [&str; 5] = ["credit", "debit", "prepaid", "charge", "unknown"];

/// One BIN range: card numbers whose first eight digits lie in `from..=to` (a six-digit BIN
/// `411111` is `41111100..=41111199`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct BinRange {
    pub from: u32,
    pub to: u32,
    pub brand: String,
    pub funding: String,
    /// ISO 3166-1 alpha-2 (empty when unknown).
    pub country: String,
}

/// A reference list, parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum Reference {
    IpRanges(Vec<IpRange>),
    DisposableDomains(BTreeSet<String>),
    BinRanges(Vec<BinRange>),
}

fn line_err(line: usize, why: impl std::fmt::Display) -> String {
    format!("line {line}: {why}")
}

/// A value as an error message shows it: at most 60 characters.
fn shown(s: &str) -> String {
    match s.char_indices().nth(60) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// An address as a number on one line of both families (IPv4 mapped into IPv6's space).
fn num(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(a) => u128::from(a.to_ipv6_mapped()),
        IpAddr::V6(a) => u128::from(a),
    }
}

fn ip_of(n: u128) -> IpAddr {
    let v6 = Ipv6Addr::from(n);
    match v6.to_ipv4_mapped() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(v6),
    }
}

/// A network (`192.0.2.0/24`) or a single address, as a range.
fn network(s: &str) -> Result<(IpAddr, IpAddr), String> {
    let s = s.trim();
    if let Ok(n) = s.parse::<ipnet::IpNet>() {
        return Ok((n.network(), n.broadcast()));
    }
    s.parse::<IpAddr>()
        .map(|a| (a, a))
        .map_err(|_| format!("`{}` is not an address or a network", shown(s)))
}

fn ip_kind(k: &str) -> Result<String, String> {
    let k = k.trim().to_ascii_lowercase();
    match k.as_str() {
        // iporigin's words for the same things.
        "datacenter" | "cloud" => Ok("hosting".into()),
        "tor_exit" | "tor-exit" => Ok("tor".into()),
        k if IP_KINDS.contains(&k) => Ok(k.to_owned()),
        _ => Err(format!(
            "`{}` is not a kind of range: one of {}",
            shown(&k),
            IP_KINDS.join(", ")
        )),
    }
}

fn ip_range(start: &str, end: Option<&str>, kind: &str, provider: &str) -> Result<IpRange, String> {
    let (start, end) = match end {
        None => network(start)?,
        Some(end) => {
            let (s, _) = network(start)?;
            let (_, e) = network(end)?;
            (s, e)
        }
    };
    if start.is_ipv4() != end.is_ipv4() || num(start) > num(end) {
        return Err(format!("{start} to {end} is not a range"));
    }
    let provider = provider.trim();
    if provider.contains(['\n', '\t']) || provider.len() > 200 {
        return Err("the provider is not one short line".into());
    }
    Ok(IpRange {
        start,
        end,
        kind: ip_kind(kind)?,
        provider: provider.to_owned(),
    })
}

/// A CSV's columns by name (its header, lower-cased).
fn columns(h: &csv::StringRecord) -> BTreeMap<String, usize> {
    h.iter()
        .enumerate()
        .map(|(i, c)| (c.trim().to_ascii_lowercase(), i))
        .collect()
}

/// A CSV's records, each with the line of `bytes` it starts on, counted from its byte offset
/// (the reader's own count skips comment and blank lines): an error names its line.
fn records<'r>(
    rdr: &'r mut csv::Reader<&[u8]>,
    bytes: &'r [u8],
) -> impl Iterator<Item = Result<(usize, csv::StringRecord), String>> + 'r {
    let line_at = move |byte: u64| {
        let end = (byte as usize).min(bytes.len());
        bytes[..end].iter().filter(|b| **b == b'\n').count() + 1
    };
    rdr.records().enumerate().map(move |(i, rec)| {
        let pos = match &rec {
            Ok(r) => r.position().cloned(),
            Err(e) => e.position().cloned(),
        };
        let line = pos.map_or(i + 2, |p| line_at(p.byte()));
        rec.map(|r| (line, r)).map_err(|e| match e.kind() {
            csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => line_err(
                line,
                format!("has {len} fields where the header has {expected_len}"),
            ),
            csv::ErrorKind::Utf8 { .. } => line_err(line, "is not UTF-8"),
            _ => line_err(line, "is not a CSV record"),
        })
    })
}

fn parse_ip_ranges(bytes: &[u8]) -> Result<Vec<IpRange>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8".to_owned())?;
    let mut out = vec![];
    if text.trim_start().starts_with('[') {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Entry {
            #[serde(default)]
            network: Option<String>,
            #[serde(default)]
            start: Option<String>,
            #[serde(default)]
            end: Option<String>,
            kind: String,
            #[serde(default)]
            provider: String,
        }
        let entries: Vec<Entry> =
            serde_json::from_str(text).map_err(|e| format!("not the JSON of IP ranges: {e}"))?;
        for (i, e) in entries.iter().enumerate() {
            let at = |why: String| format!("entry {}: {why}", i + 1);
            let r = match (&e.network, &e.start, &e.end) {
                (Some(n), None, None) => ip_range(n, None, &e.kind, &e.provider),
                (None, Some(s), Some(t)) => ip_range(s, Some(t), &e.kind, &e.provider),
                _ => Err("names either `network` or `start` and `end`".into()),
            }
            .map_err(at)?;
            out.push(r);
        }
        return Ok(out);
    }
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let cols = columns(rdr.headers().map_err(|e| line_err(1, e))?);
    let kind = *cols
        .get("kind")
        .or(cols.get("label"))
        .ok_or("the header names no `kind` (or `label`) column")?;
    let provider = cols.get("provider").copied();
    let range = match (cols.get("network"), cols.get("start"), cols.get("end")) {
        (Some(n), _, _) => (*n, None),
        (None, Some(s), Some(e)) => (*s, Some(*e)),
        _ => return Err("the header names no `network` column, nor `start` and `end`".into()),
    };
    for rec in records(&mut rdr, bytes) {
        let (line, rec) = rec?;
        let get = |c: usize| rec.get(c).unwrap_or_default();
        let r = ip_range(
            get(range.0),
            range.1.map(get),
            get(kind),
            provider.map(get).unwrap_or_default(),
        )
        .map_err(|e| line_err(line, e))?;
        out.push(r);
    }
    Ok(out)
}

fn parse_domains(bytes: &[u8]) -> Result<BTreeSet<String>, String> {
    let text = std::str::from_utf8(bytes).map_err(|_| "the file is not UTF-8".to_owned())?;
    let mut out = BTreeSet::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.split('#').next().unwrap_or_default().trim();
        if l.is_empty() {
            continue;
        }
        let d = custos_ids::email::domain_ascii(l.trim_end_matches('.'))
            .map_err(|e| line_err(i + 1, format!("`{}` is not a domain: {e}", shown(l))))?;
        if !d.contains('.') {
            return Err(line_err(i + 1, format!("`{}` is not a domain", shown(l))));
        }
        out.insert(d);
    }
    Ok(out)
}

fn digits8(s: &str, fill: char) -> Result<u32, String> {
    let s = s.trim();
    if s.bytes().filter(u8::is_ascii_digit).count() > 8 {
        // Perhaps a whole card number, however written (spaces, dashes, dots): never echoed.
        return Err(
            "holds more than 8 digits: a BIN is a card's first 6 to 8, never its \
                    whole number"
                .into(),
        );
    }
    if !(6..=8).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{}` is not a BIN of 6 to 8 digits", shown(s)));
    }
    let mut p = s.to_owned();
    while p.len() < 8 {
        p.push(fill);
    }
    p.parse().map_err(|_| format!("`{s}` is not a BIN"))
}

fn parse_bins(bytes: &[u8]) -> Result<Vec<BinRange>, String> {
    let mut rdr = csv::ReaderBuilder::new()
        .comment(Some(b'#'))
        .trim(csv::Trim::All)
        .from_reader(bytes);
    let cols = columns(rdr.headers().map_err(|e| line_err(1, e))?);
    let need = |c: &str| {
        cols.get(c)
            .copied()
            .ok_or_else(|| format!("the header names no `{c}` column"))
    };
    let (brand, funding, country) = (need("brand")?, need("funding")?, need("country")?);
    let range = match (cols.get("bin"), cols.get("from"), cols.get("to")) {
        (Some(b), _, _) => (*b, None),
        (None, Some(f), Some(t)) => (*f, Some(*t)),
        _ => return Err("the header names no `bin` column, nor `from` and `to`".into()),
    };
    let mut out = vec![];
    for rec in records(&mut rdr, bytes) {
        let (line, rec) = rec?;
        let get = |c: usize| rec.get(c).unwrap_or_default();
        let bad = |e: String| line_err(line, e);
        let (from, to) = match range.1 {
            None => (digits8(get(range.0), '0'), digits8(get(range.0), '9')),
            Some(t) => (digits8(get(range.0), '0'), digits8(get(t), '9')),
        };
        let (from, to) = (from.map_err(bad)?, to.map_err(bad)?);
        if from > to {
            return Err(bad(format!("{from} to {to} is not a range")));
        }
        let f = get(funding).to_ascii_lowercase();
        let f = if f.is_empty() {
            "unknown".to_owned()
        } else {
            f
        };
        if !FUNDING.contains(&f.as_str()) {
            return Err(bad(format!(
                "`{}` is not a funding type: one of {}",
                shown(&f),
                FUNDING.join(", ")
            )));
        }
        let c = get(country).to_ascii_uppercase();
        if !c.is_empty() && !custos_ids::country::is_alpha2(&c) {
            return Err(bad(format!("`{}` is not a country", shown(&c))));
        }
        let b = get(brand).to_ascii_lowercase();
        if b.is_empty() || b.len() > 40 || !b.bytes().all(|x| x.is_ascii_graphic() || x == b' ') {
            return Err(bad(format!("`{}` is not a brand", shown(&b))));
        }
        out.push(BinRange {
            from,
            to,
            brand: b,
            funding: f,
            country: c,
        });
    }
    Ok(out)
}

impl Reference {
    /// Reads a list of `kind` whole: IP ranges from CSV (a header naming `network`, or
    /// `start` and `end`, then `kind` and optionally `provider`) or a JSON array of such
    /// objects; disposable domains from text (a domain a line, `#` comments); BIN ranges from
    /// CSV (`bin`, or `from` and `to`, then `brand`, `funding`, `country`). The first line that
    /// does not parse refuses the whole file, naming it.
    pub fn parse(kind: RefKind, bytes: &[u8]) -> Result<Reference, String> {
        let r = match kind {
            RefKind::IpRanges => Reference::IpRanges(parse_ip_ranges(bytes)?),
            RefKind::DisposableDomains => Reference::DisposableDomains(parse_domains(bytes)?),
            RefKind::BinRanges => Reference::BinRanges(parse_bins(bytes)?),
        };
        if r.is_empty() {
            return Err(format!("the file holds no {}", kind.as_str()));
        }
        Ok(r)
    }

    pub fn kind(&self) -> RefKind {
        match self {
            Reference::IpRanges(_) => RefKind::IpRanges,
            Reference::DisposableDomains(_) => RefKind::DisposableDomains,
            Reference::BinRanges(_) => RefKind::BinRanges,
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Reference::IpRanges(v) => v.len(),
            Reference::DisposableDomains(v) => v.len(),
            Reference::BinRanges(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The canonical text: sorted entries, one a line, in the CSV (or text) form `parse`
    /// reads back. Its SHA-256 is the content hash.
    pub fn canonical(&self) -> String {
        let mut out = String::new();
        match self {
            Reference::IpRanges(v) => {
                let mut v = v.clone();
                v.sort_by_key(|r| (num(r.start), num(r.end), r.kind.clone(), r.provider.clone()));
                v.dedup();
                let mut w = csv::Writer::from_writer(vec![]);
                let _ = w.write_record(["start", "end", "kind", "provider"]);
                for r in &v {
                    let _ = w.write_record([
                        r.start.to_string(),
                        r.end.to_string(),
                        r.kind.clone(),
                        r.provider.clone(),
                    ]);
                }
                out = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
            }
            Reference::DisposableDomains(v) => {
                for d in v {
                    out.push_str(d);
                    out.push('\n');
                }
            }
            Reference::BinRanges(v) => {
                let mut v = v.clone();
                v.sort();
                v.dedup();
                let mut w = csv::Writer::from_writer(vec![]);
                let _ = w.write_record(["from", "to", "brand", "funding", "country"]);
                for r in &v {
                    let _ = w.write_record([
                        format!("{:08}", r.from),
                        format!("{:08}", r.to),
                        r.brand.clone(),
                        r.funding.clone(),
                        r.country.clone(),
                    ]);
                }
                out = String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default();
            }
        }
        out
    }

    /// SHA-256 of the canonical text, hex.
    pub fn content_hash(&self) -> String {
        hex::encode(Sha256::digest(self.canonical().as_bytes()))
    }
}

/// What the IP ranges say of an address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct IpClass {
    /// The most telling kind of the ranges holding it (see [`IP_KINDS`]), or `unknown`.
    pub kind: String,
    /// Every kind, sorted.
    pub labels: Vec<String>,
    /// The providers named, sorted.
    pub providers: Vec<String>,
}

/// IP ranges ready for lookups: cut into disjoint segments, each with the labels of every
/// range that covers it, searched by bisection.
#[derive(Debug, Clone, Default)]
pub struct IpTable {
    /// (first address, last address, index into `labels`), sorted, disjoint.
    segments: Vec<(u128, u128, usize)>,
    labels: Vec<IpClass>,
}

impl IpTable {
    pub fn new(ranges: &[IpRange]) -> IpTable {
        // A sweep over the ranges' ends: where a range starts, its kind and provider are
        // counted in; past its end, out. Each segment's labels are read from the counts, so a
        // file of deeply nested ranges costs its points, not its points times its ranges.
        let mut points: Vec<(u128, bool, usize)> = Vec::with_capacity(ranges.len() * 2);
        for (i, r) in ranges.iter().enumerate() {
            points.push((num(r.start), true, i));
            if let Some(after) = num(r.end).checked_add(1) {
                points.push((after, false, i));
            }
        }
        points.sort_unstable();
        let mut kinds: BTreeMap<&str, usize> = BTreeMap::new();
        let mut providers: BTreeMap<&str, usize> = BTreeMap::new();
        let mut active = 0usize;
        let mut classes: BTreeMap<(Vec<String>, Vec<String>), usize> = BTreeMap::new();
        let mut table = IpTable::default();
        fn count<'a>(m: &mut BTreeMap<&'a str, usize>, k: &'a str, starts: bool) {
            if starts {
                *m.entry(k).or_default() += 1;
            } else if let Some(n) = m.get_mut(k) {
                *n -= 1;
                if *n == 0 {
                    m.remove(k);
                }
            }
        }
        let mut k = 0;
        while k < points.len() {
            let at = points[k].0;
            while k < points.len() && points[k].0 == at {
                let (_, starts, i) = points[k];
                let r = &ranges[i];
                count(&mut kinds, r.kind.as_str(), starts);
                if !r.provider.is_empty() {
                    count(&mut providers, r.provider.as_str(), starts);
                }
                if starts {
                    active += 1;
                } else {
                    active -= 1;
                }
                k += 1;
            }
            if active == 0 {
                continue;
            }
            let end = points.get(k).map_or(u128::MAX, |p| p.0 - 1);
            let labels: Vec<String> = kinds.keys().map(|s| (*s).to_owned()).collect();
            // At most a few providers a segment: an address is not of a hundred providers.
            let named: Vec<String> = providers
                .keys()
                .take(MAX_PROVIDERS)
                .map(|s| (*s).to_owned())
                .collect();
            let next = classes.len();
            let c = *classes
                .entry((labels.clone(), named.clone()))
                .or_insert_with(|| {
                    let kind = IP_KINDS
                        .iter()
                        .find(|k| labels.iter().any(|l| l == *k))
                        .map_or("unknown", |k| k)
                        .to_owned();
                    table.labels.push(IpClass {
                        kind,
                        labels,
                        providers: named,
                    });
                    next
                });
            table.segments.push((at, end, c));
        }
        table
    }

    /// What the ranges say of `ip`: kind `unknown` when no range holds it.
    pub fn lookup(&self, ip: IpAddr) -> IpClass {
        let n = num(match ip {
            IpAddr::V6(a) => a.to_ipv4_mapped().map_or(ip, |v4: Ipv4Addr| IpAddr::V4(v4)),
            v4 => v4,
        });
        let i = self.segments.partition_point(|s| s.0 <= n);
        match i.checked_sub(1).map(|i| self.segments[i]) {
            Some((_, end, c)) if n <= end => self.labels[c].clone(),
            _ => IpClass {
                kind: "unknown".into(),
                ..IpClass::default()
            },
        }
    }

    /// How many disjoint segments the ranges came to.
    pub fn segments(&self) -> usize {
        self.segments.len()
    }

    /// The first and last address of each segment, for tests and diagnostics.
    pub fn bounds(&self) -> impl Iterator<Item = (IpAddr, IpAddr)> + '_ {
        self.segments.iter().map(|s| (ip_of(s.0), ip_of(s.1)))
    }
}

/// Disposable domains ready for lookups: a domain is disposable when it or a parent domain is
/// listed.
pub fn is_listed(domains: &BTreeSet<String>, domain_ascii: &str) -> bool {
    let d = domain_ascii.trim_end_matches('.').to_ascii_lowercase();
    let mut rest = d.as_str();
    loop {
        if domains.contains(rest) {
            return true;
        }
        match rest.split_once('.') {
            Some((_, parent)) if parent.contains('.') => rest = parent,
            _ => return false,
        }
    }
}

/// The narrowest BIN range holding a card's first digits (six to eight of them).
pub fn bin_lookup<'a>(ranges: &'a [BinRange], bin: &str) -> Option<&'a BinRange> {
    let b = bin.trim();
    if !(6..=8).contains(&b.len()) || !b.bytes().all(|x| x.is_ascii_digit()) {
        return None;
    }
    let (lo, hi) = (digits8(b, '0').ok()?, digits8(b, '9').ok()?);
    ranges
        .iter()
        .filter(|r| r.from <= lo && hi <= r.to)
        .min_by_key(|r| r.to - r.from)
}

#[cfg(test)]
mod tests;
