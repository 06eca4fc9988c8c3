//! Chinese names, romanised in Hanyu Pinyin (through the `pinyin` crate's readings) and in
//! Wade–Giles, each word (a given name) written as one (`Xi Jinping`, `Hsi Chinping`): the
//! comparison of names written together matches them to the syllables apart (`Xi Jin Ping`,
//! `Hsi Chin-p'ing`), and the order (surname first or last) it already ignores.

use pinyin::ToPinyin;

/// Surnames a reading of its own, where the character's commonest reading is another (单 is
/// `dan` but the surname `Shan`), and the two-character surnames.
const SURNAMES: &[(&str, &str)] = &[
    ("欧阳", "ouyang"),
    ("司马", "sima"),
    ("诸葛", "zhuge"),
    ("上官", "shangguan"),
    ("司徒", "situ"),
    ("东方", "dongfang"),
    ("皇甫", "huangfu"),
    ("尉迟", "yuchi"),
    ("公孙", "gongsun"),
    ("慕容", "murong"),
    ("长孙", "zhangsun"),
    ("令狐", "linghu"),
    ("夏侯", "xiahou"),
    ("单", "shan"),
    ("曾", "zeng"),
    ("解", "xie"),
    ("仇", "qiu"),
    ("朴", "piao"),
    ("查", "zha"),
    ("区", "ou"),
    ("盖", "ge"),
    ("乐", "yue"),
    ("覃", "qin"),
    ("翟", "zhai"),
    ("缪", "miao"),
    ("秘", "bi"),
    ("召", "shao"),
    ("种", "chong"),
    ("员", "yun"),
    ("柏", "bai"),
    ("繁", "po"),
    ("洗", "xian"),
    ("冼", "xian"),
    ("尉", "wei"),
];

/// Whether a character has a pinyin reading (a Han character the crate knows).
pub fn is_han(c: char) -> bool {
    c.to_pinyin().is_some()
}

/// A run of Han characters in pinyin, a syllable each; `None` if any has no reading.
pub fn syllables(w: &str) -> Option<Vec<String>> {
    w.to_pinyin()
        .map(|p| p.map(|p| p.plain().to_owned()))
        .collect()
}

/// The Latin renderings of a name written in Han characters, or none when it has none.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_han) {
        return vec![];
    }
    // Words split where the name is (spaces, the middle dot of transcribed foreign names).
    let words: Vec<&str> = name
        .split(|c: char| c.is_whitespace() || matches!(c, '·' | '・' | '•' | '‧'))
        .filter(|w| !w.is_empty())
        .collect();
    let mut split: Vec<Vec<String>> = vec![];
    for (at, w) in words.iter().enumerate() {
        if !w.chars().all(is_han) {
            split.push(vec![w.to_lowercase()]);
            continue;
        }
        // The surname begins the first word of a name written as one.
        let (head, rest) = match SURNAMES
            .iter()
            .find(|(s, _)| at == 0 && w.starts_with(s) && w.chars().count() > s.chars().count())
        {
            Some((s, reading)) => (Some((*reading).to_owned()), &w[s.len()..]),
            None => (None, *w),
        };
        let Some(mut syl) = syllables(rest) else {
            return vec![];
        };
        if let Some(h) = head {
            split.push(vec![h]);
        } else if at == 0 && words.len() == 1 && syl.len() >= 2 {
            split.push(vec![syl.remove(0)]);
        }
        split.push(syl);
    }
    let mut out = vec![];
    let mut push = |s: String| super::push_new(&mut out, s);
    let joined = |f: &dyn Fn(&str) -> String| -> String {
        split
            .iter()
            .map(|w| w.iter().map(|s| f(s)).collect::<String>())
            .collect::<Vec<_>>()
            .join(" ")
    };
    // Each word written as one (a given name "Jinping", not "Jin Ping"): the comparison of
    // names written together matches it to the syllables apart, and a syllable alone does not
    // pass for the whole.
    push(joined(&|s: &str| s.to_owned()));
    push(joined(&|s: &str| wade_giles(s)));
    out
}

/// A pinyin syllable (without tones) in Wade–Giles, without its apostrophes and umlauts (as a
/// name reads once folded to ASCII): `zhou` `chou`, `xi` `hsi`, `zedong` `tse tung`.
pub fn wade_giles(syl: &str) -> String {
    // ü is u once folded, and the rules below are written so (lüe is lueh).
    let folded = syl.replace('ü', "u");
    let syl = folded.as_str();
    // Whole syllables that do not follow the rules below.
    let whole = match syl {
        "zi" | "ci" => Some("tzu"),
        "si" => Some("ssu"),
        "zhi" | "chi" => Some("chih"),
        "shi" => Some("shih"),
        "ri" => Some("jih"),
        "er" => Some("erh"),
        "yi" => Some("i"),
        "you" => Some("yu"),
        "yan" => Some("yen"),
        "ye" => Some("yeh"),
        "yong" => Some("yung"),
        "yue" => Some("yueh"),
        "yuan" => Some("yuan"),
        "wu" => Some("wu"),
        "e" => Some("o"),
        "ge" => Some("ko"),
        "ke" => Some("ko"),
        "he" => Some("ho"),
        "le" => Some("le"),
        "lue" => Some("lueh"),
        "nue" => Some("nueh"),
        _ => None,
    };
    if let Some(w) = whole {
        return w.to_owned();
    }
    let (initial, rest) = [
        ("zh", "ch"),
        ("ch", "ch"),
        ("sh", "sh"),
        ("b", "p"),
        ("p", "p"),
        ("d", "t"),
        ("t", "t"),
        ("g", "k"),
        ("k", "k"),
        ("j", "ch"),
        ("q", "ch"),
        ("x", "hs"),
        ("z", "ts"),
        ("c", "ts"),
        ("r", "j"),
        ("h", "h"),
        ("f", "f"),
        ("l", "l"),
        ("m", "m"),
        ("n", "n"),
        ("s", "s"),
        ("w", "w"),
        ("y", "y"),
    ]
    .iter()
    .find(|(p, _)| syl.starts_with(p))
    .map(|(p, w)| (*w, &syl[p.len()..]))
    .unwrap_or(("", syl));
    let final_ = match rest {
        "ong" => "ung",
        "iong" => "iung",
        "ian" => "ien",
        "ie" => "ieh",
        "ue" => "ueh",
        "ui" if initial == "k" => "uei",
        "uo" if !matches!(initial, "k" | "h" | "sh") => "o",
        other => other,
    };
    format!("{initial}{final_}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_and_wade_giles() {
        let r = renderings("习近平");
        assert_eq!(r, ["xi jinping", "hsi chinping"]);
        assert_eq!(renderings("明宏 高"), ["minghong gao", "minghung kao"]);
        assert_eq!(wade_giles("lüe"), "lueh");
        assert_eq!(wade_giles("lü"), "lu");
        let r = renderings("毛泽东");
        assert!(r.contains(&"mao tsetung".to_owned()), "{r:?}");
        assert!(renderings("单雄信")[0].starts_with("shan "));
        assert!(renderings("欧阳修")[0].starts_with("ouyang "));
        assert!(renderings("Smith").is_empty());
    }
}
