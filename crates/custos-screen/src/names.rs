//! Name comparison for screening: how alike two names are, in [0, 1], for persons or
//! organisations.
//!
//! Both names are first brought to one form: transliterated to Latin letters (Cyrillic, Greek,
//! Arabic, Hebrew, Chinese, Japanese, Korean, Thai and the rest, through `any_ascii`), case
//! folded, punctuation dropped, and split into tokens. Honorifics ("Mr", "Sheikh") are dropped
//! for persons; legal forms ("LLC", "OOO", "GmbH", "Corp") are set aside for organisations, so
//! that two companies do not match because both are a "Corp". The score is the best of:
//! - token alignment: each token of the shorter name paired with its most similar token of the
//!   other (Jaro-Winkler), in any order ("PUTIN, Vladimir" and "Vladimir Putin"), weighted by
//!   token length, with a penalty for tokens left over;
//! - the names joined without spaces, in order and sorted ("JSCARGUMENT" and "JSC ARGUMENT";
//!   "XiJinping" and "Xi Jin Ping"), by edit distance.
//!
//! Token similarity is Jaro-Winkler, falling steeply below 0.9 so that two different names
//! that merely begin alike do not pass for spellings of one (see [`token_similarity`]).

use std::fmt;

use serde::{Deserialize, Serialize};

mod jaro;
mod skeleton;
pub use jaro::jw;
pub use skeleton::skeleton;
pub(crate) use skeleton::variant_skeleton;
use skeleton::{same_skeleton, skeleton_chars};

/// Whether a name is a person's or an organisation's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameType {
    Person,
    Organization,
    /// Unknown: both kinds of noise words are set aside.
    #[default]
    Any,
}

impl NameType {
    pub fn parse(s: &str) -> Result<NameType, String> {
        match s {
            "person" => Ok(NameType::Person),
            "organization" | "organisation" => Ok(NameType::Organization),
            "any" => Ok(NameType::Any),
            _ => Err(format!("unknown type `{s}`: person or organization")),
        }
    }
}

const HONORIFICS: &[&str] = &[
    "MR", "MRS", "MS", "MISS", "DR", "PROF", "SIR", "DAME", "LORD", "LADY", "SHEIKH", "SHAIKH",
    "SHAYKH", "HAJI", "HAJJI", "HADJI", "MULLAH", "MAULANA", "IMAM", "GENERAL", "GEN", "COL",
    "COLONEL", "CAPT", "CAPTAIN", "MAJOR", "LT", "SGT", "REV", "FATHER", "HERR", "FRAU", "SR",
    "SRA", "SENOR", "SENORA", "DON", "DONA", "GOSPODIN", "H.E", "HE",
    // Junior, as written after a name.
    "JR", "JNR",
];

/// Titles of office and rank in the languages names come in, as they read once transliterated
/// (`Президент` is `PREZIDENT`, `Präsident` `PRASIDENT`, `Președintele` `PRESEDINTELE`,
/// `대통령` `DAETONGLYEONG`, `总统` `ZONGTONG`): set aside as honorifics are, so that "President Putin" is
/// compared as "Putin" is. Words that are also common surnames or given names (King, Prince,
/// Bishop, Pastor, Sultan, Emir, Rais, Mayor) are not among them.
const TITLES: &[&str] = &[
    // President.
    "PRESIDENT",
    "PRAESIDENT",
    "PRASIDENT",
    "PREZIDENT",
    "PREZYDENT",
    "PRESIDENTE",
    "PRESIDENTA",
    "PRESIDENTTI",
    "PREDSJEDNIK",
    "PREDSEDNIK",
    "PRESEDINTELE",
    "PRESEDINTE",
    "ELNOK",
    "DAETONGLYEONG",
    "DAETONGRYEONG",
    "ZONGTONG",
    // Ministers, heads of government, legislators, envoys.
    "MINISTER",
    "MINISTRO",
    "MINISTRE",
    "MINISTR",
    "CHANCELLOR",
    "KANZLER",
    "SENATOR",
    "GOVERNOR",
    "GOUVERNEUR",
    "GOBERNADOR",
    "DEPUTY",
    "DEPUTAT",
    "AMBASSADOR",
    "CHAIRMAN",
    "EXCELLENCY",
    "EXCELENCIA",
    "HONORABLE",
    "HON",
    // Ranks.
    "ADMIRAL",
    "BRIGADIER",
    "COMMANDER",
    "LIEUTENANT",
    "SERGEANT",
    "GENERAAL",
    "GENERALE",
    "GENERALMAJOR",
    "GENERALLEUTNANT",
    "GENERALOBERST",
    "POLKOVNIK",
    "PODPOLKOVNIK",
    "CORONEL",
    // Religious.
    "AYATOLLAH",
    "AYATULLAH",
    "HOJATOLESLAM",
    "MUFTI",
    "SHEIK",
    "SHEYKH",
    "MAWLANA",
    "MOULANA",
    "ALHAJI",
    "ALHAJ",
    "HAJ",
    "HADJ",
    "RABBI",
    "PATRIARCH",
    // Courtesy and learning.
    "DOCTOR",
    "DOKTOR",
    "PROFESSOR",
    "PROFESOR",
    "ENGR",
    "MADAME",
    "MADAM",
    "MME",
    "MLLE",
    "MONSIEUR",
    "SIGNOR",
    "SIGNORA",
    "SENHOR",
    "SENHORA",
    "GOSPOZHA",
    "GOSPODJA",
];

/// Titles written in the Arabic script, as the Latin titles set aside for them: transliterated
/// letter by letter they would not be known (ملا is `ML`, which a Latin name could hold).
const ARABIC_TITLES: &[(&str, &str)] = &[
    ("ملا", "MULLAH"),
    ("الملا", "MULLAH"),
    ("ملّا", "MULLAH"),
    ("شيخ", "SHEIKH"),
    ("الشيخ", "SHEIKH"),
    ("شیخ", "SHEIKH"),
    ("حاجي", "HAJJI"),
    ("حاجی", "HAJJI"),
    ("حاج", "HAJJI"),
    ("الحاج", "HAJJI"),
    ("مولوي", "MAULANA"),
    ("مولوی", "MAULANA"),
    ("مولانا", "MAULANA"),
    ("دكتور", "DOCTOR"),
    ("الدكتور", "DOCTOR"),
    ("دکتر", "DOCTOR"),
    ("مفتي", "MUFTI"),
    ("مفتی", "MUFTI"),
    // The son, as Jr. is written after a name.
    ("الابن", "JR"),
    ("الإبن", "JR"),
];

/// `name` with its words that are titles in the Arabic script (see [`ARABIC_TITLES`]) written
/// as the Latin titles.
fn arabic_titles(name: &str) -> String {
    if !name
        .split_whitespace()
        .any(|w| ARABIC_TITLES.iter().any(|(a, _)| *a == w))
    {
        return name.to_owned();
    }
    name.split_whitespace()
        .map(|w| {
            ARABIC_TITLES
                .iter()
                .find(|(a, _)| *a == w)
                .map_or(w, |(_, latin)| latin)
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a token is an honorific or a title (set aside for persons): one hash look-up, as
/// every token of every name indexed is asked.
fn is_title(tok: &str) -> bool {
    static ALL: std::sync::LazyLock<std::collections::HashSet<&'static str>> =
        std::sync::LazyLock::new(|| HONORIFICS.iter().chain(TITLES).copied().collect());
    ALL.contains(tok)
}

const LEGAL_FORMS: &[&str] = &[
    "LLC",
    "LTD",
    "LIMITED",
    "INC",
    "INCORPORATED",
    "CORP",
    "CORPORATION",
    "CO",
    "COMPANY",
    "PLC",
    "LLP",
    "LP",
    "GMBH",
    "AG",
    "KG",
    "OHG",
    "UG",
    "SA",
    "SAS",
    "SARL",
    "SL",
    "SRL",
    "SPA",
    "BV",
    "NV",
    "AB",
    "AS",
    "ASA",
    "OY",
    "OYJ",
    "APS",
    "KFT",
    "ZRT",
    "SRO",
    "AS",
    "DOO",
    "OOO",
    "ZAO",
    "OAO",
    "PAO",
    "AO",
    "PJSC",
    "OJSC",
    "CJSC",
    "JSC",
    "TOO",
    "LLP",
    "FZE",
    "FZCO",
    "FZC",
    "PTE",
    "PTY",
    "PVT",
    "BHD",
    "SDN",
    "TBK",
    "PT",
    "CV",
    "SAC",
    "SAPI",
    "DE",
    "RL",
    "SCA",
    "EIRL",
    "KK",
    "YK",
    "GK",
    "HOLDING",
    "HOLDINGS",
    "GROUP",
    "TRADING",
    "INTERNATIONAL",
    "THE",
];

/// A name brought to comparable form.
#[derive(Debug, Clone, PartialEq)]
pub struct Normalized {
    /// The tokens that carry the name.
    pub tokens: Vec<String>,
    /// Legal forms and honorifics set aside.
    pub noise: Vec<String>,
    /// Every token, noise included, in the name's order.
    pub all: Vec<String>,
    /// Written in a script that leaves short vowels out (Arabic, Hebrew, Syriac, Thaana): its
    /// transliteration is a consonant skeleton.
    pub abjad: bool,
    /// What a score through this form counts for: 1 for most names; less for a name written
    /// in syllables (Hangul, Han characters, kana), whose romanisations are short syllables
    /// that many other names share (see [`crate::romanize::SYLLABIC_WEIGHT`]).
    pub weight: f64,
    /// Whether the screening index gathers names through this form (see
    /// [`normalize_all`]); a form it does not is still scored against the names the others
    /// gather. (A listed name's form that does not gather is scored whenever a form of the
    /// same name is gathered: see [`crate::screen::LISTED_RENDERINGS_GATHERED`].)
    pub gathers: bool,
    /// Whether the tokens are the syllables of words, not words (a Khmer word read syllable
    /// by syllable: see [`crate::romanize::khmer::split_renderings`]): aligned only with a
    /// name of as many tokens or more, so that each is paired. A word's syllables are not
    /// names of their own: សុភារ៉ា is not "So Ra".
    pub whole: bool,
}

impl Normalized {
    pub fn joined(&self) -> String {
        self.tokens.concat()
    }

    /// The name as [`compare_tokens`] takes it.
    pub fn as_ref(&self) -> NameRef<'_, String> {
        NameRef {
            tokens: &self.tokens,
            all: &self.all,
            abjad: self.abjad,
            skeletons: &[],
            whole: self.whole,
        }
    }

    /// The same, with its tokens' consonant skeletons already made (see
    /// [`Normalized::skeletons`]).
    pub fn with_skeletons<'a>(&'a self, skeletons: &'a [String]) -> NameRef<'a, String> {
        NameRef {
            skeletons,
            ..self.as_ref()
        }
    }

    /// Its tokens' consonant skeletons: what comparing it with a name written in an abjad
    /// reads (see [`NameRef::skeletons`]).
    pub fn skeletons(&self) -> Vec<String> {
        self.tokens.iter().map(|t| skeleton(t)).collect()
    }
}

/// A normalised name's tokens, borrowed from wherever they are kept (a [`Normalized`], or the
/// screening index's vocabulary), so that comparing allocates nothing it need not.
#[derive(Debug)]
pub struct NameRef<'a, S> {
    /// The tokens that carry the name.
    pub tokens: &'a [S],
    /// Every token, noise included, in the name's order.
    pub all: &'a [S],
    pub abjad: bool,
    /// The consonant skeletons of `tokens`, one each, when made beforehand (a query's, once
    /// for all the names it is compared with; a listed name's, kept by the index); empty
    /// when not, and made as needed.
    pub skeletons: &'a [S],
    /// See [`Normalized::whole`].
    pub whole: bool,
}

impl<S> Clone for NameRef<'_, S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for NameRef<'_, S> {}

impl fmt::Display for Normalized {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.tokens.join(" "))
    }
}

/// Whether a character is of a script that leaves short vowels out (Hebrew, Arabic, Syriac,
/// Thaana).
fn in_abjad(c: char) -> bool {
    ('\u{0590}'..='\u{08FF}').contains(&c)
}

/// `text` in upper-case ASCII letters and digits, anything else a space. Apostrophes and the
/// like (an ayn, a hamza, a glottal stop, O'Brien) are left out, not split on: "SA`YD" is one
/// word, as "SAID".
fn cleaned(text: &str) -> String {
    any_ascii::any_ascii(text)
        .to_ascii_uppercase()
        .chars()
        .filter(|c| !matches!(c, '\'' | '`' | '"'))
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect()
}

/// Transliterates, folds and tokenises a name.
pub fn normalize(name: &str, t: NameType) -> Normalized {
    let abjad = name.chars().any(in_abjad);
    // The soft sign is not written in Latin letters (Игорьевич is Igorevich).
    let mut name: String = name.chars().filter(|c| !matches!(c, 'ь' | 'Ь')).collect();
    if abjad {
        name = arabic_titles(&name);
    }
    let words = cleaned(&name);
    // A dotted abbreviation is one token ("S.A." is "SA", "L.L.C." is "LLC").
    let raw: Vec<String> = {
        let mut out: Vec<String> = vec![];
        let mut single = String::new();
        for tok in words.split_whitespace() {
            if tok.len() == 1 && t != NameType::Person {
                single.push_str(tok);
                continue;
            }
            if !single.is_empty() {
                out.push(std::mem::take(&mut single));
            }
            out.push(tok.to_owned());
        }
        if !single.is_empty() {
            out.push(single);
        }
        out
    };
    let all = raw.clone();
    let mut latin_titles: Vec<String> = if abjad {
        name.split_whitespace()
            .filter(|w| !w.chars().any(in_abjad))
            .flat_map(|w| {
                cleaned(w)
                    .split_whitespace()
                    .filter(|t| is_title(t))
                    .map(str::to_owned)
                    .collect::<Vec<_>>()
            })
            .collect()
    } else {
        vec![]
    };
    let (mut tokens, mut noise) = (vec![], vec![]);
    for tok in raw {
        // In a name written in an abjad, the titles are those written in its script (see
        // [`ARABIC_TITLES`]) and those of its words in Latin letters ("Dr. محمد"), each once:
        // its other words, transliterated to consonants, would be taken for Latin titles (عمر,
        // Omar, is `MR`, and stays a word of "Mr. عمر").
        let title = if abjad {
            ARABIC_TITLES.iter().any(|(_, latin)| *latin == tok)
                || latin_titles
                    .iter()
                    .position(|t| *t == tok)
                    .map(|i| latin_titles.swap_remove(i))
                    .is_some()
        } else {
            is_title(&tok)
        };
        let is_noise = match t {
            NameType::Person => title,
            NameType::Organization => LEGAL_FORMS.contains(&tok.as_str()),
            NameType::Any => title || LEGAL_FORMS.contains(&tok.as_str()),
        };
        if is_noise {
            noise.push(tok);
        } else {
            tokens.push(tok);
        }
    }
    // A name made only of noise words is kept as it is.
    if tokens.is_empty() {
        std::mem::swap(&mut tokens, &mut noise);
    }
    Normalized {
        tokens,
        noise,
        all,
        abjad,
        weight: 1.0,
        gathers: true,
        whole: false,
    }
}

/// The longest name, in characters, romanised by the systems of its script (see
/// [`normalize_all`]).
pub const MAX_RENDERED: usize = 256;

/// Every form of a name worth comparing: [`normalize`]'s, then those of its renderings in
/// Latin letters by the systems of its script (see [`crate::romanize`]), each once. A name in
/// Latin letters has one. Each form counts for its [`Normalized::weight`]; the index gathers
/// names through those that [`Normalized::gathers`].
pub fn normalize_all(name: &str, t: NameType) -> Vec<Normalized> {
    let mut first = normalize(name, t);
    first.weight = crate::romanize::weight(name);
    let mut out = vec![first];
    // A name is not hundreds of characters long: one that is (a pasted document, a hostile
    // query) is compared as any_ascii writes it, not read word by word through the
    // dictionaries, which would cost time growing with its square.
    if name.chars().count() > MAX_RENDERED {
        return out;
    }
    // A name in the Arabic script gathers through its form as written only (whose consonant
    // skeletons the index matches to Latin spellings): its renderings, with the vowels they
    // supply, would reach most Latin names that share a consonant, at many times the cost;
    // they are scored against what it gathers. (Forms that do not gather come after those
    // that do.)
    let arabic = name.chars().any(crate::romanize::arabic::is_arabic);
    // Titles are set aside in every rendering too (the renderings write alif as `a`, which
    // would leave ملا as `MLA`).
    let titled = if out[0].abjad {
        arabic_titles(name)
    } else {
        name.to_owned()
    };
    let split = crate::romanize::khmer::split_renderings(&titled);
    let renderings = crate::romanize::renderings(&titled)
        .into_iter()
        .map(|r| (r, false));
    for (r, whole) in renderings.chain(split.into_iter().map(|r| (r, true))) {
        let mut n = normalize(&r, t);
        n.abjad = out[0].abjad;
        n.whole = whole;
        n.weight = out[0].weight * crate::romanize::rendering_weight(name);
        n.gathers = !arabic;
        if !n.tokens.is_empty() && !out.iter().any(|o| o.tokens == n.tokens) {
            out.push(n);
        }
    }
    out
}

/// Below this Jaro-Winkler similarity two tokens are treated as different names, not as a
/// variant spelling: their similarity falls steeply (see [`token_similarity`]).
pub const VARIANT_SIM: f64 = 0.90;
/// What two tokens with the same consonant skeleton ("MUHAMMAD" and "MOHAMMED", "HUSAYN" and
/// "HUSSEIN") count for at least: vowels are what transliterations disagree on.
pub const SKELETON_SIM: f64 = 0.92;
/// What two tokens written alike by the national systems of transliteration count for at
/// least ("WLADIMIR" and "VLADIMIR", "POETIN" and "PUTIN"; see [`crate::romanize::fold`]),
/// when Jaro-Winkler gives them 0.70 already.
pub const FOLD_SIM: f64 = 0.95;
const FOLD_FLOOR: f64 = 0.70;
/// Tokens shorter than this are not compared by key: two letters ("YU", "JU") are too few to
/// tell a transliteration from another name.
const FOLD_FROM: usize = 4;

/// What a name written in an abjad scores against one whose words, written together, have the
/// same consonant skeleton (see [`compare_tokens`]).
const JOINED_SKELETON_SIM: f64 = 0.90;

/// Names joined without spaces count when at least this alike (one edit in ten letters).
const JOINED_SIM: f64 = 0.90;

/// One less the edit distance (a transposition is one edit) over the longer length; 0 when it
/// could not reach [`JOINED_SIM`], without computing it.
fn edit_similarity(a: &str, b: &str) -> f64 {
    let (la, lb) = (a.chars().count(), b.chars().count());
    if !joinable(la, lb) {
        return 0.0;
    }
    1.0 - strsim::osa_distance(a, b) as f64 / la.max(lb).max(1) as f64
}

/// Two Latin tokens count as variants by their skeletons only when already this alike, and
/// their skeletons have two consonants or more: "CAARN" and "CROWN", or "SE" and "SA", share a
/// skeleton and nothing else.
const SKELETON_FLOOR: f64 = 0.80;

/// How alike two tokens of a name are, in [0, 1].
///
/// Jaro-Winkler rewards a shared beginning: "HASAN" and "HAMDAN" score 0.86, "HJAI" and
/// "HEJAZI" 0.90. Left as it is, a long common token ("MUHAMMAD") would carry any name that
/// starts like the other. Below [`VARIANT_SIM`] the similarity therefore falls five times as
/// fast (0.85 counts 0.65, 0.80 counts 0.40), to nothing at 0.72; tokens sharing their
/// consonant skeleton (of two consonants or more) count as variants when Jaro-Winkler already
/// gives them 0.80.
pub fn token_similarity(a: &str, b: &str) -> f64 {
    let mut j = jw(a, b);
    if (FOLD_FLOOR..FOLD_SIM).contains(&j)
        && a.len().min(b.len()) >= FOLD_FROM
        && crate::romanize::fold::same(a, b)
    {
        return FOLD_SIM;
    }
    if (SKELETON_FLOOR..SKELETON_SIM).contains(&j)
        && skeleton_chars(a, false).nth(1).is_some()
        && same_skeleton(a, b)
    {
        j = SKELETON_SIM;
    }
    if j >= VARIANT_SIM {
        j
    } else {
        (j - 4.0 * (VARIANT_SIM - j)).max(0.0)
    }
}

/// What a token of `len` letters is credited when it pairs with an initial: 0.9 of the weight
/// an initial carries (that of two letters), spread over the token's own weight. "J" against
/// "JOHN" counts 0.9 on the side of the initial, 0.45 on the side of the name.
pub fn initial_credit(len: usize) -> f64 {
    0.9 * 2.0 / len.max(2) as f64
}

/// What a patronymic left unpaired weighs in the penalty, against another token of its length.
const PATRONYMIC_WEIGHT: f64 = 1.0 / 3.0;

/// How alike token `i` of one name and token `j` of the other are: `token_similarity(a[i],
/// b[j])`, or with `reversed`, `token_similarity(b[j], a[i])`. Through it a comparison's
/// caller may remember pairs from one comparison to the next (see [`compare_tokens_with`]).
pub type PairSim<'s> = &'s dyn Fn(usize, usize, bool) -> f64;

/// [`token_similarity`] over two names' tokens, as a [`PairSim`] remembering nothing.
fn pair_sim<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> impl Fn(usize, usize, bool) -> f64 {
    |i, j, reversed| {
        let (x, y) = (a[i].as_ref(), b[j].as_ref());
        if reversed {
            token_similarity(y, x)
        } else {
            token_similarity(x, y)
        }
    }
}

/// Token alignment: each token of the shorter side paired with its best match on the other.
/// With `initials`, a one-letter token is an initial (it pairs with any token it begins);
/// without, it pairs only with the same letter alone.
fn aligned<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B], initials: bool, pair: PairSim) -> f64 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a.len() <= b.len() {
        aligned_short_long(a, b, initials, &|i, j| pair(i, j, false))
    } else {
        aligned_short_long(b, a, initials, &|i, j| pair(j, i, true))
    }
}

/// [`aligned`] both ways round, the better of the two. Names of different token counts align
/// the same way round whichever leads; names of the same count share each pair's similarity
/// between the two ways.
fn aligned_both<A: AsRef<str>, B: AsRef<str>>(
    a: &[A],
    b: &[B],
    initials: bool,
    pair: PairSim,
) -> f64 {
    let (n, m) = (a.len(), b.len());
    if n != m || n == 0 {
        return aligned(a, b, initials, pair);
    }
    if n * m > 64 {
        return aligned(a, b, initials, pair)
            .max(aligned(b, a, initials, &|i, j, r| pair(j, i, !r)));
    }
    let memo: [std::cell::Cell<f64>; 64] = std::array::from_fn(|_| std::cell::Cell::new(-1.0));
    let sim = |i: usize, j: usize| {
        let slot = &memo[i * m + j];
        if slot.get() < 0.0 {
            slot.set(pair(i, j, false));
        }
        slot.get()
    };
    aligned_short_long(a, b, initials, &sim)
        .max(aligned_short_long(b, a, initials, &|i, j| sim(j, i)))
}

/// `sim(i, j)`: how alike `short[i]` and `long[j]` are, neither an initial.
fn aligned_short_long<A: AsRef<str>, B: AsRef<str>>(
    short: &[A],
    long: &[B],
    initials: bool,
    sim: &dyn Fn(usize, usize) -> f64,
) -> f64 {
    // Which tokens of the longer side are paired: a bit each (names rarely have more than 64
    // tokens; a longer one spills to a vector).
    let mut used_bits = 0u64;
    let mut used_spill = if long.len() > 64 {
        vec![false; long.len()]
    } else {
        vec![]
    };
    let mut is_used = |j: usize, set: bool| -> bool {
        if j < 64 {
            if set {
                used_bits |= 1 << j;
            }
            used_bits & (1 << j) != 0
        } else {
            if set {
                used_spill[j] = true;
            }
            used_spill[j]
        }
    };
    let (mut sum, mut weight) = (0.0, 0.0);
    for (i, s) in short.iter().enumerate() {
        let s = s.as_ref();
        let mut best = (0.0, None);
        for (j, l) in long.iter().enumerate() {
            let l = l.as_ref();
            if is_used(j, false) {
                continue;
            }
            // Initials match the token they abbreviate; a whole token matched by an initial
            // is credited only for the letter the initial gives.
            let sim = if s.len() == 1 || l.len() == 1 {
                if !initials && s.len() != l.len() {
                    0.0
                } else if s.as_bytes()[0] == l.as_bytes()[0] {
                    initial_credit(s.len())
                } else {
                    0.0
                }
            } else {
                sim(i, j)
            };
            if sim > best.0 {
                best = (sim, Some(j));
            }
        }
        if let Some(j) = best.1 {
            is_used(j, true);
        }
        let w = s.len().max(2) as f64;
        sum += best.0 * w;
        weight += w;
    }
    let core = sum / weight;
    // Tokens of the longer name left unpaired lower the score a little (a middle name), not
    // to nothing; a patronymic less still.
    let extra: f64 = long
        .iter()
        .enumerate()
        .filter(|(j, _)| !is_used(*j, false))
        .map(|(_, t)| {
            let t = t.as_ref();
            // (Against a name of one token, which scores as a part of the other at most, a
            // patronymic weighs as any word: "Christopher" is not "Christopher Petrovich".)
            if short.len() > 1 && crate::romanize::fold::is_patronymic(t) {
                t.len() as f64 * PATRONYMIC_WEIGHT
            } else {
                t.len() as f64
            }
        })
        .sum();
    let total: usize = long.iter().map(|t| t.as_ref().len()).sum();
    let penalty = 0.15 * extra / total.max(1) as f64;
    // One name alone ("ABBA") against a name of several ("ABU ABBAS") confirms too little.
    let single = if short.len() == 1 && long.len() > 1 {
        0.9
    } else {
        1.0
    };
    ((core - penalty) * single).max(0.0)
}

/// What a match between two forms of these weights counts for: the lesser weight, but a whole
/// match when both are less than whole. Two names in syllables (or two Arabic renderings) are
/// compared like with like, as written or through the same romanisers; one against a name in
/// Latin letters only through a romanisation.
pub fn combined_weight(a: f64, b: f64) -> f64 {
    if a < 1.0 && b < 1.0 { 1.0 } else { a.min(b) }
}

/// How alike two names are, in [0, 1]: the best of their forms (see [`normalize_all`]).
pub fn compare(a: &str, b: &str, t: NameType) -> f64 {
    let (fa, fb) = (normalize_all(a, t), normalize_all(b, t));
    fa.iter()
        .flat_map(|x| {
            fb.iter()
                .map(move |y| compare_normalized(x, y) * combined_weight(x.weight, y.weight))
        })
        .fold(0.0, f64::max)
}

pub fn compare_normalized(a: &Normalized, b: &Normalized) -> f64 {
    compare_tokens(a.as_ref(), b.as_ref())
}

/// The length of the tokens written together.
fn joined_len<S: AsRef<str>>(tokens: &[S]) -> usize {
    tokens.iter().map(|t| t.as_ref().len()).sum()
}

/// Whether two joined forms of these lengths could be alike enough to count (see
/// [`edit_similarity`]): when not, they are not built.
fn joinable(la: usize, lb: usize) -> bool {
    (la.abs_diff(lb) as f64) <= (1.0 - JOINED_SIM) * la.max(lb).max(1) as f64
}

/// The most two names' joined forms could score by [`edit_similarity`], or 0 when they could not
/// count (lengths too far apart, or letters: an edit changes at most one letter's count on
/// each side, so the letters one side has and the other lacks bound the edit distance from
/// below, the bag distance).
fn joined_bound<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> f64 {
    if !joinable(joined_len(a), joined_len(b)) {
        return 0.0;
    }
    let bytes_a = a.iter().flat_map(|t| t.as_ref().bytes());
    let bytes_b = b.iter().flat_map(|t| t.as_ref().bytes());
    let mut counts = [0i32; 256];
    for c in bytes_a.clone() {
        counts[usize::from(c)] += 1;
    }
    for c in bytes_b.clone() {
        counts[usize::from(c)] -= 1;
    }
    // Each letter's difference read once (and cleared), through the letters themselves rather
    // than the whole table.
    let (mut more, mut fewer) = (0i32, 0i32);
    for c in bytes_a.chain(bytes_b) {
        let d = std::mem::take(&mut counts[usize::from(c)]);
        if d > 0 {
            more += d;
        } else {
            fewer -= d;
        }
    }
    let bag = more.max(fewer) as f64;
    let longest = joined_len(a).max(joined_len(b)).max(1) as f64;
    let bound = 1.0 - bag / longest;
    if bound >= JOINED_SIM { bound } else { 0.0 }
}

fn concat<S: AsRef<str>>(tokens: &[S]) -> String {
    let mut out = String::with_capacity(joined_len(tokens));
    for t in tokens {
        out.push_str(t.as_ref());
    }
    out
}

/// [`compare_normalized`] over borrowed tokens.
pub fn compare_tokens<A: AsRef<str>, B: AsRef<str>>(a: NameRef<'_, A>, b: NameRef<'_, B>) -> f64 {
    compare_tokens_with(a, b, &pair_sim(a.tokens, b.tokens))
}

/// [`compare_tokens`], asking `pair` how alike the tokens of `a` and `b` are (`a.tokens[i]`
/// and `b.tokens[j]`): a caller comparing one name with many remembers the pairs it has seen.
pub fn compare_tokens_with<A: AsRef<str>, B: AsRef<str>>(
    a: NameRef<'_, A>,
    b: NameRef<'_, B>,
    pair: PairSim,
) -> f64 {
    if a.tokens.is_empty() || b.tokens.is_empty() {
        return 0.0;
    }
    // Greedy pairing depends on which side leads: take the better of both, so the score is
    // symmetric.
    // A name of syllables aligns only with one of as many tokens or more (see
    // [`Normalized::whole`]).
    // (Its syllables set aside as noise count: សារ៉ា, `sa ra`, would otherwise be "Ra" alone
    // for a name of any kind, SA a legal form.)
    let whole_unpaired =
        (a.whole && a.all.len() > b.tokens.len()) || (b.whole && b.all.len() > a.tokens.len());
    let align = if whole_unpaired {
        0.0
    } else {
        aligned_both(a.tokens, b.tokens, true, pair)
    };
    // Joined forms are compared by edit distance, transpositions counted once: Jaro-Winkler
    // over long strings is generous to any two names that begin alike ("ABDULHADI" and
    // "ABDULQADIR"), and they only count when nearly equal. (Tokens sorted join to the same
    // length as tokens in order.)
    // Each is computed only when its bound (see [`joined_bound`]) could beat what is found
    // already; without noise words on either side, every token is a token that carries.
    let tokens_bound = joined_bound(a.tokens, b.tokens);
    let all_bound = if a.all.len() == a.tokens.len() && b.all.len() == b.tokens.len() {
        0.0
    } else {
        joined_bound(a.all, b.all)
    };
    // A name of syllables some of which were set aside is joined with them only.
    let whole_noise =
        (a.whole && a.all.len() != a.tokens.len()) || (b.whole && b.all.len() != b.tokens.len());
    let mut joined = 0.0f64;
    if tokens_bound > align && !whole_noise {
        joined = edit_similarity(&concat(a.tokens), &concat(b.tokens));
    }
    if all_bound > align.max(joined) {
        joined = joined.max(edit_similarity(&concat(a.all), &concat(b.all)));
    }
    let sorted = if joined < JOINED_SIM && tokens_bound > align.max(joined) && !whole_noise {
        let mut sa: Vec<&str> = a.tokens.iter().map(AsRef::as_ref).collect();
        let mut sb: Vec<&str> = b.tokens.iter().map(AsRef::as_ref).collect();
        sa.sort_unstable();
        sb.sort_unstable();
        edit_similarity(&sa.concat(), &sb.concat())
    } else {
        0.0
    };
    let joined_best = joined.max(sorted);
    let joined_term = if joined_best >= JOINED_SIM {
        joined_best
    } else {
        0.0
    };
    // Against a name written in an abjad, compare consonant skeletons too, a little discounted.
    // A skeleton of one consonant is a whole name's ("WALI", "ALI"), not an initial: it pairs
    // with the same consonant alone ("ALI" and "LY"), not with any skeleton that begins with
    // it ("WALI" is not "LUNDIN").
    let skeleton_term = if (a.abjad || b.abjad) && !whole_unpaired {
        fn own<S: AsRef<str>>(tokens: &[S]) -> Vec<String> {
            tokens.iter().map(|t| skeleton(t.as_ref())).collect()
        }
        fn skeletons_aligned<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> f64 {
            aligned_both(a, b, false, &pair_sim(a, b))
        }
        let sim = match (
            a.skeletons.len() == a.tokens.len(),
            b.skeletons.len() == b.tokens.len(),
        ) {
            (true, true) => skeletons_aligned(a.skeletons, b.skeletons),
            (true, false) => skeletons_aligned(a.skeletons, &own(b.tokens)),
            (false, true) => skeletons_aligned(&own(a.tokens), b.skeletons),
            (false, false) => skeletons_aligned(&own(a.tokens), &own(b.tokens)),
        };
        0.95 * sim
    } else {
        0.0
    };
    // Written as one word on one side and as two or more on the other ("WALIJAN" and "ولی جان"):
    // the whole names' skeletons, when equal (of three consonants or more).
    let joined_skeleton = if (a.abjad || b.abjad)
        && a.tokens.len().min(b.tokens.len()) == 1
        && a.tokens.len() != b.tokens.len()
        && align.max(joined_term).max(skeleton_term) < JOINED_SKELETON_SIM
    {
        let (ka, kb) = (skeleton(&concat(a.tokens)), skeleton(&concat(b.tokens)));
        if ka.len() >= 3 && ka == kb {
            JOINED_SKELETON_SIM
        } else {
            0.0
        }
    } else {
        0.0
    };
    align
        .max(joined_term)
        .max(skeleton_term)
        .max(joined_skeleton)
        .clamp(0.0, 1.0)
}

#[cfg(test)]
mod tests;
