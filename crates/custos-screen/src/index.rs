//! The token index behind screening: how a query finds the few names worth scoring among a
//! million without scanning them.
//!
//! Every distinct token of every name is interned once in a vocabulary. A query token is looked
//! up in the vocabulary, not in the names: exactly, within one edit (the token and each of its
//! one-letter deletions are keys, as in SymSpell), by consonant skeleton (what an abjad
//! transliteration keeps, and what "MOHAMMED" and "MUHAMMAD" share), by phonetic key (Double
//! Metaphone), by the tokens it begins or that begin it, and split or joined ("JSCARGUMENT"
//! against "JSC ARGUMENT"). Each vocabulary token found carries its similarity to the query
//! token. What every vocabulary token reaches is computed when the index is built; a query
//! token no list holds is looked up then, and remembered in a bounded cache.
//!
//! Names come from two posting lists per token, with prefix filtering (as in set-similarity
//! joins), driven by the lowest name score a hit could have (the *bound*: the default threshold,
//! less what the query's year of birth and country could add, never below [`MIN_BOUND`]).
//! Scores weigh tokens by length, so a name reaches the bound only if the shorter side (query or
//! name) is covered to the bound:
//! - *full* postings list every name carrying a token. The query's cheapest tokens carrying more
//!   than the slack (`1 - bound` of its weight) are looked up there, each only through the
//!   vocabulary tokens alike enough to it that a name matching it that poorly could still
//!   reach the bound (and through its initial, when that could). A name matching none of them
//!   cannot cover enough of the query. The names they bring must also hold the two next
//!   cheapest tokens the query cannot do without (read into a bitset), or they are dropped
//!   before estimating.
//! - *prefix* postings list a name under its rarest tokens carrying more than `1 - MIN_BOUND` of
//!   its weight, with its token count and the share of the name's weight the token carries
//!   (which sets how well it must be matched to reach the bound).
//!   Every query token's vocabulary tokens are looked up there, for names with no more tokens
//!   than the query: such a name must cover enough of itself. Each entry also names another
//!   token the name cannot do without: a query that reaches nothing like it passes the name
//!   over unread.
//!
//! A query of one token scores at most 0.9 against a name of several, so it gathers only
//! through the prefix postings (of names of any length): at the default threshold such a name
//! must cover itself nearly whole.
//!
//! A name that merely contains a common token ("MOHAMMAD") is not gathered through that
//! token's long list, unless the query has nothing rarer.
//!
//! The names found get an estimate of the name score from the token similarities alone, and
//! the best of them are scored exactly (see [`crate::screen`]).

use std::collections::HashMap;

use crate::names::{Normalized, skeleton, token_similarity};

/// The lowest name score a name is ever gathered for: the default threshold less what a
/// matching year of birth and country add. (A shared identifier adds more; the screener finds
/// those entries by identifier, not through this index.)
pub const MIN_BOUND: f32 = 0.80;

/// What a name scores at most against a query of one token when it has several (see
/// [`crate::names::compare`]).
const ONE_TOKEN_FACTOR: f32 = 0.9;
/// What a name's score loses for the share of the longer name left unmatched.
const UNMATCHED_PENALTY: f32 = 0.15;
/// The lowest bound at which a name that a one-token query could reach must cover at least
/// `MIN_BOUND` of itself (so that one of its rarest tokens is matched).
const ONE_TOKEN_BOUND: f32 = ONE_TOKEN_FACTOR * (1.0 - UNMATCHED_PENALTY * (1.0 - MIN_BOUND));

/// How many of the query's other indispensable tokens filter the names its cheapest tokens
/// gathered.
const REQUIRED_CHECKS: usize = 2;
/// A filtering token's postings are read only when they are at most this many times the names
/// they would filter.
const FILTER_COST: usize = 50;

/// Vocabulary tokens less alike than this to a query token (by
/// [`crate::names::token_similarity`]) are not followed.
const TOKEN_SIM: f32 = 0.50;
/// The tokens that a query token of [`LONGER_FROM`] letters or more begins, up to
/// [`LONGER_BY`] letters longer, are reached; [`LONGER_SCAN`] of them looked at, at most.
const LONGER_FROM: usize = 4;
const LONGER_BY: usize = 5;
const LONGER_SCAN: usize = 64;

/// The first id in `0..n` for which `before` is false (`before` true for a prefix of the ids).
fn partition_ids(n: usize, before: impl Fn(u32) -> bool) -> u32 {
    let (mut lo, mut hi) = (0u32, n as u32);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if before(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// The words of a name written as one bring their variants this alike, from this many letters.
const SPLIT_VARIANTS_FROM: usize = 4;
const SPLIT_VARIANT_SIM: f32 = 0.8;

/// The similarity credited to a token written in an abjad (or against one) when consonant
/// skeletons agree: what the exact scorer credits to skeletons.
const SKELETON_SIM: f32 = 0.95;

/// FNV-1a over the bytes of `s` but those at `skip`, folded to 32 bits: the keys of the lookup
/// tables. A collision only brings a token that the similarity check then drops.
fn key_skipping(s: &[u8], skip: [usize; 2]) -> u32 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (i, b) in s.iter().enumerate() {
        if i != skip[0] && i != skip[1] {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    (h ^ (h >> 32)) as u32
}

fn key(s: &[u8]) -> u32 {
    key_skipping(s, [usize::MAX; 2])
}

/// Tokens at least this long are also reached with two letters left out.
const TWO_DELETES_FROM: usize = 6;

/// The keys of a token and its deletions (SymSpell): the token itself, each one-letter
/// deletion (from three letters), and each two-letter deletion (from [`TWO_DELETES_FROM`]
/// letters). Two tokens within two edits, transpositions included, share a key, as do a short
/// token and a long one that adds up to two letters ("HJAI" and "HEJAZI").
///
/// Each key comes with the number of letters left out; a lookup pairs keys whose numbers add up
/// to at most three, so that two tokens that are each two deletions from a common form (four
/// edits apart) are not paired.
fn delete_keys(b: &[u8], out: &mut Vec<(u32, u8)>) {
    out.clear();
    out.push((key(b), 0));
    if b.len() > 2 {
        for i in 0..b.len() {
            out.push((key_skipping(b, [i, usize::MAX]), 1));
        }
    }
    if b.len() >= TWO_DELETES_FROM {
        for i in 0..b.len() {
            for j in i + 1..b.len() {
                out.push((key_skipping(b, [i, j]), 2));
            }
        }
    }
    out.sort_unstable();
    out.dedup_by_key(|k| k.0);
}

/// The keys of a consonant skeleton (of two consonants or more): the skeleton itself, and each
/// one-letter deletion leaving two or more. Paired up to two levels, two skeletons a letter
/// apart ("MS" and "MSV", "MHMD" and "MHD") or a letter different share a key.
fn skeleton_keys(b: &[u8], out: &mut Vec<(u32, u8)>) {
    out.clear();
    out.push((key(b), 0));
    if b.len() > 2 {
        for i in 0..b.len() {
            out.push((key_skipping(b, [i, usize::MAX]), 1));
        }
    }
    out.sort_unstable();
    out.dedup_by_key(|k| k.0);
}

/// How alike two consonant skeletons are as the exact scorer compares them: a skeleton of one
/// consonant only against the same consonant alone (see [`crate::names::compare`]).
fn skeleton_similarity(a: &str, b: &str) -> f32 {
    match (a.len(), b.len()) {
        (1, 1) if a == b => crate::names::initial_credit(1) as f32,
        (1, _) | (_, 1) => 0.0,
        _ => token_similarity(a, b) as f32,
    }
}

/// A token id with its deletion level in the top two bits, as the deletion table keeps them.
const LEVEL_SHIFT: u32 = 30;

/// A lookup table from keys to tokens: `(key, token)` sorted by key, with a directory over the
/// keys' top bits so that a lookup reads one small bucket, not a binary search over millions.
#[derive(Debug, Default)]
struct Table {
    shift: u32,
    dir: Vec<u32>,
    entries: Vec<(u32, u32)>,
}

impl Table {
    fn build(mut entries: Vec<(u32, u32)>) -> Table {
        entries.sort_unstable();
        entries.dedup();
        entries.shrink_to_fit();
        let bits = (entries.len() / 4).max(1).ilog2().clamp(4, 24);
        let shift = 32 - bits;
        let mut dir = vec![0u32; (1 << bits) + 1];
        for e in &entries {
            dir[(e.0 >> shift) as usize + 1] += 1;
        }
        for i in 1..dir.len() {
            dir[i] += dir[i - 1];
        }
        Table {
            shift,
            dir,
            entries,
        }
    }

    fn get(&self, k: u32) -> impl Iterator<Item = u32> + '_ {
        let bucket = if self.dir.is_empty() {
            &[][..]
        } else {
            let b = (k >> self.shift) as usize;
            &self.entries[self.dir[b] as usize..self.dir[b + 1] as usize]
        };
        let start = bucket.partition_point(|e| e.0 < k);
        bucket[start..]
            .iter()
            .take_while(move |e| e.0 == k)
            .map(|e| e.1)
    }

    fn bytes(&self) -> usize {
        self.entries.len() * 8 + self.dir.len() * 4
    }
}

/// A token's phonetic key: the primary Double Metaphone code, computed over the token as the
/// index holds it (transliterated, upper case).
pub fn phonetic(token: &str) -> String {
    thread_local! {
        static DM: rphonetic::DoubleMetaphone = rphonetic::DoubleMetaphone::default();
    }
    DM.with(|dm| {
        use rphonetic::Encoder;
        dm.encode(token)
    })
}

/// The names as the index keeps them: token ids instead of strings, every name's in one
/// array, so that reading a gathered name is one record rather than a pointer to chase.
#[derive(Debug, Default)]
pub(crate) struct Names {
    entity: Vec<u32>,
    abjad: Vec<bool>,
    /// Name `i` is `data[start[i]..start[i + 1]]`: the number of tokens that carry it (see
    /// [`Normalized::tokens`]), those tokens, then every token, noise included, in order. One
    /// record a name, so that estimating a name reads one place.
    start: Vec<u32>,
    data: Vec<u32>,
}

impl Names {
    pub fn len(&self) -> usize {
        self.entity.len()
    }

    pub fn entity(&self, name: u32) -> u32 {
        self.entity[name as usize]
    }

    pub fn tokens(&self, name: u32) -> &[u32] {
        let s = self.start[name as usize] as usize;
        &self.data[s + 1..s + 1 + self.data[s] as usize]
    }

    pub fn all(&self, name: u32) -> &[u32] {
        let i = name as usize;
        let s = self.start[i] as usize;
        &self.data[s + 1 + self.data[s] as usize..self.start[i + 1] as usize]
    }

    fn push(&mut self, entity: u32, abjad: bool, tokens: &[u32], all: &[u32]) {
        if self.start.is_empty() {
            self.start.push(0);
        }
        self.entity.push(entity);
        self.abjad.push(abjad);
        self.data.push(tokens.len() as u32);
        self.data.extend_from_slice(tokens);
        self.data.extend_from_slice(all);
        self.start.push(self.data.len() as u32);
    }

    fn bytes(&self) -> usize {
        self.entity.len() * 9 + self.data.len() * 4
    }
}

/// The vocabulary and posting lists.
#[derive(Debug, Default)]
pub(crate) struct Index {
    ids: HashMap<Box<str>, u32>,
    /// Every token's text, one after the other: token `t` is `text[bounds[t]..bounds[t + 1]]`.
    /// One arena rather than a string each, so that comparing a query token with the
    /// vocabulary tokens it reaches reads nearby memory, not a pointer each.
    text: String,
    bounds: Vec<u32>,
    /// Each token's length (at most 255) and first letter: what estimating needs of it, kept
    /// apart from its text.
    lens: Vec<u8>,
    firsts: Vec<u8>,
    /// The token appears in a name written in an abjad.
    abjad: Vec<bool>,
    /// Every name carrying the token, while names are added; [`Index::finish`] moves them into
    /// `full`.
    building: Vec<Vec<u32>>,
    full: Postings<u32>,
    /// The names for which the token is among their rarest (see the module docs), sorted by
    /// their token count.
    prefix: Postings<Prefix>,
    /// The expansions of the vocabulary's common tokens, computed when the index is built (see
    /// [`Index::store_common_expansions`]); empty for the others.
    common: Postings<(u32, f32)>,
    /// Query tokens' expansions already computed (see [`Index::token_expansion`]).
    expansions: std::sync::Mutex<Expansions>,
    /// The token and its deletions (see [`delete_keys`]).
    deletes: Table,
    /// Consonant skeletons of two consonants or more and their one-letter deletions (see
    /// [`skeleton_keys`]).
    skeletons: Table,
    /// Skeletons of one consonant: what an abjad writes of "ALI" ("LY") or "WALI" ("WLY").
    thin: Table,
    /// The same two, of the tokens of names written in an abjad only: what a query in Latin
    /// script is compared with by skeleton.
    abjad_skeletons: Table,
    abjad_thin: Table,
    phonetics: Table,
    pub names: Names,
}

thread_local! {
    /// A bit per name, all clear between uses: to filter gathered names and keep each once.
    static SCRATCH: std::cell::RefCell<Vec<u64>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// How many `(token, similarity)` pairs the expansion cache holds at most (8 bytes each).
const EXPANSION_CACHE: usize = 4_000_000;

/// A query token's expansion: `(vocabulary token, similarity)`.
type Expansion = std::sync::Arc<[(u32, f32)]>;

/// One thread's share of the stored expansions: each token's count of pairs, and the pairs.
type Share = (Vec<u32>, Vec<(u32, f32)>);

/// Tokens held by at least this many names have their expansions computed with the index.
const COMMON_TOKEN: usize = 1;

/// A query token's expansion, stored with the index or cached.
enum TokenExpansion<'a> {
    Stored(&'a [(u32, f32)]),
    Cached(Expansion),
}

impl std::ops::Deref for TokenExpansion<'_> {
    type Target = [(u32, f32)];

    fn deref(&self) -> &[(u32, f32)] {
        match self {
            TokenExpansion::Stored(s) => s,
            TokenExpansion::Cached(c) => c,
        }
    }
}

/// Expansions of query tokens, for a query token written in Latin script (`maps[0]`) or in an
/// abjad (`maps[1]`), and how many pairs they hold.
#[derive(Debug, Default)]
struct Expansions {
    maps: [HashMap<Box<str>, Expansion>; 2],
    pairs: usize,
}

/// Posting lists, one a token, all in one array: a list is found through one small array of
/// offsets rather than a pointer each.
#[derive(Debug)]
struct Postings<T> {
    start: Vec<u32>,
    data: Vec<T>,
}

impl<T> Default for Postings<T> {
    fn default() -> Self {
        Postings {
            start: vec![0],
            data: vec![],
        }
    }
}

impl<T: Copy> Postings<T> {
    fn from_lists(lists: Vec<Vec<T>>) -> Postings<T> {
        let mut start = Vec::with_capacity(lists.len() + 1);
        start.push(0u32);
        let mut data = Vec::with_capacity(lists.iter().map(Vec::len).sum());
        for l in lists {
            data.extend_from_slice(&l);
            start.push(data.len() as u32);
        }
        Postings { start, data }
    }

    fn get(&self, t: u32) -> &[T] {
        match (self.start.get(t as usize), self.start.get(t as usize + 1)) {
            (Some(&a), Some(&b)) => &self.data[a as usize..b as usize],
            _ => &[],
        }
    }

    fn bytes(&self) -> usize {
        self.start.len() * 4 + self.data.len() * size_of::<T>()
    }
}

/// An entry of the prefix postings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Prefix {
    /// The name's token count.
    count: u8,
    /// The name's weight over this token's, in sixteenths, rounded up: a query token must be
    /// at least `1 - (1 - bound) * ratio / 16` alike to this one for the name to reach the
    /// bound.
    ratio: u8,
    name: u32,
    /// Another token the name cannot do without (the rarest), or [`NO_TOKEN`]: a query that
    /// reaches nothing like it cannot match the name well enough, so the name is passed over
    /// without reading it.
    also: u32,
}

/// No token.
const NO_TOKEN: u32 = u32::MAX;
/// Marks, in a token's expansion, a short word of a split (see [`Index::expand_token`]).
const SHORT_PART: u32 = 1 << 31;

/// What a query token reaches in the vocabulary.
#[derive(Debug, Default)]
pub(crate) struct Expanded {
    /// Per query token: `(vocabulary token, similarity)`.
    per_token: Vec<Vec<(u32, f32)>>,
    /// `(vocabulary token, query token, similarity)`, sorted: the few tokens a query reaches,
    /// looked up once per token of every gathered name.
    by_vocab: Vec<(u32, u16, f32)>,
    /// The short words of the query tokens' splits (see [`Index::expand_token`]) with their
    /// similarities: in `by_vocab`, and looked up in the prefix postings, but never a way to
    /// every name holding them.
    short_parts: Vec<(u32, f32)>,
    /// Where each token's run in `by_vocab` begins, by open addressing: `(token, start)`,
    /// a power of two of slots, at most half full, empty slots [`NO_TOKEN`]. A look-up is a
    /// probe or two in a small table rather than a binary search.
    slots: Vec<(u32, u32)>,
    /// A bit per vocabulary token: set for those in `by_vocab`, so that most name tokens are
    /// passed over without a search.
    reached: Vec<u64>,
    /// Lengths of the query tokens (as weights, at least 2, like the exact scorer's).
    q_len: Vec<f32>,
    /// First letters of the query's one-letter tokens (initials).
    q_initials: Vec<u8>,
    q_first: Vec<u8>,
    q_is_initial: Vec<bool>,
}

/// The first slot a token is looked for in, of `size` (a power of two).
fn slot_of(t: u32, size: usize) -> usize {
    (t.wrapping_mul(0x9e37_79b1) as usize) & (size - 1)
}

impl Expanded {
    /// Where token `t`'s run in `by_vocab` begins (`by_vocab.len()` when it has none).
    fn start_of(&self, t: u32) -> usize {
        let size = self.slots.len();
        if size == 0 {
            return self.by_vocab.len();
        }
        let mut h = slot_of(t, size);
        loop {
            match self.slots[h] {
                (s, start) if s == t => return start as usize,
                (s, _) if s == NO_TOKEN => return self.by_vocab.len(),
                _ => h = (h + 1) & (size - 1),
            }
        }
    }
}

fn weight(len: usize) -> f32 {
    len.max(2) as f32
}

impl Index {
    fn intern(&mut self, t: &str) -> u32 {
        if let Some(&id) = self.ids.get(t) {
            return id;
        }
        let id = self.lens.len() as u32;
        self.ids.insert(t.into(), id);
        if self.bounds.is_empty() {
            self.bounds.push(0);
        }
        self.text.push_str(t);
        self.bounds.push(self.text.len() as u32);
        self.lens.push(t.len().min(255) as u8);
        self.firsts
            .push(t.as_bytes().first().copied().unwrap_or(b' '));
        self.abjad.push(false);
        self.building.push(vec![]);
        id
    }

    /// Adds a name (already normalised) and returns its id.
    pub fn add(&mut self, entity: u32, n: &Normalized) -> u32 {
        let id = self.names.len() as u32;
        let tokens: Vec<u32> = n.tokens.iter().map(|t| self.intern(t)).collect();
        let all: Vec<u32> = n.all.iter().map(|t| self.intern(t)).collect();
        let mut distinct = tokens.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        for &t in &distinct {
            self.building[t as usize].push(id);
            if n.abjad {
                self.abjad[t as usize] = true;
            }
        }
        self.names.push(entity, n.abjad, &tokens, &all);
        id
    }

    /// Completes the index once every name is in: prefix postings and lookup tables.
    pub fn finish(&mut self) {
        self.sort_vocabulary();
        let mut prefix: Vec<Vec<Prefix>> = vec![vec![]; self.lens.len()];
        for id in 0..self.names.len() as u32 {
            let tokens = self.names.tokens(id);
            let mut ranked: Vec<u32> = tokens.to_vec();
            ranked.sort_unstable();
            ranked.dedup();
            // Rarest first; an initial only when the name has nothing else.
            ranked.sort_by_key(|&t| (self.lens[t as usize] < 2, self.building[t as usize].len()));
            // The rarest tokens that carry more than the weight a candidate may leave unmatched.
            let total: f32 = tokens.iter().map(|&t| self.weight(t)).sum();
            let mut carried = 0.0;
            let count = tokens.len().min(usize::from(u8::MAX)) as u8;
            // The name's rarest tokens it cannot do without: left unmatched, each leaves it
            // short of the lowest bound however well the rest match.
            let indispensable: Vec<u32> = ranked
                .iter()
                .copied()
                .filter(|&t| self.weight(t) > (1.0 - MIN_BOUND) * total)
                .take(2)
                .collect();
            for &t in &ranked {
                let w = self.weight(t);
                prefix[t as usize].push(Prefix {
                    count,
                    ratio: (total / w * 16.0).ceil().min(255.0) as u8,
                    name: id,
                    also: indispensable
                        .iter()
                        .copied()
                        .find(|&u| u != t)
                        .unwrap_or(NO_TOKEN),
                });
                carried += w;
                if carried > (1.0 - MIN_BOUND) * total {
                    break;
                }
            }
        }
        for p in &mut prefix {
            p.sort_unstable();
        }
        self.prefix = Postings::from_lists(prefix);
        let (mut deletes, mut skeletons, mut phonetics) = (vec![], vec![], vec![]);
        let (mut thin, mut abjad_skeletons, mut abjad_thin) = (vec![], vec![], vec![]);
        let mut keys = vec![];
        for t in 0..self.lens.len() {
            if self.building[t].is_empty() {
                continue;
            }
            let text = self.token(t as u32);
            let b = text.as_bytes();
            let t = t as u32;
            delete_keys(b, &mut keys);
            deletes.extend(
                keys.iter()
                    .map(|&(k, level)| (k, t | u32::from(level) << LEVEL_SHIFT)),
            );
            if b.len() > 1 {
                let k = skeleton(text);
                let in_abjad = self.abjad[t as usize];
                if k.len() > 1 {
                    skeleton_keys(k.as_bytes(), &mut keys);
                    let entries = keys
                        .iter()
                        .map(|&(k, level)| (k, t | u32::from(level) << LEVEL_SHIFT));
                    if in_abjad {
                        abjad_skeletons.extend(entries.clone());
                    }
                    skeletons.extend(entries);
                } else {
                    thin.push((key(k.as_bytes()), t));
                    if in_abjad {
                        abjad_thin.push((key(k.as_bytes()), t));
                    }
                }
                let ph = phonetic(text);
                if !ph.is_empty() {
                    phonetics.push((key(ph.as_bytes()), t));
                }
            }
        }
        self.deletes = Table::build(deletes);
        self.skeletons = Table::build(skeletons);
        self.thin = Table::build(thin);
        self.abjad_skeletons = Table::build(abjad_skeletons);
        self.abjad_thin = Table::build(abjad_thin);
        self.phonetics = Table::build(phonetics);
        self.full = Postings::from_lists(std::mem::take(&mut self.building));
        self.store_common_expansions();
    }

    /// Renumbers the vocabulary in alphabetical order: a query token's variants ("MOHAMED",
    /// "MOHAMMAD", "MOHAMMMED") then lie near one another, so that comparing the query token
    /// with them reads a few nearby stretches of memory rather than one place per variant.
    fn sort_vocabulary(&mut self) {
        let n = self.lens.len();
        let mut order: Vec<u32> = (0..n as u32).collect();
        order.sort_unstable_by(|&a, &b| self.token(a).cmp(self.token(b)));
        let mut renumber = vec![0u32; n];
        for (new, &old) in order.iter().enumerate() {
            renumber[old as usize] = new as u32;
        }
        let (mut text, mut bounds) = (String::with_capacity(self.text.len()), vec![0u32]);
        for &old in &order {
            text.push_str(self.token(old));
            bounds.push(text.len() as u32);
        }
        self.text = text;
        self.bounds = bounds;
        let permute = |v: &mut Vec<u8>| *v = order.iter().map(|&o| v[o as usize]).collect();
        permute(&mut self.lens);
        permute(&mut self.firsts);
        self.abjad = order.iter().map(|&o| self.abjad[o as usize]).collect();
        let mut full = Vec::with_capacity(n);
        for &old in &order {
            full.push(std::mem::take(&mut self.building[old as usize]));
        }
        self.building = full;
        for id in self.ids.values_mut() {
            *id = renumber[*id as usize];
        }
        let names = &mut self.names;
        for i in 0..names.len() {
            let (s, e) = (names.start[i] as usize, names.start[i + 1] as usize);
            for t in &mut names.data[s + 1..e] {
                *t = renumber[*t as usize];
            }
        }
    }

    pub fn token(&self, t: u32) -> &str {
        &self.text[self.bounds[t as usize] as usize..self.bounds[t as usize + 1] as usize]
    }

    /// A token's weight in a name's score: its length (see [`weight`]).
    fn weight(&self, t: u32) -> f32 {
        weight((self.bounds[t as usize + 1] - self.bounds[t as usize]) as usize)
    }

    /// The tokens of a name (see [`crate::names::NameRef`]) into `tokens` and `all`; whether
    /// it is written in an abjad.
    pub fn name_tokens<'a>(
        &'a self,
        name: u32,
        tokens: &mut Vec<&'a str>,
        all: &mut Vec<&'a str>,
    ) -> bool {
        tokens.clear();
        tokens.extend(self.names.tokens(name).iter().map(|&t| self.token(t)));
        all.clear();
        all.extend(self.names.all(name).iter().map(|&t| self.token(t)));
        self.names.abjad[name as usize]
    }

    /// Touches what exact scoring reads of these names (their records, the text of their
    /// tokens) in tight loops of independent loads, a step of the chain at a time, so that
    /// scoring finds it in cache (see [`Index::estimate_all`]).
    pub fn touch_names(&self, names: impl Iterator<Item = u32> + Clone) {
        let mut touched = 0u32;
        for n in names.clone() {
            let n = n as usize;
            touched ^= self.names.start[n] ^ self.names.entity[n] ^ u32::from(self.names.abjad[n]);
        }
        for n in names.clone() {
            touched ^= self.names.data[self.names.start[n as usize] as usize];
        }
        for n in names.clone() {
            for &t in self.names.all(n) {
                touched ^= self.bounds[t as usize];
            }
        }
        let text = self.text.as_bytes();
        for n in names {
            for &t in self.names.all(n) {
                touched ^= u32::from(
                    text.get(self.bounds[t as usize] as usize)
                        .copied()
                        .unwrap_or(0),
                );
            }
        }
        std::hint::black_box(touched);
    }

    /// The name as [`crate::names::normalize`] gave it, for exact scoring.
    pub fn normalized(&self, name: u32) -> Normalized {
        let tokens: Vec<String> = self
            .names
            .tokens(name)
            .iter()
            .map(|&t| self.token(t).to_owned())
            .collect();
        let all: Vec<String> = self
            .names
            .all(name)
            .iter()
            .map(|&t| self.token(t).to_owned())
            .collect();
        let noise = all
            .iter()
            .filter(|t| !tokens.contains(t))
            .cloned()
            .collect();
        Normalized {
            tokens,
            noise,
            all,
            abjad: self.names.abjad[name as usize],
        }
    }

    fn sim(&self, q: &str, t: u32) -> f32 {
        token_similarity(q, self.token(t)) as f32
    }

    /// What one query token (of two letters or more) reaches in the vocabulary: `(token,
    /// similarity)`, a token possibly more than once. Remembered for the next query with the
    /// same token (names share their common tokens), up to [`EXPANSION_CACHE`] pairs.
    fn token_expansion(&self, qt: &str, abjad: bool) -> TokenExpansion<'_> {
        if !abjad
            && let Some(&t) = self.ids.get(qt)
            && let stored = self.common.get(t)
            && !stored.is_empty()
        {
            return TokenExpansion::Stored(stored);
        }
        TokenExpansion::Cached(self.cached_expansion(qt, abjad))
    }

    fn cached_expansion(&self, qt: &str, abjad: bool) -> Expansion {
        let side = usize::from(abjad);
        if let Some(hit) = self
            .expansions
            .lock()
            .ok()
            .and_then(|c| c.maps[side].get(qt).cloned())
        {
            return hit;
        }
        let computed: Expansion = self.expand_token(qt, abjad).into();
        if let Ok(mut c) = self.expansions.lock() {
            // Full: start again (simpler than evicting, and the common tokens soon return).
            if c.pairs + computed.len() > EXPANSION_CACHE {
                *c = Expansions::default();
            }
            c.pairs += computed.len();
            c.maps[side].insert(qt.into(), computed.clone());
        }
        computed
    }

    /// Computes once, when the index is built, the expansions of the tokens that at least
    /// [`COMMON_TOKEN`] names hold: names share their common tokens, so queries do too, and
    /// the first query with each would otherwise pay for it. On as many threads as there are
    /// cores.
    fn store_common_expansions(&mut self) {
        let common: Vec<u32> = (0..self.lens.len() as u32)
            .filter(|&t| self.full.get(t).len() >= COMMON_TOKEN)
            .collect();
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = common.len().div_ceil(threads).max(1);
        let this = &*self;
        // Each thread's share as one list of pairs and each token's count: a few large
        // allocations rather than one per token, so that the memory they take while the index
        // is built goes back once they are copied.
        let parts: Vec<Share> = std::thread::scope(|scope| {
            let workers: Vec<_> = common
                .chunks(chunk)
                .map(|ids| {
                    scope.spawn(move || {
                        let (mut counts, mut pairs) = (Vec::with_capacity(ids.len()), vec![]);
                        for &t in ids {
                            let e = this.expand_token(this.token(t), false);
                            counts.push(e.len() as u32);
                            pairs.extend(e);
                        }
                        (counts, pairs)
                    })
                })
                .collect();
            // A share lost to a panic would shift every later token's count onto the wrong
            // token: the panic goes on rather than leave a wrong index.
            workers
                .into_iter()
                .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
                .collect()
        });
        let total: usize = parts.iter().map(|p| p.1.len()).sum();
        let mut stored = Postings {
            start: Vec::with_capacity(self.lens.len() + 1),
            data: Vec::with_capacity(total),
        };
        stored.start.push(0);
        let mut tokens = common.iter().copied().peekable();
        let mut counts = parts.iter().flat_map(|p| p.0.iter().copied());
        for t in 0..self.lens.len() as u32 {
            if tokens.next_if_eq(&t).is_some() {
                let n = counts.next().unwrap_or(0);
                stored.start.push(stored.start[t as usize] + n);
            } else {
                stored.start.push(stored.start[t as usize]);
            }
        }
        for (_, pairs) in parts {
            stored.data.extend_from_slice(&pairs);
        }
        self.common = stored;
    }

    fn expand_token(&self, qt: &str, abjad: bool) -> Vec<(u32, f32)> {
        let b = qt.as_bytes();
        let mut keys = vec![];
        let mut out = vec![];
        let mut found: Vec<(u32, bool)> = vec![];
        delete_keys(b, &mut keys);
        for &(k, level) in &keys {
            found.extend(
                self.deletes
                    .get(k)
                    .filter(|t| (t >> LEVEL_SHIFT) + u32::from(level) <= 3)
                    .map(|t| (t & ((1 << LEVEL_SHIFT) - 1), false)),
            );
        }
        // Tokens whose consonant skeletons are alike: what the exact scorer compares against a
        // name written in an abjad.
        // A query in Latin script is compared by skeleton with names written in an abjad only;
        // with the rest, an equal skeleton marks a variant spelling ("MOHAMMED", "MUHAMMAD").
        let sk = skeleton(qt);
        let (near, thin) = if abjad {
            (&self.skeletons, &self.thin)
        } else {
            (&self.abjad_skeletons, &self.abjad_thin)
        };
        if sk.len() > 1 {
            skeleton_keys(sk.as_bytes(), &mut keys);
            for &(k, level) in &keys {
                found.extend(
                    near.get(k)
                        .filter(|t| (t >> LEVEL_SHIFT) + u32::from(level) <= 2)
                        .map(|t| (t & ((1 << LEVEL_SHIFT) - 1), true)),
                );
            }
            if !abjad {
                found.extend(
                    self.skeletons
                        .get(key(sk.as_bytes()))
                        .filter(|t| t >> LEVEL_SHIFT == 0)
                        .map(|t| (t & ((1 << LEVEL_SHIFT) - 1), true)),
                );
            }
        } else {
            found.extend(thin.get(key(sk.as_bytes())).map(|t| (t, true)));
        }
        // Tokens that begin the query token, shorter than the deletions reach: Jaro-Winkler
        // credits a shared beginning.
        for k in 3..b.len().saturating_sub(2) {
            if let Some(&t) = self.ids.get(&qt[..k]) {
                found.push((t, false));
            }
        }
        // And tokens the query token begins, longer than the deletions reach ("SONG" and
        // "SONGBIRD"): the vocabulary is in alphabetical order, so they are one run of it.
        if b.len() >= LONGER_FROM {
            let start = partition_ids(self.lens.len(), |t| self.token(t) < qt);
            found.extend(
                (start..self.lens.len() as u32)
                    .take(LONGER_SCAN)
                    .take_while(|&t| self.token(t).starts_with(qt))
                    .filter(|&t| {
                        (b.len() + 3..=b.len() + LONGER_BY)
                            .contains(&usize::from(self.lens[t as usize]))
                    })
                    .map(|t| (t, false)),
            );
        }
        let ph = phonetic(qt);
        if !ph.is_empty() {
            found.extend(self.phonetics.get(key(ph.as_bytes())).map(|t| (t, false)));
        }
        found.sort_unstable();
        found.dedup_by(|a, b| {
            if a.0 == b.0 {
                b.1 |= a.1;
                true
            } else {
                false
            }
        });
        // The tokens found lie all over the vocabulary: their text is first touched in a
        // tight loop of independent loads, which the processor overlaps, rather than
        // waited for one by one while comparing.
        let starts: Vec<u32> = found
            .iter()
            .map(|&(t, _)| self.bounds[t as usize])
            .collect();
        let text = self.text.as_bytes();
        let mut touched = 0u8;
        for &s in &starts {
            touched ^= text.get(s as usize).copied().unwrap_or_default();
        }
        for &(t, _) in &found {
            touched ^= u8::from(self.abjad[t as usize]);
        }
        std::hint::black_box(touched);
        for (t, _) in found {
            let mut sim = self.sim(qt, t);
            // Against a name written in an abjad, the exact scorer also compares skeletons.
            if abjad || self.abjad[t as usize] {
                sim = sim.max(SKELETON_SIM * skeleton_similarity(&sk, &skeleton(self.token(t))));
            }
            if sim >= TOKEN_SIM {
                out.push((t, sim));
            }
        }
        // A token made of two or three vocabulary tokens, every way it splits; failing those,
        // of more, the fewest ("KAVEHCUTTINGTOOLSCOMPANY").
        // Splits into words of SPLIT_VARIANTS_FROM letters or more are not accidents ("MO
        // HAMMED"): their words' close variants are reached too, for the words of a name
        // written as one are spelt as loosely as any ("ABDULRAHMAN" and "ABDUR RAHMAN").
        let (mut parts, mut worded) = (vec![], vec![]);
        let mut split = |ps: &[u32]| {
            parts.extend_from_slice(ps);
            if ps
                .iter()
                .all(|&p| usize::from(self.lens[p as usize]) >= SPLIT_VARIANTS_FROM)
            {
                worded.extend_from_slice(ps);
            }
        };
        for k in 2..b.len().saturating_sub(1) {
            let (left, rest) = qt.split_at(k);
            let Some(&l) = self.ids.get(left) else {
                continue;
            };
            if let Some(&r) = self.ids.get(rest) {
                split(&[l, r]);
            }
            for k2 in 2..rest.len().saturating_sub(1) {
                let (mid, right) = rest.split_at(k2);
                if let (Some(&mi), Some(&r)) = (self.ids.get(mid), self.ids.get(right)) {
                    split(&[l, mi, r]);
                }
            }
        }
        if parts.is_empty() {
            parts = self.segment(qt);
        }
        parts.sort_unstable();
        parts.dedup();
        // A word of two letters ("IN" of "MUJAHIDIN", "AL" of "ALRAHMAN") beside a longer one
        // is too common to gather names through: it is marked, and only estimating counts it.
        let longer = parts
            .iter()
            .any(|&p| usize::from(self.lens[p as usize]) > 2);
        out.extend(parts.iter().map(|&p| {
            if longer && self.lens[p as usize] <= 2 {
                (p | SHORT_PART, 1.0)
            } else {
                (p, 1.0)
            }
        }));
        worded.sort_unstable();
        worded.dedup();
        for &p in &worded {
            out.extend(
                self.token_expansion(self.token(p), abjad)
                    .iter()
                    .filter(|e| e.1 >= SPLIT_VARIANT_SIM),
            );
        }
        out
    }

    /// The fewest vocabulary tokens (of two letters or more, at least four of them) that
    /// written together make `qt`, or none.
    fn segment(&self, qt: &str) -> Vec<u32> {
        let n = qt.len();
        if n < 8 || !qt.is_ascii() {
            return vec![];
        }
        // best[i]: the fewest tokens making `qt[..i]`, and where the last begins.
        let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
        best[0] = Some((0, 0));
        for end in 2..=n {
            for start in (0..=end - 2).rev() {
                let Some((count, _)) = best[start] else {
                    continue;
                };
                if best[end].is_some_and(|(c, _)| c <= count + 1) {
                    continue;
                }
                if self.ids.contains_key(&qt[start..end]) {
                    best[end] = Some((count + 1, start));
                }
            }
        }
        let mut parts = vec![];
        let mut end = n;
        while end > 0 {
            let Some((_, start)) = best[end] else {
                return vec![];
            };
            parts.push(self.ids[&qt[start..end]]);
            end = start;
        }
        if parts.len() < 4 { vec![] } else { parts }
    }

    /// What each query token reaches in the vocabulary.
    pub fn expand(&self, q: &Normalized) -> Expanded {
        let mut ex = Expanded::default();
        let m = q.tokens.len();
        ex.per_token = vec![vec![]; m];
        // A token reached twice keeps its best similarity (see the end).
        let push = |ex: &mut Expanded, i: usize, t: u32, sim: f32| ex.per_token[i].push((t, sim));
        let mut short_parts = vec![];
        for (i, qt) in q.tokens.iter().enumerate() {
            ex.q_len.push(weight(qt.len()));
            ex.q_first.push(qt.as_bytes()[0]);
            ex.q_is_initial.push(qt.len() == 1);
            let b = qt.as_bytes();
            if b.len() == 1 {
                ex.q_initials.push(b[0]);
                continue;
            }
            for &(t, sim) in self.token_expansion(qt, q.abjad).iter() {
                if t & SHORT_PART == 0 {
                    ex.per_token[i].push((t, sim));
                } else {
                    short_parts.push((t & !SHORT_PART, i as u16, sim));
                }
            }
        }
        // Adjacent query tokens that a name writes as one.
        for w in 2..=3 {
            for start in 0..m.saturating_sub(w - 1) {
                let joined: String = q.tokens[start..start + w].concat();
                if let Some(&t) = self.ids.get(joined.as_str()) {
                    for i in start..start + w {
                        push(&mut ex, i, t, 1.0);
                    }
                }
            }
        }
        for list in &mut ex.per_token {
            list.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)));
            list.dedup_by_key(|e| e.0);
        }
        for (i, list) in ex.per_token.iter().enumerate() {
            for &(t, sim) in list {
                ex.by_vocab.push((t, i as u16, sim));
            }
        }
        ex.by_vocab
            .extend(short_parts.iter().map(|&(t, i, sim)| (t, i, sim)));
        ex.short_parts = short_parts
            .into_iter()
            .map(|(t, _, sim)| (t, sim))
            .collect();
        ex.by_vocab
            .sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
        ex.reached = vec![0; self.lens.len().div_ceil(64)];
        for &(t, _, _) in &ex.by_vocab {
            ex.reached[t as usize / 64] |= 1 << (t % 64);
        }
        let size = (ex.by_vocab.len() * 2).next_power_of_two().max(16);
        ex.slots = vec![(NO_TOKEN, 0); size];
        for (at, &(t, _, _)) in ex.by_vocab.iter().enumerate() {
            if at > 0 && ex.by_vocab[at - 1].0 == t {
                continue;
            }
            let mut h = slot_of(t, size);
            while ex.slots[h].0 != NO_TOKEN {
                h = (h + 1) & (size - 1);
            }
            ex.slots[h] = (t, at as u32);
        }
        ex
    }

    /// The names sharing enough with the query to be worth estimating (see the module docs).
    ///
    /// `bound` is the lowest name score a hit could have: names that cannot reach it are not
    /// gathered.
    pub fn gather(&self, ex: &Expanded, bound: f32, out: &mut Vec<u32>) {
        out.clear();
        // A query of one token (not an initial) scores at most 0.9 against a name of several
        // (see [`crate::names::compare`]), less 0.15 of the share of the name it leaves
        // unmatched: at a bound of [`ONE_TOKEN_BOUND`] or more, such a name must cover
        // itself nearly whole, as a name with no more tokens than the query must, and it is
        // found the same way, through its rarest tokens.
        if let [only] = ex.q_is_initial[..]
            && !only
            && bound >= ONE_TOKEN_BOUND
        {
            let name_slack = (1.0 - bound / ONE_TOKEN_FACTOR) / UNMATCHED_PENALTY;
            self.gather_by_rarest(ex, u8::MAX, name_slack, out);
            self.once_each(out);
            return;
        }
        let total: f32 = ex.q_len.iter().sum();
        let slack = (1.0 - bound.max(MIN_BOUND)) * total;
        // A name must match query token `i` at least this well to reach the bound, whatever it
        // matches of the rest.
        let floor = |i: usize| 1.0 - slack / ex.q_len[i];
        let mut order: Vec<(usize, usize)> = ex
            .per_token
            .iter()
            .enumerate()
            // A query initial pairs with any name token it begins: no posting list holds
            // those names, so an initial never selects candidates.
            .filter(|(i, l)| !l.is_empty() && !ex.q_is_initial[*i])
            .map(|(i, l)| {
                let cost = l
                    .iter()
                    .filter(|(_, sim)| *sim >= floor(i))
                    .map(|(t, _)| self.full.get(*t).len())
                    .sum::<usize>()
                    + self
                        .initial(ex, i, floor(i))
                        .map_or(0, |t| self.full.get(t).len());
                (cost, i)
            })
            .collect();
        order.sort_unstable();
        // The cheapest query tokens that carry more than the slack: a name matching none of
        // them cannot cover enough of the query.
        let mut carried = 0.0;
        let mut essentials = 0;
        let postings = |i: usize| {
            ex.per_token[i]
                .iter()
                .filter(move |(_, sim)| *sim >= floor(i))
                .map(|(t, _)| *t)
                .chain(self.initial(ex, i, floor(i)))
                .map(|t| self.full.get(t))
        };
        for &(_, i) in &order {
            for p in postings(i) {
                out.extend_from_slice(p);
            }
            essentials += 1;
            carried += ex.q_len[i];
            if carried > slack {
                break;
            }
        }
        // A name must also match each other token it cannot do without (one whose floor is
        // above what an unreached token could count): the two cheapest of those keep only the
        // names their postings hold, so that fewer names are estimated.
        for &(cost, i) in order
            .iter()
            .skip(essentials)
            .filter(|(_, i)| floor(*i) >= TOKEN_SIM)
            .take(REQUIRED_CHECKS)
        {
            // Reading a posting costs far less than estimating a name, but not nothing.
            if out.is_empty() || cost > FILTER_COST * out.len() {
                break;
            }
            SCRATCH.with_borrow_mut(|seen| {
                seen.resize(seen.len().max(self.names.len().div_ceil(64)), 0);
                for p in postings(i) {
                    for &n in p {
                        seen[n as usize / 64] |= 1 << (n % 64);
                    }
                }
                out.retain(|&n| seen[n as usize / 64] & (1 << (n % 64)) != 0);
                // Left as found, for the next use.
                for p in postings(i) {
                    for &n in p {
                        seen[n as usize / 64] = 0;
                    }
                }
            });
        }
        // Names with no more tokens than the query must cover enough of themselves: they are
        // found through their rarest tokens.
        let m = ex.q_len.len().min(usize::from(u8::MAX)) as u8;
        self.gather_by_rarest(ex, m, 1.0 - bound.max(MIN_BOUND), out);
        self.once_each(out);
    }

    /// Adds to `out` the names of at most `m` tokens that hold one of the query's vocabulary
    /// tokens among their rarest, matched well enough that the name could leave no more than
    /// `name_slack` of itself unmatched.
    fn gather_by_rarest(&self, ex: &Expanded, m: u8, name_slack: f32, out: &mut Vec<u32>) {
        // The lists first, and their first entries touched (see [`Index::estimate_all`]).
        let lists: Vec<(&[Prefix], f32)> = ex
            .per_token
            .iter()
            .flatten()
            .chain(&ex.short_parts)
            .map(|&(t, sim)| (self.prefix.get(t), sim))
            .filter(|(l, _)| !l.is_empty())
            .collect();
        let mut touched = 0u8;
        for (l, _) in &lists {
            touched ^= l[0].count;
        }
        std::hint::black_box(touched);
        for &(list, sim) in &lists {
            {
                // Matched less than this, the token leaves the name short of the bound even if
                // every other token of it matches.
                out.extend(
                    list.iter()
                        .take_while(|e| e.count <= m)
                        .filter(|e| sim >= 1.0 - name_slack * f32::from(e.ratio) / 16.0)
                        .filter(|e| self.may_match(ex, e.also))
                        .map(|e| e.name),
                );
            }
        }
    }

    /// Keeps each gathered name once (the first time it comes), through a bitset: their order
    /// does not matter to what follows (sorting them was measured: it costs more than the
    /// estimating it would speed up), and a bitset of every name need not be read back.
    fn once_each(&self, out: &mut Vec<u32>) {
        SCRATCH.with_borrow_mut(|seen| {
            seen.resize(seen.len().max(self.names.len().div_ceil(64)), 0);
            out.retain(|&n| {
                let (word, bit) = (&mut seen[n as usize / 64], 1u64 << (n % 64));
                let first = *word & bit == 0;
                *word |= bit;
                first
            });
            // Left as found, for the next use.
            for &n in out.iter() {
                seen[n as usize / 64] = 0;
            }
        });
    }

    /// Whether the query could match name token `t` at all: it reached the token, or an
    /// initial pairs with it.
    fn may_match(&self, ex: &Expanded, t: u32) -> bool {
        if t == NO_TOKEN || ex.reached[t as usize / 64] & (1 << (t % 64)) != 0 {
            return true;
        }
        let first = self.firsts[t as usize];
        if self.lens[t as usize] == 1 {
            ex.q_first.contains(&first)
        } else {
            ex.q_initials.contains(&first)
        }
    }

    /// The initial of query token `i` as a vocabulary token, when pairing with it could credit
    /// the token at least `floor`.
    fn initial(&self, ex: &Expanded, i: usize, floor: f32) -> Option<u32> {
        if 0.9 * 2.0 / ex.q_len[i] < floor {
            return None;
        }
        let first = [ex.q_first[i]];
        let letter = std::str::from_utf8(&first).ok()?;
        self.ids.get(letter).copied()
    }

    /// The estimates of the gathered names, `(estimate, name)`.
    ///
    /// Estimating is bound by memory latency: each name is one record somewhere in a large
    /// array. The records are first touched in a tight loop of independent loads, which the
    /// processor overlaps, so that estimating then finds them in cache rather than waiting on
    /// one miss after another.
    pub fn estimate_all(&self, ex: &Expanded, gathered: &[u32]) -> Vec<(f32, u32)> {
        let starts: Vec<u32> = gathered
            .iter()
            .map(|&n| self.names.start[n as usize])
            .collect();
        let mut touched = 0u32;
        for &s in &starts {
            touched = touched.wrapping_add(self.names.data[s as usize]);
        }
        std::hint::black_box(touched);
        let mut scratch = vec![];
        gathered
            .iter()
            .map(|&id| (self.estimate(ex, id, &mut scratch), id))
            .collect()
    }

    /// An estimate of the exact name score from token similarities alone, computed the way
    /// [`crate::names::compare`]'s token alignment is, without pairing constraints.
    pub fn estimate(&self, ex: &Expanded, name: u32, q_best: &mut Vec<f32>) -> f32 {
        let tokens = self.names.tokens(name);
        q_best.clear();
        q_best.resize(ex.q_len.len(), 0.0);
        let (mut n_sum, mut n_weight) = (0.0f32, 0.0f32);
        for &t in tokens {
            let (len, first) = (self.lens[t as usize], self.firsts[t as usize]);
            let w = weight(usize::from(len));
            let mut best = 0.0f32;
            if len == 1 {
                // An initial of the name pairs with any query token it begins.
                for (qi, &q_first) in ex.q_first.iter().enumerate() {
                    if q_first == first {
                        best = best.max(0.9);
                        let credit = (0.9 * 2.0 / ex.q_len[qi]).min(0.9);
                        q_best[qi] = q_best[qi].max(credit);
                    }
                }
            } else {
                if ex.reached[t as usize / 64] & (1 << (t % 64)) != 0 {
                    let start = ex.start_of(t);
                    for &(_, qi, sim) in ex.by_vocab[start..].iter().take_while(|e| e.0 == t) {
                        best = best.max(sim);
                        let b = &mut q_best[qi as usize];
                        *b = b.max(sim);
                    }
                }
                if ex.q_initials.contains(&first) {
                    for (qi, &is_initial) in ex.q_is_initial.iter().enumerate() {
                        if is_initial && ex.q_first[qi] == first {
                            q_best[qi] = q_best[qi].max(0.9);
                            best = best.max(0.9 * 2.0 / w);
                        }
                    }
                }
            }
            n_sum += best * w;
            n_weight += w;
        }
        let q_weight: f32 = ex.q_len.iter().sum();
        let q_sum: f32 = q_best.iter().zip(&ex.q_len).map(|(b, w)| b * w).sum();
        let (q_cov, n_cov) = (q_sum / q_weight.max(1.0), n_sum / n_weight.max(1.0));
        let (qn, nn) = (ex.q_len.len(), tokens.len());
        let (short, long, short_len, long_len) = match qn.cmp(&nn) {
            std::cmp::Ordering::Less => (q_cov, n_cov, qn, nn),
            std::cmp::Ordering::Greater => (n_cov, q_cov, nn, qn),
            std::cmp::Ordering::Equal => (q_cov.max(n_cov), q_cov.min(n_cov), qn, nn),
        };
        let single = if short_len == 1 && long_len > 1 {
            0.9
        } else {
            1.0
        };
        ((short - 0.15 * (1.0 - long)) * single).max(0.0)
    }

    /// Roughly the heap the index takes, in bytes: `(lookup tables, postings, names and
    /// vocabulary)`.
    pub fn heap_bytes(&self) -> (usize, usize, usize) {
        let tables = self.deletes.bytes()
            + self.skeletons.bytes()
            + self.thin.bytes()
            + self.abjad_skeletons.bytes()
            + self.abjad_thin.bytes()
            + self.phonetics.bytes();
        let postings = self.full.bytes() + self.prefix.bytes() + self.common.bytes();
        // The arena and the look-up map's copies of the text.
        let names: usize =
            self.names.bytes() + self.lens.len() * (2 + 4 + 16 + 24) + self.text.len() * 2;
        (tables, postings, names)
    }

    pub fn vocabulary(&self) -> usize {
        self.lens.len()
    }
}
