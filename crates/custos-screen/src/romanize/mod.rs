//! Names written in other scripts, romanised the ways people write them in Latin letters: a
//! name has several renderings, not one transliteration.
//!
//! - Hangul: RR, McCune–Reischauer, North Korea's and the common South Korean forms, with the
//!   surnames as written (see [`hangul`]);
//! - Han characters: pinyin, syllables split and given name joined, and Wade–Giles (see [`han`]);
//! - kana: Hepburn, long vowels doubled and single, katakana also as the foreign names it
//!   transcribes (see [`kana`]);
//! - Japanese names in kanji: read through a dictionary of names, then as kana (see
//!   [`japanese`]); Korean names in hanja: read as Korean, then as Hangul (see
//!   [`hangul::from_hanja`]);
//! - Arabic script: `عبد` joined to the name after it or not (Abd al-/Abdul/Abdel), the article
//!   a word of its own or dropped, a final ta marbuta as `a` (see [`arabic`]);
//! - the Indic scripts: consonants and vowels as their bearers write them, the inherent vowel
//!   dropped as Hindi drops it, at the end of words only, or kept (see [`indic`]);
//! - Greek: by ELOT 743, by the sounds of spoken Greek (ΟΥ `u`, ΑΙ `e`), and as a name from
//!   another language is written (ΤΣ `ch`, ΤΖ `j`; see [`greek`]);
//! - Hebrew: the vowels ו and י carry inside a word, ב כ פ as they sound there, the geresh
//!   letters of names from other languages (צ׳ `ch`; see [`hebrew`]);
//! - Thai: by the Royal Thai General System, syllable by syllable, with the vowels the script
//!   leaves unwritten (see [`thai`]);
//! - Burmese: syllable by syllable, each a word, by the conventional spelling of names and
//!   places (ထ `ht`, ောင် `aung`, ိုင် `aing`), with short vowels, long ones, and as
//!   MIMU's place names write them (ကြီး inside a word as Gyi; see [`burmese`]);
//! - Khmer: syllable by syllable, each vowel by the series of its consonant, the unwritten
//!   vowel supplied, as personal names are spelt and by UNGEGN, joined and each syllable a
//!   word, with a list of the Pali and Sanskrit words names often hold (see [`khmer`]);
//! - everything else (Cyrillic, Georgian, Armenian, and what the above leave): `any_ascii`,
//!   which [`crate::names::normalize`] applies to every rendering.
//!
//! Latin spellings of one Cyrillic name by different national systems (W/V, J/Y/I,
//! sch/sh/sz/s, oe/u) are not renderings of the name but variants of its tokens: [`fold`] keys
//! them alike, and token comparison credits an equal key.

pub mod arabic;
pub mod burmese;
pub mod fold;
pub mod greek;
pub mod han;
pub mod hangul;
pub mod hebrew;
pub mod indic;
pub mod japanese;
pub mod kana;
pub mod khmer;
pub mod thai;

/// Adds a rendering to `out` unless it is there already (or empty): renderings are tried in
/// order of preference, and the first of equals is kept.
fn push_new(out: &mut Vec<String>, r: String) {
    if !r.is_empty() && !out.contains(&r) {
        out.push(r);
    }
}

/// Words written one by one, joined by a space.
fn joined(words: impl Iterator<Item = String>) -> String {
    words.collect::<Vec<_>>().join(" ")
}

/// A name's words (apart by spaces, or by the zero-width space scripts without spaces between
/// words use), those with a letter of the script read by `read`, the others kept as they are.
fn read_words(name: &str, in_script: fn(char) -> bool, read: impl Fn(&str) -> String) -> String {
    joined(
        name.split(|c: char| c.is_whitespace() || c == '\u{200B}')
            .filter(|w| !w.is_empty())
            .map(|w| {
                if w.chars().any(in_script) {
                    read(w)
                } else {
                    w.to_owned()
                }
            }),
    )
}

/// Whether `name` has `rendering` among its renderings (for the readers' tests).
#[cfg(test)]
fn has_rendering(name: &str, rendering: &str) -> bool {
    let all = [renderings(name), khmer::split_renderings(name)].concat();
    assert!(all.iter().any(|r| r == rendering), "{name}: {all:?}");
    true
}

/// What a match through a name written in syllables (Hangul, Han characters, kana) counts
/// for. Their romanisations are made of short syllables that many names share ("Kim Song",
/// "Pak Yong Sik", "Zhang Yu"), by several systems each: a name matched through them is less
/// certain than one matched as written. A match that is whole still passes the default
/// threshold (0.92 against 0.88); one short a syllable does not. Against another name in
/// syllables a match counts whole (see [`crate::names::combined_weight`]).
pub const SYLLABIC_WEIGHT: f64 = 0.92;

/// What a match through a form of `name` counts for (see [`SYLLABIC_WEIGHT`]).
pub fn weight(name: &str) -> f64 {
    if name
        .chars()
        .any(|c| hangul::is_syllable(c) || kana::is_kana(c) || han::is_han(c))
    {
        SYLLABIC_WEIGHT
    } else {
        1.0
    }
}

/// What a match through one of the renderings of `name` (not `any_ascii`'s) counts for, beside
/// [`weight`]: a little less for the Arabic script, whose renderings supply vowels and
/// spellings a list may not share (0.97: a rendering matched at 0.91 or better passes the
/// default threshold).
pub fn rendering_weight(name: &str) -> f64 {
    if name.chars().any(arabic::is_arabic) {
        ARABIC_RENDERING_WEIGHT
    } else {
        1.0
    }
}

const ARABIC_RENDERING_WEIGHT: f64 = 0.97;

/// The renderings of a name in Latin letters beyond `any_ascii`'s, or none when its script
/// has no others.
pub fn renderings(name: &str) -> Vec<String> {
    let mut out = hangul::renderings(name);
    // Han characters are read as Japanese names (through the dictionary), and, in a name
    // without kana, as Chinese and as Korean (hanja) too.
    out.extend(japanese::renderings(name));
    if name.chars().any(kana::is_kana) {
        out.extend(kana::renderings(name));
    } else if name.chars().any(han::is_han) {
        out.extend(han::renderings(name));
        // A Korean name in hanja is one word, surname first (金正恩): a name of other shapes
        // ("静 林", a Chinese name in Western order) is not read as Korean.
        if let Some(korean) = hangul::from_hanja(name).filter(|k| hangul::is_korean_name(k)) {
            out.extend(hangul::renderings(&korean));
        }
    }
    out.extend(arabic::renderings(name));
    out.extend(indic::renderings(name));
    out.extend(greek::renderings(name));
    out.extend(hebrew::renderings(name));
    out.extend(thai::renderings(name));
    out.extend(burmese::renderings(name));
    out.extend(khmer::renderings(name));
    out
}
