//! Korean names in Hangul, romanised the ways they are written in Latin letters: the Revised
//! Romanization (RR, South Korea's official system since 2000: 김정은 `Gim Jeong-eun`),
//! McCune–Reischauer without its breves and apostrophes (MR: `Kim Chong-un`), the form North
//! Korea's own releases use (RR's consonants, MR's vowels: `Kim Jong Un`) and the one South
//! Koreans commonly choose (`Park Ji Sung`, ㅓ as `u`), with the surnames as people write them
//! (김 Kim/Gim, 박 Park/Pak/Bak, 이 Lee/Yi/Rhee/I/Ri).
//!
//! Names are romanised syllable by syllable: RR's rule for personal names is that the sound
//! changes between the syllables of a given name are not written.

/// The initial consonants, in Unicode's order: RR and MR (word-initial) forms.
const INITIAL_RR: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p",
    "h",
];
const INITIAL_MR: [&str; 19] = [
    "k", "kk", "n", "t", "tt", "r", "m", "p", "pp", "s", "ss", "", "ch", "tch", "ch", "k", "t",
    "p", "h",
];
/// MR voices ㄱ ㄷ ㅂ ㅈ between voiced sounds (대중 `Tae-jung`).
const INITIAL_MR_VOICED: [&str; 19] = [
    "g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "tch", "ch", "k", "t", "p",
    "h",
];

/// The vowels, in Unicode's order: RR, and MR without breves (ㅓ `o`, ㅡ `u`).
const VOWEL_RR: [&str; 21] = [
    "a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];
const VOWEL_MR: [&str; 21] = [
    "a", "ae", "ya", "yae", "o", "e", "yo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "u", "ui", "i",
];
/// As South Koreans commonly write their names: ㅓ `u` (정 Jung, 성 Sung, 현 Hyun), ㅡ `eu`.
const VOWEL_COMMON: [&str; 21] = [
    "a", "ae", "ya", "yae", "u", "e", "yu", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we",
    "wi", "yu", "eu", "ui", "i",
];

/// The final consonants (none first), as RR and MR write them at the end of a syllable.
const FINAL: [&str; 28] = [
    "", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p",
    "t", "t", "ng", "t", "t", "k", "t", "p", "t",
];

/// Surnames as people write them, the RR form first where it is one of them. Two-syllable
/// surnames first, so that 남궁 is read as one.
const SURNAMES: &[(&str, &[&str])] = &[
    ("남궁", &["namgung", "namkoong", "namkung"]),
    ("황보", &["hwangbo", "hwangpo"]),
    ("제갈", &["jegal", "chegal"]),
    ("선우", &["seonu", "sunwoo", "sonu"]),
    ("독고", &["dokgo", "tokko"]),
    ("사공", &["sagong", "sakong"]),
    ("김", &["gim", "kim"]),
    ("이", &["i", "lee", "yi", "rhee", "ri", "ree"]),
    ("리", &["ri", "lee", "yi"]),
    ("박", &["bak", "park", "pak"]),
    ("최", &["choe", "choi", "choy"]),
    ("정", &["jeong", "jung", "chung", "jong", "chong"]),
    ("강", &["gang", "kang"]),
    ("조", &["jo", "cho"]),
    ("윤", &["yun", "yoon"]),
    ("장", &["jang", "chang"]),
    ("임", &["im", "lim", "rim"]),
    ("림", &["rim", "lim", "im"]),
    ("한", &["han"]),
    ("오", &["o", "oh"]),
    ("서", &["seo", "suh", "so"]),
    ("신", &["sin", "shin"]),
    ("권", &["gwon", "kwon"]),
    ("황", &["hwang"]),
    ("안", &["an", "ahn"]),
    ("송", &["song"]),
    ("류", &["ryu", "yoo", "yu", "ryoo", "rhyu"]),
    ("유", &["yu", "yoo"]),
    ("홍", &["hong"]),
    ("전", &["jeon", "jun", "chun", "chon"]),
    ("고", &["go", "ko"]),
    ("문", &["mun", "moon"]),
    ("양", &["yang"]),
    ("손", &["son", "sohn"]),
    ("배", &["bae", "pae"]),
    ("백", &["baek", "paik", "baik", "paek"]),
    ("허", &["heo", "huh", "hur", "ho"]),
    ("노", &["no", "noh", "roh", "ro"]),
    ("로", &["ro", "roh", "no"]),
    ("남", &["nam"]),
    ("심", &["sim", "shim"]),
    ("하", &["ha"]),
    ("주", &["ju", "joo", "chu"]),
    ("구", &["gu", "koo", "ku"]),
    ("성", &["seong", "sung"]),
    ("차", &["cha"]),
    ("우", &["u", "woo"]),
    ("민", &["min"]),
    ("나", &["na", "ra"]),
    ("라", &["ra", "na"]),
    ("진", &["jin", "chin"]),
    ("지", &["ji", "chi"]),
    ("엄", &["eom", "um", "om"]),
    ("채", &["chae"]),
    ("원", &["won"]),
    ("방", &["bang", "pang"]),
    ("공", &["gong", "kong"]),
    ("현", &["hyeon", "hyun"]),
    ("함", &["ham"]),
    ("변", &["byeon", "byun", "pyon"]),
    ("염", &["yeom", "yum"]),
    ("여", &["yeo", "yuh"]),
    ("추", &["chu", "choo"]),
    ("도", &["do", "toh"]),
    ("소", &["so"]),
    ("석", &["seok", "suk"]),
    ("선", &["seon", "sun"]),
    ("설", &["seol", "sul"]),
    ("마", &["ma"]),
    ("길", &["gil", "kil"]),
    ("연", &["yeon", "yun"]),
    ("위", &["wi", "wee"]),
    ("표", &["pyo"]),
    ("명", &["myeong", "myung"]),
    ("기", &["gi", "ki"]),
    ("반", &["ban", "pan"]),
    ("왕", &["wang"]),
    ("금", &["geum", "keum"]),
    ("옥", &["ok"]),
    ("육", &["yuk"]),
    ("인", &["in"]),
    ("맹", &["maeng"]),
    ("제", &["je"]),
    ("모", &["mo"]),
    ("탁", &["tak"]),
    ("국", &["guk", "kook"]),
    ("경", &["gyeong", "kyung"]),
    ("봉", &["bong"]),
    ("편", &["pyeon", "pyun"]),
    ("용", &["yong"]),
    ("예", &["ye"]),
];

/// Han characters' Korean readings (KANJIDIC2's; see `data/README.md`).
static HANJA: std::sync::LazyLock<std::collections::HashMap<char, char>> =
    std::sync::LazyLock::new(|| {
        include_str!("../../data/hanja.tsv")
            .lines()
            .filter_map(|l| {
                let (k, r) = l.split_once('\t')?;
                Some((k.chars().next()?, r.chars().next()?))
            })
            .collect()
    });

/// A name in Han characters as Korean reads them (金正恩 김정은), or `None` when it has a
/// character with no Korean reading.
pub fn from_hanja(name: &str) -> Option<String> {
    name.chars()
        .map(|c| {
            if c.is_whitespace() {
                Some(c)
            } else {
                HANJA.get(&c).copied()
            }
        })
        .collect()
}

/// Whether a name in Hangul has the shape of a Korean name: one word of two to four syllables
/// beginning with a surname.
pub fn is_korean_name(name: &str) -> bool {
    let n = name.chars().count();
    !name.contains(char::is_whitespace) && (2..=4).contains(&n) && surname(name).is_some()
}

/// Whether a character is a Hangul syllable.
pub fn is_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// A syllable's (initial, vowel, final) indices.
fn jamo(c: char) -> (usize, usize, usize) {
    let s = c as usize - 0xAC00;
    (s / (21 * 28), (s / 28) % 21, s % 28)
}

#[derive(Clone, Copy)]
enum System {
    Rr,
    Mr,
    /// RR's consonants with MR's vowels, as North Korea writes names (`Kim Jong Un`).
    North,
    /// As South Koreans commonly write their names (`Park Ji Sung`).
    Common,
}

/// One syllable in `system`; `after` is the final of the syllable before it in the same word
/// (`None` at the start of a word).
fn syllable(c: char, system: System, after: Option<usize>) -> String {
    let (i, v, f) = jamo(c);
    let initial = match system {
        System::Rr | System::North | System::Common => INITIAL_RR[i],
        System::Mr => match after {
            // After a vowel or a voiced final (n, l, m, ng), MR voices the plain stops.
            Some(0 | 4 | 8 | 16 | 21) => INITIAL_MR_VOICED[i],
            _ => INITIAL_MR[i],
        },
    };
    let vowel = match system {
        System::Rr => VOWEL_RR[v],
        System::Mr | System::North => VOWEL_MR[v],
        System::Common => VOWEL_COMMON[v],
    };
    let mut out = String::with_capacity(6);
    out.push_str(initial);
    out.push_str(vowel);
    out.push_str(FINAL[f]);
    out
}

/// A word's syllables in `system`, with the final of the one before taken into account.
fn word(w: &str, system: System) -> Vec<String> {
    let mut out = vec![];
    let mut after = None;
    for c in w.chars() {
        if is_syllable(c) {
            out.push(syllable(c, system, after));
            after = Some(jamo(c).2);
        } else {
            after = None;
        }
    }
    out
}

/// The syllables of a word in RR, each as RR writes it alone (what an RR romaniser gives for
/// one syllable).
pub fn revised(w: &str) -> Vec<String> {
    word(w, System::Rr)
}

/// The surname a name begins with, if it is one of [`SURNAMES`]: its length in characters and
/// its forms.
fn surname(name: &str) -> Option<(usize, &'static [&'static str])> {
    SURNAMES
        .iter()
        .find(|(s, _)| name.starts_with(s) && name.chars().count() > s.chars().count())
        .map(|(s, forms)| (s.chars().count(), *forms))
}

/// The Latin renderings of a name written in Hangul (words of other scripts kept as they are),
/// or none when it has no Hangul.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_syllable) {
        return vec![];
    }
    let words: Vec<&str> = name.split_whitespace().collect();
    // The surname: a word of its own that is one ("김 정은"), or the beginning of a name
    // written as one word ("김정은"). Korean writes the surname first.
    let (surname_forms, rest): (Option<&[&str]>, Vec<String>) = match words.as_slice() {
        [first, more @ ..] if !more.is_empty() && SURNAMES.iter().any(|(s, _)| s == first) => {
            let forms = SURNAMES.iter().find(|(s, _)| s == first).map(|(_, f)| *f);
            (forms, more.iter().map(|w| (*w).to_owned()).collect())
        }
        [only] => match surname(only) {
            Some((n, forms)) => (Some(forms), vec![only.chars().skip(n).collect()]),
            None => (None, vec![(*only).to_owned()]),
        },
        _ => (None, words.iter().map(|w| (*w).to_owned()).collect()),
    };
    let given = |system: System| -> String {
        rest.iter()
            .map(|w| {
                // A given name is written as one word ("Jongun"): the comparison of names
                // written together matches it to "Jong Un" and "Jong-un", and a syllable
                // alone does not pass for the whole.
                if w.chars().any(is_syllable) {
                    word(w, system).concat()
                } else {
                    w.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    };
    let mut out = vec![];
    let mut push = |s: String| super::push_new(&mut out, s);
    match surname_forms {
        Some(forms) => {
            let rr = forms[0];
            // The form each system gives the surname: RR's own, and the first that is not
            // (Kim, Lee, Park) for the others.
            let usual = forms.get(1).copied().unwrap_or(rr);
            push(format!("{rr} {}", given(System::Rr)));
            push(format!("{usual} {}", given(System::Mr)));
            push(format!("{usual} {}", given(System::North)));
            for form in forms {
                push(format!("{form} {}", given(System::Common)));
            }
            // North Korea writes 리 and 이 as Ri, 림 and 임 as Rim, 로 and 노 as Ro.
            for north in ["ri", "rim", "ro"] {
                if forms.contains(&north) {
                    push(format!("{north} {}", given(System::North)));
                }
            }
        }
        None => {
            for system in [System::Rr, System::Mr, System::North, System::Common] {
                push(given(system));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_systems_and_the_surnames() {
        let r = renderings("김정은");
        for expected in ["gim jeongeun", "kim chongun", "kim jongun", "kim jungeun"] {
            assert!(r.contains(&expected.to_owned()), "{expected}: {r:?}");
        }
        let r = renderings("박지성");
        assert!(r.contains(&"park jisung".to_owned()), "{r:?}");
        assert!(r.contains(&"bak jiseong".to_owned()), "{r:?}");
        let r = renderings("이 명박");
        for expected in [
            "lee myungbak",
            "yi myungbak",
            "rhee myungbak",
            "i myeongbak",
        ] {
            assert!(r.contains(&expected.to_owned()), "{expected}: {r:?}");
        }
        // MR voices a plain stop between voiced sounds.
        assert!(renderings("김대중").contains(&"kim taejung".to_owned()));
        assert!(renderings("남궁민").contains(&"namgung min".to_owned()));
        assert!(renderings("Smith").is_empty());
        let read = from_hanja("金正恩").unwrap();
        assert_eq!(read, "김정은");
        assert!(is_korean_name(&read));
        assert!(!is_korean_name(&from_hanja("静 林").unwrap()));
        assert!(renderings(&read).contains(&"kim jongun".to_owned()));
    }
}
