//! Japanese names in kanji, read through a dictionary of names (JMnedict's surnames and given
//! names of one to three characters with their common readings; see `data/README.md`), then
//! romanised as kana are (see [`super::kana`]): 山田太郎 `Yamada Tarou`, `Yamada Taro`.
//!
//! A word the dictionary does not read whole is read as a surname and a given name it holds
//! both of (the longest surname first); a word it cannot read is left to the other systems.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::{han, kana};

/// Kanji name → its readings in kana (one or two, the commoner first).
static NAMES: LazyLock<HashMap<&'static str, Vec<&'static str>>> = LazyLock::new(|| {
    include_str!("../../data/ja_names.tsv")
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(k, r)| (k, r.split(',').collect()))
        .collect()
});

fn is_kanji(c: char) -> bool {
    han::is_han(c) || c == '々'
}

/// A word's readings: the first of each part, and the second where a part has one.
fn read(word: &str) -> Option<[String; 2]> {
    if let Some(r) = NAMES.get(word) {
        return Some([r[0].to_owned(), r.get(1).unwrap_or(&r[0]).to_string()]);
    }
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    for split in (1..chars.len()).rev() {
        let at = chars[split].0;
        let (a, b) = (&word[..at], &word[at..]);
        if let (Some(ra), Some(rb)) = (NAMES.get(a), NAMES.get(b)) {
            return Some([
                format!("{} {}", ra[0], rb[0]),
                format!(
                    "{} {}",
                    ra.get(1).unwrap_or(&ra[0]),
                    rb.get(1).unwrap_or(&rb[0])
                ),
            ]);
        }
    }
    None
}

/// The Latin renderings of a name with kanji the dictionary reads, or none.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_kanji) {
        return vec![];
    }
    let mut read_any = false;
    let mut forms = [String::new(), String::new()];
    for w in name.split(|c: char| c.is_whitespace() || matches!(c, '・' | '･')) {
        if w.is_empty() {
            continue;
        }
        let r = if w.chars().all(is_kanji) {
            read(w)
        } else {
            None
        };
        let r = match r {
            Some(r) => {
                read_any = true;
                r
            }
            None => [w.to_owned(), w.to_owned()],
        };
        for (f, r) in forms.iter_mut().zip(r) {
            if !f.is_empty() {
                f.push(' ');
            }
            f.push_str(&r);
        }
    }
    if !read_any {
        return vec![];
    }
    let mut out: Vec<String> = vec![];
    for f in &forms {
        for r in kana::renderings(f) {
            super::push_new(&mut out, r);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_kanji_are_read() {
        assert!(renderings("山田太郎").contains(&"yamada taro".to_owned()));
        assert!(renderings("田中花子").contains(&"tanaka hanako".to_owned()));
        assert!(renderings("あすか 高橋").contains(&"asuka takahashi".to_owned()));
        assert!(renderings("佐々木").contains(&"sasaki".to_owned()));
        assert!(renderings("Smith").is_empty());
    }
}
