//! Names in the Arabic script (Arabic, Persian, Urdu, Pashto), in the forms their Latin
//! transliterations take:
//! - `عبد` (servant of) joined to the name after it ("Abdullah", "Abdulrahman", "Abdel
//!   Rahman") or a word of its own ("Abd al-Rahman");
//! - the article `ال` a word of its own ("al-Tikriti") or dropped ("Tikriti"), beside the
//!   name as written, where it is joined ("Altikriti");
//! - a final ta marbuta `ة` as `a` ("Fatima"), as well as `h` ("Fatimah");
//! - alif within a word as `a`, and `ث` as `s` (Persian and Urdu: "Saqib", "Usman");
//! - Abd written joined to the name before it split off, and the endings of tribal and family
//!   names (-khel, -zai, -zada) written apart joined to it ("Shahidkhel");
//! - Abu written joined to the name after it split off ("Abu Ghaith"), al-Rahman joined to
//!   the name before it as al-Din is ("Azizurrahman"), Allah written whole where it stands
//!   alone ("Abd Allah");
//! - `ث` also as `th` ("Uthman"), in the two forms nearest the lists';
//! - a vowel between two letters that Latin letters would read as one digraph ("Sahraoui",
//!   not "Shraoui").
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
/// (in Arabic and in Urdu's letters), al-Din, and al-Rahman as South Asian names write it
/// (Azizurrahman, Fazlur Rahman).
const JOINED_AFTER: &[&str] = &["الله", "اللہ", "الدين", "الدین", "الرحمن", "الرحمان"];
/// Allah: written whole wherever it is not joined to the word before ("Abd Allah", "Allah
/// Noor"), never as al-Lah or Lah.
const ALLAH: &[&str] = &["الله", "اللہ"];
/// Abu, father of, written joined to the name after it (أبواليزيد is Abu al-Yazid, أبوغيث Abu
/// Ghaith).
const ABU: &[&str] = &["ابو", "أبو"];

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

/// How `ث` is written: `th` (Uthman, Harith) or `s` (Persian and Urdu: Usman, Saqib).
#[derive(Clone, Copy, PartialEq)]
enum Tha {
    Th,
    S,
}

/// Letters that, written before a `ح` or `ه`, would make a Latin digraph of the two (س and ح
/// `SH`, ك and ه `KH`, د and ه `DH`): a vowel is written between them, as Latin forms do
/// (Sahraoui, not Shraoui).
const BEFORE_H: &[char] = &['س', 'ص', 'ك', 'ک', 'ت', 'ط', 'د', 'ض', 'گ'];
const H: &[char] = &['ح', 'ه', 'ہ'];

fn render(name: &str, abd: Abd, article: Article, tha: Tha) -> String {
    // Abd written joined to the name after it is split off first ("عبدالرحمن" is "عبد الرحمن").
    // So is Abd written joined to the name before it ("محمدعبد البصير" is Mohammad Abdul Basir).
    let mut words: Vec<String> = vec![];
    for w in name.split_whitespace() {
        let (w, abd_after) = match w.strip_suffix(ABD) {
            Some(before) if before.chars().count() >= 3 => (before, true),
            _ => (w, false),
        };
        let abu = ABU.iter().find_map(|a| {
            w.strip_prefix(a)
                .filter(|rest| rest.chars().count() >= 3)
                .map(|rest| (a, rest))
        });
        match (w.strip_prefix(ABD), abu) {
            (Some(rest), _) if rest.chars().count() >= 2 => {
                words.push(ABD.to_owned());
                words.push(rest.to_owned());
            }
            (_, Some((a, rest))) => {
                words.push((*a).to_owned());
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
    let (mut after_abd, mut joined_before) = (false, false);
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
        // (Not onto a word that was itself joined: حمد الله الله نور is Hamdullah Allah Noor.)
        let joins_after = JOINED_AFTER.contains(&w.as_str()) && !out.is_empty() && !joined_before;
        joined_before = false;
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
            joined_before = true;
        } else if ALLAH.contains(&w.as_str()) {
            // Its alif is written, as Latin forms write it (Allah, not Llah).
            out.push(format!("a{}", w.strip_prefix('ا').unwrap_or(&w)));
        } else {
            if has_article && article == Article::Split {
                out.push("al".to_owned());
            }
            out.push(bare);
        }
        after_abd = w == ABD;
    }
    // Alif is a long a (any_ascii leaves it out, which makes ط and ه of طاهر one "th"); ث is
    // s as Persian and Urdu say it and their Latin forms write it (Saqib, Usman), or th as
    // any_ascii writes it (`tha`); a vowel keeps a letter of `BEFORE_H` apart from the ح or ه
    // after it.
    // An alif that begins a word carries its vowel and is left as any_ascii leaves it.
    let (mut initial, mut before_h) = (true, false);
    let mut rendered = String::new();
    for c in out.join(" ").chars() {
        if before_h && H.contains(&c) {
            rendered.push('a');
        }
        rendered.push(match c {
            'ا' | 'أ' | 'إ' | 'آ' | 'ٱ' if !initial => 'a',
            'ث' if tha == Tha::S => 's',
            c => c,
        });
        initial = c == ' ';
        // (ث written s would make SH with a ح or ه after it, as س would.)
        before_h = BEFORE_H.contains(&c) || (c == 'ث' && tha == Tha::S);
    }
    rendered
}

/// The renderings of a name written in the Arabic script, or none when it has none of it.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_arabic) {
        return vec![];
    }
    // The rendering nearest the forms lists write (Abdullah, Tikriti) first: the screening
    // index gathers names through it alone (see [`crate::names::normalize_all`]).
    let mut out = vec![render(name, Abd::Joined, Article::Dropped, Tha::S)];
    for abd in [Abd::Apart, Abd::Joined, Abd::Abdul] {
        for article in [Article::Split, Article::Dropped] {
            super::push_new(&mut out, render(name, abd, article, Tha::S));
        }
    }
    // ث as th, as Arabic names are written (Uthman, al-Houthi), in the two forms nearest those
    // of the lists; the others write it s.
    if name.contains('ث') {
        super::push_new(
            &mut out,
            render(name, Abd::Joined, Article::Dropped, Tha::Th),
        );
        super::push_new(&mut out, render(name, Abd::Apart, Article::Split, Tha::Th));
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
        assert!(renderings("زاده")[0].contains("زaدaه"));
    }

    #[test]
    fn allah_abu_and_ur_rahman() {
        // Allah is joined once, and written whole where it is not.
        let r = renderings("حمد الله الله نور");
        assert!(r.contains(&"حمدuله aلله نور".to_owned()), "{r:?}");
        assert!(r.contains(&"حمد aلله aلله نور".to_owned()), "{r:?}");
        // Abu joined to the name after it is a word of its own.
        let r = renderings("أبوغيث");
        assert!(r.contains(&"أبو غيث".to_owned()), "{r:?}");
        let r = renderings("أبواليزيد");
        assert!(r.contains(&"أبو al يزيد".to_owned()), "{r:?}");
        // al-Rahman joined to the name before it, as South Asian names write it.
        assert!(renderings("عزیز الرحمان")[0].starts_with("عزیزuرحمaن"));
    }

    #[test]
    fn digraphs_the_latin_letters_would_make_are_kept_apart() {
        // ص then ح is not ش: a vowel is written between them.
        assert_eq!(renderings("صحراوي")[0], "صaحرaوي");
        assert_eq!(renderings("فتحي")[0], "فتaحي");
        // ث is s, and th in the forms nearest the lists' Arabic names.
        let r = renderings("عثمان");
        assert_eq!(r[0], "عsمaن");
        assert!(r.contains(&"عثمaن".to_owned()), "{r:?}");
        assert_eq!(renderings("عمر").len(), 1);
        // ث written s is kept apart from a ح after it as س is; written th, it needs not be.
        let r = renderings("مثحم");
        assert_eq!(r[0], "مsaحم");
        assert!(r.contains(&"مثحم".to_owned()), "{r:?}");
    }
}
