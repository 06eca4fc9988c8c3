//! What makes the access log searchable without reading all of it: for every complete bundle
//! of 256 events, the span of its times (`times`, 16 bytes) and a Bloom filter of its accounts,
//! addresses and address prefixes (`blooms`, 512 bytes): about 2 bytes an event. A query reads
//! the spans, then the filters of the bundles in its time range, then only the bundles whose
//! filter may hold what it asks for. The last, partial bundle is always read.
//!
//! The index is derived data: it is written after the bundle it describes is committed, and
//! rebuilt from the entries for any bundle it lacks when the log opens.

use std::net::IpAddr;

use crate::event::Event;

/// Bits in one bundle's filter.
pub const BLOOM_BITS: usize = 4096;
pub const BLOOM_BYTES: usize = BLOOM_BITS / 8;
const PROBES: u64 = 3;

/// IPv4 prefixes indexed, and IPv6 ones.
const V4_PREFIXES: [u8; 2] = [16, 24];
const V6_PREFIXES: [u8; 2] = [32, 48];

/// FNV-1a, 64 bits: stable across builds and platforms, as a file format needs.
fn fnv(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for &b in *p {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn positions(key: &[u8]) -> impl Iterator<Item = usize> {
    let h1 = fnv(&[key]);
    let h2 = fnv(&[key, b"custos"]) | 1;
    (0..PROBES).map(move |i| (h1.wrapping_add(i.wrapping_mul(h2)) % BLOOM_BITS as u64) as usize)
}

/// A network: an address and a prefix length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Net {
    pub addr: IpAddr,
    pub len: u8,
}

impl Net {
    /// Parses `ADDR` or `ADDR/LEN`; the address is masked to the prefix.
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
        Some(Net {
            addr: mask(addr, len),
            len,
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        ip.is_ipv4() == self.addr.is_ipv4() && mask(ip, self.len) == self.addr
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

fn ip_key(ip: IpAddr, len: u8) -> Vec<u8> {
    let mut k = vec![b'p', len];
    match mask(ip, len) {
        IpAddr::V4(v) => k.extend_from_slice(&v.octets()),
        IpAddr::V6(v) => k.extend_from_slice(&v.octets()),
    }
    k
}

fn account_key(a: &str) -> Vec<u8> {
    let mut k = vec![b'a'];
    k.extend_from_slice(a.as_bytes());
    k
}

/// What a query asks the filter.
#[derive(Debug, Clone)]
pub enum Probe {
    Account(String),
    /// The key of the longest indexed prefix within the network, or none (every bundle in
    /// range must be read).
    Net(Option<Vec<u8>>),
}

impl Probe {
    pub fn net(n: &Net) -> Probe {
        let (full, prefixes): (u8, &[u8]) = if n.addr.is_ipv4() {
            (32, &V4_PREFIXES)
        } else {
            (128, &V6_PREFIXES)
        };
        let len = std::iter::once(full)
            .chain(prefixes.iter().rev().copied())
            .find(|&p| p <= n.len);
        Probe::Net(len.map(|l| ip_key(n.addr, l)))
    }

    fn key(&self) -> Option<Vec<u8>> {
        match self {
            Probe::Account(a) => Some(account_key(a)),
            Probe::Net(k) => k.clone(),
        }
    }

    /// Whether a bundle with this filter may hold a match.
    pub fn may_match(&self, bloom: &[u8]) -> bool {
        match self.key() {
            None => true,
            Some(k) => positions(&k).all(|p| bloom[p / 8] & (1 << (p % 8)) != 0),
        }
    }
}

/// The summary of one bundle: its time span and filter.
#[derive(Debug)]
pub struct Summary {
    pub min: i64,
    pub max: i64,
    pub bloom: [u8; BLOOM_BYTES],
}

impl Summary {
    /// Summarises a bundle's encoded entries; entries that are not events are skipped.
    pub fn of<'a>(leaves: impl IntoIterator<Item = &'a [u8]>) -> Summary {
        let mut s = Summary {
            min: i64::MAX,
            max: i64::MIN,
            bloom: [0; BLOOM_BYTES],
        };
        for leaf in leaves {
            let Ok(e) = Event::decode(leaf) else {
                continue;
            };
            let t = e.time.timestamp();
            s.min = s.min.min(t);
            s.max = s.max.max(t);
            let (full, prefixes): (u8, &[u8]) = if e.ip.is_ipv4() {
                (32, &V4_PREFIXES)
            } else {
                (128, &V6_PREFIXES)
            };
            let mut set = |k: &[u8]| {
                for p in positions(k) {
                    s.bloom[p / 8] |= 1 << (p % 8);
                }
            };
            set(&account_key(&e.account_id));
            set(&ip_key(e.ip, full));
            for &p in prefixes {
                set(&ip_key(e.ip, p));
            }
        }
        s
    }

    pub fn times_bytes(&self) -> [u8; 16] {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&self.min.to_be_bytes());
        b[8..].copy_from_slice(&self.max.to_be_bytes());
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_and_mask() {
        let n = Net::parse("198.51.100.77/24").unwrap();
        assert_eq!(n.to_string(), "198.51.100.0/24");
        assert!(n.contains("198.51.100.1".parse().unwrap()));
        assert!(!n.contains("198.51.101.1".parse().unwrap()));
        assert!(!n.contains("::1".parse().unwrap()));
        assert_eq!(Net::parse("2001:db8::1").unwrap().len, 128);
        assert!(Net::parse("10.0.0.0/33").is_none());
        assert!(Net::parse("nonsense").is_none());
        assert_eq!(Net::parse("0.0.0.0/0").unwrap().len, 0);
    }

    #[test]
    fn a_probe_matches_what_was_summarised() {
        let e = crate::event::Event {
            account_id: "acc_7".into(),
            time: chrono::DateTime::from_timestamp(1_800_000_000, 0).unwrap(),
            ip: "203.0.113.9".parse().unwrap(),
            port: None,
            action: crate::Action::Login,
            source: "s".into(),
            actor: None,
            user_agent: None,
            request_id: None,
        };
        let leaf = e.encode();
        let s = Summary::of([leaf.as_slice()]);
        assert_eq!((s.min, s.max), (1_800_000_000, 1_800_000_000));
        assert!(Probe::Account("acc_7".into()).may_match(&s.bloom));
        for net in [
            "203.0.113.9",
            "203.0.113.0/24",
            "203.0.0.0/20",
            "203.0.0.0/16",
            "0.0.0.0/0",
        ] {
            assert!(
                Probe::net(&Net::parse(net).unwrap()).may_match(&s.bloom),
                "{net}"
            );
        }
        // With three probes of 4,096 bits and a dozen keys, an absent key is almost never
        // reported.
        let absent = (0..1000)
            .filter(|i| Probe::Account(format!("other_{i}")).may_match(&s.bloom))
            .count();
        assert!(absent < 5, "{absent}");
    }
}
