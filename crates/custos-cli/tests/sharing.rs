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

fn script(name: &str) -> String {
    format!("{}/tests/sharing/{name}", env!("CARGO_MANIFEST_DIR"))
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
    assert_eq!(
        c["types"],
        json!([
            "identity",
            "incident",
            "incident",
            "indicator",
            "ipv4-addr",
            "marking-definition",
            "relationship",
            "sighting"
        ])
    );
    // Eight objects (the case's and the incident report's) two to a page: the client followed
    // `next` to the end.
    assert_eq!(c["pages"], 4);
    assert_eq!(c["problems"], json!([]), "{c}");
    assert_eq!(c["manifest"], 8);
    assert_eq!(c["one"].as_array().unwrap().len(), 1);
    assert_eq!(c["versions"].as_array().unwrap().len(), 1);
    assert_eq!(
        c["incident_extensions"],
        json!([
            ["extension-definition--ef765651-680c-498d-9894-99799f2fa126"],
            ["extension-definition--ef765651-680c-498d-9894-99799f2fa126"]
        ])
    );
    assert_eq!(c["patterns"], json!(["[ipv4-addr:value = '203.0.113.66']"]));
    assert_eq!(c["markings"], json!([GREEN]));
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
        &format!("/taxii2/api/collections/{for_a}/objects/"),
        None,
    )
    .await;
    assert_eq!((st, page["objects"].as_array().unwrap().len()), (200, 1));
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
    let share = json!({"collection": DEMO_COLLECTION, "tlp": "green"});
    // Unchanged since the demo shared it: the same versions, nothing added.
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
        (7, json!(0)),
        "{shared}"
    );
    // Dismissed, then shared again: the identity, the marking and the address are as they
    // were; the incident, indicator, sighting and relationship are new versions.
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
        (7, json!(4)),
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
    // The demo's eight (the case's seven and the incident report's), four new versions.
    assert_eq!(all["objects"].as_array().unwrap().len(), 12);
    let (_, _, last) = taxii(
        &s,
        &peer,
        "GET",
        &format!("/taxii2/api/collections/{DEMO_COLLECTION}/objects/"),
        None,
    )
    .await;
    assert_eq!(last["objects"].as_array().unwrap().len(), 8);
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
    }
    // The peer shares an indicator of that address, one of a domain and its identity.
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
    ]});
    let m = medallion(dir.path(), &bundle);

    // Wrong credentials: a clear refusal, nothing taken in.
    let out = pull(&data, &m, "not-the-secret", false);
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("refused"),
        "{out:?}"
    );

    // Three objects, two to a page; with no server, the command holds the ledger and matches.
    let out = pull(&data, &m, &m.password, true);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        (p["objects"].clone(), p["added"].clone(), p["pages"].clone()),
        (json!(3), json!(3), json!(2)),
        "{p}"
    );
    assert_eq!(p["matched"], true);
    let signals = p["signals"].as_array().unwrap();
    assert_eq!(signals.len(), 1, "{p}");
    assert_eq!(signals[0]["kind"], "peer_signal");
    assert_eq!(signals[0]["account_id"], "acc_demo_us_direct");
    assert_eq!(signals[0]["category"], "phishing");

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
    assert_eq!(text.matches("peer_signal").count(), 1, "{text}");
    // The objects are kept in a local collection of their own, which no peer reads.
    let ls = custos(&data, &["sharing", "ls", "--json"]);
    let cols: Value = serde_json::from_slice(&ls.stdout).unwrap();
    let local = cols
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["title"].as_str().unwrap().starts_with("From 127.0.0.1"))
        .unwrap();
    assert_eq!(local["readers"], json!([]));
}

/// Two providers in one trust group: the first closes a customer for abuse and exports its
/// keyed set; the second, holding the same key, takes it in and finds its own customer with
/// that email (written another way), without either seeing the other's customers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_providers_share_a_keyed_set_and_one_finds_the_others_abuser() {
    let dir = tempfile::tempdir().unwrap();
    let a = start(&dir.path().join("a"), &["demo"]);
    let admin_a = a.admin_key.clone().unwrap();
    // The first provider closes Jordan Ellis's account for abuse (an admin asks, a compliance
    // officer approves).
    let (st, waiting) = call(
        &a,
        &admin_a,
        "POST",
        "/v1/abuse-cases/abc_demo_phishing/actions",
        Some(json!({"action": "close_for_abuse", "note": "phishing kit confirmed"})),
    )
    .await;
    assert_eq!(st, 202, "{waiting}");
    let (_, officer) = call(
        &a,
        &admin_a,
        "POST",
        "/v1/api-keys",
        Some(json!({"name": "officer", "role": "compliance_officer"})),
    )
    .await;
    let officer = officer["token"].as_str().unwrap().to_owned();
    let approval = waiting["id"].as_str().unwrap();
    let (st, e) = call(
        &a,
        &officer,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{e}");
    let (st, set) = call(
        &a,
        &admin_a,
        "GET",
        "/v1/sharing/keyed-sets/export?key_id=trust-group-1-2026-12",
        None,
    )
    .await;
    assert_eq!(st, 200, "{set}");
    assert_eq!(set["algorithm"], "HMAC-SHA-256");
    let entries = set["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    // Only MACs travel: no identifier in clear.
    assert!(!set.to_string().contains("jordan"), "{set}");
    // Python's own HMAC over the canonical form the README writes down gives an entry.
    let py = Command::new("python3")
        .args([
            "-c",
            "import base64,hmac,hashlib,sys; k=base64.b64decode(sys.argv[1]); \
            print(hmac.new(k, sys.argv[2].encode(), hashlib.sha256).hexdigest())",
            "ZGVtbyB0cnVzdCBncm91cCBrZXksIG5vdCBzZWNyZXQ=",
            "email:jordan.ellis@example.com",
        ])
        .output()
        .unwrap();
    let mac = String::from_utf8_lossy(&py.stdout).trim().to_owned();
    assert!(
        entries.iter().any(|e| e == mac.as_str()),
        "{mac} not in {set}"
    );

    // The second provider: its own installation, the group's key, a customer of its own.
    let b_dir = dir.path().join("b");
    std::fs::create_dir_all(&b_dir).unwrap();
    let out = custos(
        &b_dir,
        &["keys", "create", "--role", "admin", "--name", "b"],
    );
    assert!(out.status.success(), "{out:?}");
    let admin_b = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let b = start(&b_dir, &["serve"]);
    let (st, k) = call(
        &b,
        &admin_b,
        "PUT",
        "/v1/sharing/trust-keys/trust-group-1-2026-12",
        Some(json!({"key": "ZGVtbyB0cnVzdCBncm91cCBrZXksIG5vdCBzZWNyZXQ="})),
    )
    .await;
    assert_eq!(st, 201, "{k}");
    assert!(k.get("key").is_none(), "a key given is not echoed");
    let (st, c) = call(
        &b,
        &admin_b,
        "POST",
        "/v1/customers",
        Some(json!({
        "individual": {"full_name": "Jordan Ellis", "date_of_birth": "1985-07-02",
            "citizenships": ["CA"],
            "residence": {"line1": "1 Front St W", "city": "Toronto", "postal_code": "M5J 2X6",
                "country": "CA"}}})),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let cus = c["customer_id"].as_str().unwrap().to_owned();
    let (st, _) = call(
        &b,
        &admin_b,
        "POST",
        &format!("/v1/customers/{cus}/contacts"),
        Some(json!({"kind": "email", "value": " Jordan.Ellis@EXAMPLE.com"})),
    )
    .await;
    assert_eq!(st, 201);
    // A set under a key B does not hold is refused, naming the field.
    let mut other = set.clone();
    other["key_id"] = json!("another-group");
    let (st, e) = call(&b, &admin_b, "POST", "/v1/sharing/keyed-sets", Some(other)).await;
    assert_eq!((st, e["field"].as_str()), (422, Some("key_id")), "{e}");
    let (st, imported) = call(
        &b,
        &admin_b,
        "POST",
        "/v1/sharing/keyed-sets",
        Some(set.clone()),
    )
    .await;
    assert_eq!(st, 201, "{imported}");
    assert_eq!(imported["matched_customers"], 1);
    let case = imported["cases"][0].as_str().unwrap();
    let (_, c) = call(
        &b,
        &admin_b,
        "GET",
        &format!("/v1/abuse-cases/{case}"),
        None,
    )
    .await;
    assert_eq!(
        (c["kind"].as_str(), c["customer_id"].as_str()),
        (Some("peer_signal"), Some(cus.as_str()))
    );
    let (_, ev) = call(
        &b,
        &admin_b,
        "GET",
        &format!("/v1/abuse-cases/{case}/evidence"),
        None,
    )
    .await;
    assert_eq!(ev["matched_kinds"], json!(["email"]), "{ev}");
    // Taken in once.
    let (st, _) = call(&b, &admin_b, "POST", "/v1/sharing/keyed-sets", Some(set)).await;
    assert_eq!(st, 409);
}

/// The oblivious look-up: a peer learns whether this provider closed a customer with a phone,
/// showing neither the phone it asks about nor learning any other; each evaluation spends
/// the peer key's hourly budget.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_looks_up_a_phone_obliviously_within_its_budget() {
    let dir = tempfile::tempdir().unwrap();
    let a = start(&dir.path().join("a"), &["demo"]);
    let admin = a.admin_key.clone().unwrap();
    let peer = a.peer_key.clone().unwrap();
    let (st, _) = call(
        &a,
        &admin,
        "POST",
        "/v1/customers/cus_demo_us_individual/contacts",
        Some(json!({"kind": "phone", "value": "+1 512 555 0142"})),
    )
    .await;
    assert_eq!(st, 201);
    let (_, waiting) = call(
        &a,
        &admin,
        "POST",
        "/v1/abuse-cases/abc_demo_phishing/actions",
        Some(json!({"action": "close_for_abuse", "note": "phishing kit confirmed"})),
    )
    .await;
    let (_, officer) = call(
        &a,
        &admin,
        "POST",
        "/v1/api-keys",
        Some(json!({"name": "officer", "role": "compliance_officer"})),
    )
    .await;
    let officer = officer["token"].as_str().unwrap().to_owned();
    let (st, _) = call(
        &a,
        &officer,
        "POST",
        &format!("/v1/approvals/{}/approve", waiting["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(st, 200);

    let c = reqwest::Client::new();
    let set: Value = c
        .get(format!("{}/taxii2/oprf/sets/phone", a.url))
        .basic_auth("p", Some(&peer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            set["suite"].as_str(),
            set["outputs"].as_array().unwrap().len()
        ),
        (Some("ristretto255-SHA512"), 1),
        "{set}"
    );
    assert!(!set.to_string().contains("5550142"));

    // Another provider's custos asks about two phones, one of them the abuser's.
    let b = dir.path().join("b");
    let out = Command::new(BIN)
        .args([
            "sharing",
            "oprf-lookup",
            "--from",
            &a.url,
            "--kind",
            "phone",
            "--json",
            "--value",
            "+1 (512) 555-0142",
            "--value",
            "+15125550199",
            "--data-dir",
        ])
        .arg(&b)
        .env_remove("CUSTOS_DATA_DIR")
        .env("CUSTOS_PEER_SECRET", &peer)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["held"], json!([true, false]), "{r}");

    // A broken element is a precise error; the budget is per key and per hour.
    let url = format!("{}/taxii2/oprf/evaluate", a.url);
    let r = c
        .post(&url)
        .basic_auth("p", Some(&peer))
        .json(&json!({"blinded_elements": ["00ff"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    // RFC 9497's blinded element, a hundred times a request.
    let element = "609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c";
    let batch = json!({"blinded_elements": vec![element; 100]});
    let mut statuses = vec![];
    for _ in 0..10 {
        let r = c
            .post(&url)
            .basic_auth("p", Some(&peer))
            .json(&batch)
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    // Two were spent above (the look-up), so the tenth hundred goes over the thousand.
    assert_eq!(&statuses[..9], &[200; 9]);
    assert_eq!(statuses[9], 429);
    let r = c
        .post(&url)
        .basic_auth("p", Some(&peer))
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("retry-after"));
    // An integrator's key is not a peer's: it reaches no OPRF.
    let (_, integ) = call(
        &a,
        &admin,
        "POST",
        "/v1/api-keys",
        Some(json!({"name": "i", "role": "integrator"})),
    )
    .await;
    let r = c
        .post(&url)
        .bearer_auth(integ["token"].as_str().unwrap())
        .json(&batch)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 403);
}

fn validate(bundle: &Value) -> Value {
    use std::io::Write;
    let mut child = Command::new("python3")
        .arg(script("validate.py"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(bundle.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An incident, from record to report: its 72-hour clock in the deadlines, its sheet, its
/// bundle; by the API and the CLI.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_incident_has_its_clock_its_sheet_and_its_bundle() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let s = start(&data, &["demo"]);
    let admin = s.admin_key.clone().unwrap();
    let at = |h: i64| (chrono::Utc::now() - chrono::Duration::hours(h)).to_rfc3339();
    let body = json!({"occurred_at": at(10), "detected_at": at(8),
        "location": "eu-west control plane", "activity": "unauthorized_access",
        "narrative": "A stolen API token was used to start instances.\nThe token was revoked.",
        "systems_affected": 3, "accounts_affected": 1, "organisation": "Demo Cloud LLC",
        "contact": {"name": "Ana Duarte", "email": "ana@demo-cloud.example", "phone": "+1 512 555 0100"},
        "severity": "high", "sector": "information technology", "told": ["State CERT"],
        "abuse_cases": ["abc_demo_scanning"]});
    // Wrong paths: a time ahead, an address that is not one, a case that does not exist.
    for (field, v) in [
        ("detected_at", json!(at(-2))),
        ("abuse_cases", json!(["abc_nope"])),
    ] {
        let mut b = body.clone();
        b[field] = v;
        let (st, e) = call(&s, &admin, "POST", "/v1/incidents", Some(b)).await;
        assert_eq!((st, e["field"].as_str()), (422, Some(field)), "{e}");
    }
    let mut b = body.clone();
    b["contact"]["email"] = json!("not an address");
    let (st, e) = call(&s, &admin, "POST", "/v1/incidents", Some(b)).await;
    assert_eq!(
        (st, e["field"].as_str()),
        (422, Some("contact.email")),
        "{e}"
    );
    let (st, i) = call(&s, &admin, "POST", "/v1/incidents", Some(body)).await;
    assert_eq!(st, 201, "{i}");
    let id = i["id"].as_str().unwrap().to_owned();
    // Due 72 hours after it was detected, in the calendar.
    let due = chrono::DateTime::parse_from_rfc3339(i["due_at"].as_str().unwrap()).unwrap();
    let detected =
        chrono::DateTime::parse_from_rfc3339(i["detected_at"].as_str().unwrap()).unwrap();
    assert_eq!(due - detected, chrono::Duration::hours(72));
    let (_, d) = call(
        &s,
        &admin,
        "GET",
        "/v1/compliance/deadlines?within_days=30",
        None,
    )
    .await;
    let clocks: Vec<&Value> = d
        .as_array()
        .or(d["deadlines"].as_array())
        .unwrap()
        .iter()
        .filter(|x| x["clock"] == "incident_report")
        .collect();
    assert!(clocks.iter().any(|x| x["subject"] == id.as_str()), "{d}");
    // Its list entry holds no report; reading it does.
    let (_, list) = call(&s, &admin, "GET", "/v1/incidents", None).await;
    assert!(!list.to_string().contains("Ana Duarte"));
    let (_, full) = call(&s, &admin, "GET", &format!("/v1/incidents/{id}"), None).await;
    assert_eq!(full["report"]["contact"]["phone"], "+15125550100");

    // The sheet, as HTML and as a PDF whose text pypdf reads.
    let c = reqwest::Client::new();
    let html = c
        .get(format!("{}/v1/incidents/{id}/sheet", s.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for want in [
        "Type of activity: unauthorized access",
        "Systems affected: 3",
        "Point of contact: Ana Duarte",
        "Others told: State CERT",
        "Report due",
    ] {
        assert!(html.contains(want), "{want}: {html}");
    }
    let pdf = c
        .get(format!("{}/v1/incidents/{id}/sheet?format=pdf", s.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let file = dir.path().join("sheet.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let out = Command::new("python3")
        .args(["-c", "import sys,pypdf; print(''.join(p.extract_text() for p in pypdf.PdfReader(sys.argv[1]).pages))"])
        .arg(&file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("Cyber incident report") && text.contains("Accounts affected: 1"),
        "{text}"
    );

    // The bundle validates; it carries the case's indicator, not the narrative.
    let r = c
        .get(format!("{}/v1/incidents/{id}/stix?tlp=amber", s.url))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    let bundle: Value = r.json().await.unwrap();
    assert_eq!(validate(&bundle), json!([]), "{bundle}");
    let types: Vec<&str> = bundle["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["type"].as_str().unwrap())
        .collect();
    assert!(
        types.contains(&"indicator") && types.contains(&"sighting"),
        "{types:?}"
    );
    assert_eq!(types.iter().filter(|t| **t == "incident").count(), 1);
    assert!(!bundle.to_string().contains("stolen API token"));

    // Reported: the clock stops, once.
    let (st, r) = call(
        &s,
        &admin,
        "POST",
        &format!("/v1/incidents/{id}/reported"),
        Some(json!({"to": ["CISA"], "reference": "CISA-2026-000123"})),
    )
    .await;
    assert_eq!(st, 200, "{r}");
    let (st, _) = call(
        &s,
        &admin,
        "POST",
        &format!("/v1/incidents/{id}/reported"),
        Some(json!({"to": ["CISA"]})),
    )
    .await;
    assert_eq!(st, 409);
    let (_, d) = call(
        &s,
        &admin,
        "GET",
        "/v1/compliance/deadlines?within_days=30",
        None,
    )
    .await;
    assert!(!d.to_string().contains(&id), "{d}");
    drop(s);

    // The CLI: the list, the sheet to a file.
    let ls = custos(&data, &["incidents", "ls"]);
    assert!(String::from_utf8_lossy(&ls.stdout).contains(&id));
    let out = dir.path().join("sheet.html");
    let r = custos(
        &data,
        &["incidents", "sheet", &id, "--out", out.to_str().unwrap()],
    );
    assert!(r.status.success(), "{r:?}");
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .contains("CISA-2026-000123")
    );
    let r = custos(
        &data,
        &["incidents", "sheet", &id, "--format", "docx", "--out", "x"],
    );
    assert!(!r.status.success());
}
