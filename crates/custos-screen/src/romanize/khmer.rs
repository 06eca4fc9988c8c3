//! Khmer names as they are written in Latin letters. A Khmer vowel sign is read two ways, by
//! the series of the consonant it sits on (ក `ka` and គ `ko`; ា is `a` after the first and
//! `ea` after the second: សាន San, ជា Chea), which `any_ascii`, writing letter for letter,
//! does not know; and vowels the script leaves unwritten are supplied (សុខ is Sok, សម Sam).
//!
//! A word is read syllable by syllable:
//! - a syllable's initial: a consonant, with the consonants written under it (្; ស្រ `sr`,
//!   ខ្ល `khl`), its series changed by ៉ or ៊ and, in a cluster, taken from the lower
//!   consonant unless that is a sonorant;
//! - its vowel, by series (ុ `o`/`u`, ួ `uo`, ោ `ao`/`ou`, ៅ `au`/`ov`, ំ `am`/`um`); with
//!   none written, the inherent vowel: `a` after the first series, and after the second `o`
//!   in a closed syllable (គង Kong) and, in personal names, `a` in an open one inside a word;
//! - its final: a consonant with no vowel of its own after an open syllable, unless the
//!   consonant after it is a final it begins the syllable of (តាសល់, Ta Sal); one with a
//!   consonant written under it after a syllable with no written vowel (បន្ទាយ, Banteay) or
//!   under itself (វិជ្ជា); a consonant marked silent (៍) is not read, nor one written under
//!   a final at the word's end (ពេជ្រ, Pech).
//!
//! Besides, a stop or ស with a sonorant under it and no vowel, after a written vowel and
//! before a consonant with one, is a syllable of its own (ព្រៃក្រឡាញ់, Prey Kralanh); a
//! nasal with a stop of its place under it closes a syllable, the stop beginning the next
//! (ស្រែកណ្ដាល, Srae Kandal); a sonorant after a
//! syllable of ំ alone takes that syllable's series (សំរោង, Samraong); and a few words of
//! Pali and Sanskrit frequent in names, whose spelling does not tell how they are read, are
//! read from a list before the rules (`WORDS`: សេរី Serei, រស្មី Reaksmei, មង្គល Mongkol;
//! and ពេជ្រ, whose ្រ is silent, Pech).
//!
//! Three renderings: the spellings of personal names (ែ `e`, ី `ey` after the first series,
//! `y` ending a word after the second, ៀ `ea`: Hun Sen, Sreyneang, Sery) and the Khmer
//! system of the United Nations (UNGEGN) Cambodia's gazetteer uses (ែ `ae`, ី `ei` or `i`
//! by series, ៀ `ie`, ើ `aeu`, a final by its letter: Banteayneang for Banteay Neang), each
//! Khmer word one Latin word; and UNGEGN with each syllable a word (a word of the list
//! whole), since the script writes no space between words and the gazetteer writes them
//! apart (ឈើទាល, Cheu Teal, where CHHEUTEAL joined is a letter too many from CHEUTEAL to
//! count); matched only with a name of as many words or more (see
//! [`crate::names::Normalized::whole`]).
//! Not read: the vowels of Pali and Sanskrit words the spelling does not show (រត្នមុនី is
//! `rotmuni`, Roat Muni in the gazetteer), but for the words of the list and for open
//! syllables in names (រតនា, `ratanea` by names' spelling, as Ratana is by the transducer
//! the evaluation set uses).

/// Whether `c` is a Khmer character.
pub fn is_khmer(c: char) -> bool {
    ('\u{1780}'..='\u{17FF}').contains(&c) || ('\u{19E0}'..='\u{19FF}').contains(&c)
}

const COENG: char = '\u{17D2}';

fn is_consonant(c: char) -> bool {
    ('\u{1780}'..='\u{17A2}').contains(&c)
}

fn is_vowel_sign(c: char) -> bool {
    ('\u{17B6}'..='\u{17C5}').contains(&c)
}

fn is_independent_vowel(c: char) -> bool {
    ('\u{17A3}'..='\u{17B3}').contains(&c)
}

/// Whether a consonant is of the second (o) series.
fn o_series(c: char) -> bool {
    matches!(
        c,
        'គ' | 'ឃ'
            | 'ង'
            | 'ជ'
            | 'ឈ'
            | 'ញ'
            | 'ឌ'
            | 'ឍ'
            | 'ន'
            | 'ទ'
            | 'ធ'
            | 'ព'
            | 'ភ'
            | 'ម'
            | 'យ'
            | 'រ'
            | 'ល'
            | 'វ'
    )
}

/// A stop (ក to ភ, but the nasals) or ស.
fn stop_or_sibilant(c: char) -> bool {
    (('ក'..='ភ').contains(&c) && !matches!(c, 'ង' | 'ញ' | 'ណ' | 'ន')) || c == 'ស'
}

fn sonorant(c: char) -> bool {
    matches!(c, 'ង' | 'ញ' | 'ន' | 'ម' | 'យ' | 'រ' | 'ល' | 'វ')
}

fn initial(c: char) -> &'static str {
    match c {
        'ក' | 'គ' => "k",
        'ខ' | 'ឃ' => "kh",
        'ង' => "ng",
        'ច' | 'ជ' => "ch",
        'ឆ' | 'ឈ' => "chh",
        'ញ' => "nh",
        'ដ' | 'ឌ' => "d",
        'ឋ' | 'ឍ' | 'ថ' | 'ធ' => "th",
        'ណ' | 'ន' => "n",
        'ត' | 'ទ' => "t",
        'ប' => "b",
        'ផ' | 'ភ' => "ph",
        'ព' => "p",
        'ម' => "m",
        'យ' => "y",
        'រ' => "r",
        'ល' | 'ឡ' => "l",
        'វ' => "v",
        'ស' => "s",
        'ហ' => "h",
        _ => "",
    }
}

/// Whether two consonants are made at one place (ប and ផ; ត and ថ; ណ and ន): a final with
/// one of the same place written under it is read once in names (វិជ្ជា, Vichea; បុប្ផា,
/// Bopha).
fn same_place(a: char, b: char) -> bool {
    let place = |c: char| match c {
        'ក' | 'ខ' | 'គ' | 'ឃ' => 1,
        'ច' | 'ឆ' | 'ជ' | 'ឈ' => 2,
        'ដ' | 'ឋ' | 'ឌ' | 'ឍ' | 'ត' | 'ថ' | 'ទ' | 'ធ' => 3,
        'ប' | 'ផ' | 'ព' | 'ភ' => 4,
        'ណ' | 'ន' => 5,
        'ល' | 'ឡ' => 6,
        'ម' => 7,
        'ស' => 8,
        _ => 0,
    };
    a == b || (place(a) != 0 && place(a) == place(b))
}

/// Whether `stop` is made where `nasal` is: written under it, the nasal is a final and the
/// stop begins the syllable after (កណ្ដាល, Kandal; កម្ពុជា).
fn homorganic(nasal: char, stop: char) -> bool {
    match nasal {
        'ង' => matches!(stop, 'ក' | 'ខ' | 'គ' | 'ឃ'),
        'ញ' => matches!(stop, 'ច' | 'ឆ' | 'ជ' | 'ឈ'),
        'ណ' | 'ន' => matches!(stop, 'ដ' | 'ឋ' | 'ឌ' | 'ឍ' | 'ត' | 'ថ' | 'ទ' | 'ធ'),
        'ម' => matches!(stop, 'ប' | 'ផ' | 'ព' | 'ភ'),
        _ => false,
    }
}

fn final_sound(c: char) -> &'static str {
    match c {
        'ក' | 'ខ' | 'គ' | 'ឃ' => "k",
        'ង' => "ng",
        'ច' | 'ឆ' | 'ជ' | 'ឈ' => "ch",
        'ញ' => "nh",
        'ដ' | 'ឋ' | 'ឌ' | 'ឍ' | 'ត' | 'ថ' | 'ទ' | 'ធ' => "t",
        'ណ' | 'ន' => "n",
        'ប' => "b",
        'ផ' | 'ព' | 'ភ' => "p",
        'ម' => "m",
        'យ' => "y",
        'រ' => "r",
        'ល' | 'ឡ' => "l",
        'វ' => "v",
        'ស' => "s",
        'ហ' => "h",
        _ => "",
    }
}

/// A final as written: UNGEGN writes its letter (ភ ph, ដ d), names its sound (p, t).
fn written_final(c: char, names: bool) -> &'static str {
    if names { final_sound(c) } else { initial(c) }
}

/// Words of Pali and Sanskrit frequent in names whose spelling does not tell how they are
/// read, as `[Khmer, UNGEGN, personal names]`: read whole wherever they begin a syllable of a
/// word and end one, before the rules (which would read សេរី as `seri`, រស្មី as `rosmei`).
const WORDS: &[[&str; 3]] = &[
    ["សេរី", "serei", "sery"],
    ["សិរី", "serei", "serey"],
    ["រស្មី", "reaksmei", "reaksmey"],
    ["សាមគ្គី", "sameakki", "sameakki"],
    ["កុមារ", "komar", "komar"],
    ["មង្គល", "mongkol", "mongkol"],
    ["ព្រហ្ម", "prum", "prom"],
    ["វិហារ", "vihear", "vihear"],
    ["សុវណ្ណ", "sovann", "sovann"],
    ["ពង្រ", "pongro", "pongro"],
    // A final with ្រ silent under it, which would otherwise begin the syllable after as a
    // cluster (ពេជ្រសុភា is Pech Sophea, not Pechro Sophea).
    ["ពេជ្រ", "pech", "pech"],
    ["ចិត្រ", "chet", "chet"],
    ["មិត្រ", "mit", "mit"],
    ["សូត្រ", "sot", "sot"],
];

/// The word of [`WORDS`] that `cs` begins with, ending where a syllable may end.
fn word_at(cs: &[char]) -> Option<&'static [&'static str; 3]> {
    WORDS.iter().find(|w| {
        let n = w[0].chars().count();
        cs.len() >= n
            && cs.iter().zip(w[0].chars()).all(|(a, b)| *a == b)
            && cs
                .get(n)
                .is_none_or(|c| is_consonant(*c) || is_independent_vowel(*c))
    })
}

/// Which of the two renderings.
#[derive(Clone, Copy, PartialEq)]
enum Style {
    Names,
    Ungegn,
}

#[derive(Default)]
struct Syllable {
    onset: String,
    second: bool,
    /// The independent vowel standing for onset and vowel.
    independent: Option<char>,
    vowel: Option<char>,
    nikahit: bool,
    reahmuk: bool,
    fin: Option<char>,
    bantoc: bool,
    /// The samyok sannya (័): a short `a` (ជ័យ, Chey).
    samyok: bool,
    /// The final is written again under itself, beginning the next syllable.
    geminate: bool,
    /// The consonant the syllable begins with, when nothing is written under it.
    single: Option<char>,
    /// A word of [`WORDS`], read as it is written there.
    fixed: Option<&'static [&'static str; 3]>,
}

impl Syllable {
    fn write(&self, s: Style, inside: bool, out: &mut String) {
        let names = s == Style::Names;
        if let Some(w) = self.fixed {
            out.push_str(if names { w[2] } else { w[1] });
            return;
        }
        out.push_str(&self.onset);
        let o = self.second;
        if let Some(v) = self.independent {
            out.push_str(match v {
                'ឥ' | 'ឦ' => "e",
                'ឧ' | 'ឩ' => "o",
                'ឪ' => "ov",
                'ឫ' | 'ឬ' => "rue",
                'ឭ' | 'ឮ' => "lue",
                'ឯ' => "ae",
                'ឰ' => "ai",
                'ឱ' | 'ឲ' => "ao",
                _ => "au",
            });
            if let Some(f) = self.fin {
                out.push_str(written_final(f, names));
            }
            return;
        }
        let closed = self.fin.is_some() || self.nikahit;
        let v: &str = match (self.vowel, self.nikahit) {
            (None, true) => {
                if o {
                    "um"
                } else {
                    "am"
                }
            }
            (Some('ុ'), true) => {
                if o {
                    "um"
                } else {
                    "om"
                }
            }
            // ាំង is `ang`/`eang`.
            (Some('ា'), true) if self.fin == Some('ង') => {
                if o {
                    "ea"
                } else {
                    "a"
                }
            }
            (Some('ា'), true) => {
                if o {
                    "oam"
                } else {
                    "am"
                }
            }
            (None, false) if self.samyok && self.fin == Some('យ') => "e",
            (None, false) if self.samyok => match (o, names) {
                (false, _) => "a",
                (true, true) => "ea",
                (true, false) => "oa",
            },
            // The bantoc shortens o's inherent vowel to `u` (ង់, Anlung).
            // before ស `uo`, with or without it (ខ្ពស់, `khpuos`, the gazetteer's Kpuos; ទ្រារស,
            // Trea Ruos).
            (None, false) if o && self.fin == Some('ស') => "uo",
            (None, false) if o && self.bantoc && self.fin.is_some() => "u",
            // and names write the first series' as `o` (ម៉ក់, Mok).
            (None, false) if names && self.bantoc && self.fin.is_some() => "o",
            // ះ after the inherent vowel: `ah`, `eah` (ព្រះ, Preah).
            (None, false) if self.reahmuk => {
                if o {
                    "ea"
                } else {
                    "a"
                }
            }
            (None, false) => {
                if !closed && (inside || !o) && (names || !o) {
                    "a"
                } else if o {
                    "o"
                } else {
                    "a"
                }
            }
            (Some(v), _) => match (v, o) {
                ('ា', false) => "a",
                ('ា', true) if self.bantoc => "oa",
                ('ា', true) => "ea",
                ('ិ', false) => "e",
                ('ិ', true) => "i",
                ('ី', false) if names => "ey",
                ('ី', false) => "ei",
                // Names end a word in ី as `y` (សេរី, Sery; ប៊ុនលី, Bunly).
                ('ី', true) if names && !inside && !closed => "y",
                ('ី', true) => "i",
                ('ឹ', false) => "oe",
                ('ឹ', true) if names => "i",
                ('ឹ', true) => "ue",
                ('ឺ', _) => "eu",
                ('ុ', false) => "o",
                ('ុ', true) => "u",
                ('ូ', false) => "ou",
                ('ូ', true) if names => "ou",
                ('ូ', true) => "u",
                ('ួ', _) => "uo",
                ('ើ', false) => "aeu",
                ('ើ', true) => "eu",
                ('ឿ', _) => "oea",
                ('ៀ', _) if names => "ea",
                ('ៀ', _) => "ie",
                ('េ', _) => "e",
                ('ែ', _) if names => "e",
                ('ែ', false) => "ae",
                ('ែ', true) => "eae",
                ('ៃ', false) => "ai",
                ('ៃ', true) => "ey",
                ('ោ', false) => "ao",
                ('ោ', true) => "ou",
                ('ៅ', false) => "au",
                ('ៅ', true) => "ov",
                _ => "",
            },
        };
        // UNGEGN leaves out a final រ after ូ (អូរ, Ou) as often as not; the gazetteer writes
        // it elsewhere.
        let fin = self
            .fin
            .filter(|f| names || !(*f == 'រ' && self.vowel == Some('ូ')));
        // A final written again under itself is read once in names (វិជ្ជា, Vichea).
        let fin = fin.filter(|_| !(names && self.geminate));
        // ី before a final is `i` in names: ស្រី is Srey, but សីល Sil.
        let v = if names && self.vowel == Some('ី') && fin.is_some() {
            "i"
        } else {
            v
        };
        out.push_str(v);
        if self.reahmuk {
            out.push('h');
        }
        if let Some(f) = fin {
            out.push_str(written_final(f, names));
        }
    }
}

/// A word's syllables; `pali`: a consonant with no vowel between a syllable with none and
/// one with a vowel written begins a syllable of its own, as in words of Pali that names are
/// made of (រតនា, Ratana), where it would otherwise close the first (ចកលិច, Chak Lech).
fn syllables(w: &str, pali: bool) -> Vec<Syllable> {
    let cs: Vec<char> = w.chars().filter(|c| is_khmer(*c)).collect();
    let mut out: Vec<Syllable> = vec![];
    let mut i = 0;
    // Whether the consonant at `j` has a vowel of its own (after its subscripts and marks).
    let voiced = |j: usize| {
        let mut k = j + 1;
        loop {
            match cs.get(k) {
                Some(&COENG) => k += 2,
                Some('\u{17C9}' | '\u{17CA}' | '\u{17CC}') => k += 1,
                Some(&c) => {
                    return is_vowel_sign(c) || matches!(c, '\u{17C6}'..='\u{17C8}' | '\u{17D0}');
                }
                None => return false,
            }
        }
    };
    // Whether the consonant after the one at `j` (past its subscripts and marks) is a final
    // the one at `j` begins the syllable of: it has no vowel and ends the word or carries the
    // bantoc, or it is a nasal with a stop of its place under it that has one (ណ្ដា).
    let onset_of_final = |j: usize| {
        let mut k = j + 1;
        while cs.get(k) == Some(&COENG) || cs.get(k).is_some_and(|c| !is_consonant(*c)) {
            k += if cs.get(k) == Some(&COENG) { 2 } else { 1 };
        }
        if k >= cs.len() {
            return false;
        }
        // The next a nasal with a stop under it: a final whose subscript begins the syllable
        // after (ស្រែកណ្ដាល, Srae Kandal).
        if cs.get(k + 1) == Some(&COENG) && cs.get(k + 2).is_some_and(|l| homorganic(cs[k], *l)) {
            return voiced(k + 2);
        }
        if voiced(k) {
            return false;
        }
        match cs.get(k + 1) {
            None => true,
            Some('\u{17CB}' | '\u{17CD}') => true,
            Some(_) => false,
        }
    };
    // Whether the consonant at `j` is a stop or sibilant with a sonorant under it and no
    // vowel, before a consonant that has one: a syllable of its own, its vowel unwritten
    // (ព្រៃក្រឡាញ់, Prey Kralanh; ស្រីប្រសើរ, Srei Prasaeur).
    let presyllable = |j: usize| {
        cs.get(j + 1) == Some(&COENG)
            && cs.get(j + 2).is_some_and(|l| sonorant(*l))
            && stop_or_sibilant(cs[j])
            && !voiced(j)
            && cs
                .get(j + 3)
                .is_some_and(|n| is_consonant(*n) && voiced(j + 3))
    };
    while i < cs.len() {
        let c = cs[i];
        if let Some(w) = word_at(&cs[i..]) {
            out.push(Syllable {
                fixed: Some(w),
                ..Syllable::default()
            });
            i += w[0].chars().count();
            continue;
        }
        if is_consonant(c) {
            // ាំ takes ង as its final (ក្រាំង); other nikahit syllables are closed.
            let last_open = out.last().is_some_and(|s| {
                s.fin.is_none() && s.fixed.is_none() && !s.reahmuk && (!s.nikahit || c == 'ង')
            });
            // A consonant with another written under it closes the syllable before when that
            // has no written vowel (បន្ទាយ, Banteay) or the two are one letter twice
            // (វិជ្ជា, Vichea); after a written vowel the two begin a syllable (អាស្រ័យ).
            // A stop or sibilant with a sonorant under it is a cluster that begins a syllable
            // (ចក្រី, Chakkrei; ស្រី).
            let cluster = cs.get(i + 1) == Some(&COENG)
                && cs.get(i + 2).is_some_and(|l| sonorant(*l))
                && !sonorant(c)
                && voiced(i + 2);
            let before_subscript = cs.get(i + 1) == Some(&COENG)
                && !cluster
                && out.last().is_some_and(|s| {
                    (s.vowel.is_none() && s.independent.is_none())
                        || cs.get(i + 2).is_some_and(|l| same_place(c, *l))
                });
            // A final: a consonant with no vowel of its own after an open syllable, unless
            // the consonant after it is a final (តាសល់, Ta Sal; ថ្មដប់, Thma Dab).
            let bantoc = cs.get(i + 1) == Some(&'\u{17CB}');
            let pali_open = pali
                && out
                    .last()
                    .is_some_and(|s| s.vowel.is_none() && s.independent.is_none())
                && cs.get(i + 1).is_some_and(|n| is_consonant(*n))
                && cs.get(i + 2).is_some_and(|v| is_vowel_sign(*v));
            let after_vowel = out
                .last()
                .is_some_and(|s| s.vowel.is_some() || s.independent.is_some());
            if last_open
                && !pali_open
                && !(after_vowel && presyllable(i))
                && (before_subscript || !voiced(i) && (bantoc || !onset_of_final(i)))
            {
                let s = out.last_mut().expect("checked above");
                s.fin = Some(c);
                i += 1;
                // A subscript under a final is silent at the word's end (ពេជ្រ) and begins
                // the next syllable otherwise (អន្លង់, Anlung).
                if cs.get(i) == Some(&COENG) {
                    // Silent too when a syllable of its own follows (អង្គតា, Ang Ta): it is
                    // read only with a vowel or a final of its own (អន្លង់, Anlung).
                    // (the next begins a syllable: it has a vowel, its own or under a cluster,
                    // and is not a final written again under itself, as in សម្បត្តិ).
                    let next_vowelled = cs.get(i + 2).is_some_and(|n| {
                        is_consonant(*n)
                            && (voiced(i + 2) || presyllable(i + 2))
                            && !(cs.get(i + 3) == Some(&COENG)
                                && cs.get(i + 4).is_some_and(|l| same_place(*n, *l)))
                    });
                    let last = !voiced(i + 1)
                        && (cs[i..].iter().skip(2).all(|c| !is_consonant(*c)) || next_vowelled);
                    if last {
                        i += 2;
                    } else {
                        s.geminate = cs.get(i + 1).is_some_and(|l| same_place(c, *l));
                        i += 1;
                    }
                }
                continue;
            }
            let single = Some(c).filter(|_| cs.get(i + 1) != Some(&COENG));
            // ប is `p` in a cluster (ប្រ, Pr), and ហ្វ is the f of foreign names.
            let onset = match (c, cs.get(i + 1), cs.get(i + 2)) {
                ('ប', Some(&COENG | '\u{17C9}'), _) => "p",
                ('ហ', Some(&COENG), Some('វ')) => {
                    i += 2;
                    "f"
                }
                // ត under a final ណ or ន is `d` (អណ្តូង, Andoung).
                ('ត', _, _) if i >= 2 && cs[i - 1] == COENG && matches!(cs[i - 2], 'ណ' | 'ន') => {
                    "d"
                }
                _ => initial(c),
            };
            // A sonorant after a syllable of ំ alone takes that syllable's series, as the
            // cluster the two once were did (សំរោង, Samraong; ដំរី, Damrei).
            let after_am = out
                .last()
                .filter(|s| s.nikahit && s.vowel.is_none() && s.fin.is_none() && s.fixed.is_none());
            let second = match after_am {
                Some(s) if sonorant(c) && single.is_some() => s.second,
                _ => o_series(c),
            };
            let mut s = Syllable {
                single,
                onset: onset.to_owned(),
                second,
                ..Syllable::default()
            };
            i += 1;
            loop {
                match cs.get(i) {
                    Some(&COENG) => {
                        if let Some(&l) = cs.get(i + 1) {
                            s.onset.push_str(initial(l));
                            if !sonorant(l) {
                                s.second = o_series(l);
                            }
                        }
                        i += 2;
                    }
                    Some('\u{17C9}') => {
                        s.second = false;
                        i += 1;
                    }
                    Some('\u{17CA}') => {
                        s.second = true;
                        i += 1;
                    }
                    _ => break,
                }
            }
            out.push(s);
            continue;
        }
        if is_independent_vowel(c) {
            out.push(Syllable {
                independent: Some(c),
                ..Syllable::default()
            });
            i += 1;
            continue;
        }
        let mut silenced = false;
        if let Some(s) = out.last_mut() {
            match c {
                c if is_vowel_sign(c) => s.vowel = Some(c),
                '\u{17C6}' => s.nikahit = true,
                '\u{17C7}' | '\u{17C8}' => s.reahmuk = true,
                // Silent (៍): the final it sits on is not read, nor a syllable it ends
                // (ពោធិ៍, read after this loop's step).
                '\u{17CD}' => silenced = s.fin.take().is_none(),
                '\u{17CC}' => s.fin = Some('រ'),
                '\u{17CB}' => s.bantoc = true,
                '\u{17D0}' => s.samyok = true,
                _ => {}
            }
        }
        if silenced && out.len() > 1 {
            out.pop();
        }
        i += 1;
    }
    out
}

/// A Khmer word in Latin letters, its syllables joined (`split` false) or each a word of its
/// own.
fn word(w: &str, s: Style, split: bool) -> String {
    let mut syls = syllables(w, s == Style::Names);
    // A word ending in a consonant with ិ after an open syllable ends in that consonant, the
    // vowel not spoken (ភូមិ, Phum; ជាតិ, Cheat).
    if let [.., before, last] = &mut syls[..]
        && let Some(c) = last.single
        && last.vowel == Some('ិ')
        && !(last.nikahit || last.reahmuk || last.fin.is_some())
        && before.fin.is_none()
        && !(before.nikahit || before.reahmuk)
        && before.independent.is_none()
        && before.fixed.is_none()
    {
        before.fin = Some(c);
        syls.pop();
    }
    let mut out = String::with_capacity(w.len() * 2);
    let n = syls.len();
    for (k, syl) in syls.iter().enumerate() {
        if split && k > 0 {
            out.push(' ');
        }
        syl.write(s, k + 1 < n, &mut out);
    }
    out
}

/// The renderings of a name written in Khmer (see the module's documentation), or none when
/// it has no Khmer.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_khmer) {
        return vec![];
    }
    let mut out = vec![];
    for s in [Style::Names, Style::Ungegn] {
        super::push_new(
            &mut out,
            super::read_words(name, is_khmer, |w| word(w, s, false)),
        );
    }
    out
}

/// The rendering of a name written in Khmer by UNGEGN with each syllable a word (a word of
/// `WORDS` whole), or none when it has no Khmer. Place names are written in Latin letters
/// word by word, and the script writes no space between words (ឈើទាល, Cheu Teal, where
/// CHHEUTEAL joined is a letter too many from CHEUTEAL to count). It is matched only with a
/// name of as many words or more (see [`crate::names::Normalized::whole`]): a word's
/// syllables are not names of their own (សុភារ៉ា is not "So Ra").
pub fn split_renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_khmer) {
        return vec![];
    }
    vec![super::read_words(name, is_khmer, |w| {
        word(w, Style::Ungegn, true)
    })]
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::romanize::has_rendering as has;

    #[test]
    fn personal_names() {
        assert!(has("ហ៊ុន សែន", "hun sen"));
        assert!(has("សុខ", "sok"));
        assert!(has("ជា", "chea"));
        assert!(has("ហេង", "heng"));
        assert!(has("សាន", "san"));
        assert!(has("សួន", "suon"));
        assert!(has("ស្រីនាង", "sreyneang"));
        // A consonant before a final begins its syllable; a final written again under itself
        // is read once; ហ្វ is f.
        assert!(has("កុសល់", "kosal"));
        assert!(has("វិជ្ជា", "vichea"));
        assert!(has("រតនា", "ratanea"));
        assert!(has("ឆៃហ្វុង", "chhaifong"));
        assert!(has("សីល", "sil"));
        assert!(has("បុប្ផា", "bopha"));
        assert!(has("ម៉ក់", "mok"));
        assert!(has("សេរី", "sery"));
        assert!(has("កាហ្វិ", "kafe"));
        // ះ closes its syllable; ័ is a vowel of its own.
        assert!(has("ព្រះករុណា", "preahkaruna"));
        assert!(has("សុភ័ក្ត្រា", "sopheaktra"));
    }

    #[test]
    fn place_names_by_ungegn() {
        assert!(has("បន្ទាយនាង", "banteayneang"));
        assert!(has("ភ្នំ", "phnum"));
        // Words of Pali and Sanskrit as the gazetteer writes them.
        assert!(has("ទួលសេរី", "tuolserei"));
        assert!(has("រស្មីសាមគ្គី", "reaksmeisameakki"));
        assert!(has("ព្រៃមង្គល", "preymongkol"));
        // Each syllable a word too (the gazetteer's Cheu Teal); a final after an independent
        // vowel written by its letter (Boeng Ed).
        assert!(has("ឈើទាល", "chheu teal"));
        assert!(has("បឹងឥដ្ឋ", "boenged"));
        // A cluster with no vowel before a syllable is a syllable of its own (Kralanh); a
        // nasal with a stop under it closes a syllable (Kandal); a sonorant after ំ takes
        // its series (Samraong).
        assert!(has("ព្រៃក្រឡាញ់", "preykralanh"));
        assert!(has("ស្រែកណ្ដាល", "sraekandal"));
        assert!(has("សំរោង", "samraong"));
        // But not a final with ្រ silent under it (ពេជ្រ), nor a cluster of two stops
        // (ក្ដ), nor a sonorant with a subscript after ំ.
        assert!(has("ពេជ្រសុភា", "pechsophea"));
        assert!(has("ពេជ្រសុភា", "pech so phea"));
        assert!(has("ក្រាំងក្ដី", "krangkdei"));
        assert!(has("ក្រាំងម្កាក់", "krangmkak"));
        assert!(has("ស្រីប្រសើរ", "sreiprasaeur"));
        // A word of the list is read whole, in each rendering, wherever it stands in a word,
        // but not when a vowel sign follows it (another word).
        assert!(has("សេរីសុវណ្ណ", "serysovann"));
        assert!(has("សេរីសុវណ្ណ", "serei sovann"));
        assert!(!renderings("ពង្រា").iter().any(|r| r.contains("pongro")));
        assert!(has("ខ្ពស់", "khpuos"));
        assert!(has("អន្លង់", "anlung"));
        assert!(has("ចកលិច", "chaklich"));
        // A final ិ unspoken; finals by their letter.
        assert!(has("ភូមិ", "phum"));
        assert!(has("មានលាភ", "meanleaph"));
        assert!(has("អង្គស្វាយ", "angsvay"));
        assert!(has("ព្រៃ", "prey"));
        assert!(has("អូរ", "ou"));
        assert!(has("តាសល់", "tasal"));
        assert!(has("ជ័យ", "chey"));
        assert!(has("ក្រាំង", "krang"));
    }

    #[test]
    fn other_scripts_have_none() {
        assert!(renderings("Hun Sen").is_empty());
    }
}
