//! The Store conformance suite: every case runs against SQLite and against PostgreSQL.
//!
//! PostgreSQL comes from `CUSTOS_TEST_POSTGRES_URL` (default: the machine's server at
//! `postgres://postgres@127.0.0.1:5432/postgres`); each test creates its own database and drops
//! it after. A missing server fails these tests: it never skips them.

mod common;

use chrono::Duration;
use custos_core::account::Decision;
use custos_core::{CipPolicy, Customer, CustomerId, LegalHold};
use custos_store::blind::card_fingerprint;
use custos_store::{
    ApiKeyRecord, AuditEntry, IdemBegin, IndexKind, SqlStore, Store, StoreError, audit_hash,
};

use common::*;

#[path = "conformance/bulk.rs"]
mod bulk;
#[path = "conformance/console.rs"]
mod console;
#[path = "conformance/lookups.rs"]
mod lookups;
#[path = "conformance/sharing.rs"]
mod sharing;
#[path = "conformance/webhooks.rs"]
mod webhooks;

use bulk::*;
use console::*;
use lookups::*;
use sharing::*;
use webhooks::*;

async fn customers_round_trip(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let c = customer(1, s);
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    let got = s.load_customer(&c.id).await.unwrap();
    assert_eq!(got.value, c);
    assert_eq!(got.version, 1);
    let sum = s.load_summary(&c.id).await.unwrap();
    assert_eq!(sum.value, c.summary(&policy));
    let missing = CustomerId::parse("cus_nope").unwrap();
    assert!(matches!(
        s.load_customer(&missing).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(matches!(
        s.create_customer(&c, &c.summary(&policy), &[]).await,
        Err(StoreError::Conflict(_))
    ));
}

async fn optimistic_versions(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let mut c = customer(1, s);
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    c.external_ref = Some("crm-1".into());
    assert_eq!(
        s.save_customer(&c, &c.summary(&policy), 1, &[], &[])
            .await
            .unwrap(),
        2
    );
    let stale = s.save_customer(&c, &c.summary(&policy), 1, &[], &[]).await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    let got = s.load_customer(&c.id).await.unwrap();
    assert_eq!(got.version, 2);
    assert_eq!(got.value.external_ref.as_deref(), Some("crm-1"));
}

async fn blind_indexes(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let a = customer(1, s);
    let b = customer(2, s);
    s.create_customer(&a, &a.summary(&policy), &[])
        .await
        .unwrap();
    s.create_customer(&b, &b.summary(&policy), &[])
        .await
        .unwrap();
    let both = vec![a.id.clone(), b.id.clone()];
    assert_eq!(
        s.find_customers(IndexKind::Email, " KSENIA.V@example.ORG")
            .await
            .unwrap(),
        both
    );
    assert_eq!(
        s.find_customers(IndexKind::Phone, "+7 916 123-45-67")
            .await
            .unwrap(),
        both
    );
    let fp = card_fingerprint(s.keyring().index_key(), PAN);
    assert_eq!(
        s.find_customers(IndexKind::CardFingerprint, &fp)
            .await
            .unwrap(),
        both
    );
    assert_eq!(
        s.find_customers(IndexKind::NationalId, &format!("RU:{ID_NUMBER}"))
            .await
            .unwrap(),
        both
    );
    assert!(
        s.find_customers(IndexKind::Email, "other@example.org")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn accounts(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let c = customer(1, s);
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    let parent = account(1, &c.id, None, Decision::Approve);
    let mut child = account(2, &c.id, Some(&parent.id), Decision::Pending);
    s.insert_account(&parent, &[]).await.unwrap();
    s.insert_account(&child, &[]).await.unwrap();
    assert!(matches!(
        s.insert_account(&child, &[]).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(s.get_account(&child.id).await.unwrap(), child);
    // Which of many ids exist, in one question (more than one chunk of 500).
    let mut asked: Vec<String> = (0..1200).map(|i| format!("acc_nope_{i}")).collect();
    asked.push(child.id.as_str().to_owned());
    asked.push("'; DROP TABLE accounts; --".to_owned());
    asked.push(parent.id.as_str().to_owned());
    let mut want = vec![parent.id.as_str().to_owned(), child.id.as_str().to_owned()];
    want.sort();
    assert_eq!(s.known_accounts(&asked).await.unwrap(), want);
    assert!(s.known_accounts(&[]).await.unwrap().is_empty());
    assert_eq!(
        s.accounts_of(&c.id).await.unwrap(),
        vec![parent.clone(), child.clone()]
    );
    assert_eq!(
        s.children_of(&parent.id).await.unwrap(),
        vec![child.clone()]
    );
    assert_eq!(
        s.accounts_needing_action(None, 10).await.unwrap(),
        vec![child.clone()]
    );
    child.decision = parent.decision.clone();
    child.last_access_at = Some(now() + Duration::hours(1));
    s.update_accounts(std::slice::from_ref(&child), &[])
        .await
        .unwrap();
    assert!(
        s.accounts_needing_action(None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.get_account(&child.id).await.unwrap(), child);
    let ghost = account(9, &c.id, None, Decision::Approve);
    assert!(matches!(
        s.update_accounts(&[ghost], &[]).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn holds_block_destruction(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let c = customer(1, s);
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    s.insert_account(&account(1, &c.id, None, Decision::Approve), &[])
        .await
        .unwrap();
    let hold = LegalHold {
        id: "hold_1".into(),
        reason: "subpoena".into(),
        reference: Some("GJ-2026-14".into()),
        placed_by: "key1".into(),
        placed_at: now(),
        released_by: None,
        released_at: None,
        expires_at: None,
    };
    s.place_hold(&c.id, &hold).await.unwrap();
    let blocked = s.destroy_customer(&c.id, now(), "retention").await;
    assert!(
        matches!(blocked, Err(StoreError::Conflict(_))),
        "{blocked:?}"
    );
    assert!(
        s.load_customer(&c.id).await.is_ok(),
        "a blocked destruction changes nothing"
    );
    let released = s
        .release_hold(&c.id, "hold_1", "key2", now())
        .await
        .unwrap();
    assert_eq!(released.released_by.as_deref(), Some("key2"));
    assert!(matches!(
        s.release_hold(&c.id, "hold_1", "key2", now()).await,
        Err(StoreError::Conflict(_))
    ));
    let t = s
        .destroy_customer(&c.id, now(), "retention period ended")
        .await
        .unwrap();
    assert_eq!(t.accounts.len(), 1);
    assert!(t.index_entries_removed >= 4);
    assert!(matches!(
        s.load_customer(&c.id).await,
        Err(StoreError::Destroyed(_))
    ));
    assert!(matches!(
        s.load_summary(&c.id).await,
        Err(StoreError::Destroyed(_))
    ));
    assert!(
        s.find_customers(IndexKind::Email, EMAIL)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(s.tombstone(&c.id).await.unwrap(), Some(t));
    assert!(s.customer_ids(None, 10).await.unwrap().is_empty());
    assert!(matches!(
        s.destroy_customer(&c.id, now(), "again").await,
        Err(StoreError::Destroyed(_))
    ));
}

async fn audit_is_append_only_and_chained(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let mut prev = vec![0u8; 32];
    for i in 0..3 {
        let e = AuditEntry {
            at: now() + Duration::seconds(i),
            actor: "key1".into(),
            role: "reviewer".into(),
            purpose: Some("fraud review".into()),
            action: "read_customer".into(),
            record: format!("cus_{i}"),
        };
        let r = s.append_audit(&e).await.unwrap();
        assert_eq!(r.seq, i + 1);
        assert_eq!(r.prev_hash, hex::encode(&prev));
        let body = serde_json::to_string(&e).unwrap();
        prev = audit_hash(&prev, r.seq, &body).to_vec();
        assert_eq!(r.hash, hex::encode(&prev));
    }
    let all = s.audit_entries(0, 10).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(s.audit_entries(2, 10).await.unwrap().len(), 1);
    assert!(
        s.execute_unchecked("UPDATE audit_log SET body = 'x'")
            .await
            .is_err()
    );
    assert!(s.execute_unchecked("DELETE FROM audit_log").await.is_err());
    assert_eq!(s.audit_entries(0, 10).await.unwrap(), all);
}

async fn api_keys(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let k = ApiKeyRecord {
        id: "abc123def456".into(),
        name: "ci".into(),
        role: "integrator".into(),
        hash: "$argon2id$...".into(),
        created_at: now(),
        revoked_at: None,
        scope: None,
    };
    s.insert_api_key(&k).await.unwrap();
    assert_eq!(s.get_api_key(&k.id).await.unwrap(), k);
    assert_eq!(s.list_api_keys().await.unwrap(), vec![k.clone()]);
    let scoped = ApiKeyRecord {
        id: "abc123def457".into(),
        role: "reseller".into(),
        scope: Some("acc_reseller".into()),
        created_at: now() + Duration::seconds(1),
        ..k.clone()
    };
    s.insert_api_key(&scoped).await.unwrap();
    assert_eq!(s.get_api_key(&scoped.id).await.unwrap(), scoped);
    assert_eq!(s.list_api_keys().await.unwrap(), vec![k.clone(), scoped]);
    s.revoke_api_key(&k.id, now()).await.unwrap();
    assert_eq!(s.get_api_key(&k.id).await.unwrap().revoked_at, Some(now()));
    assert!(matches!(
        s.revoke_api_key(&k.id, now()).await,
        Err(StoreError::NotFound(_))
    ));
}

async fn idempotency(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let (a, b) = ([1u8; 32], [2u8; 32]);
    assert_eq!(
        s.idem_begin("k", "x", &a, now()).await.unwrap(),
        IdemBegin::Fresh
    );
    assert_eq!(
        s.idem_begin("k", "x", &a, now()).await.unwrap(),
        IdemBegin::InProgress
    );
    assert_eq!(
        s.idem_begin("k", "x", &b, now()).await.unwrap(),
        IdemBegin::Mismatch
    );
    s.idem_complete("k", "x", 201, b"{\"ok\":true}")
        .await
        .unwrap();
    assert_eq!(
        s.idem_begin("k", "x", &a, now()).await.unwrap(),
        IdemBegin::Replay {
            status: 201,
            body: b"{\"ok\":true}".to_vec()
        }
    );
    assert_eq!(
        s.idem_begin("other", "x", &a, now()).await.unwrap(),
        IdemBegin::Fresh
    );
    s.idem_abandon("other", "x").await.unwrap();
    assert_eq!(
        s.idem_begin("other", "x", &a, now()).await.unwrap(),
        IdemBegin::Fresh
    );
    // A reservation left by a request that died with its process does not block the key for
    // good. PostgreSQL keeps reservations as rows, taken over once stale; SQLite keeps them in
    // the memory of the one process that owns the database, so they end with it.
    match &h.pg {
        Some(_) => {
            let later = now() + Duration::minutes(5);
            assert_eq!(
                s.idem_begin("other", "x", &a, later).await.unwrap(),
                IdemBegin::Fresh
            );
        }
        None => {
            let reopened =
                SqlStore::open_sqlite(&h.dir.path().join("custos.db"), h.keyring.clone())
                    .await
                    .unwrap();
            assert_eq!(
                reopened.idem_begin("other", "x", &a, now()).await.unwrap(),
                IdemBegin::Fresh
            );
            assert_eq!(
                reopened.idem_begin("k", "x", &a, now()).await.unwrap(),
                IdemBegin::Replay {
                    status: 201,
                    body: b"{\"ok\":true}".to_vec()
                },
                "finished responses are durable"
            );
        }
    }
}

async fn rotation_rewraps(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let c = customer(1, s);
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    let new = h.keyring.rotate().unwrap();
    assert_eq!(s.rewrap_data_keys().await.unwrap(), 1);
    assert_eq!(s.rewrap_data_keys().await.unwrap(), 0);
    assert_eq!(new, "kek-0002");
    assert_eq!(s.load_customer(&c.id).await.unwrap().value, c);
}

fn assert_no_plaintext(haystack: &[u8], what: &str) {
    for needle in [
        NAME,
        "Volkonskaya",
        EMAIL,
        PHONE,
        "79161234567",
        ID_NUMBER,
        PAN,
        "Tverskaya",
    ] {
        assert!(
            !haystack
                .windows(needle.len())
                .any(|w| w == needle.as_bytes()),
            "{what} holds `{needle}` in plaintext"
        );
    }
}

async fn no_plaintext_at_rest(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    for n in 0..3 {
        let c = customer(n, s);
        s.create_customer(&c, &c.summary(&policy), &[])
            .await
            .unwrap();
    }
    let all = h.dump().await;
    assert!(all.len() > 4096);
    assert_no_plaintext(&all, "the database");
}

fn list_version(list: &str, entities: &[custos_screen::ListEntity]) -> custos_screen::ListVersion {
    custos_screen::ListVersion {
        list: list.into(),
        format: "ofac-csv".into(),
        source: "/data/sdn.csv".into(),
        retrieved_at: now(),
        content_hash: custos_screen::version::content_hash(entities),
        entries: entities.len(),
        measure: custos_core::screening::ListMeasure::Prohibition,
    }
}

async fn list_versions_replace_only_whole(backend: &str) {
    use custos_screen::{EntityKind, ListEntity};
    let h = harness(backend).await;
    let s = &h.store;
    let v1 = vec![
        ListEntity::new("ofac-1", EntityKind::Person, "ABBAS, Abu"),
        ListEntity::new("ofac-2", EntityKind::Organization, "BANCO NACIONAL DE CUBA"),
    ];
    let a = s
        .save_list_version(
            &list_version("ofac-sdn", &v1),
            &v1,
            &custos_screen::version::diff(&[], &v1),
            Some(0),
        )
        .await
        .unwrap();
    let mut v2 = v1.clone();
    v2.remove(0);
    v2.push(ListEntity::new("ofac-3", EntityKind::Vessel, "SEA STAR"));
    let d = custos_screen::version::diff(&v1, &v2);
    let b = s
        .save_list_version(&list_version("ofac-sdn", &v2), &v2, &d, Some(a.id))
        .await
        .unwrap();
    // A version made from one that is no longer current is refused: a writer merging into
    // the list would drop what the other wrote.
    let stale = s
        .save_list_version(&list_version("ofac-sdn", &v1), &v1, &d, Some(a.id))
        .await;
    assert!(matches!(stale, Err(StoreError::Conflict(_))), "{stale:?}");
    assert_eq!(b.id, a.id + 1);
    let versions = s.list_versions(Some("ofac-sdn")).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.id, v.current))
            .collect::<Vec<_>>(),
        vec![(b.id, true), (a.id, false)]
    );
    assert_eq!(versions[0].diff, d);
    assert_eq!(s.list_entries(b.id).await.unwrap(), v2);
    assert_eq!(s.list_entries(a.id).await.unwrap(), v1);
    // A version that cannot be written whole (two entries with one id) leaves the current one.
    let broken = vec![v2[0].clone(), v2[0].clone()];
    assert!(
        s.save_list_version(&list_version("ofac-sdn", &broken), &broken, &d, None)
            .await
            .is_err()
    );
    let after = s.list_versions(None).await.unwrap();
    assert_eq!(after, versions);
    assert!(s.list_entries(b.id + 1).await.unwrap().is_empty());
    // Many entries go in whole.
    let many: Vec<ListEntity> = (0..1000)
        .map(|i| {
            ListEntity::new(
                format!("un-{i:04}"),
                EntityKind::Person,
                format!("PERSON {i}"),
            )
        })
        .collect();
    let c = s
        .save_list_version(
            &list_version("un", &many),
            &many,
            &custos_screen::version::diff(&[], &many),
            None,
        )
        .await
        .unwrap();
    assert_eq!(s.list_entries(c.id).await.unwrap().len(), 1000);
    assert!(
        s.list_versions(Some("ofac-sdn")).await.unwrap()[0].current,
        "other lists are untouched"
    );
    // Each version keeps the measure it was imported with.
    use custos_core::screening::ListMeasure;
    assert_eq!(versions[0].version.measure, ListMeasure::Prohibition);
    for m in [ListMeasure::Review, ListMeasure::Informational] {
        let mut v = list_version("bis-dpl", &v1);
        v.measure = m;
        let saved = s
            .save_list_version(&v, &v1, &custos_screen::version::diff(&[], &v1), None)
            .await
            .unwrap();
        let read = s.list_versions(Some("bis-dpl")).await.unwrap();
        assert_eq!(read[0].id, saved.id);
        assert_eq!(read[0].version.measure, m);
    }
}

fn finding(c: &Customer, entity: &str) -> custos_core::screening::Finding {
    use custos_core::screening::{Basis, Finding, Measure};
    Finding {
        subject_id: c.customer_subject().clone(),
        basis: Basis::Name,
        list: "ofac-sdn".into(),
        entity_id: entity.into(),
        entity_name: "SOKOLOV, Igor".into(),
        matched: "SOKOLOV, Igor".into(),
        score: 0.93,
        measure: Measure::Prohibition,
        conditions: vec![],
        reference: None,
        explanation: vec![],
        decisive: false,
        birth_date_equal: false,
        entity_fingerprint: "e".into(),
        subject_fingerprint: "s".into(),
    }
}

async fn screening_cases_follow_the_summary(backend: &str) {
    use custos_core::screening::{CaseState, Resolution};
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let mut a = customer(1, s);
    let b = customer(2, s);
    let f = vec![finding(&a, "sdn-1"), finding(&a, "sdn-2")];
    a.screening
        .apply(f, vec![], now(), |f| format!("scr_{}{}", a.id, f.entity_id));
    s.create_customer(&a, &a.summary(&policy), &[])
        .await
        .unwrap();
    s.create_customer(&b, &b.summary(&policy), &[])
        .await
        .unwrap();
    let open = s
        .screening_cases(Some(CaseState::Open), None, 10)
        .await
        .unwrap();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|c| c.customer_id == a.id));
    assert!(open[0].case.id < open[1].case.id);
    let paged = s
        .screening_cases(None, Some(&open[0].case.id), 10)
        .await
        .unwrap();
    assert_eq!(paged.len(), 1);
    // A resolution saved with the record moves the case in the queue, in the same write.
    let id = open[0].case.id.clone();
    a.screening
        .resolve(&id, Resolution::FalsePositive, "rev", None, now())
        .unwrap();
    s.save_customer(&a, &a.summary(&policy), 1, &[], &[])
        .await
        .unwrap();
    assert_eq!(
        s.screening_case(&id).await.unwrap().case.state,
        CaseState::FalsePositive
    );
    assert_eq!(
        s.screening_cases(Some(CaseState::Open), None, 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // A stale write changes nothing, the queue included.
    let mut stale = a.clone();
    stale
        .screening
        .resolve(
            &id,
            Resolution::Confirmed,
            "rev",
            Some("the list's passport number".into()),
            now(),
        )
        .unwrap();
    assert!(
        s.save_customer(&stale, &stale.summary(&policy), 1, &[], &[])
            .await
            .is_err()
    );
    assert_eq!(
        s.screening_case(&id).await.unwrap().case.state,
        CaseState::FalsePositive
    );
    // Destroyed customers leave no case behind.
    s.destroy_customer(&a.id, now(), "test").await.unwrap();
    assert!(matches!(
        s.screening_case(&id).await,
        Err(StoreError::NotFound(_))
    ));
    assert!(s.screening_cases(None, None, 10).await.unwrap().is_empty());
}

async fn compliance_records_and_documents(backend: &str) {
    use custos_store::{ComplianceRecord, DocumentMeta};
    let h = harness(backend).await;
    let s = &h.store;
    let rec = |id: &str, subject: Option<&str>, n: i64| ComplianceRecord {
        id: id.into(),
        kind: "exemption".into(),
        subject: subject.map(str::to_owned),
        created_at: now() + chrono::Duration::seconds(n),
        due_at: Some(now() + chrono::Duration::days(10)),
        closed_at: None,
        body: serde_json::json!({"basis": "ADP", "n": n}),
    };
    s.put_compliance_record(&rec("ex_2", Some("acc_1"), 2), &[])
        .await
        .unwrap();
    s.put_compliance_record(&rec("ex_1", None, 1), &[])
        .await
        .unwrap();
    // Replaced by id.
    let mut closed = rec("ex_2", Some("acc_1"), 2);
    closed.closed_at = Some(now());
    s.put_compliance_record(&closed, &[]).await.unwrap();
    let all = s.compliance_records("exemption", None).await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(),
        ["ex_1", "ex_2"]
    );
    assert_eq!(all[1], closed);
    assert_eq!(
        s.compliance_records("exemption", Some("acc_1"))
            .await
            .unwrap(),
        vec![closed.clone()]
    );
    assert!(
        s.compliance_records("adp_review", None)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        s.compliance_record("nope").await,
        Err(StoreError::NotFound(_))
    ));

    let meta = |owner: &str| DocumentMeta {
        id: String::new(),
        owner: owner.into(),
        kind: "cip".into(),
        version: 0,
        uploaded_at: now(),
        uploaded_by: "key_1".into(),
        file_name: "cip.pdf".into(),
        media_type: "application/pdf".into(),
        sha256: "00".into(),
        size: 3,
    };
    let secret = format!("CIP contact: {NAME}");
    let v1 = s.add_document(&meta("acc_r"), b"one").await.unwrap();
    let v2 = s
        .add_document(&meta("acc_r"), secret.as_bytes())
        .await
        .unwrap();
    let p1 = s.add_document(&meta("provider"), b"ours").await.unwrap();
    assert_eq!((v1.version, v2.version, p1.version), (1, 2, 1));
    assert_eq!(s.document(&v1.id).await.unwrap().1, b"one");
    assert_eq!(
        s.document(&v2.id).await.unwrap(),
        (v2.clone(), secret.clone().into_bytes())
    );
    assert_eq!(
        s.documents(Some("acc_r"), None).await.unwrap(),
        vec![v1, v2]
    );
    assert_eq!(s.documents(None, Some("cip")).await.unwrap().len(), 3);
    // Sealed at rest, and re-wrapped with the customers' keys when the keyring rotates.
    h.keyring.rotate().unwrap();
    assert_eq!(s.rewrap_data_keys().await.unwrap(), 3);
    assert_eq!(s.document(&p1.id).await.unwrap().1, b"ours");
}

/// Every KEK in the keyring file as it is on disk now (what an attacker holding the data
/// directory has).
fn keks_on_disk(path: &std::path::Path) -> Vec<custos_store::crypto::SecretKey> {
    use base64::Engine;
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["keks"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| {
            let b = base64::engine::general_purpose::STANDARD
                .decode(k.as_str().unwrap())
                .unwrap();
            custos_store::crypto::SecretKey::from_bytes(&b).unwrap()
        })
        .collect()
}

/// The bytes a sealed data key is: version, nonce, key and tag.
const WRAPPED_LEN: usize = 1 + 24 + 32 + 16;

/// Carving as an attacker would: every offset of `data` where a wrapped key could start, tried
/// with every KEK as each destroyed customer's data key.
fn carve(data: &[u8], keks: &[custos_store::crypto::SecretKey], ids: &[CustomerId]) -> usize {
    let mut found = 0;
    for at in 0..data.len().saturating_sub(WRAPPED_LEN - 1) {
        if data[at] != 1 {
            continue;
        }
        let w = &data[at..at + WRAPPED_LEN];
        for id in ids {
            let aad = format!("custos:dek:v1:{id}");
            for k in keks {
                if custos_store::crypto::open(k, aad.as_bytes(), w).is_ok() {
                    found += 1;
                }
            }
        }
    }
    found
}

async fn shredded_records_cannot_be_carved(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let cs: Vec<Customer> = (0..3).map(|n| customer(n, s)).collect();
    for c in &cs {
        s.create_customer(c, &c.summary(&policy), &[])
            .await
            .unwrap();
    }
    // What a perfect carver of PostgreSQL's files (dead tuples, the WAL, a backup) could get
    // at most: the wrapped keys as they were stored.
    let mut stored = vec![];
    if let Some((admin, name)) = &h.pg {
        let url = format!("{}/{name}", admin.rsplit_once('/').unwrap().0);
        for c in &cs[..2] {
            let out = std::process::Command::new("psql")
                .args([
                    url.as_str(),
                    "-Atc",
                    &format!(
                        "SELECT encode(wrapped, 'hex') FROM data_keys WHERE customer_id = '{}'",
                        c.id
                    ),
                ])
                .output()
                .unwrap();
            stored.push(hex::decode(String::from_utf8_lossy(&out.stdout).trim()).unwrap());
        }
    }
    let gone: Vec<CustomerId> = cs[..2].iter().map(|c| c.id.clone()).collect();
    for id in &gone {
        s.destroy_customer(id, now(), "retention").await.unwrap();
    }
    let retired = s.shred_keys().await.unwrap();
    assert_eq!(retired, vec!["kek-0001".to_owned()]);
    let keks = keks_on_disk(&h.dir.path().join("keyring.json"));
    assert_eq!(keks.len(), 1, "only the new KEK is left");
    match &h.pg {
        None => {
            // Every file of the directory, the keyring included.
            let mut found = 0;
            for e in std::fs::read_dir(h.dir.path()).unwrap() {
                let p = e.unwrap().path();
                found += carve(&std::fs::read(&p).unwrap(), &keks, &gone);
            }
            assert_eq!(found, 0, "a destroyed customer's data key was carved");
        }
        Some(_) => {
            for w in &stored {
                assert_eq!(w.len(), WRAPPED_LEN);
                assert_eq!(carve(w, &keks, &gone), 0);
            }
        }
    }
    // The customer who stays is read as before, under the new KEK.
    assert_eq!(s.load_customer(&cs[2].id).await.unwrap().value, cs[2]);
    // Nothing wrapped is left for a second shredding to retire.
    assert!(s.shred_keys().await.unwrap() == vec!["kek-0002".to_owned()]);
    assert_eq!(s.load_customer(&cs[2].id).await.unwrap().value, cs[2]);
}

async fn retention_work_queued_again_while_done_stays_pending(backend: &str) {
    use custos_store::RetentionWork::LedgerPurge;
    let h = harness(backend).await;
    let s = &h.store;
    let a = "acc_t0001".to_owned();
    s.queue_work(LedgerPurge, std::slice::from_ref(&a), now(), true)
        .await
        .unwrap();
    let pending = s.pending_work(LedgerPurge, 10).await.unwrap();
    assert_eq!(pending.len(), 1);
    let (subject, generation) = pending[0].clone();
    assert_eq!(subject, a);
    // Events come for the account while its purge runs: queued again; an account with no
    // work is left alone.
    let again = s
        .requeue_done(LedgerPurge, &[a.clone(), "acc_t0002".into()], now())
        .await
        .unwrap();
    assert_eq!(again, vec![a.clone()]);
    // The purge that read the earlier generation finishes: the work stays pending.
    s.work_done(LedgerPurge, &a, generation, now(), 1)
        .await
        .unwrap();
    let pending = s.pending_work(LedgerPurge, 10).await.unwrap();
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert!(pending[0].1 > generation);
    s.work_done(LedgerPurge, &a, pending[0].1, now(), 1)
        .await
        .unwrap();
    assert!(s.pending_work(LedgerPurge, 10).await.unwrap().is_empty());
    // Done, then an event comes: pending again.
    s.requeue_done(LedgerPurge, std::slice::from_ref(&a), now())
        .await
        .unwrap();
    assert_eq!(s.pending_work(LedgerPurge, 10).await.unwrap().len(), 1);
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test] async fn $case() { super::$case("sqlite").await })*
        }
        mod postgres {
            $(#[tokio::test] async fn $case() { super::$case("postgres").await })*
        }
    };
}

conformance!(
    customers_round_trip,
    customers_created_and_read_in_bulk,
    a_quiet_screening_marks_what_no_one_changed,
    audits_in_one_write_chain_on,
    console_users_and_sessions,
    console_claims,
    approvals_are_sealed_and_decided_once,
    customers_linked_by_a_shared_identifier,
    the_review_queue_newest_first,
    lookups_filter_and_page,
    reference_versions_by_kind,
    link_edges_follow_values_under_the_cap,
    an_upgrade_finds_references_kept_before,
    an_upgrade_forgets_tokens_kept_for_replays,
    webhooks_outbox_and_deliveries,
    optimistic_versions,
    blind_indexes,
    accounts,
    holds_block_destruction,
    audit_is_append_only_and_chained,
    api_keys,
    idempotency,
    rotation_rewraps,
    no_plaintext_at_rest,
    list_versions_replace_only_whole,
    screening_cases_follow_the_summary,
    compliance_records_and_documents,
    shredded_records_cannot_be_carved,
    retention_work_queued_again_while_done_stays_pending,
    shared_objects_by_version_and_page,
    a_cyber_observable_is_versioned_by_when_it_was_added,
);

/// PostgreSQL's JIT compilation is off on the store's connections, and every execution is
/// planned for its parameters: a page of a walk over every customer costs enough in the
/// planner's estimate to be compiled, which took most of its time, and a generic plan kept
/// from when a table was empty read all of it for each page (see `postgres_setup`).
#[tokio::test]
async fn postgres_connections_plan_each_query_and_compile_none() {
    let h = harness("postgres").await;
    let count = |sql: &'static str| {
        let store = &h.store;
        async move { store.execute_unchecked(sql).await.unwrap() }
    };
    for _ in 0..3 {
        assert_eq!(
            count("SELECT 1 WHERE current_setting('jit') = 'on'").await,
            0,
            "jit is on"
        );
        assert_eq!(
            count("SELECT 1 WHERE current_setting('jit') = 'off'").await,
            1,
            "the setting was not read"
        );
        assert_eq!(
            count("SELECT 1 WHERE current_setting('plan_cache_mode') = 'force_custom_plan'").await,
            1,
            "generic plans may be kept"
        );
    }
}
