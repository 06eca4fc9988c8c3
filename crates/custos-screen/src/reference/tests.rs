use super::*;

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/reference");

fn read(kind: RefKind, file: &str) -> Reference {
    Reference::parse(kind, &std::fs::read(format!("{DATA}/{file}")).unwrap()).unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn ip_ranges_overlap_and_the_most_telling_kind_wins() {
    let Reference::IpRanges(r) = read(RefKind::IpRanges, "ranges.csv") else {
        panic!()
    };
    let t = IpTable::new(&r);
    let tor = t.lookup(ip("203.0.113.7"));
    assert_eq!(tor.kind, "tor");
    assert_eq!(tor.labels, ["hosting", "tor"]);
    assert_eq!(tor.providers, ["Example Cloud"]);
    assert_eq!(t.lookup(ip("203.0.113.8")).kind, "hosting");
    assert_eq!(t.lookup(ip("203.0.113.6")).kind, "hosting");
    assert_eq!(t.lookup(ip("203.0.113.255")).kind, "hosting");
    assert_eq!(t.lookup(ip("203.0.114.0")).kind, "unknown");
    assert_eq!(t.lookup(ip("198.51.100.127")).kind, "vpn");
    assert_eq!(t.lookup(ip("198.51.100.128")).kind, "unknown");
    assert_eq!(t.lookup(ip("2001:db8::1")).kind, "hosting");
    assert_eq!(t.lookup(ip("2001:db9::1")).kind, "unknown");
    // An IPv4 address written as IPv6 is the same address.
    assert_eq!(t.lookup(ip("::ffff:203.0.113.7")).kind, "tor");
    // The hosting block cut around the Tor exit: three segments, then the VPN's and IPv6's.
    assert_eq!(t.segments(), 5);
}

#[test]
fn the_same_ranges_written_otherwise_are_the_same_version() {
    let csv = read(RefKind::IpRanges, "ranges.csv");
    let json = Reference::parse(
        RefKind::IpRanges,
        br#"[{"network": "2001:db8::/32", "kind": "hosting", "provider": "Example Cloud"},
             {"start": "198.51.100.0", "end": "198.51.100.127", "kind": "VPN", "provider": "Example VPN"},
             {"network": "203.0.113.7", "kind": "tor"},
             {"network": "203.0.113.0/24", "kind": "datacenter", "provider": "Example Cloud"}]"#,
    )
    .unwrap();
    assert_eq!(csv.content_hash(), json.content_hash());
    // The canonical text reads back as itself.
    let again = Reference::parse(RefKind::IpRanges, csv.canonical().as_bytes()).unwrap();
    assert_eq!(again.canonical(), csv.canonical());
}

#[test]
fn a_list_that_does_not_parse_whole_is_refused_naming_the_line() {
    for (kind, text, why) in [
        (
            RefKind::IpRanges,
            "network,kind\n203.0.113.0/24,hosting\n203.0.113.300/32,tor\n",
            "line 3: `203.0.113.300/32` is not an address or a network",
        ),
        (
            RefKind::IpRanges,
            "network,kind\n203.0.113.0/24,hostng\n",
            "line 2: `hostng` is not a kind of range",
        ),
        (
            RefKind::IpRanges,
            "cidr,kind\n203.0.113.0/24,hosting\n",
            "no `network` column",
        ),
        (
            RefKind::IpRanges,
            "start,end,kind\n203.0.113.9,203.0.113.1,vpn\n",
            "is not a range",
        ),
        (
            RefKind::IpRanges,
            r#"[{"network": "203.0.113.0/24", "knd": "tor"}]"#,
            "not the JSON of IP ranges",
        ),
        (RefKind::IpRanges, "network,kind\n", "holds no ip-ranges"),
        (
            RefKind::DisposableDomains,
            "mailinator.com\nnot a domain\n",
            "line 2: `not a domain` is not a domain",
        ),
        (
            RefKind::BinRanges,
            "bin,brand,funding,country\n41111,visa,credit,US\n",
            "line 2: `41111` is not a BIN of 6 to 8 digits",
        ),
        (
            RefKind::BinRanges,
            "bin,brand,funding,country\n411111,visa,gift,US\n",
            "line 2: `gift` is not a funding type",
        ),
        (
            RefKind::BinRanges,
            "bin,brand,funding,country\n411111,visa,credit,XX\n",
            "line 2: `XX` is not a country",
        ),
        (
            RefKind::BinRanges,
            "bin,brand,country\n411111,visa,US\n",
            "no `funding` column",
        ),
    ] {
        match Reference::parse(kind, text.as_bytes()) {
            Ok(r) => panic!("{text}: accepted {r:?}"),
            Err(e) => assert!(e.contains(why), "{text}\n{e}"),
        }
    }
}

#[test]
fn a_domain_or_its_parent_listed_is_disposable() {
    let Reference::DisposableDomains(d) = read(RefKind::DisposableDomains, "domains.txt") else {
        panic!()
    };
    assert_eq!(d.len(), 3);
    assert!(is_listed(&d, "mailinator.com"));
    assert!(is_listed(&d, "eu.mailinator.com"));
    assert!(is_listed(&d, "MAILINATOR.COM."));
    assert!(!is_listed(&d, "example.com"));
    assert!(!is_listed(&d, "com"));
}

#[test]
fn the_narrowest_bin_range_names_the_card() {
    let Reference::BinRanges(b) = read(RefKind::BinRanges, "bins.csv") else {
        panic!()
    };
    let r = bin_lookup(&b, "41111199").unwrap();
    assert_eq!((r.funding.as_str(), r.country.as_str()), ("prepaid", "US"));
    assert_eq!(bin_lookup(&b, "41111100").unwrap().funding, "credit");
    assert_eq!(bin_lookup(&b, "411111").unwrap().funding, "credit");
    assert_eq!(bin_lookup(&b, "535522").unwrap().brand, "mastercard");
    assert!(bin_lookup(&b, "999999").is_none());
    assert!(bin_lookup(&b, "4111").is_none());
}

/// Nested ranges: each segment has the labels of every range around it, counted in where a
/// range starts and out past its end; an address is said to be of eight providers at most.
#[test]
fn nested_ranges_label_each_segment_with_every_range_around_it() {
    let mut text = String::from("start,end,kind,provider\n");
    for i in 0..20u32 {
        let kind = ["hosting", "vpn", "tor", "cdn"][i as usize % 4];
        text.push_str(&format!("10.0.{i}.0,10.0.{}.255,{kind},P{i:02}\n", 40 - i));
    }
    let Reference::IpRanges(r) = Reference::parse(RefKind::IpRanges, text.as_bytes()).unwrap()
    else {
        panic!()
    };
    let t = IpTable::new(&r);
    // The outermost alone, then one more range a block, then all twenty in the middle.
    let outer = t.lookup(ip("10.0.0.1"));
    assert_eq!(
        (outer.kind.as_str(), outer.providers.clone()),
        ("hosting", vec!["P00".to_owned()])
    );
    let two = t.lookup(ip("10.0.1.1"));
    assert_eq!(two.kind, "vpn");
    assert_eq!(two.labels, ["hosting", "vpn"]);
    let middle = t.lookup(ip("10.0.20.1"));
    assert_eq!(middle.kind, "tor");
    assert_eq!(middle.labels, ["cdn", "hosting", "tor", "vpn"]);
    assert_eq!(middle.providers.len(), 8);
    assert_eq!(t.lookup(ip("10.0.40.255")).providers, ["P00"]);
    assert_eq!(t.lookup(ip("10.0.41.0")).kind, "unknown");
    // 20 ranges nested: 39 segments (each start and each end makes one).
    assert_eq!(t.segments(), 39);
}

/// What a refusal says: the file's own line (blank and comment lines counted), a value cut
/// short, and never a whole card number.
#[test]
fn a_refusal_names_the_files_line_and_echoes_no_card_number() {
    let e = Reference::parse(
        RefKind::IpRanges,
        b"network,kind\n\n# a comment\n\n203.0.113.0/24,hosting\n203.0.113.999/32,tor\n",
    )
    .unwrap_err();
    assert!(e.starts_with("line 6: "), "{e}");
    let e = Reference::parse(
        RefKind::BinRanges,
        b"bin,brand,funding,country\n4111111111111111,visa,credit,US\n",
    )
    .unwrap_err();
    assert!(e.starts_with("line 2: "), "{e}");
    assert!(!e.contains("4111111111111111"), "{e}");
    let long = "x".repeat(10_000);
    let e = Reference::parse(
        RefKind::BinRanges,
        format!("bin,brand,funding,country\n411111,{long},credit,US\n").as_bytes(),
    )
    .unwrap_err();
    assert!(e.len() < 200, "{e}");
    let e = Reference::parse(
        RefKind::BinRanges,
        b"bin,brand,funding,country\n411111,visa,credit\n",
    )
    .unwrap_err();
    assert_eq!(e, "line 2: has 3 fields where the header has 4");
}

/// A whole card number in a BIN file, however written, refuses the file without being echoed.
#[test]
fn a_card_number_in_a_bin_file_is_never_echoed() {
    for pan in [
        "4111111111111111",
        "4111 1111 1111 1111",
        "4111-1111-1111-1111",
    ] {
        let text = format!("bin,brand,funding,country\n{pan},visa,credit,US\n");
        let e = Reference::parse(RefKind::BinRanges, text.as_bytes()).unwrap_err();
        assert!(e.contains("never its whole number"), "{pan}: {e}");
        assert!(!e.contains("1111"), "{pan} echoed: {e}");
    }
}
