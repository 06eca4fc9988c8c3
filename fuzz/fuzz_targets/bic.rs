#![no_main]
//! Fuzzes the bic parser: any input, no panic, a consistent answer.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        let c = custos_ids::check(&custos_ids::Kind::Bic, s, None);
        assert_eq!(c.valid, c.error.is_none());
    }
});
