//! Reference lists on real data, against independent implementations: the IP ranges of the
//! PyPI package `iporigin` (MIT; hosting providers, CDNs, VPNs, Tor exits, crawlers),
//! exported by iporigin's own reader and imported whole, must classify every sampled address
//! as iporigin's `classify` does; the PyPI package `disposable-email-domains` imports whole.
//!
//! `.ci/test` installs both (tests/oracle/requirements.txt).

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::process::Command;

use custos_screen::reference::{IpTable, RefKind, Reference, is_listed};

fn python(script: &str, args: &[&str]) -> String {
    let o = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("python3 runs");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

const EXPORT_IPORIGIN: &str = r#"
import csv, ipaddress, json, sys
import iporigin
from iporigin._data import dataset

d = dataset()
samples = []
with open(sys.argv[1], "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["start", "end", "kind", "provider"])
    for starts, ends, labels, make, top in (
        (d.v4_starts, d.v4_ends, d.v4_labels, ipaddress.IPv4Address, 2**32 - 1),
        (d.v6_starts, d.v6_ends, d.v6_labels, ipaddress.IPv6Address, 2**128 - 1),
    ):
        for i in range(len(starts)):
            s, e = starts[i], ends[i]
            provider, kind = d.labels[labels[i]]
            w.writerow([str(make(s)), str(make(e)), kind, provider])
            if i % 5 == 0:
                for v in (s, e, (s + e) // 2, e + 1, s - 1):
                    if 0 <= v <= top:
                        a = str(make(v))
                        samples.append([a, iporigin.classify(a).kind])
print(json.dumps(samples))
"#;

#[test]
fn ip_ranges_agree_with_iporigin() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("iporigin.csv");
    let out = python(EXPORT_IPORIGIN, &[csv.to_str().unwrap()]);
    let samples: Vec<(String, String)> = serde_json::from_str(&out).unwrap();
    let r = Reference::parse(RefKind::IpRanges, &std::fs::read(&csv).unwrap()).unwrap();
    assert!(r.len() > 10_000, "{} ranges", r.len());
    let Reference::IpRanges(ranges) = &r else {
        panic!()
    };
    let table = IpTable::new(ranges);
    let (mut compared, mut kinds) = (0, BTreeSet::new());
    for (a, want) in &samples {
        // Private, loopback and documentation addresses are iporigin's `reserved`, before
        // any range: not what a range list says.
        if want == "reserved" {
            continue;
        }
        let ip: IpAddr = a.parse().unwrap();
        assert_eq!(&table.lookup(ip).kind, want, "{a}");
        kinds.insert(want.clone());
        compared += 1;
    }
    assert!(compared > 10_000, "{compared} compared");
    for k in ["hosting", "vpn", "tor", "unknown"] {
        assert!(kinds.contains(k), "no {k} among {kinds:?}");
    }
    // Its canonical text is the same data: imported again, the same version.
    let again = Reference::parse(RefKind::IpRanges, r.canonical().as_bytes()).unwrap();
    assert_eq!(again.content_hash(), r.content_hash());
}

#[test]
fn a_public_list_of_disposable_domains_imports_whole() {
    let text = python(
        "import disposable_email_domains as d\nprint('\\n'.join(sorted(d.blocklist)))",
        &[],
    );
    let listed: Vec<&str> = text.lines().collect();
    let r = Reference::parse(RefKind::DisposableDomains, text.as_bytes()).unwrap();
    let Reference::DisposableDomains(set) = &r else {
        panic!()
    };
    assert_eq!(set.len(), listed.len());
    for d in listed.iter().step_by(97) {
        assert!(is_listed(set, d), "{d}");
        assert!(is_listed(set, &format!("mx1.{d}")), "{d}");
    }
    for d in ["gmail.com", "outlook.com", "posteo.de", "example.com"] {
        assert!(!is_listed(set, d), "{d}");
    }
}
