//! Names in the Arabic script (Arabic, Persian, Urdu, Pashto), in the forms their Latin
//! transliterations take:
//! - `عبد` (servant of) joined to the name after it ("Abdullah", "Abdulrahman", "Abdel
//!   Rahman") or a word of its own ("Abd al-Rahman");
//! - the article `ال` a word of its own ("al-Tikriti") or dropped ("Tikriti"), beside the
//!   name as written, where it is joined ("Altikriti");
//! - a final ta marbuta `ة` as `a` ("Fatima"), as well as `h` ("Fatimah");
//! - alif within a word as `a`, and `ث` as `s` (Persian and Urdu: "Saqib", "Usman");
//! - Abd written joined to the name before it split off, and the endings of tribal and family
//!   names (-khel, -zai, -zada) written apart joined to it ("Shahidkhel").
//!
//! Long vowels and the rest are left to `any_ascii` and to the consonant skeletons the
//! comparison uses for names written in an abjad.

/// Whether a character is of the Arabic script.
pub fn is_arabic(c: char) -> bool {
    ('\u{0600}'..='\u{06FF}').contains(&c) || ('\u{0750}'..='\u{077F}').contains(&c)
}

const ABD: &str = "عبد";
const ARTICLE: &str = "ال";
/// Words joined to the name before them, article and all (Hidayatullah, Jalaluddin): Allah
/// (in Arabic and in Urdu's letters) and al-Din.
const JOINED_AFTER: &[&str] = &["الله", "اللہ", "الدين", "الدین"];

/// Endings of tribal and family names, joined to the word before them (see [`render`]):
/// -khel, -zai, -zada.
const JOINED_ENDINGS: &[&str] = &["خيل", "خیل", "خېل", "زی", "زي", "زائی", "زاده", "زادہ"];

#[derive(Clone, Copy, PartialEq)]
enum Article {
    Split,
    Dropped,
}

/// How `عبد` and the name after it are written.
#[derive(Clone, Copy, PartialEq)]
enum Abd {
    /// Abd al-Rahman.
    Apart,
    /// Abdulrahman, Abdullah.
    Joined,
    /// Abdul Rahman.
    Abdul,
}

fn render(name: &str, abd: Abd, article: Article) -> String {
    // Abd written joined to the name after it is split off first ("عبدالرحمن" is "عبد الرحمن").
    // So is Abd written joined to the name before it ("محمدعبد البصير" is Mohammad Abdul Basir).
    let mut words: Vec<String> = vec![];
    for w in name.split_whitespace() {
        let (w, abd_after) = match w.strip_suffix(ABD) {
            Some(before) if before.chars().count() >= 3 => (before, true),
            _ => (w, false),
        };
        match w.strip_prefix(ABD) {
            Some(rest) if rest.chars().count() >= 2 => {
                words.push(ABD.to_owned());
                words.push(rest.to_owned());
            }
            _ => words.push(w.to_owned()),
        }
        if abd_after {
            words.push(ABD.to_owned());
        }
    }
    // The Pashto and Persian endings of tribal and family names written apart (شهيد خيل,
    // اسحاق زی, کاکا زاده) are joined, as Latin letters write them (Shahidkhel, Ishakzai,
    // Kakazada).
    let mut joined: Vec<String> = vec![];
    for w in words {
        match joined.last_mut() {
            Some(last) if JOINED_ENDINGS.contains(&w.as_str()) && last != ABD => last.push_str(&w),
            _ => joined.push(w),
        }
    }
    let words = joined;
    let mut out: Vec<String> = vec![];
    let mut after_abd = false;
    for mut w in words {
        // A final ta marbuta is written a (Fatima).
        if w.ends_with('ة') {
            w.pop();
            w.push('a');
        }
        let (has_article, bare) = match w.strip_prefix(ARTICLE) {
            Some(rest) if rest.chars().count() >= 2 => (true, rest.to_owned()),
            _ => (false, w.clone()),
        };
        let joins_after = JOINED_AFTER.contains(&w.as_str()) && !out.is_empty();
        let last = out.len().wrapping_sub(1);
        if after_abd && abd == Abd::Joined {
            // Abdulrahman, Abdullah.
            out[last].push_str(if has_article { "ul" } else { "" });
            out[last].push_str(&bare);
        } else if after_abd && abd == Abd::Abdul && has_article {
            // Abdul Rahman.
            out[last].push_str("ul");
            out.push(bare);
        } else if abd != Abd::Apart && joins_after {
            // X Allah, X al-Din as one word: Hidayatullah, Jalaluddin.
            out[last].push('u');
            out[last].push_str(&bare);
        } else {
            if has_article && article == Article::Split {
                out.push("al".to_owned());
            }
            out.push(bare);
        }
        after_abd = w == ABD;
    }
    // Alif is a long a (any_ascii leaves it out, which makes ط and ه of طاهر one "th"); ث is
    // s as Persian and Urdu say it and their Latin forms write it (Saqib, Usman), where
    // any_ascii writes th.
    // An alif that begins a word carries its vowel and is left as any_ascii leaves it.
    let mut initial = true;
    out.join(" ")
        .chars()
        .map(|c| {
            let mapped = match c {
                'ا' | 'أ' | 'إ' | 'آ' | 'ٱ' if !initial => 'a',
                'ث' => 's',
                c => c,
            };
            initial = c == ' ';
            mapped
        })
        .collect()
}

/// The renderings of a name written in the Arabic script, or none when it has none of it.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_arabic) {
        return vec![];
    }
    // The rendering nearest the forms lists write (Abdullah, Tikriti) first: the screening
    // index gathers names through it alone (see [`crate::names::normalize_all`]).
    let mut out = vec![render(name, Abd::Joined, Article::Dropped)];
    for abd in [Abd::Apart, Abd::Joined, Abd::Abdul] {
        for article in [Article::Split, Article::Dropped] {
            super::push_new(&mut out, render(name, abd, article));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abd_the_article_and_ta_marbuta() {
        let r = renderings("عبد الله");
        assert_eq!(r[0], "عبدulله");
        let r = renderings("صدام حسين التكريتي");
        assert!(renderings("آل سعود")[0].starts_with('آ'));
        assert!(r.contains(&"صدaم حسين al تكريتي".to_owned()), "{r:?}");
        assert!(r.contains(&"صدaم حسين تكريتي".to_owned()), "{r:?}");
        assert!(renderings("فاطمة")[0].ends_with('a'));
        assert!(renderings("هدايت الله").contains(&"هدaيتuله".to_owned()));
        let r = renderings("عبدالرحمان زاهد");
        for expected in ["عبد al رحمaن زaهد", "عبدulرحمaن زaهد", "عبدul رحمaن زaهد"]
        {
            assert!(r.contains(&expected.to_owned()), "{expected}: {r:?}");
        }
        assert!(renderings("Smith").is_empty());
    }

    #[test]
    fn abd_joined_before_and_tribal_endings() {
        let r = renderings("نظر محمدعبد البصیر");
        assert!(r.contains(&"نظر محمد عبدul بصیر".to_owned()), "{r:?}");
        let r = renderings("سيد أحمد شهيد خيل");
        assert!(r.iter().any(|x| x.ends_with("شهيدخيل")), "{r:?}");
        // An ending alone, or after Abd, stays a word.
        assert!(renderings("زاده")[0].contains("زaده"));
    }
}
