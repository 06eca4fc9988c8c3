//! Greek names as Greeks write them in Latin letters: by their sounds, as ELOT 743 (ISO 843's
//! transcription) and passports do, not letter by letter (`any_ascii` writes ΜΠ as `MP`, ΟΥ as
//! `OY`, Η as `I`), and a name from another language as it was written there.
//!
//! - vowel digraphs: ΑΙ `e`, ΕΙ ΟΙ ΥΙ `i`, ΟΥ `ou` (or `u`), ΑΥ ΕΥ ΗΥ `av`/`af`, `ev`/`ef`,
//!   `iv`/`if` (`f` before a voiceless consonant or at the end), Υ `i` in the spoken form;
//! - consonant digraphs: ΜΠ `b` at the start of a word and `mb` inside it, ΝΤ `d`/`nt`, ΓΚ
//!   `g`/`ng`, ΓΓ `ng`, ΓΧ `nch`, ΓΞ `nx`; Γ before a front vowel `y` (Γιάννης, Yannis);
//! - a name from another language (Τσόρτσιλ, Churchill; Τζον, John; Μιτς, Mitch): ΤΣ and
//!   ΤΖ as the `ch` and `j` the Greek alphabet has no letter for, ΜΠ and ΝΤ as `b` and `d`.

/// Whether `c` is a Greek letter (with or without its accent).
pub fn is_greek(c: char) -> bool {
    matches!(c, '\u{0370}'..='\u{03FF}' | '\u{1F00}'..='\u{1FFF}')
}

#[derive(Clone, Copy, PartialEq)]
enum System {
    /// ELOT 743: Greek names as Greek authorities write them.
    Elot,
    /// Spoken Greek: the vowel digraphs by their sounds (ΟΥ `u`, ΑΙ `e`, Υ `i`), the
    /// consonant digraphs as at the start of a word.
    Spoken,
    /// A name from another language written in Greek letters (ΤΣ `ch`, ΤΖ `j`).
    Foreign,
}

/// The letter without its accent or diaeresis, in lower case; a diaeresis also says the
/// vowel is not part of a digraph (second of the pair returned).
fn base(c: char) -> (char, bool) {
    let lower: char = c.to_lowercase().next().unwrap_or(c);
    match lower {
        'ά' | 'ἀ' | 'ἁ' | 'ὰ' | 'ᾶ' => ('α', false),
        'έ' | 'ἐ' | 'ἑ' | 'ὲ' => ('ε', false),
        'ή' | 'ἠ' | 'ἡ' | 'ὴ' | 'ῆ' => ('η', false),
        'ί' | 'ἰ' | 'ἱ' | 'ὶ' | 'ῖ' => ('ι', false),
        'ϊ' | 'ΐ' => ('ι', true),
        'ό' | 'ὀ' | 'ὁ' | 'ὸ' => ('ο', false),
        'ύ' | 'ὐ' | 'ὑ' | 'ὺ' | 'ῦ' => ('υ', false),
        'ϋ' | 'ΰ' => ('υ', true),
        'ώ' | 'ὠ' | 'ὡ' | 'ὼ' | 'ῶ' => ('ω', false),
        'ς' => ('σ', false),
        c => (c, false),
    }
}

fn is_vowel(c: char) -> bool {
    matches!(c, 'α' | 'ε' | 'η' | 'ι' | 'ο' | 'υ' | 'ω')
}

/// Consonants after which ΑΥ, ΕΥ, ΗΥ are written with `f`.
fn voiceless(c: char) -> bool {
    matches!(c, 'θ' | 'κ' | 'ξ' | 'π' | 'σ' | 'τ' | 'φ' | 'χ' | 'ψ')
}

/// One word in Latin letters by `system`.
fn word(w: &str, system: System) -> String {
    let letters: Vec<(char, bool)> = w.chars().map(base).collect();
    let at = |i: usize| letters.get(i).map(|l| l.0);
    let mut out = String::with_capacity(w.len());
    let mut i = 0;
    while i < letters.len() {
        let (c, _) = letters[i];
        let (next, next_apart) = letters.get(i + 1).copied().unwrap_or((' ', false));
        let start = i == 0;
        let mut used = 2;
        match (c, next) {
            ('α', 'ι') if !next_apart => out.push_str(match system {
                System::Elot => "ai",
                _ => "e",
            }),
            ('ε' | 'ο' | 'υ', 'ι') if !next_apart => out.push_str(match (system, c) {
                (System::Elot, 'ε') => "ei",
                (System::Elot, 'ο') => "oi",
                (System::Elot, _) => "yi",
                _ => "i",
            }),
            ('ο', 'υ') if !next_apart => out.push_str(match system {
                System::Elot => "ou",
                _ => "u",
            }),
            ('α' | 'ε' | 'η', 'υ') if !next_apart => {
                out.push(match c {
                    'α' => 'a',
                    'ε' => 'e',
                    _ => 'i',
                });
                out.push(match at(i + 2) {
                    Some(n) if is_vowel(n) || !voiceless(n) => 'v',
                    Some(_) => 'f',
                    None => 'f',
                });
            }
            ('μ', 'π') => out.push_str(if start || system == System::Foreign {
                "b"
            } else {
                "mb"
            }),
            ('ν', 'τ') => out.push_str(if start || system == System::Foreign {
                "d"
            } else {
                "nt"
            }),
            ('γ', 'κ') => out.push_str(if start || system == System::Foreign {
                "g"
            } else {
                "ng"
            }),
            ('γ', 'γ') => out.push_str("ng"),
            ('γ', 'χ') => out.push_str("nch"),
            ('γ', 'ξ') => out.push_str("nx"),
            ('τ', 'σ') if system == System::Foreign => out.push_str("ch"),
            ('τ', 'ζ') if system == System::Foreign => out.push('j'),
            _ => {
                used = 1;
                match c {
                    'α' => out.push('a'),
                    'β' => out.push('v'),
                    'γ' => out.push(match next {
                        'ε' | 'ι' | 'η' | 'υ' if system != System::Elot => 'y',
                        _ => 'g',
                    }),
                    'δ' => out.push('d'),
                    'ε' => out.push('e'),
                    'ζ' => out.push('z'),
                    'η' | 'ι' => out.push('i'),
                    'θ' => out.push_str("th"),
                    'κ' => out.push('k'),
                    'λ' => out.push('l'),
                    'μ' => out.push('m'),
                    'ν' => out.push('n'),
                    'ξ' => out.push('x'),
                    'ο' | 'ω' => out.push('o'),
                    'π' => out.push('p'),
                    'ρ' => out.push('r'),
                    'σ' => out.push('s'),
                    'τ' => out.push('t'),
                    'υ' => out.push(if system == System::Elot { 'y' } else { 'i' }),
                    'φ' => out.push('f'),
                    'χ' => out.push_str("ch"),
                    'ψ' => out.push_str("ps"),
                    c => out.push(c),
                }
            }
        }
        i += used;
    }
    out
}

/// The renderings of a name written in Greek letters, or none when it has none.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_greek) {
        return vec![];
    }
    let mut out = vec![];
    for system in [System::Elot, System::Spoken, System::Foreign] {
        let r = super::joined(name.split_whitespace().map(|w| word(w, system)));
        super::push_new(&mut out, r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_by_their_sounds() {
        let r = renderings("Γιάννης Παπαδόπουλος");
        assert_eq!(r[0], "giannis papadopoulos");
        assert_eq!(r[1], "yiannis papadopulos");
        assert_eq!(renderings("Μπακογιάννη")[0], "bakogianni");
        assert_eq!(renderings("Αντώνης")[0], "antonis");
        assert_eq!(renderings("Ντόρα")[0], "dora");
        assert_eq!(renderings("Ευάγγελος")[0], "evangelos");
        assert_eq!(renderings("Ευθύμιος")[0], "efthymios");
        assert_eq!(renderings("Αικατερίνη")[1], "ekaterini");
        assert_eq!(renderings("Κωνσταντίνος")[0], "konstantinos");
        assert_eq!(renderings("Λαΐνας")[0], "lainas");
    }

    #[test]
    fn names_from_other_languages() {
        assert!(renderings("Μιτς ΜακΚόννελ").contains(&"mich makkonnel".to_owned()));
        assert!(renderings("Τσόρτσιλ").contains(&"chorchil".to_owned()));
        assert!(renderings("Τζον").contains(&"jon".to_owned()));
        assert!(renderings("Smith").is_empty());
    }
}
