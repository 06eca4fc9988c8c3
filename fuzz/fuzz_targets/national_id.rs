#![no_main]
//! Fuzzes every national ID scheme: the first byte picks the country, the rest is the value.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let countries = custos_ids::national_id::countries();
    let cc = countries[usize::from(pick) % countries.len()];
    if let Ok(s) = std::str::from_utf8(rest) {
        let c = custos_ids::check(&custos_ids::Kind::NationalId(cc.into()), s, None);
        assert_eq!(c.valid, c.error.is_none());
    }
});
