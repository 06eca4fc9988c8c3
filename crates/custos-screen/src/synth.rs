//! A synthetic list of any size built from real ones, for benchmarks: the names are real
//! names' tokens recombined, so the vocabulary, token lengths and token frequencies are those
//! a sanctions list has, and about one token in ten is misspelt, so the vocabulary keeps
//! growing as a real list of that size would.
//!
//! The output is deterministic: the same lists, size and seed give the same entries.

use crate::model::{EntityKind, ListEntity, NameKind};

/// SplitMix64: small, fast and stable across versions, which a benchmark's corpus must be.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 32) * n as u64) >> 32) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

/// One misspelling of a token: a letter substituted, dropped, doubled, or two letters swapped.
pub fn misspell(token: &str, rng: &mut Rng) -> String {
    let mut b: Vec<char> = token.chars().collect();
    if b.len() < 3 {
        return token.to_owned();
    }
    let i = 1 + rng.below(b.len() - 1);
    match rng.below(4) {
        0 => {
            const LETTERS: &[u8] = b"ABDEFGHIKLMNORSTUYZ";
            let c = LETTERS[rng.below(LETTERS.len())] as char;
            b[i] = if b[i].is_lowercase() {
                c.to_ascii_lowercase()
            } else {
                c
            };
        }
        1 => {
            b.remove(i);
        }
        2 => {
            let c = b[i];
            b.insert(i, c);
        }
        _ => {
            let j = if i + 1 < b.len() { i + 1 } else { i - 1 };
            b.swap(i, j);
        }
    }
    b.into_iter().collect()
}

/// The tokens of the real names, by entity kind and position (first, middle, last), so that a
/// recombined person's name reads like one.
#[derive(Debug, Default)]
struct Pool {
    first: Vec<String>,
    middle: Vec<String>,
    last: Vec<String>,
    lengths: Vec<usize>,
}

impl Pool {
    fn add(&mut self, name: &str) {
        let tokens: Vec<&str> = name
            .split(|c: char| c.is_whitespace() || c == ',')
            .filter(|t| !t.is_empty())
            .collect();
        if tokens.is_empty() {
            return;
        }
        self.lengths.push(tokens.len());
        for (i, t) in tokens.iter().enumerate() {
            let slot = if i == 0 {
                &mut self.first
            } else if i + 1 == tokens.len() {
                &mut self.last
            } else {
                &mut self.middle
            };
            slot.push((*t).to_owned());
        }
    }

    fn name(&self, rng: &mut Rng, mutation: f64) -> String {
        let n = self.lengths[rng.below(self.lengths.len())];
        let mut out: Vec<String> = Vec::with_capacity(n);
        for i in 0..n {
            let slot = if i == 0 {
                &self.first
            } else if i + 1 == n && !self.last.is_empty() {
                &self.last
            } else if !self.middle.is_empty() {
                &self.middle
            } else {
                &self.last
            };
            let t = &slot[rng.below(slot.len())];
            out.push(if rng.chance(mutation) {
                misspell(t, rng)
            } else {
                t.clone()
            });
        }
        out.join(" ")
    }
}

/// Written in an abjad (Arabic, Hebrew, Syriac, Thaana), as [`crate::names::normalize`] tells.
fn in_abjad(name: &str) -> bool {
    name.chars().any(|c| ('\u{0590}'..='\u{08FF}').contains(&c))
}

/// `n` synthetic entries, one name each, from the names (and aliases) of `real`; persons and
/// organisations, and names written in an abjad or not, in the proportions of `real` (a name's
/// tokens all come from names of its kind and script, as a real name's do). About `mutation`
/// of the tokens are misspelt.
pub fn synthesize(real: &[ListEntity], n: usize, seed: u64, mutation: f64) -> Vec<ListEntity> {
    // Pools by (person, abjad).
    let mut pools: [Pool; 4] = Default::default();
    let slot = |person: bool, abjad: bool| usize::from(person) * 2 + usize::from(abjad);
    for e in real {
        let person = e.kind == EntityKind::Person;
        for name in e.names.iter().filter(|n| n.kind != NameKind::WeakAlias) {
            pools[slot(person, in_abjad(&name.value))].add(&name.value);
        }
    }
    let total: usize = pools.iter().map(|p| p.lengths.len()).sum();
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    if total == 0 {
        return out;
    }
    for i in 0..n {
        // A pool in proportion to the names it holds.
        let mut pick = rng.below(total);
        let mut at = 0;
        while pick >= pools[at].lengths.len() {
            pick -= pools[at].lengths.len();
            at += 1;
        }
        let kind = if at >= 2 {
            EntityKind::Person
        } else {
            EntityKind::Organization
        };
        out.push(ListEntity::new(
            format!("synth-{i}"),
            kind,
            pools[at].name(&mut rng, mutation),
        ));
    }
    out
}

/// Benchmark queries: the corpus's own names changed the way real input differs from a list
/// (a misspelt token, tokens reversed, a token dropped, the name as is) and one in five a name
/// of `outsiders`; `(query, the entity it was made from, if any)`.
pub fn queries(
    corpus: &[ListEntity],
    outsiders: &[ListEntity],
    n: usize,
    seed: u64,
) -> Vec<(String, Option<String>)> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        if i % 5 == 4 && !outsiders.is_empty() {
            let o = &outsiders[rng.below(outsiders.len())];
            out.push((o.primary_name().to_owned(), None));
            continue;
        }
        let e = &corpus[rng.below(corpus.len())];
        let Some(name) = e.names.get(rng.below(e.names.len())) else {
            continue;
        };
        let mut tokens: Vec<String> = name.value.split_whitespace().map(str::to_owned).collect();
        if tokens.is_empty() {
            continue;
        }
        match i % 5 {
            0 => {
                let k = rng.below(tokens.len());
                tokens[k] = misspell(&tokens[k], &mut rng);
            }
            1 => tokens.reverse(),
            2 if tokens.len() > 2 => {
                tokens.remove(rng.below(tokens.len()));
            }
            _ => {}
        }
        out.push((tokens.join(" "), Some(e.id.clone())));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let real = vec![
            ListEntity::new("1", EntityKind::Person, "PUTIN, Vladimir Vladimirovich"),
            ListEntity::new("2", EntityKind::Person, "KIM Jong Un"),
            ListEntity::new("3", EntityKind::Organization, "BANCO NACIONAL DE CUBA"),
        ];
        let a = synthesize(&real, 500, 7, 0.1);
        let b = synthesize(&real, 500, 7, 0.1);
        assert_eq!(a, b);
        assert_eq!(a.len(), 500);
        assert!(a.iter().any(|e| e.kind == EntityKind::Organization));
        let c = synthesize(&real, 500, 8, 0.1);
        assert_ne!(a, c);
    }

    #[test]
    fn misspellings_change_one_thing() {
        let mut rng = Rng::new(1);
        for _ in 0..200 {
            let m = misspell("MOHAMMED", &mut rng);
            assert!(strsim::damerau_levenshtein("MOHAMMED", &m) <= 1, "{m}");
        }
    }
}
