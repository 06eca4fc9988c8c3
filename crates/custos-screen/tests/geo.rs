//! IP countries through the `maxminddb` crate against an independent reader of the same
//! format, the Python `maxminddb` package, on the CC0 database of the npm package
//! `@ip-location-db/geo-whois-asn-country-mmdb`.
//!
//! `.ci/test` fetches the database into `target/test-data/` and installs the oracle
//! (tests/oracle/requirements.txt). `CUSTOS_TEST_MMDB` names another database.

mod common;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::PathBuf;

use custos_screen::geo::IpCountries;
use custos_screen::synth::Rng;

fn database() -> PathBuf {
    let p = std::env::var_os("CUSTOS_TEST_MMDB").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../target/test-data/geo-whois-asn-country.mmdb")
        },
        PathBuf::from,
    );
    assert!(
        p.exists(),
        "{} is missing: .ci/test fetches it (the npm package @ip-location-db/geo-whois-asn-country-mmdb)",
        p.display()
    );
    p
}

#[test]
fn ip_countries_agree_with_the_python_reader() {
    let path = database();
    let db = IpCountries::open(&path).unwrap();
    let mut rng = Rng::new(13984);
    let mut ips: Vec<IpAddr> = vec![
        "8.8.8.8".parse().unwrap(),
        "2a00:1450:4001:80b::200e".parse().unwrap(),
        "127.0.0.1".parse().unwrap(),
        "::1".parse().unwrap(),
    ];
    for i in 0..4000 {
        ips.push(if i % 4 == 0 {
            // Allocated IPv6 space is mostly under 2000::/3.
            let hi = 0x2000_0000_0000_0000u64 | (rng.next_u64() >> 3);
            IpAddr::V6(Ipv6Addr::from(
                (u128::from(hi) << 64) | u128::from(rng.next_u64()),
            ))
        } else {
            IpAddr::V4(Ipv4Addr::from(rng.next_u64() as u32))
        });
    }
    let ours: Vec<String> = ips
        .iter()
        .map(|ip| db.country(*ip).unwrap_or_else(|| "-".into()))
        .collect();
    let input: String = ips.iter().map(|ip| format!("{ip}\n")).collect();
    let theirs = common::oracle("ip_country.py", &[path.as_os_str()], input);
    assert_eq!(theirs.len(), ips.len());
    let disagree: Vec<String> = ips
        .iter()
        .zip(ours.iter().zip(&theirs))
        .filter(|(_, (a, b))| a != b)
        .map(|(ip, (a, b))| format!("{ip}: ours {a}, python {b}"))
        .collect();
    assert!(disagree.is_empty(), "{}", disagree.join("\n"));
    // The sample is not all misses: most public IPv4 space is allocated.
    let known = ours.iter().filter(|c| *c != "-").count();
    assert!(
        known > 2000,
        "only {known} of {} IPs have a country",
        ips.len()
    );
    assert_eq!(
        db.country("8.8.8.8".parse().unwrap()).as_deref(),
        Some("US")
    );
    assert_eq!(db.country("127.0.0.1".parse().unwrap()), None);
}

#[test]
fn a_missing_or_broken_database_is_a_clear_error() {
    let e = IpCountries::open(std::path::Path::new("/nonexistent/x.mmdb")).unwrap_err();
    assert!(e.contains("/nonexistent/x.mmdb"), "{e}");
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bad.mmdb");
    std::fs::write(&p, b"not a database").unwrap();
    let e = IpCountries::open(&p).unwrap_err();
    assert!(e.contains("bad.mmdb"), "{e}");
}
