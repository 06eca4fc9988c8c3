//! Finding what exists: pages of customers, accounts and legal holds, and an upgrade that
//! finds customers' references kept before they had a column.

use super::*;

pub(crate) async fn lookups_filter_and_page(backend: &str) {
    use custos_store::{AccountQuery, CustomerQuery, HoldQuery};
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let mut ids = vec![];
    for n in 1..=3 {
        let mut c = customer(n, s);
        c.created_at = now() + Duration::days(i64::from(n));
        if n == 2 {
            c.external_ref = Some("signup-2".into());
        }
        s.create_customer(&c, &c.summary(&policy), &[])
            .await
            .unwrap();
        ids.push(c.id.clone());
    }
    let reseller = account(1, &ids[0], None, Decision::Approve);
    let mut under = account(2, &ids[1], Some(&reseller.id), Decision::Pending);
    under.kind = custos_core::AccountKind::Reseller;
    let deeper = account(3, &ids[2], Some(&under.id), Decision::Pending);
    for a in [&reseller, &under, &deeper] {
        s.insert_account(a, &[]).await.unwrap();
    }
    let page = |q: CustomerQuery, after: Option<CustomerId>, n| async move {
        s.customers_page(&q, after.as_ref(), n)
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(page(CustomerQuery::default(), None, 10).await, ids);
    assert_eq!(page(CustomerQuery::default(), None, 2).await, ids[..2]);
    assert_eq!(
        page(CustomerQuery::default(), Some(ids[1].clone()), 2).await,
        ids[2..]
    );
    let by_ref = CustomerQuery {
        external_ref: Some("signup-2".into()),
        ..Default::default()
    };
    assert_eq!(page(by_ref, None, 10).await, ids[1..2]);
    let in_time = CustomerQuery {
        created_from: Some(now() + Duration::days(2)),
        created_to: Some(now() + Duration::days(3)),
        ..Default::default()
    };
    assert_eq!(page(in_time, None, 10).await, ids[1..2]);
    let subtree = CustomerQuery {
        reseller: Some(reseller.id.clone()),
        ..Default::default()
    };
    assert_eq!(page(subtree, None, 10).await, ids[1..]);
    let q = AccountQuery {
        kind: Some(custos_core::AccountKind::Reseller),
        ..Default::default()
    };
    let got = s.accounts_page(&q, None, 10).await.unwrap();
    assert_eq!(got, vec![under.clone()]);
    let q = AccountQuery {
        parent: Some(reseller.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        s.accounts_page(&q, None, 10).await.unwrap(),
        vec![under.clone()]
    );
    // At any depth under the reseller: both below it, not itself.
    let q = AccountQuery {
        under: Some(reseller.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        s.accounts_page(&q, None, 10).await.unwrap(),
        vec![under.clone(), deeper.clone()]
    );
    let q = AccountQuery {
        under: Some(under.id.clone()),
        ..Default::default()
    };
    assert_eq!(
        s.accounts_page(&q, None, 10).await.unwrap(),
        vec![deeper.clone()]
    );
    let q = AccountQuery {
        status: Some(reseller.status()),
        customer: Some(ids[0].clone()),
        ..Default::default()
    };
    assert_eq!(
        s.accounts_page(&q, None, 10).await.unwrap(),
        vec![reseller.clone()]
    );
    let hold = |id: &str| LegalHold {
        id: id.into(),
        reason: "subpoena".into(),
        reference: None,
        placed_by: "t".into(),
        placed_at: now(),
        released_by: None,
        released_at: None,
        expires_at: None,
    };
    s.place_hold(&ids[0], &hold("hold_b")).await.unwrap();
    s.place_hold(&ids[1], &hold("hold_a")).await.unwrap();
    s.release_hold(&ids[0], "hold_b", "t", now()).await.unwrap();
    let holds = s.holds_page(&HoldQuery::default(), None, 10).await.unwrap();
    let order: Vec<&str> = holds.iter().map(|(_, h)| h.id.as_str()).collect();
    assert_eq!(order, ["hold_a", "hold_b"]);
    let open = HoldQuery {
        released: Some(false),
        ..Default::default()
    };
    let got = s.holds_page(&open, None, 10).await.unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].0, ids[1]);
    assert_eq!(
        s.holds_page(&HoldQuery::default(), Some("hold_a"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // A destroyed customer is in no list, and its reference is gone.
    s.destroy_customer(&ids[1], now(), "retention").await.ok();
    s.release_hold(&ids[1], "hold_a", "t", now()).await.unwrap();
    s.destroy_customer(&ids[1], now(), "retention")
        .await
        .unwrap();
    let by_ref = CustomerQuery {
        external_ref: Some("signup-2".into()),
        ..Default::default()
    };
    assert!(page(by_ref, None, 10).await.is_empty());
    assert!(
        !page(CustomerQuery::default(), None, 10)
            .await
            .contains(&ids[1])
    );
}

/// A database made before customers' references had a column of their own: upgrading fills
/// it from each sealed record.
pub(crate) async fn an_upgrade_finds_references_kept_before(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let mut c = customer(1, s);
    c.external_ref = Some("signup-1".into());
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    for sql in [
        "DROP INDEX customers_external_ref",
        "DROP INDEX customers_created",
        "DROP INDEX legal_holds_open",
        "ALTER TABLE customers DROP COLUMN external_ref",
        "DELETE FROM custos_migrations WHERE version IN (7, 1007)",
    ] {
        s.execute_unchecked(sql).await.unwrap();
    }
    assert_eq!(s.migrate().await.unwrap(), 1);
    let q = custos_store::CustomerQuery {
        external_ref: Some("signup-1".into()),
        ..Default::default()
    };
    let found = s.customers_page(&q, None, 10).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].external_ref.as_deref(), Some("signup-1"));
}

/// An upgrade forgets the API keys' tokens that answers kept for replays held in clear (before
/// a secret shown once was kept from replays): such an answer becomes the 409 a replay of it
/// answers now. Nothing else changes.
pub(crate) async fn an_upgrade_forgets_tokens_kept_for_replays(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let now = now();
    for (key, body) in [
        (
            "with-token",
            br#"{"id":"key_1","token":"custos_abc_def_123","role":"admin"}"#.as_slice(),
        ),
        ("without", br#"{"customer_id":"cus_1"}"#.as_slice()),
    ] {
        assert!(matches!(
            s.idem_begin("admin", key, &[1; 32], now).await.unwrap(),
            custos_store::IdemBegin::Fresh
        ));
        s.idem_complete("admin", key, 201, body).await.unwrap();
    }
    s.execute_unchecked("DELETE FROM custos_migrations WHERE version = 9")
        .await
        .unwrap();
    assert_eq!(s.migrate().await.unwrap(), 1);
    // The token's answer is gone, replaced by the 409 a replay of it answers now (a fresh
    // key would make a second API key); the other is replayed as it was.
    match s
        .idem_begin("admin", "with-token", &[1; 32], now)
        .await
        .unwrap()
    {
        custos_store::IdemBegin::Replay { status, body } => {
            assert_eq!(status, 409);
            let body = String::from_utf8(body).unwrap();
            assert!(!body.contains("custos_abc"), "{body}");
            assert!(body.contains("urn:custos:problem:conflict"), "{body}");
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.idem_begin("admin", "without", &[1; 32], now)
            .await
            .unwrap(),
        custos_store::IdemBegin::Replay { status: 201, .. }
    ));
}

/// Reference lists' versions: numbered per kind, newest first, each with its text.
pub(crate) async fn reference_versions_by_kind(backend: &str) {
    use custos_store::StoredReference;
    let h = harness(backend).await;
    let s = &h.store;
    let v = |kind: &str, hash: &str| StoredReference {
        id: 0,
        kind: kind.into(),
        number: 0,
        source: "ranges.csv".into(),
        retrieved_at: now(),
        content_hash: hash.into(),
        entries: 2,
    };
    let body = b"start,end,kind,provider\n203.0.113.0,203.0.113.255,hosting,\n".to_vec();
    let a = s
        .save_reference(&v("ip-ranges", "h1"), &body)
        .await
        .unwrap()
        .unwrap();
    let b = s
        .save_reference(&v("disposable-domains", "h2"), b"mailinator.com\n")
        .await
        .unwrap()
        .unwrap();
    let c = s
        .save_reference(&v("ip-ranges", "h3"), b"x")
        .await
        .unwrap()
        .unwrap();
    // The newest's content again writes nothing; an older one's is a new version.
    assert_eq!(
        s.save_reference(&v("ip-ranges", "h3"), b"x").await.unwrap(),
        None
    );
    assert_eq!((a.number, b.number, c.number), (1, 1, 2));
    assert!(a.id < b.id && b.id < c.id);
    let ip = s.references(Some("ip-ranges")).await.unwrap();
    assert_eq!(
        ip.iter()
            .map(|r| r.content_hash.as_str())
            .collect::<Vec<_>>(),
        ["h3", "h1"]
    );
    assert_eq!(ip[1].retrieved_at, a.retrieved_at);
    assert_eq!(s.references(None).await.unwrap().len(), 3);
    let again = s
        .save_reference(&v("ip-ranges", "h1"), &body)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.number, 3);
    assert_eq!(s.reference_body(a.id).await.unwrap(), body);
    assert!(matches!(
        s.reference_body(99).await,
        Err(StoreError::NotFound(_))
    ));
}

/// Links through shared values: followed under the cap, reported as widely shared over it.
pub(crate) async fn link_edges_follow_values_under_the_cap(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    // The harness's customers share their email (the same seeded contact).
    let mut ids = vec![];
    for n in 1..=4 {
        let mut c = customer(n, s);
        c.created_at = now() + Duration::days(i64::from(n));
        s.create_customer(&c, &c.summary(&policy), &[])
            .await
            .unwrap();
        ids.push(c.id.clone());
    }
    let edges = s.link_edges(&ids[..1], 5).await.unwrap();
    let email: Vec<_> = edges.iter().filter(|e| e.kind == "email").collect();
    assert_eq!(email.len(), 3, "{edges:?}");
    assert!(email.iter().all(|e| e.from == ids[0] && !e.widely_shared));
    let to: Vec<_> = email.iter().map(|e| e.to.clone().unwrap()).collect();
    assert_eq!(to, ids[1..].to_vec());
    // When the link appeared: when the later customer came.
    assert_eq!(email[2].since, Some(now() + Duration::days(4)));
    // Over the cap: one edge, naming no one.
    let edges = s.link_edges(&ids[..1], 2).await.unwrap();
    let email: Vec<_> = edges.iter().filter(|e| e.kind == "email").collect();
    assert_eq!(email.len(), 1, "{edges:?}");
    assert!(email[0].widely_shared && email[0].to.is_none());
    // Several at once; none at all.
    let edges = s.link_edges(&ids[..2], 5).await.unwrap();
    assert!(edges.iter().any(|e| e.from == ids[1]));
    assert!(s.link_edges(&[], 5).await.unwrap().is_empty());
}
