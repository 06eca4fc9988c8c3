//! The walks over every customer: customers created in bulk, read a page at a time with their
//! accounts, marked screened by a screening that changed no case, and audited in one write.

use super::*;

pub(crate) async fn customers_created_and_read_in_bulk(backend: &str) {
    use custos_core::screening::CaseState;
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let mut cs: Vec<Customer> = (1..=4).map(|n| customer(n, s)).collect();
    let hit = vec![finding(&cs[1], "sdn-1")];
    cs[1]
        .screening
        .apply(hit, vec![], now(), |f| format!("scr_bulk{}", f.entity_id));
    let accounts = [
        vec![account(1, &cs[0].id, None, Decision::Approve)],
        vec![],
        vec![
            account(2, &cs[2].id, None, Decision::Approve),
            account(3, &cs[2].id, None, Decision::Pending),
        ],
        vec![account(4, &cs[3].id, None, Decision::Approve)],
    ];
    let batch: Vec<_> = cs
        .iter()
        .zip(&accounts)
        .map(|(c, a)| (c.clone(), c.summary(&policy), a.clone()))
        .collect();
    s.create_customers(&batch).await.unwrap();
    // Each as one created alone would be: sealed, indexed, its cases and accounts written.
    for (c, a) in cs.iter().zip(&accounts) {
        let got = s.load_customer(&c.id).await.unwrap();
        assert_eq!((got.value, got.version), (c.clone(), 1));
        assert_eq!(&s.accounts_of(&c.id).await.unwrap(), a);
    }
    assert_eq!(
        s.find_customers(IndexKind::Email, EMAIL).await.unwrap(),
        cs.iter().map(|c| c.id.clone()).collect::<Vec<_>>(),
        "each customer of the batch is found by its (shared) email"
    );
    let open = s
        .screening_cases(Some(CaseState::Open), None, 10)
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].customer_id, cs[1].id);
    // The same customers again: a conflict, and nothing of the batch is stored twice.
    assert!(s.create_customers(&batch).await.is_err());
    assert_eq!(s.customer_ids(None, 10).await.unwrap().len(), 4);

    let all = s.customers_in(None, &cs[3].id).await.unwrap();
    let ids: Vec<_> = all.iter().map(|l| l.customer.value.id.clone()).collect();
    assert_eq!(ids, cs.iter().map(|c| c.id.clone()).collect::<Vec<_>>());
    for (l, a) in all.iter().zip(&accounts) {
        assert_eq!(&l.accounts, a);
        assert_eq!(l.customer.version, 1);
    }
    // A range: after the first, up to the third; a destroyed customer is left out.
    s.destroy_customer(&cs[1].id, now(), "retention period ended")
        .await
        .unwrap();
    let some = s.customers_in(Some(&cs[0].id), &cs[2].id).await.unwrap();
    assert_eq!(some.len(), 1);
    assert_eq!(some[0].customer.value, cs[2]);
    assert_eq!(some[0].accounts, accounts[2]);
    assert!(
        s.customers_in(Some(&cs[3].id), &cs[3].id)
            .await
            .unwrap()
            .is_empty()
    );
    s.create_customers(&[]).await.unwrap();
    crate::assert_no_plaintext(&h.dump().await, "the database");
}

pub(crate) async fn a_quiet_screening_marks_what_no_one_changed(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let cs: Vec<Customer> = (1..=4).map(|n| customer(n, s)).collect();
    for c in &cs {
        s.create_customer(c, &c.summary(&policy), &[])
            .await
            .unwrap();
    }
    // Another request changes the second in between; the third is destroyed.
    let mut other = cs[1].clone();
    other.external_ref = Some("crm-2".into());
    s.save_customer(&other, &other.summary(&policy), 1, &[], &[])
        .await
        .unwrap();
    s.destroy_customer(&cs[2].id, now(), "retention period ended")
        .await
        .unwrap();
    let at = now() + chrono::Duration::hours(1);
    let versions = vec![("ofac-sdn".to_owned(), 7)];
    let batch: Vec<_> = cs.iter().map(|c| (c.id.clone(), 1)).collect();
    let missed = s.mark_screened(at, &versions, &batch).await.unwrap();
    assert_eq!(missed, vec![cs[1].id.clone(), cs[2].id.clone()]);
    let mut marked = cs.clone();
    for c in &mut marked {
        c.screening.screened_at = Some(at);
        c.screening.versions = versions.clone();
    }
    // The marked records are not written again (their version stays), and read as screened
    // at the mark's time, one at a time and a page at a time.
    for i in [0, 3] {
        let got = s.load_customer(&cs[i].id).await.unwrap();
        assert_eq!((got.version, &got.value), (1, &marked[i]));
    }
    let page = s.customers_in(None, &cs[3].id).await.unwrap();
    let page: Vec<_> = page.into_iter().map(|l| l.customer.value).collect();
    assert_eq!(
        page,
        vec![marked[0].clone(), other.clone(), marked[3].clone()]
    );
    // The changed one keeps its change, unmarked.
    let got = s.load_customer(&cs[1].id).await.unwrap();
    assert_eq!((got.version, got.value), (2, other));
    assert!(
        s.mark_screened(at, &versions, &[])
            .await
            .unwrap()
            .is_empty()
    );

    // A later mark replaces the earlier one.
    let later = at + chrono::Duration::hours(1);
    let newer = vec![("ofac-sdn".to_owned(), 8), ("un".to_owned(), 2)];
    let missed = s
        .mark_screened(later, &newer, &[(cs[3].id.clone(), 1)])
        .await
        .unwrap();
    assert!(missed.is_empty());
    let got = s.load_customer(&cs[3].id).await.unwrap().value.screening;
    assert_eq!(
        (got.screened_at, got.versions),
        (Some(later), newer.clone())
    );
    // A mark older than the one there is not taken (a walk that began earlier, finishing
    // later): the id is returned, to be screened the usual way.
    let missed = s
        .mark_screened(at, &versions, &[(cs[3].id.clone(), 1)])
        .await
        .unwrap();
    assert_eq!(missed, vec![cs[3].id.clone()]);
    let got = s.load_customer(&cs[3].id).await.unwrap().value.screening;
    assert_eq!(got.screened_at, Some(later));
    // A save of the marked version made from a reading before the mark (its screening older
    // than the mark's) is refused: the caller reads it again, with the mark.
    let mut stale = cs[3].clone();
    stale.external_ref = Some("crm-4".into());
    let refused = s
        .save_customer(&stale, &stale.summary(&policy), 1, &[], &[])
        .await;
    assert!(
        matches!(refused, Err(StoreError::Conflict(_))),
        "{refused:?}"
    );
    // Saved from the reading with the mark, the record keeps the mark's screening as its
    // own; a mark of an earlier version is not the record's.
    let mut saved = s.load_customer(&cs[3].id).await.unwrap().value;
    saved.external_ref = Some("crm-4".into());
    s.save_customer(&saved, &saved.summary(&policy), 1, &[], &[])
        .await
        .unwrap();
    let got = s.load_customer(&cs[3].id).await.unwrap();
    assert_eq!(got.version, 2);
    assert_eq!(got.value, saved);
    assert_eq!(got.value.screening.screened_at, Some(later));
    assert_eq!(got.value.screening.versions, newer);
    let mut rescreened = saved.clone();
    let latest = later + chrono::Duration::hours(1);
    rescreened.screening.apply(
        vec![],
        vec![("ofac-sdn".into(), 9)],
        latest,
        |_| unreachable!(),
    );
    s.save_customer(&rescreened, &rescreened.summary(&policy), 2, &[], &[])
        .await
        .unwrap();
    let got = s.load_customer(&cs[3].id).await.unwrap().value;
    assert_eq!(got, rescreened);

    // Destroying a customer takes its mark with it.
    let canary = vec![("canary-list-q7x".to_owned(), 1)];
    let missed = s
        .mark_screened(later, &canary, &[(cs[0].id.clone(), 1)])
        .await
        .unwrap();
    assert!(missed.is_empty());
    assert!(contains(&h.dump().await, b"canary-list-q7x"));
    s.destroy_customer(&cs[0].id, now(), "retention period ended")
        .await
        .unwrap();
    let dump = h.dump().await;
    assert!(
        !contains(&dump, b"canary-list-q7x"),
        "the mark outlived its customer"
    );
    crate::assert_no_plaintext(&dump, "the database");
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

pub(crate) async fn audits_in_one_write_chain_on(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    assert!(s.append_audits(&[]).await.unwrap().is_none());
    let entry = |i: i64| AuditEntry {
        at: now() + Duration::seconds(i),
        actor: "os:ops".into(),
        role: "admin".into(),
        purpose: Some("screening".into()),
        action: "screen_customer".into(),
        record: format!("cus_{i}"),
    };
    s.append_audit(&entry(0)).await.unwrap();
    let last = s
        .append_audits(&[entry(1), entry(2), entry(3)])
        .await
        .unwrap()
        .unwrap();
    assert_eq!(last.seq, 4);
    assert_eq!(last.entry, entry(3));
    let all = s.audit_entries(0, 10).await.unwrap();
    assert_eq!(all.len(), 4);
    let mut prev = vec![0u8; 32];
    for (i, r) in all.iter().enumerate() {
        assert_eq!(r.seq, i as i64 + 1);
        assert_eq!(r.entry, entry(i as i64));
        assert_eq!(r.prev_hash, hex::encode(&prev));
        prev = audit_hash(&prev, r.seq, &serde_json::to_string(&r.entry).unwrap()).to_vec();
        assert_eq!(r.hash, hex::encode(&prev));
    }
    assert_eq!(last.hash, all[3].hash);
    assert_eq!(last.prev_hash, all[2].hash);
    s.append_audit(&entry(4)).await.unwrap();
    assert_eq!(
        s.audit_entries(4, 10).await.unwrap()[0].prev_hash,
        last.hash
    );
}
