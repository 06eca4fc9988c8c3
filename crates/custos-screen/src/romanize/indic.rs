//! Names in the Indic scripts (Devanagari, Bengali, Gurmukhi, Gujarati, Oriya, Tamil, Telugu,
//! Kannada, Malayalam), romanised as their bearers write them: consonants and vowels as in
//! ITRANS without its capitals (`sh`, `ch`, long vowels single), and the inherent vowel `a`
//! written three ways, as the languages speak it:
//! - dropped at the end of a word and between a vowel-consonant and a consonant-vowel (Hindi's
//!   schwa deletion: रजनीकांत `Rajnikant`, देशपांडे `Deshpande`);
//! - dropped at the end of a word only (`Rajanikant`, `Kamala`);
//! - kept everywhere (`Rama`, as the South Indian languages keep it).
//!
//! Unicode lays the nine scripts out alike (each a block of 128 in the order of ISCII), so one
//! table serves them all.

/// The first and last of the nine blocks.
const FIRST: u32 = 0x0900;
const LAST: u32 = 0x0D7F;

/// Whether a character is of one of the Indic scripts.
pub fn is_indic(c: char) -> bool {
    (FIRST..=LAST).contains(&(c as u32))
}

#[derive(Clone, Copy, PartialEq)]
enum Phone {
    Consonant(&'static str),
    Vowel(&'static str),
    /// The vowel a consonant carries when no sign replaces it.
    Inherent,
    /// Anusvara, candrabindu, visarga: after the vowel, never carrying one.
    Coda(&'static str),
}

fn consonant(offset: u32) -> Option<&'static str> {
    const C: [&str; 37] = [
        "k", "kh", "g", "gh", "ng", "ch", "chh", "j", "jh", "ny", "t", "th", "d", "dh", "n", "t",
        "th", "d", "dh", "n", "n", "p", "ph", "b", "bh", "m", "y", "r", "r", "l", "l", "l", "v",
        "sh", "sh", "s", "h",
    ];
    const NUKTA: [&str; 8] = ["q", "kh", "gh", "z", "r", "rh", "f", "y"];
    match offset {
        0x15..=0x39 => Some(C[(offset - 0x15) as usize]),
        0x58..=0x5F => Some(NUKTA[(offset - 0x58) as usize]),
        _ => None,
    }
}

fn vowel(offset: u32) -> Option<&'static str> {
    const V: [&str; 16] = [
        "a", "a", "i", "i", "u", "u", "ri", "li", "e", "e", "e", "ai", "o", "o", "o", "au",
    ];
    match offset {
        0x05..=0x14 => Some(V[(offset - 0x05) as usize]),
        0x60 => Some("ri"),
        0x61 => Some("li"),
        _ => None,
    }
}

fn sign(offset: u32) -> Option<&'static str> {
    const S: [&str; 15] = [
        "a", "i", "i", "u", "u", "ri", "ri", "e", "e", "e", "ai", "o", "o", "o", "au",
    ];
    match offset {
        0x3E..=0x4C => Some(S[(offset - 0x3E) as usize]),
        0x62 | 0x63 => Some("li"),
        _ => None,
    }
}

/// A word's phones; `None` when it has nothing of these scripts.
fn phones(word: &str) -> Option<Vec<Phone>> {
    let mut out = vec![];
    let mut any = false;
    for c in word.chars() {
        if !is_indic(c) {
            if c.is_alphanumeric() {
                if matches!(out.last(), Some(Phone::Consonant(_))) {
                    out.push(Phone::Inherent);
                }
                out.push(Phone::Consonant(""));
            }
            continue;
        }
        any = true;
        let offset = (c as u32 - FIRST) % 0x80;
        let after_consonant = matches!(out.last(), Some(Phone::Consonant(_)));
        if let Some(k) = consonant(offset) {
            if after_consonant {
                out.push(Phone::Inherent);
            }
            out.push(Phone::Consonant(k));
        } else if let Some(v) = sign(offset) {
            out.push(Phone::Vowel(v));
        } else if let Some(v) = vowel(offset) {
            if after_consonant {
                out.push(Phone::Inherent);
            }
            out.push(Phone::Vowel(v));
        } else {
            match offset {
                // Virama: the consonant carries no vowel (it joins the next).
                0x4D if after_consonant => out.push(Phone::Vowel("")),
                // Nukta after ja and pha: za and fa.
                0x3C => {
                    if let Some(Phone::Consonant(k)) = out.last_mut() {
                        *k = match *k {
                            "j" => "z",
                            "ph" => "f",
                            other => other,
                        };
                    }
                }
                0x01..=0x03 => {
                    if after_consonant {
                        out.push(Phone::Inherent);
                    }
                    out.push(Phone::Coda(if offset == 0x03 { "h" } else { "n" }));
                }
                // Gurmukhi's tippi (a nasal), Bengali's khanda ta.
                0x70 if (c as u32) < 0x0A80 => out.push(Phone::Coda("n")),
                0x4E if (c as u32) < 0x0A00 => out.push(Phone::Consonant("t")),
                _ => {}
            }
        }
    }
    if matches!(out.last(), Some(Phone::Consonant(_))) {
        out.push(Phone::Inherent);
    }
    // A virama's empty vowel is only a marker.
    out.retain(|p| *p != Phone::Vowel(""));
    any.then_some(out)
}

#[derive(Clone, Copy)]
enum Schwa {
    /// Dropped at the end of a word and in V C _ C V.
    Hindi,
    /// Dropped at the end of a word.
    Final,
    /// Kept.
    Kept,
}

fn is_vowel(p: Option<&Phone>) -> bool {
    matches!(p, Some(Phone::Vowel(_) | Phone::Inherent))
}

fn write(ph: &[Phone], schwa: Schwa) -> String {
    // Which inherent vowels are dropped, decided from the end of the word back, as the rule
    // is applied (Ohala's): a vowel dropped is no longer the vowel after a consonant that the
    // rule asks of the one before it (कमलनाथ is Kamalnath, not Kamlnath).
    let mut dropped = vec![false; ph.len()];
    for i in (0..ph.len()).rev() {
        if ph[i] != Phone::Inherent {
            continue;
        }
        let last = ph[i + 1..].iter().all(|p| matches!(p, Phone::Coda(_)))
            && !matches!(ph.get(i + 1), Some(Phone::Coda(_)));
        let kept_vowel = |j: usize| is_vowel(ph.get(j)) && !dropped.get(j).copied().unwrap_or(true);
        dropped[i] = match schwa {
            Schwa::Kept => false,
            Schwa::Final => last,
            Schwa::Hindi => {
                last || (i >= 2
                    && matches!(ph[i - 1], Phone::Consonant(_))
                    && is_vowel(ph.get(i - 2))
                    && matches!(ph.get(i + 1), Some(Phone::Consonant(_)))
                    && kept_vowel(i + 2))
            }
        };
    }
    let mut out = String::new();
    for (p, dropped) in ph.iter().zip(dropped) {
        match p {
            Phone::Consonant(k) | Phone::Vowel(k) | Phone::Coda(k) => out.push_str(k),
            Phone::Inherent if !dropped => out.push('a'),
            Phone::Inherent => {}
        }
    }
    out
}

/// The renderings of a name written in an Indic script, or none when it has none of them.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_indic) {
        return vec![];
    }
    let words: Vec<Option<Vec<Phone>>> = name.split_whitespace().map(phones).collect();
    let mut out: Vec<String> = vec![];
    for schwa in [Schwa::Hindi, Schwa::Final, Schwa::Kept] {
        let r = super::joined(name.split_whitespace().zip(&words).map(|(w, ph)| match ph {
            Some(ph) => write(ph, schwa),
            None => w.to_owned(),
        }));
        super::push_new(&mut out, r);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_inherent_vowel_three_ways() {
        let r = renderings("रजनीकांत देशपांडे");
        assert_eq!(r[0], "rajnikant deshpande");
        assert_eq!(r[1], "rajanikant deshapande");
        let r = renderings("व्लादिमीर पुतिन");
        assert_eq!(r[0], "vladimir putin");
        assert_eq!(renderings("राम")[..], ["ram", "rama"]);
        // Dropped from the end back: not two in a row.
        assert_eq!(renderings("कमलनाथ")[0], "kamalnath");
        assert_eq!(renderings("अमरनाथ")[0], "amarnath");
        // Bengali, Tamil, Telugu share the table.
        assert_eq!(renderings("ভ্লাদিমির পুতিন")[0], "bhladimir putin");
        assert!(renderings("ராமன்").contains(&"raman".to_owned()));
        assert!(renderings("Smith").is_empty());
    }
}
