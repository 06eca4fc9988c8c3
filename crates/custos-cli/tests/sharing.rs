//! Sharing with peers, end to end: the demo's collection read by the OASIS TAXII client and
//! every object checked by the OASIS validator; peers limited to the collections they were
//! given and to `/taxii2/`; objects added by a peer; abuse cases shared again as new versions.

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};

const DEMO_COLLECTION: &str = "8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10";
const TAXII: &str = "application/taxii+json;version=2.1";
const GREEN: &str = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb";
const CLEAR: &str = "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487";

fn script(name: &str) -> String {
    sharing_script(name)
}

fn python(args: &[&str]) -> Value {
    let out = Command::new("python3")
        .args(args)
        .output()
        .expect("python3 runs (pip install -r crates/custos-cli/tests/requirements.txt)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_oasis_client_pages_the_demo_collection_and_every_object_validates() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["demo"]);
    let peer = s.peer_key.clone().expect("the demo prints a peer key");
    let r = python(&[&script("taxii_read.py"), &s.url, &peer]);
    assert_eq!(r["versions"], json!([TAXII]));
    let cols = r["collections"].as_array().unwrap();
    assert_eq!(cols.len(), 1, "{r}");
    let c = &cols[0];
    assert_eq!(c["id"], DEMO_COLLECTION);
    assert_eq!(
        (c["can_read"].clone(), c["can_write"].clone()),
        (json!(true), json!(false))
    );
    // Three reports of one /24 shared (one naming a domain, one a wallet), the network they
    // make, and the incident report: each report an incident, its address, its indicator, its
    // sighting and a relationship; the domain and the wallet each an observable and an
    // indicator; the network an observable, an indicator and a sighting; the wallet's
    // definition (custos's identity, its two extension definitions, TLP:CLEAR); the
    // provider's identity and TLP:GREEN.
    assert_eq!(
        c["types"],
        json!([
            "cryptocurrency-wallet",
            "domain-name",
            "extension-definition",
            "extension-definition",
            "identity",
            "identity",
            "incident",
            "incident",
            "incident",
            "incident",
            "indicator",
            "indicator",
            "indicator",
            "indicator",
            "indicator",
            "indicator",
            "ipv4-addr",
            "ipv4-addr",
            "ipv4-addr",
            "ipv4-addr",
            "marking-definition",
            "marking-definition",
            "relationship",
            "relationship",
            "relationship",
            "sighting",
            "sighting",
            "sighting",
            "sighting"
        ])
    );
    // Twenty-nine objects two to a page: the client followed `next` to the end.
    assert_eq!(c["pages"], 15);
    assert_eq!(c["problems"], json!([]), "{c}");
    assert_eq!(c["manifest"], 29);
    assert_eq!(c["one"].as_array().unwrap().len(), 1);
    assert_eq!(c["versions"].as_array().unwrap().len(), 1);
    let incident_core = json!(["extension-definition--ef765651-680c-498d-9894-99799f2fa126"]);
    assert_eq!(c["incident_extensions"], json!(vec![incident_core; 4]));
    let mut patterns: Vec<&str> = c["patterns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    patterns.sort();
    assert_eq!(
        patterns,
        [
            "[cryptocurrency-wallet:value = 'bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4']",
            "[domain-name:value = 'ssh-keys-check.example']",
            "[ipv4-addr:value = '203.0.113.66']",
            "[ipv4-addr:value = '203.0.113.67']",
            "[ipv4-addr:value = '203.0.113.70']",
            "[ipv4-addr:value ISSUBSET '203.0.113.0/24']",
        ]
    );
    // The reports' objects are GREEN, as shared; custos's definitions are CLEAR.
    assert_eq!(c["markings"], json!([CLEAR, GREEN]));
}

async fn key(s: &Server, admin: &str, name: &str) -> (String, String) {
    let (st, k) = call(
        s,
        admin,
        "POST",
        "/v1/api-keys",
        Some(json!({"name": name, "role": "peer"})),
    )
    .await;
    assert_eq!(st, 201, "{k}");
    (
        k["id"].as_str().unwrap().to_owned(),
        k["token"].as_str().unwrap().to_owned(),
    )
}

/// A TAXII request: the key as HTTP Basic's password, TAXII's media types.
async fn taxii(
    s: &Server,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut r = reqwest::Client::new()
        .request(method.parse().unwrap(), format!("{}{path}", s.url))
        .basic_auth("peer", Some(key))
        .header("accept", TAXII);
    if let Some(b) = body {
        r = r.header("content-type", TAXII).body(b.to_string());
    }
    let resp = r.send().await.unwrap();
    let (st, h) = (resp.status().as_u16(), resp.headers().clone());
    (st, h, resp.json().await.unwrap_or(Value::Null))
}

fn indicator(id: &str) -> Value {
    json!({"type": "indicator", "spec_version": "2.1", "id": id,
        "created": "2026-12-01T10:00:00.000Z", "modified": "2026-12-01T10:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.9']", "pattern_type": "stix",
        "valid_from": "2026-12-01T10:00:00Z"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_reaches_the_collections_it_was_given_and_nothing_else() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["demo"]);
    let admin = s.admin_key.clone().unwrap();
    let (a_id, a) = key(&s, &admin, "peer-a").await;
    let (_, b) = key(&s, &admin, "peer-b").await;

    // A method an endpoint does not answer: 405, naming those it does, as a TAXII error.
    let objects = format!("/taxii2/api/collections/{DEMO_COLLECTION}/objects/");
    let (st, h, e) = taxii(&s, &a, "DELETE", &objects, None).await;
    assert_eq!(
        (st, h["allow"].to_str().unwrap(), e["http_status"].as_str()),
        (405, "GET, HEAD, POST", Some("405")),
        "{e}"
    );
    // An envelope over the limit (4 MiB): 413, as a TAXII error too.
    let big = json!({"objects": [], "padding": "x".repeat(5 * 1024 * 1024)});
    let (st, h, e) = taxii(&s, &a, "POST", &objects, Some(big)).await;
    assert_eq!((st, e["http_status"].as_str()), (413, Some("413")), "{e}");
    assert_eq!(h["content-type"], TAXII);

    // A collection for A alone; readers must be live peer keys, titles one each.
    let (st, bad) = call(
        &s,
        &admin,
        "POST",
        "/v1/sharing/collections",
        Some(json!({"title": "For A", "readers": ["key_nobody"]})),
    )
    .await;
    assert_eq!((st, bad["field"].as_str()), (422, Some("readers")), "{bad}");
    let (st, col) = call(
        &s,
        &admin,
        "POST",
        "/v1/sharing/collections",
        Some(json!({"title": "For A", "readers": [a_id], "writers": [a_id]})),
    )
    .await;
    assert_eq!(st, 201, "{col}");
    let for_a = col["id"].as_str().unwrap().to_owned();
    let (st, _) = call(
        &s,
        &admin,
        "POST",
        "/v1/sharing/collections",
        Some(json!({"title": "For A"})),
    )
    .await;
    assert_eq!(st, 409);

    // A sees both; B only the one open to every peer, and the other is not there for it.
    let (st, _, list) = taxii(&s, &a, "GET", "/taxii2/api/collections/", None).await;
    assert_eq!(
        (st, list["collections"].as_array().unwrap().len()),
        (200, 2)
    );
    let (st, _, list) = taxii(&s, &b, "GET", "/taxii2/api/collections/", None).await;
    assert_eq!(
        (st, list["collections"].as_array().unwrap().len()),
        (200, 1)
    );
    for path in ["", "objects/", "manifest/"] {
        let (st, h, e) = taxii(
            &s,
            &b,
            "GET",
            &format!("/taxii2/api/collections/{for_a}/{path}"),
            None,
        )
        .await;
        assert_eq!(st, 404, "{path}: {e}");
        assert_eq!(h["content-type"], TAXII);
        assert_eq!(e["http_status"], "404");
    }
    // Reading is not writing.
    let env = json!({"objects": [indicator("indicator--3f6e8d2a-3a4d-4f3e-9a49-7c2b0d9e1f01")]});
    let (st, _, _) = taxii(
        &s,
        &b,
        "POST",
        &format!("/taxii2/api/collections/{DEMO_COLLECTION}/objects/"),
        Some(env.clone()),
    )
    .await;
    assert_eq!(st, 403);

    // A writes its own objects only: not the provider's, not a TLP marking, not an id another
    // author's object holds; a cyber-observable may leave `spec_version` out.
    let (st, shared) = call(
        &s,
        &admin,
        "POST",
        "/v1/abuse-cases/abc_demo_scanning/share",
        Some(json!({"collection": for_a, "tlp": "green"})),
    )
    .await;
    assert_eq!(st, 200, "{shared}");
    let ours: Vec<String> = shared["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap().to_owned())
        .collect();
    let identity = ours.iter().find(|o| o.starts_with("identity--")).unwrap();
    let indicator_id = ours.iter().find(|o| o.starts_with("indicator--")).unwrap();
    let mut forged = indicator(indicator_id);
    forged["modified"] = json!("2030-01-01T00:00:00.000Z");
    let mut claimed = indicator("indicator--9a6e8d2a-3a4d-4f3e-9a49-7c2b0d9e1f02");
    claimed["created_by_ref"] = json!(identity);
    let marking = json!({"type": "marking-definition", "spec_version": "2.1",
        "id": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
        "created": "2030-01-01T00:00:00.000Z", "name": "TLP:CLEAR"});
    let sco = json!({"type": "ipv4-addr", "id": "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd",
        "value": "198.51.100.3"});
    let (st, _, status) = taxii(
        &s,
        &a,
        "POST",
        &format!("/taxii2/api/collections/{for_a}/objects/"),
        Some(json!({"objects": [forged, claimed, marking, sco]})),
    )
    .await;
    assert_eq!(st, 202, "{status}");
    assert_eq!(
        (
            status["success_count"].clone(),
            status["failure_count"].clone()
        ),
        (json!(1), json!(3)),
        "{status}"
    );
    assert_eq!(
        status["successes"][0]["id"],
        "ipv4-addr--ff26c055-6336-5bc5-b98d-13d6226742dd"
    );

    // A adds objects: one good, one not a STIX 2.1 object; the status says which.
    let mut bad_obj = indicator("indicator--not-a-uuid");
    bad_obj["spec_version"] = json!("2.1");
    let env =
        json!({"objects": [indicator("indicator--3f6e8d2a-3a4d-4f3e-9a49-7c2b0d9e1f01"), bad_obj]});
    let (st, _, status) = taxii(
        &s,
        &a,
        "POST",
        &format!("/taxii2/api/collections/{for_a}/objects/"),
        Some(env),
    )
    .await;
    assert_eq!(st, 202, "{status}");
    assert_eq!(
        (
            status["success_count"].clone(),
            status["failure_count"].clone()
        ),
        (json!(1), json!(1))
    );
    let sid = status["id"].as_str().unwrap();
    let (st, _, again) = taxii(&s, &a, "GET", &format!("/taxii2/api/status/{sid}/"), None).await;
    assert_eq!((st, again["total_count"].clone()), (200, json!(2)));
    let (st, _, _) = taxii(&s, &b, "GET", &format!("/taxii2/api/status/{sid}/"), None).await;
    assert_eq!(st, 404, "a status is its sender's");
    let (st, h, page) = taxii(
        &s,
        &a,
        "GET",
        &format!("/taxii2/api/collections/{for_a}/objects/?match[type]=indicator"),
        None,
    )
    .await;
    // The case's two (its address and its domain) and A's.
    assert_eq!((st, page["objects"].as_array().unwrap().len()), (200, 3));
    assert!(
        h.contains_key("x-taxii-date-added-first") && h.contains_key("x-taxii-date-added-last")
    );

    // Media types, filters and credentials, as the specification says.
    let c = reqwest::Client::new();
    let url = format!("{}/taxii2/api/collections/{for_a}/objects/", s.url);
    let r = c
        .get(&url)
        .bearer_auth(&a)
        .header("accept", "application/json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 406);
    let r = c
        .post(&url)
        .bearer_auth(&a)
        .header("content-type", "application/json")
        .body("{\"objects\":[]}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 415);
    let r = c.get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert!(
        r.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("Basic")
    );
    let r = c
        .get(format!("{url}?match[colour]=red"))
        .bearer_auth(&a)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["description"].as_str().unwrap().contains("match[colour]"),
        "{e}"
    );

    // Nothing outside /taxii2/: not the API, not the console.
    for path in [
        "/v1/customers",
        "/v1/abuse-cases",
        "/v1/sharing/collections",
        "/v1/audit",
    ] {
        let (st, _) = call(&s, &a, "GET", path, None).await;
        assert_eq!(st, 403, "{path}");
    }
    // Every read is audited under the peer's key.
    let (_, audit) = call(&s, &admin, "GET", "/v1/audit?limit=1000", None).await;
    let reads: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["entry"]["actor"] == a_id.as_str() && e["entry"]["action"] == "taxii_get_objects"
        })
        .collect();
    assert!(!reads.is_empty(), "{audit}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_shared_again_is_a_new_version_of_the_same_objects() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["demo"]);
    let admin = s.admin_key.clone().unwrap();
    let case = "/v1/abuse-cases/abc_demo_scanning";
    let (st, e) = call(
        &s,
        &admin,
        "POST",
        &format!("{case}/share"),
        Some(json!({"collection": "no-such-collection"})),
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("collection")), "{e}");
    let (st, e) = call(
        &s,
        &admin,
        "POST",
        &format!("{case}/actions"),
        Some(json!({"action": "share"})),
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("action")), "{e}");
    // A report's domains are domain names, or it is refused, naming the field.
    let (st, e) = call(
        &s,
        &admin,
        "POST",
        "/v1/abuse-reports",
        Some(
            json!({"ip": "203.0.113.9", "at": chrono::Utc::now().to_rfc3339(),
            "category": "phishing", "evidence": "a kit", "domains": ["not a domain"]}),
        ),
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("domains")), "{e}");
    // And its wallets wallets of a chain custos knows (a typo fails its checksum).
    let (st, e) = call(
        &s,
        &admin,
        "POST",
        "/v1/abuse-reports",
        Some(
            json!({"ip": "203.0.113.9", "at": chrono::Utc::now().to_rfc3339(),
            "category": "fraud", "evidence": "a scam",
            "wallets": ["bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5"]}),
        ),
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("wallets[0]")), "{e}");
    let share = json!({"collection": DEMO_COLLECTION, "tlp": "green"});
    // Unchanged since the demo shared it: the same versions, nothing added (the case's nine
    // objects, and the three of the network its address falls in with two other reports').
    let (st, shared) = call(
        &s,
        &admin,
        "POST",
        &format!("{case}/share"),
        Some(share.clone()),
    )
    .await;
    assert_eq!(st, 200, "{shared}");
    assert_eq!(
        (
            shared["objects"].as_array().unwrap().len(),
            shared["added"].clone()
        ),
        (12, json!(0)),
        "{shared}"
    );
    // Sharing is not handling: the case still waits for its first action.
    let (_, c) = call(&s, &admin, "GET", case, None).await;
    assert!(c.get("handled_at").is_none(), "{c}");
    // The demo's incident, shared again unchanged, adds nothing either (its cases' objects
    // keep their ids).
    let (st, again) = call(
        &s,
        &admin,
        "POST",
        "/v1/incidents/inc_demo_scanning/share",
        Some(share.clone()),
    )
    .await;
    assert_eq!((st, again["added"].clone()), (200, json!(0)), "{again}");
    // Dismissed, then shared again: the identity, the marking and the address and domain are
    // as they were; the incident, both indicators, the sighting and the relationship are new
    // versions; and the network, left with two reported addresses, is withdrawn: its
    // indicator and sighting are new versions, revoked.
    let (st, _) = call(
        &s,
        &admin,
        "POST",
        &format!("{case}/actions"),
        Some(json!({"action": "dismiss", "note": "blocked at the edge; nothing more to do"})),
    )
    .await;
    assert_eq!(st, 200);
    let (st, shared) = call(&s, &admin, "POST", &format!("{case}/share"), Some(share)).await;
    assert_eq!(st, 200, "{shared}");
    assert_eq!(
        (
            shared["objects"].as_array().unwrap().len(),
            shared["added"].clone()
        ),
        (12, json!(7)),
        "{shared}"
    );
    let peer = s.peer_key.clone().unwrap();
    let incident = shared["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o.as_str().unwrap().starts_with("incident--"))
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let (st, _, v) = taxii(
        &s,
        &peer,
        "GET",
        &format!("/taxii2/api/collections/{DEMO_COLLECTION}/objects/{incident}/versions/"),
        None,
    )
    .await;
    assert_eq!(
        (st, v["versions"].as_array().unwrap().len()),
        (200, 2),
        "{v}"
    );
    let (_, _, all) = taxii(
        &s,
        &peer,
        "GET",
        &format!("/taxii2/api/collections/{DEMO_COLLECTION}/objects/?match[version]=all"),
        None,
    )
    .await;
    // The demo's twenty-nine, seven new versions.
    assert_eq!(all["objects"].as_array().unwrap().len(), 36);
    // Dismissed: peers are told to drop the indicator and the sighting, and the incident is a
    // false positive.
    let objects = all["objects"].as_array().unwrap();
    // The newest version of the case's object of a type (the incident report's incident is
    // another object, named for its activity).
    let newest = |t: &str| {
        objects
            .iter()
            .filter(|o| o["type"] == t)
            .filter(|o| {
                t != "incident"
                    || o["name"]
                        .as_str()
                        .unwrap()
                        .ends_with("reported to the provider")
            })
            .max_by_key(|o| o["modified"].as_str().unwrap_or("").to_owned())
            .cloned()
            .unwrap()
    };
    assert_eq!(newest("indicator")["revoked"], true);
    assert_eq!(newest("sighting")["revoked"], true);
    let network: Vec<&Value> = objects
        .iter()
        .filter(|o| o["pattern"] == "[ipv4-addr:value ISSUBSET '203.0.113.0/24']")
        .collect();
    assert_eq!(network.len(), 2, "the network's indicator, then withdrawn");
    assert_eq!(
        network
            .iter()
            .map(|o| o["revoked"].clone())
            .collect::<Vec<_>>(),
        [json!(false), json!(true)]
    );
    assert_eq!(
        newest("incident")["extensions"]["extension-definition--ef765651-680c-498d-9894-99799f2fa126"]
            ["determination"],
        "false-positive"
    );
    // Another TLP level is another version of every object it marks (one id and version never
    // carries two markings): the marking, the address and the domain, the incident, both
    // indicators, the sighting and the relationship.
    let (st, amber) = call(
        &s,
        &admin,
        "POST",
        &format!("{case}/share"),
        Some(json!({"collection": DEMO_COLLECTION, "tlp": "amber_strict"})),
    )
    .await;
    assert_eq!((st, amber["added"].clone()), (200, json!(8)), "{amber}");
    let (_, _, last) = taxii(
        &s,
        &peer,
        "GET",
        &format!("/taxii2/api/collections/{DEMO_COLLECTION}/objects/"),
        None,
    )
    .await;
    // The twenty-nine, and the amber+strict marking (the network stays withdrawn: the case
    // is no longer one of its reports).
    assert_eq!(last["objects"].as_array().unwrap().len(), 30);
    // The case says it was shared.
    let (_, c) = call(&s, &admin, "GET", case, None).await;
    assert!(
        c["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a["action"] == "share"),
        "{c}"
    );
    // The bundle to look at first, under another level.
    let r = reqwest::Client::new()
        .get(format!("{}{case}/stix?tlp=amber_strict", s.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/stix+json;version=2.1"
    );
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["type"], "bundle");
    assert!(
        b["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["name"] == "TLP:AMBER+STRICT")
    );
    // A third address of the /24 again: the network is whole again, and shared under new ids
    // (the revoked ones take no more versions).
    let (st, r) = call(
        &s,
        &admin,
        "POST",
        "/v1/abuse-reports",
        Some(
            json!({"ip": "203.0.113.71", "at": chrono::Utc::now().to_rfc3339(),
            "category": "scanning", "evidence": "more scans"}),
        ),
    )
    .await;
    assert_eq!(st, 201, "{r}");
    let third = r["cases"][0]["id"].as_str().unwrap().to_owned();
    let (st, shared) = call(
        &s,
        &admin,
        "POST",
        &format!("/v1/abuse-cases/{third}/share"),
        Some(json!({"collection": DEMO_COLLECTION, "tlp": "green"})),
    )
    .await;
    assert_eq!(st, 200, "{shared}");
    let (_, _, all) = taxii(
        &s,
        &peer,
        "GET",
        &format!("/taxii2/api/collections/{DEMO_COLLECTION}/objects/?match[version]=all"),
        None,
    )
    .await;
    let network: Vec<&Value> = all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["pattern"] == "[ipv4-addr:value ISSUBSET '203.0.113.0/24']")
        .collect();
    assert_eq!(network.len(), 3, "{network:?}");
    let (old, new) = (network[0]["id"].clone(), network[2]["id"].clone());
    assert_eq!(network[1]["id"], old);
    assert_ne!(new, old);
    assert_eq!(network[2]["revoked"], false);
    assert_eq!(
        network[2]["description"],
        "3 addresses of this network were reported to the provider for abuse (3 reports)."
    );
}

/// A peer's server (medallion, the OASIS reference), filled with `bundle`; killed on drop.
struct Medallion {
    child: std::process::Child,
    api_root: String,
    collection: String,
    user: String,
    password: String,
}

impl Drop for Medallion {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

fn medallion(dir: &std::path::Path, bundle: &Value) -> Medallion {
    use std::io::BufRead;
    let file = dir.join("bundle.json");
    std::fs::write(&file, bundle.to_string()).unwrap();
    let mut child = Command::new("python3")
        .arg(script("medallion_peer.py"))
        .arg(&file)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs medallion (pip install -r crates/custos-cli/tests/requirements.txt)");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let v: Value = serde_json::from_str(&line).expect("medallion started");
    let s = |k: &str| v[k].as_str().unwrap().to_owned();
    Medallion {
        api_root: s("api_root"),
        collection: s("collection"),
        user: s("user"),
        password: s("password"),
        child,
    }
}

fn pull(dir: &std::path::Path, m: &Medallion, secret: &str, json: bool) -> std::process::Output {
    let mut c = Command::new(BIN);
    c.args([
        "sharing",
        "pull",
        "--from",
        &m.api_root,
        "--collection",
        &m.collection,
    ])
    .args(["--user", &m.user, "--data-dir"])
    .arg(dir)
    .env_remove("CUSTOS_DATA_DIR")
    .env("CUSTOS_PEER_SECRET", secret);
    if json {
        c.arg("--json");
    }
    c.output().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custos_pulls_a_medallion_collection_and_an_address_it_saw_opens_a_peer_signal() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    {
        // One of the demo's accounts connects from 198.51.100.23 two hours ago.
        let s = start(&data, &["demo"]);
        let admin = s.admin_key.clone().unwrap();
        let at = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339();
        let r = reqwest::Client::new()
            .post(format!("{}/v1/events", s.url))
            .bearer_auth(&admin)
            .header("content-type", "application/x-ndjson")
            .body(
                json!({"account_id": "acc_demo_us_direct", "time": at, "ip": "198.51.100.23",
                "action": "login", "source": "console"})
                .to_string(),
            )
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        // One of the demo's customers pays from an Ethereum wallet (given in checksum case).
        let r = reqwest::Client::new()
            .post(format!(
                "{}/v1/customers/cus_demo_foreign_individual/payment-means",
                s.url
            ))
            .bearer_auth(&admin)
            .json(&json!({"wallet": {"chain": "polygon",
                "address": "0x52908400098527886E0F7030069857D2E4169EE7"}}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "{:?}", r.text().await);
    }
    // The peer shares an indicator of that address, one of a domain, one of the customer's
    // wallet (in lowercase, as custos writes EVM addresses) and its identity.
    let obj = |kind: &str, n: u32, more: Value| {
        let mut o = json!({"type": kind, "spec_version": "2.1",
            "id": format!("{kind}--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd{n:02}"),
            "created": "2026-12-01T10:00:00.000Z", "modified": "2026-12-01T10:00:00.000Z"});
        o.as_object_mut()
            .unwrap()
            .extend(more.as_object().unwrap().clone());
        o
    };
    let valid = (chrono::Utc::now() - chrono::Duration::days(3)).to_rfc3339();
    let bundle = json!({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e56d",
    "objects": [
        obj("indicator", 1, json!({"pattern": "[ipv4-addr:value = '198.51.100.23']",
            "pattern_type": "stix", "valid_from": valid, "labels": ["phishing"]})),
        obj("indicator", 2, json!({"pattern": "[domain-name:value = 'evil.example']",
            "pattern_type": "stix", "valid_from": valid})),
        obj("identity", 3, json!({"name": "Peer Cloud", "identity_class": "organization"})),
        obj("indicator", 4, json!({
            "pattern": "[cryptocurrency-wallet:value = '0x52908400098527886e0f7030069857d2e4169ee7']",
            "pattern_type": "stix", "valid_from": valid, "labels": ["fraud"]})),
        // Withdrawn by the peer: nothing to look for.
        obj("indicator", 5, json!({"pattern": "[ipv4-addr:value = '198.51.100.23']",
            "pattern_type": "stix", "valid_from": valid, "labels": ["spam"], "revoked": true})),
    ]});
    let m = medallion(dir.path(), &bundle);

    // Wrong credentials: a clear refusal, nothing taken in.
    let out = pull(&data, &m, "not-the-secret", false);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{out:?}"
    );

    // Five objects, two to a page; with no server, the command holds the ledger and matches.
    let out = pull(&data, &m, &m.password, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (p["objects"].clone(), p["added"].clone(), p["pages"].clone()),
        (json!(5), json!(5), json!(3)),
        "{p}"
    );
    assert_eq!(p["matched"], true);
    let signals = p["signals"].as_array().unwrap();
    assert_eq!(signals.len(), 2, "{p}");
    assert!(signals.iter().all(|s| s["kind"] == "peer_signal"));
    let on_account = signals
        .iter()
        .find(|s| s["account_id"] == "acc_demo_us_direct")
        .unwrap();
    assert_eq!(on_account["category"], "phishing");
    // The wallet matched the customer who pays from it (given as a polygon address).
    let on_customer = signals
        .iter()
        .find(|s| s["customer_id"] == "cus_demo_foreign_individual")
        .unwrap();
    assert_eq!(
        (
            on_customer["category"].clone(),
            on_customer["account_id"].clone()
        ),
        (json!("fraud"), Value::Null),
        "{on_customer}"
    );
    let signals: Vec<Value> = vec![on_account.clone()];

    // Again: from where the last pull ended; nothing new, no second case.
    let out = pull(&data, &m, &m.password, true);
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (p["added"].clone(), p["signals"].clone()),
        (json!(0), json!([])),
        "{p}"
    );
    let ls = custos(&data, &["abuse", "ls"]);
    let text = String::from_utf8_lossy(&ls.stdout);
    assert_eq!(text.matches("peer_signal").count(), 2, "{text}");
    // A peer's signal is not this provider's to put in an incident's bundle.
    let signal = signals[0]["id"].as_str().unwrap();
    let file = dir.path().join("incident.json");
    std::fs::write(
        &file,
        json!({"occurred_at": valid, "location": "edge",
        "activity": "other", "narrative": "n", "systems_affected": 1, "accounts_affected": 1,
        "organisation": "Demo Cloud LLC", "contact": {"name": "Desk", "email": "desk@example.org"},
        "severity": "low", "sector": "information technology", "abuse_cases": [signal]})
        .to_string(),
    )
    .unwrap();
    let out = custos(&data, &["incidents", "add", file.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("report's case"),
        "{out:?}"
    );
    // The objects are kept in a local collection of their own, which no peer reads.
    let ls = custos(&data, &["sharing", "ls", "--json"]);
    let cols: Value = serde_json::from_slice(&ls.stdout).unwrap();
    let local = cols
        .as_array()
        .unwrap()
        .iter()
        .find(|c| {
            c["title"]
                .as_str()
                .unwrap()
                .starts_with("From http://127.0.0.1")
        })
        .unwrap();
    assert_eq!(local["readers"], json!([]));
    // A scheduled pull whose secret is not in the environment stops the server at start,
    // saying which.
    std::fs::write(data.join("custos.toml"), format!(
        "[[sharing_pulls]]\nfrom = \"{}\"\ncollection = \"{}\"\nsecret_env = \"CUSTOS_TEST_UNSET_SECRET\"\n",
        m.api_root, m.collection)).unwrap();
    let out = Command::new(BIN)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&data)
        .env_remove("CUSTOS_DATA_DIR")
        .env_remove("CUSTOS_TEST_UNSET_SECRET")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("CUSTOS_TEST_UNSET_SECRET"),
        "{out:?}"
    );
}
