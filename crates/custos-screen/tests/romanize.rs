//! The romanisation of names (see `custos_screen::romanize`) against independent romanisers,
//! on the names of the evaluation set (tests/data/scripts): korean-romanizer for Hangul (RR),
//! pypinyin for Chinese (pinyin and Wade–Giles), pykakasi and cutlet for kana (Hepburn).
//!
//! `.ci/test` installs the oracles (tests/oracle/requirements.txt). Set `CUSTOS_PYTHON` to use
//! another interpreter.

mod common;

use custos_screen::romanize::{han, hangul, kana};

/// The names of the evaluation set written (partly) in `is` characters.
fn names(is: fn(char) -> bool) -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/scripts/pairs.tsv"
    ))
    .unwrap();
    let mut out: Vec<String> = text
        .lines()
        .skip(1)
        .filter_map(|l| l.split('\t').nth(1))
        .filter(|n| n.chars().any(is))
        .map(str::to_owned)
        .collect();
    out.sort();
    out.dedup();
    out
}

fn oracle(kind: &str, texts: &[String]) -> Vec<String> {
    let input: String = texts.iter().map(|t| format!("{kind}\t{t}\n")).collect();
    let out = common::oracle("romanize.py", &[], input);
    assert_eq!(out.len(), texts.len());
    out
}

#[test]
fn hangul_syllables_are_romanised_as_korean_romanizer_does() {
    let names = names(hangul::is_syllable);
    assert!(names.len() >= 50, "{}", names.len());
    let theirs = oracle("hangul", &names);
    for (n, t) in names.iter().zip(&theirs) {
        let ours = hangul::revised(n).join(" ");
        assert_eq!(&ours, t, "{n}");
    }
}

#[test]
fn chinese_is_romanised_as_pypinyin_does() {
    let names: Vec<String> = names(han::is_han)
        .into_iter()
        .map(|n| n.chars().filter(|c| han::is_han(*c)).collect())
        .collect();
    assert!(names.len() >= 100, "{}", names.len());
    let pinyin = oracle("pinyin", &names);
    let wade_giles = oracle("wade-giles", &names);
    let (mut syllables, mut same) = (0, 0);
    let (mut differ, mut wrong) = (vec![], vec![]);
    for ((n, p), w) in names.iter().zip(&pinyin).zip(&wade_giles) {
        let ours = han::syllables(n).unwrap();
        let theirs: Vec<&str> = p.split(' ').collect();
        let wg: Vec<&str> = w.split(' ').collect();
        assert_eq!(ours.len(), theirs.len(), "{n}");
        for ((o, t), w) in ours.iter().zip(&theirs).zip(&wg) {
            syllables += 1;
            if o == t {
                same += 1;
                // Wade–Giles as a name reads once folded: no apostrophes, no umlauts (which
                // pypinyin writes `v`; Wade–Giles has no v of its own).
                let w: String = w.replace(['\'', '’'], "").replace(['ü', 'v'], "u");
                // pypinyin's table gives these as themselves, which its conversion then takes
                // for "not in the table" and rewrites -ai as -ei (hai is hai in Wade–Giles).
                let w = if matches!(o.as_str(), "hai" | "lai" | "mai" | "nai")
                    && w == o.replace("ai", "ei")
                {
                    o.clone()
                } else {
                    w
                };
                if han::wade_giles(o) != w {
                    wrong.push(format!("{o}: {} / {w}", han::wade_giles(o)));
                }
            } else {
                differ.push(format!("{n}: {o} / {t}"));
            }
        }
    }
    // Characters of several readings: pypinyin reads them in context (a phrase dictionary),
    // the `pinyin` crate by their commonest reading.
    wrong.sort();
    wrong.dedup();
    assert!(wrong.is_empty(), "Wade–Giles, ours / pypinyin's: {wrong:?}");
    eprintln!("{same} of {syllables} syllables read alike; differ: {differ:?}");
    assert!(
        same * 100 >= syllables * 97,
        "{same} of {syllables}: {differ:?}"
    );
}

#[test]
fn kana_is_romanised_as_pykakasi_and_cutlet_do() {
    let mut names = names(kana::is_kana);
    names.retain(|n| n.chars().all(|c| kana::is_kana(c) || c == ' ' || c == '・'));
    names.extend(
        [
            "やまだ たろう",
            "たなか はなこ",
            "ウラジーミル・プーチン",
            "きょうこ",
            "しんいち",
            "じゅんいちろう",
        ]
        .map(str::to_owned),
    );
    let fold = |s: &str| -> String {
        s.chars()
            .filter(char::is_ascii_alphabetic)
            .collect::<String>()
            .to_ascii_lowercase()
    };
    let kakasi = oracle("kana", &names);
    let cutlet = oracle("cutlet", &names);
    for ((n, k), c) in names.iter().zip(&kakasi).zip(&cutlet) {
        let ours = fold(&kana::hepburn(n));
        assert_eq!(ours, fold(k), "{n}: pykakasi");
        // cutlet writes a long vowel of katakana with a hyphen where we double it.
        let cutlet_long = fold(&kana::hepburn(n).replace('-', ""));
        assert!(
            ours == fold(c) || cutlet_long == fold(c) || kana::short_vowels(&ours) == fold(c),
            "{n}: ours {ours}, cutlet {c}"
        );
    }
}

/// Whatever a name holds of Thai, Greek or Hebrew (marks alone, marks first, a silencing mark
/// with nothing before it, letters of the three mixed), each reader gives a rendering and
/// does not fail: every string of one or two characters of the three blocks, and longer ones
/// drawn from them.
#[test]
fn any_thai_greek_or_hebrew_text_is_read_without_failing() {
    use custos_screen::romanize::renderings;
    let alphabet: Vec<char> = ('\u{0E01}'..='\u{0E5B}')
        .chain('\u{0370}'..='\u{03FF}')
        .chain('\u{0590}'..='\u{05F4}')
        .chain([' ', '\'', '-'])
        .collect();
    for a in &alphabet {
        for b in &alphabet {
            let s: String = [*a, *b].iter().collect();
            let _ = renderings(&s);
        }
    }
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    for _ in 0..20_000 {
        let len = (seed % 12) as usize + 3;
        let s: String = (0..len)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                alphabet[(seed % alphabet.len() as u64) as usize]
            })
            .collect();
        for r in renderings(&s) {
            assert!(!r.is_empty(), "{s:?}");
        }
    }
}
