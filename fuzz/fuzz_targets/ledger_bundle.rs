#![no_main]
//! Fuzzes the ledger's pure layer as an auditor meets it: any bytes as a stored bundle, and
//! as a bundle's bytes. No panic; what unpacks splits strictly, and every entry either
//! decodes canonically or is refused.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(bundle) = custos_ledger::bundle::unpack(data) {
        let _ = custos_ledger::bundle::entries(&bundle);
    }
    if let Ok(entries) = custos_ledger::bundle::entries(data) {
        assert!(entries.len() <= custos_ledger::bundle::ENTRIES);
        for e in entries {
            if let Ok(event) = custos_ledger::Event::decode(e) {
                assert_eq!(event.encode(), e);
            }
        }
    }
});
