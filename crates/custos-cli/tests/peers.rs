//! Between providers, end to end: keyed sets shared by two installations, the oblivious
//! look-up of a phone within a peer key's budget, and an incident from record to report.

mod common;

use std::process::Command;

use common::*;
use serde_json::{Value, json};

/// The demo's phishing case closes its account for abuse: an admin asks, a compliance
/// officer approves.
async fn close_for_abuse(a: &Server, admin: &str) {
    let (st, waiting) = call(
        a,
        admin,
        "POST",
        "/v1/abuse-cases/abc_demo_phishing/actions",
        Some(json!({"action": "close_for_abuse", "note": "phishing kit confirmed"})),
    )
    .await;
    assert_eq!(st, 202, "{waiting}");
    let (_, officer) = call(
        a,
        admin,
        "POST",
        "/v1/api-keys",
        Some(json!({"name": "officer", "role": "compliance_officer"})),
    )
    .await;
    let officer = officer["token"].as_str().unwrap().to_owned();
    let approval = waiting["id"].as_str().unwrap();
    let (st, e) = call(
        a,
        &officer,
        "POST",
        &format!("/v1/approvals/{approval}/approve"),
        None,
    )
    .await;
    assert_eq!(st, 200, "{e}");
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
    close_for_abuse(&a, &admin_a).await;
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
    close_for_abuse(&a, &admin).await;

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

    // A request the evaluation refuses spends nothing of the budget.
    let too_many = json!({"blinded_elements": vec!["609a0ae68c15a3cf6903766461307e5c8bb2f95e7e6550e1ffa2dc99e412803c"; 101]});
    let r = c
        .post(format!("{}/taxii2/oprf/evaluate", a.url))
        .basic_auth("p", Some(&peer))
        .json(&too_many)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
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
        .arg(sharing_script("validate.py"))
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
    // The control plane hears of both, and of nothing in the report.
    let mut events = vec![];
    let mut after = 0;
    loop {
        let (_, page) = call(
            &s,
            &admin,
            "GET",
            &format!("/v1/events-feed?after={after}&limit=100"),
            None,
        )
        .await;
        events.extend(page["data"].as_array().unwrap().iter().cloned());
        if page["has_more"] != true {
            break;
        }
        after = page["next_after"].as_i64().unwrap();
    }
    let mine: Vec<&Value> = events
        .iter()
        .filter(|e| e["data"]["incident_id"] == id.as_str())
        .collect();
    let kinds: Vec<&str> = mine
        .iter()
        .map(|e| e["type"].as_str().or(e["kind"].as_str()).unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["incident.recorded", "incident.reported"],
        "{mine:?}"
    );
    assert!(!format!("{mine:?}").contains("Ana Duarte"));
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

/// An SSH key's fingerprint, as `ssh-keygen -l` prints it.
const SSH_KEY: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

/// A closed-for-abuse account's access addresses and SSH keys are the customer's record:
/// shared only when a second person approves, each an indicator and a sighting that validate.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_accounts_access_addresses_and_ssh_keys_are_shared_with_four_eyes() {
    let dir = tempfile::tempdir().unwrap();
    let a = start(&dir.path().join("a"), &["demo"]);
    let admin = a.admin_key.clone().unwrap();
    let events: String = ["198.51.100.41", "198.51.100.41", "198.51.100.42"]
        .iter()
        .enumerate()
        .map(|(n, ip)| {
            let at = (chrono::Utc::now() - chrono::Duration::hours(10 - n as i64)).to_rfc3339();
            let mut e = json!({"account_id": "acc_demo_us_direct", "time": at, "ip": ip,
                "action": "login", "source": "console"});
            if n > 0 {
                // Two SSH logins with one key (sent padded, kept as OpenSSH prints it).
                e["action"] = json!("ssh");
                e["ssh_key_fingerprint"] = json!(format!("{SSH_KEY}="));
            }
            e.to_string() + "\n"
        })
        .collect();
    let r = reqwest::Client::new()
        .post(format!("{}/v1/events", a.url))
        .bearer_auth(&admin)
        .header("content-type", "application/x-ndjson")
        .body(events)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let share = |note: Option<&str>| {
        let mut b = json!({"collection": "8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10", "tlp": "amber",
            "include_access_addresses": true, "include_ssh_keys": true});
        if let Some(n) = note {
            b["note"] = json!(n);
        }
        b
    };
    let path = "/v1/abuse-cases/abc_demo_phishing/share";
    // Not before the account is closed for abuse: until then they are a customer's.
    let (st, e) = call(&a, &admin, "POST", path, Some(share(Some("phishing kit")))).await;
    assert_eq!(
        (st, e["field"].as_str()),
        (422, Some("include_access_addresses")),
        "{e}"
    );
    close_for_abuse(&a, &admin).await;
    let (st, e) = call(&a, &admin, "POST", path, Some(share(None))).await;
    assert_eq!((st, e["field"].as_str()), (422, Some("note")), "{e}");
    let (st, waiting) = call(
        &a,
        &admin,
        "POST",
        path,
        Some(share(Some("phishing kit; CERT asked"))),
    )
    .await;
    assert_eq!(st, 202, "{waiting}");
    // The second person sees what would go, where, and under which level.
    assert_eq!(
        waiting["shares"],
        "the account's access addresses and SSH keys, into collection \
         8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10, TLP:AMBER"
    );
    // Nothing of the account is shared while it waits.
    let peer = a.peer_key.clone().unwrap();
    let c = reqwest::Client::new();
    let url = format!(
        "{}/taxii2/api/collections/8c1d5e8e-3b89-4a52-9c11-4f6f0c2a1e10/objects/",
        a.url
    );
    let page: Value = c
        .get(&url)
        .basic_auth("p", Some(&peer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(!page.to_string().contains("198.51.100.41"));
    assert!(!page.to_string().contains(SSH_KEY));
    let (_, officer) = call(
        &a,
        &admin,
        "POST",
        "/v1/api-keys",
        Some(json!({"name": "second", "role": "compliance_officer"})),
    )
    .await;
    let officer = officer["token"].as_str().unwrap().to_owned();
    let (st, e) = call(
        &a,
        &officer,
        "POST",
        &format!("/v1/approvals/{}/approve", waiting["id"].as_str().unwrap()),
        None,
    )
    .await;
    assert_eq!(st, 200, "{e}");
    let page: Value = c
        .get(&url)
        .basic_auth("p", Some(&peer))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let objects = page["objects"].as_array().unwrap();
    let patterns: Vec<&str> = objects
        .iter()
        .filter_map(|o| o["pattern"].as_str())
        .collect();
    for ip in ["198.51.100.41", "198.51.100.42"] {
        assert!(
            patterns.contains(&format!("[ipv4-addr:value = '{ip}']").as_str()),
            "{patterns:?}"
        );
    }
    let busiest = objects
        .iter()
        .find(|o| {
            o["type"] == "sighting"
                && objects.iter().any(|i| {
                    i["id"] == o["sighting_of_ref"]
                        && i["pattern"].as_str().unwrap_or("").contains(".41")
                })
        })
        .unwrap();
    assert_eq!(busiest["count"], 2);
    // The key: custos's `ssh-key` observable, its indicator and its sighting (two uses), with
    // the extension definition that defines the observable.
    let key = format!("[ssh-key:fingerprint_sha256 = '{SSH_KEY}']");
    let indicator = objects
        .iter()
        .find(|o| o["pattern"] == key.as_str())
        .unwrap();
    let sighting = objects
        .iter()
        .find(|o| o["sighting_of_ref"] == indicator["id"])
        .unwrap();
    assert_eq!(sighting["count"], 2);
    let sco = objects.iter().find(|o| o["type"] == "ssh-key").unwrap();
    assert_eq!(sco["fingerprint_sha256"], SSH_KEY);
    let ext = sco["extensions"]
        .as_object()
        .unwrap()
        .keys()
        .next()
        .unwrap();
    assert!(
        objects
            .iter()
            .any(|o| o["id"] == ext.as_str() && o["extension_types"] == json!(["new-sco"])),
        "{ext}"
    );
    let bundle = json!({"type": "bundle", "id": "bundle--6b4b0e5e-4cd8-4b5e-9c4a-2e0a3b1d7f10", "objects": objects});
    assert_eq!(validate(&bundle), json!([]), "{bundle}");
}
