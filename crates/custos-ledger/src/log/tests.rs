use super::*;

const ORIGIN: &str = "custos.test/ledger/access";

#[test]
fn bundles_stored_by_earlier_versions_still_read_prove_and_verify() {
    // Before the columnar form a bundle was stored as a zstd frame of its bytes as they
    // are (level 3, with a checksum), and then in the first columnar form (times as plain
    // differences): logs holding such bundles read, prove and verify as they did.
    let mut comp = zstd::bulk::Compressor::new(LEVEL).unwrap();
    comp.include_checksum(true).unwrap();
    for form in [None, Some(crate::columns::FORM_DELTAS)] {
        let dir = tempfile::tempdir().unwrap();
        let logdir = dir.path().join("log");
        let (skey, vkey) = generate_key("custos.test");
        let log = Log::open(&logdir, ORIGIN, &skey).unwrap();
        log.append_encoded(crate::columns::tests::events(600))
            .unwrap();
        let (size, root) = (log.size(), log.root());
        let bundle = log.entry_bundle(1, TILE).unwrap();
        drop(log);
        let old = crate::columns::pack_as(&mut comp, &bundle, form).unwrap();
        // Bundle 1 moved to the end of `entries` in the old form, its frame as written now
        // zeroed, as a purge moves one.
        let mut entries = std::fs::read(logdir.join("entries")).unwrap();
        let mut locs = std::fs::read(logdir.join("bundles")).unwrap();
        let (start, len) = split_loc(locs[12..24].try_into().unwrap());
        let (start, len) = (start as usize, len as usize);
        assert_eq!(entries[start], 0xc5, "stored in columns");
        assert_ne!(entries[start..start + len], old[..]);
        entries[start..start + len].fill(0);
        locs[12..24].copy_from_slice(&loc_bytes(entries.len() as u64, old.len() as u32));
        entries.extend_from_slice(&old);
        std::fs::write(logdir.join("entries"), &entries).unwrap();
        std::fs::write(logdir.join("bundles"), &locs).unwrap();
        verify(&logdir, &vkey, ORIGIN, true, |_| {}).unwrap();
        let log = Log::open(&logdir, ORIGIN, &skey).unwrap();
        assert_eq!(log.entry_bundle(1, TILE).unwrap(), bundle);
        for i in [256, 300, 511] {
            let proof = log.inclusion_proof(i, size).unwrap();
            tlog_tiles::check_record(&proof, size, root, i, log.leaf_hash(i).unwrap()).unwrap();
        }
        drop(log);
        // And a flip in it is found.
        let at = entries.len() - old.len() / 2;
        entries[at] ^= 0x10;
        std::fs::write(logdir.join("entries"), &entries).unwrap();
        assert!(verify(&logdir, &vkey, ORIGIN, true, |_| {}).is_err());
    }
}
