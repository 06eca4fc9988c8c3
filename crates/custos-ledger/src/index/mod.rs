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

mod segment;
pub use segment::*;
mod pending;
pub use pending::*;

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

fn seg_name(seg: u64) -> String {
    format!("seg-{seg}")
}

#[cfg(test)]
mod tests;
