use super::*;
use crate::bundle::{join_bundle, split_bundle};
use crate::event::{Action, Event};
use chrono::{DateTime, Duration, Utc};

/// `n` canonical encodings of events of every shape.
pub(crate) fn events(n: usize) -> Vec<Vec<u8>> {
    let t0 = DateTime::<Utc>::from_timestamp(1_793_000_000, 5).unwrap();
    (0..n)
        .map(|i| {
            Event {
                account_id: format!("acc_{}", i % 7),
                time: t0 + Duration::nanoseconds((i as i64 * 7_919) % 50_000 - 9_000),
                ip: if i % 3 == 0 {
                    format!("2001:db8::{i:x}").parse().unwrap()
                } else {
                    format!("192.0.2.{}", i % 5).parse().unwrap()
                },
                port: (i % 4 == 0).then_some(22),
                action: Action::ALL[i % 9],
                source: ["api-gw", "sso"][i % 2].into(),
                actor: (i % 5 == 0).then(|| format!("u{}", i % 3)),
                user_agent: (i % 6 == 0).then(|| "curl/8".into()),
                request_id: (i % 2 == 0).then(|| format!("r{:x}", 4000 + i)),
                ssh_key_fingerprint: None,
            }
            .encode()
        })
        .collect()
}

#[test]
fn round_trips_events_zeros_and_row_numbers() {
    let mut leaves = events(256);
    leaves[17] = vec![0; leaves[17].len()];
    leaves[18] = vec![];
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    let raw = join_bundle(refs.iter().copied());
    let nums: Vec<u32> = (0..256u32).map(|i| (i * 7919) % 262_144).collect();
    // A prediction that is near for some rows and far off (or overflowing) for others.
    let near = |rel: u32| 1_793_000_000_000_000_000 + i64::from(rel % 1000) * 1_000;
    let far = |rel: u32| {
        if rel.is_multiple_of(2) {
            i64::MIN
        } else {
            i64::MAX - i64::from(rel)
        }
    };
    for form in [FORM, FORM_DELTAS] {
        let (back, rel) = decode(&encode_form(form, &refs, None, None).unwrap(), None).unwrap();
        assert_eq!(back, raw);
        assert!(rel.is_empty());
        let enc = encode_form(form, &refs, Some(&nums), None).unwrap();
        let (back, rel) = decode(&enc, None).unwrap();
        assert_eq!(back, raw);
        assert_eq!(rel, nums);
        assert_eq!(split_bundle(&back).count(), 256);
        let (back, _) = decode(&encode_form(form, &[], None, None).unwrap(), None).unwrap();
        assert!(back.is_empty());
    }
    for predict in [&near as Predict, &far] {
        let enc = encode(&refs, Some(&nums), Some(predict)).unwrap();
        assert_eq!(
            decode(&enc, Some(predict)).unwrap(),
            (raw.clone(), nums.clone())
        );
        assert!(
            decode(&enc, None).is_err(),
            "predicted times need the prediction"
        );
    }
    // Predictions need row numbers, and the second form.
    assert!(encode(&refs, None, Some(&near)).is_none());
    assert!(encode_form(FORM_DELTAS, &refs, Some(&nums), Some(&near)).is_none());
}

#[test]
fn differences_less_the_usual_one_and_predictions_take_less_room() {
    // Times a steady 26 ms apart, give or take a millisecond.
    let t0 = DateTime::<Utc>::from_timestamp(1_793_000_000, 0).unwrap();
    let mut x = 12345u64;
    let mut noise = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (x >> 33) as i64 % 1_000_000
    };
    let ns: Vec<i64> = (0..256).map(|i| i * 26_000_000 + noise()).collect();
    let leaves: Vec<Vec<u8>> = ns
        .iter()
        .map(|&n| {
            Event {
                account_id: "acc_1".into(),
                time: t0 + Duration::nanoseconds(n),
                ip: "192.0.2.1".parse().unwrap(),
                port: None,
                action: Action::Login,
                source: "sso".into(),
                actor: None,
                user_agent: None,
                request_id: None,
                ssh_key_fingerprint: None,
            }
            .encode()
        })
        .collect();
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    let nums: Vec<u32> = (0..256).collect();
    let base = 1_793_000_000_000_000_000i64;
    let predict = |rel: u32| base + i64::from(rel) * 26_000_000;
    let size = |b: Vec<u8>| zstd::bulk::compress(&b, 3).unwrap().len();
    let first = size(encode_form(FORM_DELTAS, &refs, Some(&nums), None).unwrap());
    let usual = size(encode(&refs, Some(&nums), None).unwrap());
    let predicted = size(encode(&refs, Some(&nums), Some(&predict)).unwrap());
    assert!(
        usual < first && predicted < first,
        "{first} {usual} {predicted}"
    );
}

#[test]
fn bundles_stored_either_way_read_back() {
    let leaves = events(256);
    let raw = join_bundle(leaves.iter().map(Vec::as_slice));
    let mut c = zstd::bulk::Compressor::new(3).unwrap();
    let packed = pack(&mut c, &raw).unwrap();
    assert_eq!(packed[0], COLUMNAR);
    assert_eq!(unpack(&packed).unwrap(), raw);
    assert_eq!(unpack_form(&packed).unwrap(), (raw.clone(), Some(FORM)));
    // As bundles were stored in the first columnar form.
    let first = pack_as(&mut c, &raw, Some(FORM_DELTAS)).unwrap();
    assert_ne!(first, packed);
    assert_eq!(
        unpack_form(&first).unwrap(),
        (raw.clone(), Some(FORM_DELTAS))
    );
    // As bundles were stored before the columnar form, and as any bundle that holds
    // something other than events is.
    let plain = c.compress(&raw).unwrap();
    assert_eq!(unpack_form(&plain).unwrap(), (raw.clone(), None));
    let other = join_bundle([b"an audit record".as_slice()]);
    assert_eq!(pack(&mut c, &other).unwrap(), c.compress(&other).unwrap());
    assert!(
        packed.len() * 2 < plain.len(),
        "{} {}",
        packed.len(),
        plain.len()
    );
}

#[test]
fn declines_what_is_not_an_event() {
    let mut leaves = events(3);
    leaves[1].push(0);
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    assert!(encode(&refs, None, None).is_none());
    assert!(encode(&[b"audit record".as_slice()], None, None).is_none());
    // A leap second's nanoseconds are kept as they are, by the caller.
    let mut leap = events(1).remove(0);
    leap[11..15].copy_from_slice(&1_500_000_000u32.to_be_bytes());
    assert!(encode(&[leap.as_slice()], None, None).is_none());
}

#[test]
fn damage_is_an_error_or_other_entries_never_a_panic() {
    let leaves = events(64);
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    let raw = join_bundle(refs.iter().copied());
    let nums: Vec<u32> = (0..64).collect();
    let predict = |rel: u32| 1_793_000_000_000_000_000 + i64::from(rel) * 7_000;
    for enc in [
        encode(&refs, Some(&nums), None).unwrap(),
        encode(&refs, Some(&nums), Some(&predict)).unwrap(),
        encode_form(FORM_DELTAS, &refs, Some(&nums), None).unwrap(),
    ] {
        for i in 0..enc.len() {
            for bit in [0x01u8, 0x80] {
                let mut d = enc.clone();
                d[i] ^= bit;
                if let Ok((back, _)) = decode(&d, Some(&predict)) {
                    let _ = split_bundle(&back).count();
                    let _ = back == raw;
                }
            }
            assert!(decode(&enc[..i], Some(&predict)).is_err(), "cut at {i}");
        }
    }
}

#[test]
fn many_bytes_damaged_at_once_never_panic() {
    // Several random bytes of a run set to random values at once: the tables' counts and
    // lengths, the references and the times go wrong together.
    let leaves = events(256);
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    let nums: Vec<u32> = (0..256).map(|i| i * 997 % 262_144).collect();
    let predict = |rel: u32| 1_793_000_000_000_000_000 + i64::from(rel) * 7_000;
    let encs = [
        encode(&refs, None, None).unwrap(),
        encode(&refs, Some(&nums), Some(&predict)).unwrap(),
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for round in 0..20_000 {
        let mut d = encs[round % 2].clone();
        for _ in 0..1 + next() % 8 {
            let at = (next() % d.len() as u64) as usize;
            d[at] = next() as u8;
        }
        // What decodes is a well-formed run of entries, whatever they hold.
        if let Ok((back, _)) = decode(&d, Some(&predict)) {
            let laid: usize = split_bundle(&back).map(|l| 2 + l.len()).sum();
            assert_eq!(laid, back.len());
        }
    }
}

/// An event with an SSH key's fingerprint is not in the columnar form's layout: a run that
/// holds one is declined, and its bundle is stored (and read back) as its bytes are.
#[test]
fn a_run_with_an_ssh_key_is_declined_and_kept_as_it_is() {
    let mut leaves = events(256);
    let mut e = Event::decode(&leaves[40]).unwrap();
    e.ssh_key_fingerprint = Some("SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU".into());
    leaves[40] = e.encode();
    let refs: Vec<&[u8]> = leaves.iter().map(Vec::as_slice).collect();
    assert!(encode(&refs, None, None).is_none());
    let raw = join_bundle(refs.iter().copied());
    let mut comp = zstd::bulk::Compressor::new(3).unwrap();
    let stored = pack(&mut comp, &raw).unwrap();
    assert_ne!(stored[0], COLUMNAR);
    assert_eq!(unpack_form(&stored).unwrap(), (raw, None));
}
