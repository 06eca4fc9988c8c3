//! Thai names by the Royal Thai General System of Transcription (RTGS), the system of Thai
//! passports and road signs. `any_ascii` writes Thai letter for letter: it leaves out the
//! vowels the script does not write (ถนอม is `thnm`, not Thanom), writes leading vowels before
//! their consonant (เลิศ is `eleis`, not Loet) and finals as initials (บุญ is `buy`, not Bun).
//!
//! A word is read syllable by syllable:
//! - tone marks are left out; a letter under the thanthakhat (์) is silent, with the vowel
//!   on it (ศักดิ์, Sak), and so is the ท or ต before a silenced ร (จันทร์, Chan);
//! - a syllable's initial (a cluster such as กร, ปล, พร when a vowel follows it; ห before a
//!   sonorant and อ before ย silent), its vowel (before, above, below or after the
//!   initial, in parts: เ–ีย `ia`, เ–ือ `uea`, เ–า `ao`, แ–ว `aeo`, –ัว and –ว– `ua`, รร `an`,
//!   อ `o`), and its final by the sound it has there (ก ข ค `k`; the stops and sibilants
//!   `t`; บ ป พ ฟ ภ `p`; ญ ณ น ร ล ฬ `n`; ย and ว as the glides `i` and `o`);
//! - consonants with no written vowel between them take the unwritten one: `a` each, but the
//!   last two of a run, which make a closed syllable with `o` (ธนพล, Thanaphon; สมชาย,
//!   Somchai; นพ, Nop).
//!
//! What RTGS leaves to a dictionary is guessed: an unwritten vowel in a compound of
//! Sanskrit or Pali words may be `a` where this reads `o` (ปฐวี is Pathawi, read Potwi), and
//! a consonant between a long vowel and a syllable may begin that syllable where this ends
//! the first with it (พรรษาสกุล is Phansasakun, read Phansatkun; นาตยา is Natya, as read).

/// Whether `c` is a Thai character.
pub fn is_thai(c: char) -> bool {
    ('\u{0E01}'..='\u{0E5B}').contains(&c)
}

fn is_consonant(c: char) -> bool {
    ('\u{0E01}'..='\u{0E2E}').contains(&c) && c != 'ฤ' && c != 'ฦ'
}

fn is_lead(c: char) -> bool {
    matches!(c, 'เ' | 'แ' | 'โ' | 'ใ' | 'ไ')
}

/// A vowel written above, below or after its consonant.
fn is_attached(c: char) -> bool {
    matches!(
        c,
        'ั' | 'ิ' | 'ี' | 'ึ' | 'ื' | 'ุ' | 'ู' | '็' | 'ะ' | 'า' | 'ำ' | 'ํ' | 'ๅ'
    )
}

/// A consonant as the initial of a syllable.
fn initial(c: char) -> &'static str {
    match c {
        'ก' => "k",
        'ข' | 'ฃ' | 'ค' | 'ฅ' | 'ฆ' => "kh",
        'ง' => "ng",
        'จ' | 'ฉ' | 'ช' | 'ฌ' => "ch",
        'ซ' | 'ศ' | 'ษ' | 'ส' => "s",
        'ญ' | 'ย' => "y",
        'ฎ' | 'ด' => "d",
        'ฏ' | 'ต' => "t",
        'ฐ' | 'ฑ' | 'ฒ' | 'ถ' | 'ท' | 'ธ' => "th",
        'ณ' | 'น' => "n",
        'บ' => "b",
        'ป' => "p",
        'ผ' | 'พ' | 'ภ' => "ph",
        'ฝ' | 'ฟ' => "f",
        'ม' => "m",
        'ร' => "r",
        'ล' | 'ฬ' => "l",
        'ว' => "w",
        'ห' | 'ฮ' => "h",
        _ => "",
    }
}

/// A consonant as the final of a syllable.
fn final_sound(c: char) -> &'static str {
    match c {
        'ก' | 'ข' | 'ฃ' | 'ค' | 'ฅ' | 'ฆ' => "k",
        'ง' => "ng",
        'บ' | 'ป' | 'พ' | 'ฟ' | 'ภ' | 'ผ' | 'ฝ' => "p",
        'ญ' | 'ณ' | 'น' | 'ร' | 'ล' | 'ฬ' => "n",
        'ม' => "m",
        'ย' => "i",
        'ว' => "o",
        'อ' | 'ห' | 'ฮ' => "",
        _ => "t",
    }
}

/// Whether `a` and `b` make one initial when a vowel follows them.
fn cluster(a: char, b: char) -> bool {
    let plain = match b {
        'ร' => matches!(a, 'ก' | 'ข' | 'ค' | 'ต' | 'ป' | 'พ' | 'บ' | 'ด' | 'ท' | 'ฟ'),
        'ล' => matches!(a, 'ก' | 'ข' | 'ค' | 'ป' | 'พ' | 'ผ' | 'บ' | 'ฟ'),
        'ว' => matches!(a, 'ก' | 'ข' | 'ค'),
        _ => false,
    };
    plain
        || (a == 'ห' && matches!(b, 'ง' | 'ญ' | 'น' | 'ม' | 'ย' | 'ร' | 'ล' | 'ว'))
        || (a == 'อ' && b == 'ย')
}

/// A word's letters, tone marks and silenced letters left out.
fn letters(w: &str) -> Vec<char> {
    let mut out: Vec<char> = vec![];
    for c in w.chars() {
        match c {
            '่' | '้' | '๊' | '๋' | 'ฺ' | '๎' => {}
            '์' => {
                // The silenced letter, with a vowel written on it.
                while out.last().is_some_and(|v| matches!(v, 'ิ' | 'ุ')) {
                    out.pop();
                }
                let silenced = out.pop();
                if silenced == Some('ร') && out.last().is_some_and(|p| matches!(p, 'ท' | 'ต'))
                {
                    out.pop();
                }
            }
            c => out.push(c),
        }
    }
    out
}

struct Word {
    cs: Vec<char>,
    out: String,
}

impl Word {
    fn at(&self, i: usize) -> Option<char> {
        self.cs.get(i).copied()
    }

    /// How many letters the initial at `i` takes (two for a cluster before a vowel).
    fn initial_len(&self, i: usize) -> usize {
        match (self.at(i), self.at(i + 1)) {
            (Some(a), Some(b)) if cluster(a, b) && self.has_vowel_at(i + 2) => 2,
            _ => 1,
        }
    }

    /// Whether a vowel is written right after the initial ending before `i`.
    fn has_vowel_at(&self, i: usize) -> bool {
        match self.at(i) {
            Some(c) if is_attached(c) => true,
            Some('ร') => self.at(i + 1) == Some('ร'),
            // อ and ว as vowels: followed by a final or nothing, not by a vowel of their own.
            Some('อ' | 'ว') => !self.at(i + 1).is_some_and(is_attached),
            _ => false,
        }
    }

    /// Whether the consonant at `i` begins a syllable with a written vowel.
    fn carries_vowel(&self, i: usize) -> bool {
        self.at(i).is_some_and(is_consonant) && self.has_vowel_at(i + self.initial_len(i))
    }

    fn push_initial(&mut self, i: usize, len: usize) {
        let (a, b) = (self.cs[i], self.at(i + 1));
        if len == 2 && matches!(a, 'ห' | 'อ') {
            self.out.push_str(initial(b.unwrap_or(a)));
        } else {
            for c in &self.cs[i..i + len] {
                self.out.push_str(initial(*c));
            }
        }
    }

    /// The final at `i`, if the consonant there is one (it begins no syllable); where the
    /// reading goes on.
    fn push_final(&mut self, i: usize, vowel: &str) -> usize {
        match self.at(i) {
            Some(c) if is_consonant(c) && !self.carries_vowel(i) => {
                // ไชย: the ย after `ai` is the vowel's.
                if !(c == 'ย' && vowel.ends_with('i')) {
                    self.out.push_str(final_sound(c));
                }
                i + 1
            }
            _ => i,
        }
    }

    /// A syllable whose consonant at `i` carries a vowel written after it.
    fn syllable(&mut self, i: usize) -> usize {
        let len = self.initial_len(i);
        self.push_initial(i, len);
        let v = i + len;
        let (vowel, next): (&str, usize) = match (self.cs[v], self.at(v + 1)) {
            ('ั', Some('ว')) => ("ua", v + 2),
            ('ั' | 'า' | 'ๅ', _) => ("a", v + 1),
            ('ะ', _) => ("a", v + 1),
            ('ำ', _) | ('ํ', Some('า')) => ("am", v + 1 + usize::from(self.cs[v] == 'ํ')),
            ('ิ' | 'ี', _) => ("i", v + 1),
            ('ึ', _) => ("ue", v + 1),
            ('ื', Some('อ')) => ("ue", v + 2),
            ('ื', _) => ("ue", v + 1),
            ('ุ' | 'ู', _) => ("u", v + 1),
            ('็', _) => ("o", v + 1),
            ('ร', _) => {
                // รร: `a` before a final, `an` without one.
                let after = v + 2;
                if self.at(after).is_some_and(is_consonant) && !self.carries_vowel(after) {
                    ("a", after)
                } else {
                    ("an", after)
                }
            }
            ('อ', _) => ("o", v + 1),
            ('ว', _) => ("ua", v + 1),
            _ => ("a", v),
        };
        self.out.push_str(vowel);
        if matches!(vowel, "am") || self.cs[v] == 'ะ' {
            return next;
        }
        self.push_final(next, vowel)
    }

    /// A syllable that begins with a vowel written before its consonant.
    fn lead(&mut self, i: usize) -> usize {
        let l = self.cs[i];
        let Some(c) = self.at(i + 1).filter(|c| is_consonant(*c)) else {
            return i + 1;
        };
        let len = match self.at(i + 2) {
            Some(b) if b != 'ว' && cluster(c, b) => 2,
            _ => 1,
        };
        self.push_initial(i + 1, len);
        let v = i + 1 + len;
        let (vowel, next, open): (&str, usize, bool) = match (l, self.at(v), self.at(v + 1)) {
            ('เ', Some('ี'), Some('ย')) => ("ia", v + 2, false),
            ('เ', Some('ื'), Some('อ')) => ("uea", v + 2, false),
            ('เ', Some('ิ'), _) => ("oe", v + 1, false),
            ('เ', Some('า'), Some('ะ')) => ("o", v + 2, true),
            ('เ', Some('า'), _) => ("ao", v + 1, true),
            ('เ', Some('อ'), _) => ("oe", v + 1, false),
            ('เ', Some('็'), _) => ("e", v + 1, false),
            ('เ', Some('ะ'), _) => ("e", v + 1, true),
            ('เ', _, _) => ("e", v, false),
            ('แ', Some('ะ'), _) => ("ae", v + 1, true),
            ('แ', Some('็'), _) => ("ae", v + 1, false),
            ('แ', _, _) => ("ae", v, false),
            ('โ', Some('ะ'), _) => ("o", v + 1, true),
            ('โ', _, _) => ("o", v, false),
            _ => ("ai", v, false),
        };
        self.out.push_str(vowel);
        if open {
            return next;
        }
        self.push_final(next, vowel)
    }

    /// Consonants from `i` with no vowel written, up to one that has (or the word's end).
    fn run(&mut self, i: usize, after_final: bool) -> usize {
        let mut j = i;
        while self.at(j).is_some_and(is_consonant) && !self.carries_vowel(j) {
            j += 1;
        }
        let end = j == self.cs.len();
        match j - i {
            0 => return i + 1,
            // A letter left over after a closed syllable (ลักษ, เชษฐ) is not read.
            1 if end && after_final => {}
            1 => {
                self.push_initial(i, 1);
                self.out.push('a');
            }
            _ => {
                for k in i..j - 2 {
                    self.push_initial(k, 1);
                    self.out.push('a');
                }
                self.push_initial(j - 2, 1);
                // A ว closing a run is the vowel `ua` (นวล is read before; สว at the end).
                if self.cs[j - 1] == 'ว' {
                    self.out.push_str("ua");
                } else {
                    self.out.push('o');
                    self.out.push_str(final_sound(self.cs[j - 1]));
                }
            }
        }
        j
    }
}

/// One word by RTGS.
fn word(w: &str) -> String {
    let mut word = Word {
        cs: letters(w),
        out: String::with_capacity(w.len()),
    };
    let mut i = 0;
    let mut after_final = false;
    while i < word.cs.len() {
        let c = word.cs[i];
        let before = word.out.len();
        i = if is_lead(c) {
            word.lead(i)
        } else if word.carries_vowel(i) {
            word.syllable(i)
        } else if is_consonant(c) {
            word.run(i, after_final)
        } else {
            match c {
                'ฤ' => word.out.push_str("rue"),
                'ฦ' => word.out.push_str("lue"),
                c if is_thai(c) => {}
                c => word.out.push(c),
            }
            i + 1
        };
        after_final = word.out.len() > before && !word.out.ends_with(['a', 'e', 'i', 'o', 'u']);
    }
    word.out
}

/// The RTGS rendering of a name written in Thai, or none when it has no Thai.
pub fn renderings(name: &str) -> Vec<String> {
    if !name.chars().any(is_thai) {
        return vec![];
    }
    let mut out = vec![];
    super::push_new(&mut out, super::joined(name.split_whitespace().map(word)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(name: &str) -> String {
        renderings(name).remove(0)
    }

    #[test]
    fn syllables_with_their_written_vowels() {
        assert_eq!(r("จุฑารัตน์ ราชัน ทับทิมไทย"), "chutharat rachan thapthimthai");
        assert_eq!(r("ทองสุกเลิศ"), "thongsukloet");
        assert_eq!(r("เวียงจันทึก"), "wiangchanthuek");
        assert_eq!(r("แนวพนิช"), "naeophanit");
        assert_eq!(r("ขอหมั่นกลาง"), "khomanklang");
        assert_eq!(r("คำลือ"), "khamlue");
        assert_eq!(r("ขอดิเยาะ"), "khodiyo");
        assert_eq!(r("ไชยภพ"), "chaiphop");
        assert_eq!(r("นาตยา"), "natya");
        assert_eq!(r("เรือง"), "rueang");
        assert_eq!(r("นวลฉวี"), "nuanchawi");
    }

    #[test]
    fn the_vowels_not_written() {
        assert_eq!(r("ถนอมชัย"), "thanomchai");
        assert_eq!(r("บุญนพ นักรบ"), "bunnop nakrop");
        assert_eq!(r("ธนพล"), "thanaphon");
        assert_eq!(r("สมชาย"), "somchai");
        assert_eq!(r("สหัสมณี"), "sahatmani");
        assert_eq!(r("พชรภรณ์"), "phacharaphon");
        assert_eq!(r("ศรลักษณ์"), "sonlak");
        assert_eq!(r("พรรษา"), "phansa");
        assert_eq!(r("หัตถกรรม"), "hatthakam");
        assert_eq!(r("อัญพัชร์"), "anphat");
        assert_eq!(r("จันทร์"), "chan");
        assert_eq!(r("ศักดิ์"), "sak");
    }

    #[test]
    fn other_scripts_have_none() {
        assert!(renderings("Somchai").is_empty());
    }
}
