//! Hebrew names as they are written in Latin letters: an abjad's consonants with the vowels
//! its letters carry, not `any_ascii`'s letter for letter (which writes ו as `v` and ק as `q`,
//! so that a name's consonant skeleton is not the one its Latin spellings share).
//!
//! - ו and י inside a word are the vowels they mostly are (`o`/`u`, `i`), a consonant at the
//!   start of a word or doubled (וו `v`; יי `ai` inside a word: Chaim); א and ע carry a vowel, written `a` at the
//!   start of a word and left out inside it; a final ה is the vowel `a` (Sara);
//! - ב, כ and פ are `v`, `kh` and `f` inside a word (without their dot) and `b`, `k`, `p` at
//!   its start; final ך and ף are `kh` and `f`; ח is `ch` or `h`; ק is `k`;
//! - with a geresh (׳ or an apostrophe), the sounds of names from other languages: ג׳ `j`,
//!   ז׳ `zh`, צ׳ `ch` (`tch` after a vowel: Mitch), ת׳ `th`;
//! - vowel points and cantillation marks are left out.

/// Whether `c` is a Hebrew letter.
pub fn is_hebrew(c: char) -> bool {
    ('\u{05D0}'..='\u{05EA}').contains(&c)
}

/// A geresh: Hebrew's own, or the apostrophe typed in its place.
fn is_geresh(c: char) -> bool {
    matches!(c, '\u{05F3}' | '\'' | '\u{2019}')
}

/// One word in Latin letters; `u` says whether ו as a vowel is `u` (or `o`), `h` whether ח
/// is `h` (or `ch`).
fn word(w: &str, u: bool, h: bool) -> String {
    // Points and marks left out.
    let letters: Vec<char> = w
        .chars()
        .filter(|c| !('\u{0591}'..='\u{05C7}').contains(c) || *c == '\u{05BE}')
        .collect();
    let mut out = String::with_capacity(w.len() * 2);
    let mut i = 0;
    let after_vowel = |out: &str| out.ends_with(['a', 'e', 'i', 'o', 'u']);
    while i < letters.len() {
        let c = letters[i];
        let next = letters.get(i + 1).copied();
        let start = out.is_empty();
        let last = i + 1 == letters.len();
        if next.is_some_and(is_geresh) {
            let r = match c {
                'ג' => Some("j"),
                'ז' => Some("zh"),
                'צ' | 'ץ' => Some(if after_vowel(&out) { "tch" } else { "ch" }),
                'ת' => Some("th"),
                _ => None,
            };
            if let Some(r) = r {
                out.push_str(r);
                i += 2;
                continue;
            }
        }
        match c {
            'א' | 'ע' => {
                if start {
                    out.push('a');
                }
            }
            'ב' => out.push(if start { 'b' } else { 'v' }),
            'ג' => out.push('g'),
            'ד' => out.push('d'),
            'ה' => out.push(if last && !start { 'a' } else { 'h' }),
            'ו' => {
                if next == Some('ו') {
                    out.push('v');
                    i += 1;
                } else if start {
                    out.push('v');
                } else {
                    out.push(if u { 'u' } else { 'o' });
                }
            }
            'ז' => out.push('z'),
            'ח' => out.push_str(if h { "h" } else { "ch" }),
            'ט' | 'ת' => out.push('t'),
            'י' => {
                if next == Some('י') {
                    out.push_str(if start { "y" } else { "ai" });
                    i += 1;
                } else if start {
                    out.push('y');
                } else {
                    out.push('i');
                }
            }
            'כ' => out.push_str(if start { "k" } else { "kh" }),
            'ך' => out.push_str("kh"),
            'ל' => out.push('l'),
            'מ' | 'ם' => out.push('m'),
            'נ' | 'ן' => out.push('n'),
            'ס' => out.push('s'),
            'פ' => out.push(if start { 'p' } else { 'f' }),
            'ף' => out.push('f'),
            'צ' | 'ץ' => out.push_str("ts"),
            'ק' => out.push('k'),
            'ר' => out.push('r'),
            'ש' => out.push_str("sh"),
            c if is_geresh(c) || c == '\u{05F4}' || c == '"' => {}
            // A maqaf joins words as a hyphen does.
            '\u{05BE}' => out.push('-'),
            c => out.push(c),
        }
        i += 1;
    }
    out
}

/// The renderings of a name written in Hebrew letters, or none when it has none.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_hebrew) {
        return vec![];
    }
    let mut out = vec![];
    for (u, h) in [(false, false), (true, true)] {
        let r = super::joined(name.split_whitespace().map(|w| word(w, u, h)));
        super::push_new(&mut out, r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consonants_with_the_vowels_their_letters_carry() {
        let r = renderings("בנימין נתניהו");
        assert_eq!(r, ["bnimin ntniho", "bnimin ntnihu"]);
        assert_eq!(renderings("שרה")[0], "shra");
        assert_eq!(renderings("אברהם")[0], "avrhm");
        assert_eq!(renderings("חיים"), ["chaim", "haim"]);
        assert_eq!(renderings("דוד")[0], "dod");
        assert_eq!(renderings("יוסף")[1], "yusf");
        assert_eq!(renderings("שָׁלוֹם")[0], "shlom");
    }

    #[test]
    fn names_from_other_languages() {
        assert_eq!(renderings("מיץ' מקונל")[0], "mitch mkonl");
        assert_eq!(renderings("ג׳ון")[0], "jon");
        assert_eq!(renderings("צ'לסי")[0], "chlsi");
        assert!(renderings("Smith").is_empty());
    }
}
