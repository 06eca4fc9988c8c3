//! Japanese kana, romanised by Hepburn (through `wana_kana`), with long vowels written each of
//! the ways people write them: doubled (`Tarou`, `Puuchin`), or once, as Hepburn with its
//! macrons dropped (`Taro`, `Puchin`); katakana also as the names from other languages it
//! transcribes are spelt there (`Vladimir Putin`; read by `loanword_word`).

use wana_kana::ConvertJapanese;

/// Whether a character is hiragana or katakana (the prolonged sound mark included).
pub fn is_kana(c: char) -> bool {
    ('\u{3041}'..='\u{30FF}').contains(&c) && c != '・'
        || ('\u{31F0}'..='\u{31FF}').contains(&c)
        // Half-width katakana.
        || ('\u{FF66}'..='\u{FF9D}').contains(&c)
}

/// Kana in Hepburn, the rest as it is; a syllabic n before a vowel (`shin'ichi`) joined.
///
/// Half-width katakana are made full-width first (NFKC, which also joins a half-width sound
/// mark to its kana), and a sound mark left alone is dropped: `wana_kana` 5 loops forever on a
/// half-width one.
pub fn hepburn(text: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let spaced: String = text
        .nfkc()
        .filter(|c| {
            !matches!(
                c,
                '\u{FF9E}' | '\u{FF9F}' | '\u{3099}' | '\u{309A}' | '゛' | '゜'
            )
        })
        .map(|c| {
            if matches!(c, '・' | '･' | '=' | '＝') {
                ' '
            } else {
                c
            }
        })
        .collect();
    spaced.to_romaji().replace('\'', "")
}

/// Long vowels written once: `ou` and `oo` as `o`, `uu` as `u`, `ee` as `e`, `ii` as `i`,
/// `aa` as `a`.
pub fn short_vowels(romaji: &str) -> String {
    let mut out = String::with_capacity(romaji.len());
    for c in romaji.chars() {
        let long = matches!(
            (out.chars().last(), c),
            (Some('o'), 'u' | 'o')
                | (Some('u'), 'u')
                | (Some('e'), 'e')
                | (Some('a'), 'a')
                | (Some('i'), 'i')
        );
        if !long {
            out.push(c);
        }
    }
    out
}

/// Whether a character is katakana, the script of names from other languages (the prolonged
/// sound mark included).
fn is_katakana(c: char) -> bool {
    ('\u{30A1}'..='\u{30FA}').contains(&c)
        || c == 'ー'
        || ('\u{31F0}'..='\u{31FF}').contains(&c)
        || ('\u{FF66}'..='\u{FF9D}').contains(&c)
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// A word of a name from another language as katakana transcribes it (in Hepburn, long vowels
/// once), written back the way that language spells it, with `liquid` for the r-row of kana
/// (Japanese has one sound for the r and the l of other languages: ウラジーミル is Vladimir,
/// マコーネル McConnell):
/// - the vowel katakana adds to a final consonant dropped (`miru` `mir`, `neru` `nel`); after
///   `tch` too (ミッチ `mitchi`, Mitch);
/// - チ as the `ti` it transcribes (プーチン `puchin`, Putin), but ッチ as `tch`;
/// - an initial ウ before the r-row as `vl` (ウラ, Vla-: the Slavic names written so).
fn loanword_word(word: &str, liquid: u8) -> String {
    let mut b: Vec<u8> = word.as_bytes().to_vec();
    if !b.is_ascii() || b.len() < 3 {
        return word.to_owned();
    }
    if b.starts_with(b"ur") && is_vowel(b[2]) {
        b[..2].copy_from_slice(b"vl");
    }
    let mut out: Vec<u8> = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let rest = &b[i..];
        if rest.starts_with(b"cchi") || rest.starts_with(b"tchi") {
            out.extend_from_slice(b"tchi");
            i += 4;
        } else if rest.starts_with(b"chi") {
            out.extend_from_slice(b"ti");
            i += 3;
        } else if rest[0] == b'r' {
            out.push(liquid);
            i += 1;
        } else {
            out.push(rest[0]);
            i += 1;
        }
    }
    let n = out.len();
    let added_vowel = |out: &[u8]| {
        out.ends_with(b"tchi") || out[n - 1] == b'u' && !is_vowel(out[n - 2]) && out[n - 2] != b'y'
    };
    if n > 3 && added_vowel(&out) {
        out.pop();
    }
    String::from_utf8(out).unwrap_or_else(|_| word.to_owned())
}

/// A name in katakana as the names it transcribes are spelt (see [`loanword_word`]): once
/// with the r-row as `r`, once as `l`.
fn loanword(short: &str) -> Vec<String> {
    let mut out = vec![];
    for liquid in [b'r', b'l'] {
        let form = super::joined(short.split(' ').map(|w| loanword_word(w, liquid)));
        if form != short && !out.contains(&form) {
            out.push(form);
        }
    }
    out
}

/// The Latin renderings of a name written in kana, or none when it has none: Hepburn with long
/// vowels doubled and once, and for a name in katakana, as the names it transcribes are spelt
/// (see `loanword`).
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_kana) {
        return vec![];
    }
    let long = hepburn(name);
    let short = short_vowels(&long);
    let mut out = vec![long];
    if short != out[0] {
        out.push(short.clone());
    }
    if name.chars().any(is_katakana) {
        out.extend(loanword(&short));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hepburn_with_long_vowels_both_ways() {
        assert_eq!(renderings("やまだ たろう"), ["yamada tarou", "yamada taro"]);
        assert_eq!(
            renderings("ウラジーミル・プーチン"),
            [
                "urajiimiru puuchin",
                "urajimiru puchin",
                "vlajimir putin",
                "vlajimil putin"
            ]
        );
        // Hiragana is Japanese's own: no loanword reading.
        assert_eq!(renderings("みちる"), ["michiru"]);
        assert_eq!(renderings("しんいち"), ["shinichi"]);
        assert!(renderings("Smith").is_empty());
        // A half-width sound mark alone (wana_kana cannot join it, and looped).
        assert_eq!(renderings("アﾞ"), ["a"]);
        assert_eq!(renderings("タナカ ﾟ"), ["tanaka "]);
        // Half-width katakana are read as full-width.
        assert_eq!(renderings("ｱｰﾄ"), ["aato", "ato"]);
    }

    #[test]
    fn katakana_is_read_as_the_names_it_transcribes() {
        assert!(renderings("ミッチ・マコーネル").contains(&"mitch makonel".to_owned()));
        assert!(renderings("ウラジーミル").contains(&"vlajimir".to_owned()));
        assert!(renderings("ジョージ").contains(&"joji".to_owned()));
        // A final vowel stays after a vowel, and after y (リュウ, kyu).
        assert_eq!(loanword_word("kyu", b'r'), "kyu");
        assert_eq!(loanword_word("tou", b'r'), "tou");
        assert_eq!(loanword_word("sumisu", b'r'), "sumis");
    }
}
