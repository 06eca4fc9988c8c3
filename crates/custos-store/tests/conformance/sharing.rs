//! STIX objects in TAXII collections: versions, TAXII's filters, pages, sealing.

use chrono::Duration;
use custos_store::{SharedObject, SharedQuery, Store, VersionMatch};

use crate::common::*;

fn object(id: &str, version: &str, kind: &str) -> SharedObject {
    SharedObject {
        id: id.into(),
        version: version.into(),
        object_type: kind.into(),
        spec_version: "2.1".into(),
        body: format!(r#"{{"id":"{id}","modified":"{version}","pattern":"[ipv4-addr:value = '203.0.113.77']"}}"#)
            .into_bytes(),
    }
}

fn all(collection: &str) -> SharedQuery {
    SharedQuery {
        collection: collection.into(),
        added_after: None,
        ids: vec![],
        types: vec![],
        spec_versions: vec![],
        versions: vec![],
        limit: 100,
        with_body: true,
    }
}

pub async fn shared_objects_by_version_and_page(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let t = now();
    let v1 = "2026-12-01T10:00:00.000000Z";
    let v2 = "2026-12-02T10:00:00.000000Z";
    let added = s
        .add_shared_objects(
            "c1",
            &[
                object("indicator--1", v1, "indicator"),
                object("indicator--1", v2, "indicator"),
                object("sighting--1", v1, "sighting"),
            ],
            t,
        )
        .await
        .unwrap();
    // One clock reading, three distinct times: a page boundary falls between two rows.
    let times: Vec<_> = added.iter().map(|a| a.unwrap()).collect();
    assert!(times[0] < times[1] && times[1] < times[2]);
    // A version held already is not added again; another collection is apart.
    let again = s
        .add_shared_objects("c1", &[object("indicator--1", v1, "indicator")], t)
        .await
        .unwrap();
    assert_eq!(again, vec![None]);
    s.add_shared_objects("c2", &[object("indicator--9", v1, "indicator")], t)
        .await
        .unwrap();

    // The last version of each object by default.
    let last = s.shared_objects(&all("c1")).await.unwrap();
    let got: Vec<_> = last
        .iter()
        .map(|o| (o.id.as_str(), o.version.as_str()))
        .collect();
    assert_eq!(got, vec![("indicator--1", v2), ("sighting--1", v1)]);
    assert!(
        String::from_utf8(last[0].body.clone())
            .unwrap()
            .contains(v2)
    );
    let mut q = all("c1");
    q.versions = vec![VersionMatch::All];
    assert_eq!(s.shared_objects(&q).await.unwrap().len(), 3);
    q.versions = vec![VersionMatch::First];
    q.types = vec!["indicator".into()];
    let first = s.shared_objects(&q).await.unwrap();
    assert_eq!((first.len(), first[0].version.as_str()), (1, v1));
    q.versions = vec![VersionMatch::At(v2.into())];
    q.types = vec![];
    q.ids = vec!["indicator--1".into(), "sighting--1".into()];
    assert_eq!(s.shared_objects(&q).await.unwrap().len(), 1);
    // Pages: after the first row's time, the rest.
    let mut q = all("c1");
    q.versions = vec![VersionMatch::All];
    q.limit = 1;
    let p1 = s.shared_objects(&q).await.unwrap();
    q.added_after = Some(p1[0].date_added);
    q.limit = 10;
    q.with_body = false;
    let rest = s.shared_objects(&q).await.unwrap();
    assert_eq!(rest.len(), 2);
    assert!(
        rest.iter()
            .all(|o| o.body.is_empty() && o.date_added > p1[0].date_added)
    );
    q.spec_versions = vec!["2.0".into()];
    assert!(s.shared_objects(&q).await.unwrap().is_empty());
    // A later clock keeps the order.
    let later = s
        .add_shared_objects(
            "c1",
            &[object("indicator--2", v1, "indicator")],
            t - Duration::hours(1),
        )
        .await
        .unwrap();
    assert!(later[0].unwrap() > times[2]);
    // Sealed at rest; a rotation re-wraps the objects' keys too.
    let disk = h.dump().await;
    assert!(!disk.windows(14).any(|w| w == b"203.0.113.77']"));
    h.keyring.rotate().unwrap();
    assert!(s.rewrap_data_keys().await.unwrap() >= 5);
    assert_eq!(s.shared_objects(&all("c2")).await.unwrap().len(), 1);
}

pub async fn a_cyber_observable_is_versioned_by_when_it_was_added(backend: &str) {
    let h = harness(backend).await;
    let s = &h.store;
    let sco = |marking: &str| SharedObject {
        id: "ipv4-addr--28bb3599-77cd-5a82-a950-b5bc3caf07c4".into(),
        version: String::new(),
        object_type: "ipv4-addr".into(),
        spec_version: "2.1".into(),
        body: format!(r#"{{"value":"198.51.100.3","object_marking_refs":["{marking}"]}}"#)
            .into_bytes(),
    };
    let t = now();
    let first = s.add_shared_objects("c", &[sco("a")], t).await.unwrap();
    // The same content is held; another (a new marking) is a new version, the last one.
    assert_eq!(
        s.add_shared_objects("c", &[sco("a")], t).await.unwrap(),
        vec![None]
    );
    let second = s.add_shared_objects("c", &[sco("b")], t).await.unwrap();
    assert!(second[0].unwrap() > first[0].unwrap());
    let last = s.shared_objects(&all("c")).await.unwrap();
    assert_eq!(last.len(), 1);
    assert!(String::from_utf8_lossy(&last[0].body).contains("\"b\""));
    assert_eq!(
        last[0].version,
        second[0]
            .unwrap()
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    );
}
