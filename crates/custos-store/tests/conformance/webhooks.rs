//! The outbox and webhooks.

use super::*;

/// The outbox, in commit order, written with the change; endpoints with wrapped secrets that
/// survive key rotation; deliveries fanned out once, attempted, retried, redelivered.
pub(crate) async fn webhooks_outbox_and_deliveries(backend: &str) {
    use custos_store::{DeliveryOutcome, OutboxEvent, WebhookAttempt, WebhookEndpoint};
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let c = customer(1, s);
    let ev = |id: &str, kind: &str| OutboxEvent {
        id: id.into(),
        kind: kind.into(),
        at: now(),
        data: serde_json::json!({"customer_id": "cus_t0001"}),
    };
    let ep = |id: &str, types: &[&str]| WebhookEndpoint {
        id: id.into(),
        url: "https://hooks.example.com/x".into(),
        event_types: types.iter().map(|t| t.to_string()).collect(),
        created_at: now(),
        created_by: "admin".into(),
        deleted_at: None,
        since_seq: 0,
    };
    let key = custos_store::crypto::SecretKey::generate();
    s.add_webhook_endpoint(&ep("we_all", &["*"]), &key)
        .await
        .unwrap();
    s.add_webhook_endpoint(&ep("we_acc", &["account.decision_changed"]), &key)
        .await
        .unwrap();
    s.create_customer(
        &c,
        &c.summary(&policy),
        &[ev("evt_1", "screening.case_opened")],
    )
    .await
    .unwrap();
    let mut a = account(1, &c.id, None, Decision::Pending);
    s.insert_account(&a, &[]).await.unwrap();
    a.decision.decision = Decision::Approve;
    s.update_accounts(
        std::slice::from_ref(&a),
        &[ev("evt_2", "account.decision_changed")],
    )
    .await
    .unwrap();
    // A write that fails leaves no event behind.
    let ghost = account(9, &c.id, None, Decision::Approve);
    assert!(
        s.update_accounts(&[ghost], &[ev("evt_x", "account.closed")])
            .await
            .is_err()
    );
    let feed = s.events_after(0, 10).await.unwrap();
    let ids: Vec<&str> = feed.iter().map(|e| e.event.id.as_str()).collect();
    assert_eq!(ids, ["evt_1", "evt_2"]);
    assert!(feed[0].seq < feed[1].seq);
    assert_eq!(s.events_after(feed[0].seq, 10).await.unwrap().len(), 1);

    assert_eq!(s.fan_out(100).await.unwrap(), 2, "events read");
    assert_eq!(s.fan_out(100).await.unwrap(), 0, "fanned out once");
    let lease = now() + Duration::seconds(60);
    let due = s.due_deliveries(now(), lease, 10).await.unwrap();
    assert_eq!(due.len(), 3);
    assert!(
        s.due_deliveries(now(), lease, 10).await.unwrap().is_empty(),
        "claimed"
    );
    let (d, e) = &due[0];
    assert_eq!(e.event.id, d.event_id);
    let attempt = |n: i64, status: i64| WebhookAttempt {
        n,
        at: now(),
        status: Some(status),
        error: (status >= 300).then(|| "the receiver answered 500".into()),
        duration_ms: 3,
    };
    let later = now() + Duration::seconds(5);
    s.record_attempt(&d.id, &attempt(1, 500), DeliveryOutcome::Retry(later))
        .await
        .unwrap();
    // The same attempt recorded twice (two dispatchers) settles nothing the second time.
    s.record_attempt(&d.id, &attempt(1, 204), DeliveryOutcome::Delivered)
        .await
        .unwrap();
    assert_eq!(s.webhook_delivery(&d.id).await.unwrap().state, "pending");
    assert_eq!(s.due_deliveries(later, lease, 10).await.unwrap().len(), 1);
    s.record_attempt(&d.id, &attempt(2, 204), DeliveryOutcome::Delivered)
        .await
        .unwrap();
    let got = s.webhook_delivery(&d.id).await.unwrap();
    assert_eq!(
        (got.state.as_str(), got.attempts, got.last_status),
        ("delivered", 2, Some(204))
    );
    let log: Vec<Option<i64>> = s
        .webhook_attempts(&d.id)
        .await
        .unwrap()
        .iter()
        .map(|a| a.status)
        .collect();
    assert_eq!(log, [Some(500), Some(204)]);
    assert_eq!(s.redeliver(&d.id, later).await.unwrap().state, "pending");
    let page = s
        .webhook_deliveries(&d.endpoint_id, None, 10)
        .await
        .unwrap();
    assert!(page.iter().any(|x| x.id == d.id));

    // The secrets outlive a rotation that forgets every older KEK.
    s.shred_keys().await.unwrap();
    assert_eq!(
        s.webhook_secret("we_all").await.unwrap().expose(),
        key.expose()
    );
    // A deleted endpoint gets nothing more, and what it had pending is cancelled.
    s.delete_webhook_endpoint("we_all", now()).await.unwrap();
    assert!(s.delete_webhook_endpoint("we_all", now()).await.is_err());
    assert!(s.redeliver(&d.id, later).await.is_err());
    let left = s.due_deliveries(lease, lease, 10).await.unwrap();
    assert!(!left.is_empty());
    assert!(left.iter().all(|(d, _)| d.endpoint_id == "we_acc"));
    assert_eq!(s.webhook_endpoints().await.unwrap().len(), 2);
    let late = ep("we_late", &["*"]);
    s.add_webhook_endpoint(&late, &key).await.unwrap();
    assert!(s.webhook_endpoint("we_late").await.unwrap().since_seq >= 2);
    s.append_events(&[ev("evt_3", "account.closed")])
        .await
        .unwrap();
    assert_eq!(s.fan_out(100).await.unwrap(), 1);
    let mine = s.webhook_deliveries("we_late", None, 10).await.unwrap();
    let got: Vec<&str> = mine.iter().map(|d| d.event_id.as_str()).collect();
    assert_eq!(got, ["evt_3"]);
}
