//! Japanese kana, romanised by Hepburn (through `wana_kana`), with long vowels written each of
//! the ways people write them: doubled (`Tarou`, `Puuchin`), or once, as Hepburn with its
//! macrons dropped (`Taro`, `Puchin`).

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

/// The Latin renderings of a name written in kana, or none when it has none.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_kana) {
        return vec![];
    }
    let long = hepburn(name);
    let short = short_vowels(&long);
    if short == long {
        vec![long]
    } else {
        vec![long, short]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hepburn_with_long_vowels_both_ways() {
        assert_eq!(renderings("やまだ たろう"), ["yamada tarou", "yamada taro"]);
        assert_eq!(
            renderings("ウラジーミル・プーチン"),
            ["urajiimiru puuchin", "urajimiru puchin"]
        );
        assert_eq!(renderings("しんいち"), ["shinichi"]);
        assert!(renderings("Smith").is_empty());
        // A half-width sound mark alone (wana_kana cannot join it, and looped).
        assert_eq!(renderings("アﾞ"), ["a"]);
        assert_eq!(renderings("タナカ ﾟ"), ["tanaka "]);
        // Half-width katakana are read as full-width.
        assert_eq!(renderings("ｱｰﾄ"), ["aato", "ato"]);
    }
}
