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
