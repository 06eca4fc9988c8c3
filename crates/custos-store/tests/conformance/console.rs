//! The console's people: users (a wrapped second factor), sessions, failed sign-ins, claims;
//! and approvals (four eyes), sealed under their customer's data key.

use super::*;
use custos_store::PeopleStore;

fn user(id: &str, email: &str, totp: bool) -> custos_store::ConsoleUser {
    custos_store::ConsoleUser {
        id: id.into(),
        email: email.into(),
        role: "reviewer".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
        totp: totp.then(custos_store::crypto::SecretKey::generate),
        created_at: now(),
        changed_at: now(),
        disabled_at: None,
    }
}

/// Users round-trip (the TOTP secret through the keyring, and through a rotation); a second
/// user with the same email is refused; a TOTP step is taken once; sessions end one by one or
/// all of a user's; failed sign-ins are counted per email and per address in a window.
pub(crate) async fn console_users_and_sessions(backend: &str) {
    use custos_store::ConsoleSession;
    let h = harness(backend).await;
    let s = &h.store;
    let a = user("usr_a", "a@example.org", true);
    s.insert_console_user(&a).await.unwrap();
    let got = s.console_user_by_email("a@example.org").await.unwrap();
    assert_eq!(got.id, "usr_a");
    assert_eq!(
        got.totp.as_ref().unwrap().expose(),
        a.totp.as_ref().unwrap().expose()
    );
    assert!(matches!(
        s.insert_console_user(&user("usr_b", "a@example.org", false))
            .await,
        Err(StoreError::Conflict(_))
    ));
    s.insert_console_user(&user("usr_b", "b@example.org", false))
        .await
        .unwrap();
    assert!(s.console_user("usr_b").await.unwrap().totp.is_none());
    let all: Vec<String> = s
        .console_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.email)
        .collect();
    assert_eq!(all, ["a@example.org", "b@example.org"]);
    // The wrapped secret survives a rotation of the KEK.
    h.keyring.rotate().unwrap();
    assert!(s.rewrap_data_keys().await.unwrap() >= 1);
    assert_eq!(
        s.console_user("usr_a")
            .await
            .unwrap()
            .totp
            .unwrap()
            .expose(),
        a.totp.as_ref().unwrap().expose()
    );
    let mut changed = got.clone();
    changed.role = "admin".into();
    changed.disabled_at = Some(now());
    s.update_console_user(&changed).await.unwrap();
    let back = s.console_user("usr_a").await.unwrap();
    assert_eq!(
        (back.role.as_str(), back.disabled_at),
        ("admin", Some(now()))
    );
    // A step is taken once, and never an earlier one after a later.
    assert!(s.take_totp_step("usr_a", 100).await.unwrap());
    assert!(!s.take_totp_step("usr_a", 100).await.unwrap());
    assert!(!s.take_totp_step("usr_a", 99).await.unwrap());
    assert!(s.take_totp_step("usr_a", 101).await.unwrap());
    // Sessions.
    let sess = |id: &str, user: &str| ConsoleSession {
        id: id.into(),
        user_id: user.into(),
        created_at: now(),
        seen_at: now(),
        ended_at: None,
    };
    for (id, u) in [("s1", "usr_a"), ("s2", "usr_a"), ("s3", "usr_b")] {
        s.insert_console_session(&sess(id, u)).await.unwrap();
    }
    s.touch_console_session("s1", now() + Duration::minutes(5))
        .await
        .unwrap();
    assert_eq!(
        s.console_session("s1").await.unwrap().seen_at,
        now() + Duration::minutes(5)
    );
    assert_eq!(
        s.end_console_sessions(Some("s3"), None, now())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        s.end_console_sessions(None, Some("usr_a"), now())
            .await
            .unwrap(),
        2
    );
    for id in ["s1", "s2", "s3"] {
        assert!(s.console_session(id).await.unwrap().ended_at.is_some());
    }
    assert!(matches!(
        s.console_session("nope").await,
        Err(StoreError::NotFound(_))
    ));
    // Failed sign-ins, counted in a window.
    for (m, email, addr) in [
        (0, "a@example.org", "10.0.0.1"),
        (1, "a@example.org", "10.0.0.2"),
        (20, "a@example.org", "10.0.0.1"),
        (21, "c@example.org", "10.0.0.1"),
    ] {
        s.record_login_failure(email, addr, now() + Duration::minutes(m))
            .await
            .unwrap();
    }
    let since = now() + Duration::minutes(10);
    assert_eq!(
        s.login_failures_since("a@example.org", "10.0.0.1", since)
            .await
            .unwrap(),
        (1, 2)
    );
    assert_eq!(
        s.login_failures_since("a@example.org", "10.0.0.2", now())
            .await
            .unwrap(),
        (3, 1)
    );
}

/// A claim is one person's until released or lapsed; another's claim is refused meanwhile.
pub(crate) async fn console_claims(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let lapsed = now() - Duration::hours(8);
    assert_eq!(
        s.claim_item("acc_1", "a@x.org", now(), lapsed)
            .await
            .unwrap(),
        "a@x.org"
    );
    assert_eq!(
        s.claim_item("acc_1", "b@x.org", now(), lapsed)
            .await
            .unwrap(),
        "a@x.org"
    );
    // The holder claims again: still theirs, renewed.
    assert_eq!(
        s.claim_item("acc_1", "a@x.org", now() + Duration::hours(1), lapsed)
            .await
            .unwrap(),
        "a@x.org"
    );
    // Another's release changes nothing; the holder's frees it.
    s.release_claim("acc_1", "b@x.org").await.unwrap();
    let items = vec!["acc_1".to_owned(), "acc_2".to_owned()];
    assert_eq!(s.claims(&items, lapsed).await.unwrap().len(), 1);
    s.release_claim("acc_1", "a@x.org").await.unwrap();
    assert!(s.claims(&items, lapsed).await.unwrap().is_empty());
    // A lapsed claim is taken over.
    s.claim_item("acc_2", "a@x.org", now() - Duration::hours(9), lapsed)
        .await
        .unwrap();
    assert!(s.claims(&items, lapsed).await.unwrap().is_empty());
    assert_eq!(
        s.claim_item("acc_2", "b@x.org", now(), lapsed)
            .await
            .unwrap(),
        "b@x.org"
    );
}

/// An approval keeps its body sealed under the customer's data key: readable while the
/// customer is, gone with it; its state moves only from the state expected.
pub(crate) async fn approvals_are_sealed_and_decided_once(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let c = customer(1, s);
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    let secret = "refused: the passport photo belongs to Hans Gruber";
    let a = custos_store::Approval {
        id: "apr_1".into(),
        kind: "refuse_subject".into(),
        customer_id: c.id.clone(),
        target: "sub_1".into(),
        requested_by: "rev@x.org".into(),
        requested_role: "reviewer".into(),
        requested_at: now(),
        state: "pending".into(),
        decided_by: None,
        decided_at: None,
        body: Some(serde_json::json!({"reason": secret})),
    };
    s.insert_approval(&a).await.unwrap();
    let got = s.approval("apr_1").await.unwrap();
    assert_eq!(got.body.as_ref().unwrap()["reason"], secret);
    let listed = s.approvals(Some("pending"), None, 10).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].body.is_none());
    assert!(
        s.approvals(Some("approved"), None, 10)
            .await
            .unwrap()
            .is_empty()
    );
    s.decide_approval("apr_1", "pending", "approved", "co@x.org", now())
        .await
        .unwrap();
    assert!(matches!(
        s.decide_approval("apr_1", "pending", "rejected", "co@x.org", now())
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        s.decide_approval("apr_9", "pending", "rejected", "co@x.org", now())
            .await,
        Err(StoreError::NotFound(_))
    ));
    let got = s.approval("apr_1").await.unwrap();
    assert_eq!(
        (got.state.as_str(), got.decided_by.as_deref()),
        ("approved", Some("co@x.org"))
    );
    // Nothing of the body is in clear on disk.
    let dump = h.dump().await;
    assert!(
        !dump.windows(11).any(|w| w == b"Hans Gruber"),
        "the approval's reason is in clear"
    );
    // Destroyed with the customer: the record stays, what it said does not.
    s.destroy_customer(&c.id, now(), "retention").await.unwrap();
    let got = s.approval("apr_1").await.unwrap();
    assert!(got.body.is_none());
    let mut b = a.clone();
    b.id = "apr_2".into();
    assert!(matches!(
        s.insert_approval(&b).await,
        Err(StoreError::Destroyed(_))
    ));
}

/// Customers sharing a blind-indexed identifier are found from either side, with the kind
/// shared; a customer shares nothing with itself.
pub(crate) async fn customers_linked_by_a_shared_identifier(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    // The harness's customers share their email (the same seeded contact).
    let (a, b) = (customer(1, s), customer(2, s));
    for c in [&a, &b] {
        s.create_customer(c, &c.summary(&policy), &[])
            .await
            .unwrap();
    }
    let links = s.linked_customers(&a.id, 100).await.unwrap();
    assert!(!links.is_empty(), "{links:?}");
    assert!(links.iter().all(|(_, c)| *c == b.id), "{links:?}");
    assert!(links.iter().any(|(k, _)| k == "email"), "{links:?}");
    let back = s.linked_customers(&b.id, 100).await.unwrap();
    assert!(back.iter().all(|(_, c)| *c == a.id) && !back.is_empty());
    assert!(s.linked_customers(&a.id, 0).await.unwrap().is_empty());
}

/// The accounts needing action, newest first, a page at a time, as the console's queue sorts
/// them: the same accounts as oldest first, reversed.
pub(crate) async fn the_review_queue_newest_first(backend: &str) {
    use custos_core::account::Decision;
    let h = harness(backend).await;
    let s = &h.store;
    let policy = CipPolicy::default();
    let c = customer(1, s);
    s.create_customer(&c, &c.summary(&policy), &[])
        .await
        .unwrap();
    for n in 1..=7 {
        let d = if n == 4 {
            Decision::Approve
        } else {
            Decision::Pending
        };
        s.insert_account(&account(n, &c.id, None, d), &[])
            .await
            .unwrap();
    }
    let oldest: Vec<String> = s
        .accounts_needing_action(None, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.id.as_str().to_owned())
        .collect();
    assert_eq!(oldest.len(), 6);
    let mut newest = vec![];
    let mut before = None;
    loop {
        let page = s
            .accounts_needing_action_newest(before.as_ref(), 4)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.id.clone());
        newest.extend(page.iter().map(|a| a.id.as_str().to_owned()));
    }
    let mut reversed = oldest.clone();
    reversed.reverse();
    assert_eq!(newest, reversed);
}
