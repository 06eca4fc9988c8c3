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

use crate::names::{Normalized, skeleton, token_similarity, variant_skeleton};

mod build;
mod expand;
mod gather;

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
/// Tokens longer than this are not reached with two letters left out, and a token is split
/// into words of at most this many letters: no name's word is that long, though a query's
/// token can be (a long name written without spaces, a hostile one). Unbounded, both cost
/// time growing with the cube of the token's length (a 1,000-letter word took a second).
const LONGEST_WORD: usize = 64;

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
    if (TWO_DELETES_FROM..=LONGEST_WORD).contains(&b.len()) {
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

/// The key under which a token's spellings by the national systems of transliteration are
/// kept, beside its phonetic key (see [`crate::romanize::fold`]), marked apart from those.
fn fold_key(token: &str) -> Option<u32> {
    let mut k = [0u8; crate::romanize::fold::MAX + 1];
    let (mark, rest) = k.split_at_mut(1);
    mark[0] = b'~';
    let n = crate::romanize::fold::key(token.as_bytes(), rest.try_into().ok()?)?;
    Some(key(&k[..n + 1]))
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
    /// Each token's length (at most 255); and its length and first letter side by side, what
    /// estimating reads of every token of every name it estimates (one place, not two), both
    /// kept apart from its text.
    lens: Vec<u8>,
    len_first: Vec<[u8; 2]>,
    /// The token appears in a name written in an abjad.
    abjad: Vec<bool>,
    /// Each token's consonant skeleton, as a number: the distinct skeletons are kept one
    /// after the other in `skeleton_text` (skeleton `s` is
    /// `skeleton_text[skeleton_bounds[s]..skeleton_bounds[s + 1]]`). Comparing a name with one
    /// written in an abjad compares the skeletons of their tokens: read here, not built anew
    /// for each name scored, and compared once for the many tokens that share one when a
    /// query token is expanded.
    skeleton_of: Vec<u32>,
    skeleton_text: String,
    skeleton_bounds: Vec<u32>,
    /// Every name carrying the token, while names are added; [`Index::finish`] moves them into
    /// `full`.
    building: Vec<Vec<u32>>,
    /// Whether each name is posted (gathered through), while names are added: a name that
    /// is not (see [`Normalized::gathers`]) is kept for scoring only.
    posted: Vec<bool>,
    /// Whether each token is a word (carrying or noise) of a name that is posted.
    posted_tokens: Vec<bool>,
    full: Postings<u32>,
    /// The names for which the token is among their rarest (see the module docs), sorted by
    /// their token count.
    prefix: Postings<Prefix>,
    /// The expansions of the vocabulary's common tokens, computed when the index is built (see
    /// [`Index::store_common_expansions`]); empty for the others.
    common: Postings<(u32, f32)>,
    /// The same, as a query token in an abjad expands them, of the tokens of names written
    /// in one.
    common_abjad: Postings<(u32, f32)>,
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
    /// Tokens whose skeleton as a variant spelling (see [`crate::names::variant_skeleton`],
    /// which the exact scorer pairs Latin spellings by) is not their skeleton (`KUTHY`: `KTH`,
    /// not `KD`), by that skeleton: with the skeletons themselves, what reaches every token
    /// a query token shares a variant skeleton with.
    variants: Table,
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
    pub fn token(&self, t: u32) -> &str {
        &self.text[self.bounds[t as usize] as usize..self.bounds[t as usize + 1] as usize]
    }

    /// A token's consonant skeleton (see [`crate::names::skeleton`]) and its number.
    pub fn token_skeleton(&self, t: u32) -> (u32, &str) {
        let s = self.skeleton_of[t as usize];
        let (a, b) = (
            self.skeleton_bounds[s as usize],
            self.skeleton_bounds[s as usize + 1],
        );
        (s, &self.skeleton_text[a as usize..b as usize])
    }

    /// The skeletons of a name's tokens (see [`Index::name_tokens`]) into `skeletons`.
    pub fn name_skeletons<'a>(&'a self, name: u32, skeletons: &mut Vec<&'a str>) {
        skeletons.clear();
        skeletons.extend(
            self.names
                .tokens(name)
                .iter()
                .map(|&t| self.token_skeleton(t).1),
        );
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
            weight: 1.0,
            gathers: true,
            whole: false,
        }
    }

    /// Roughly the heap the index takes, in bytes: `(lookup tables, postings, names and
    /// vocabulary)`.
    pub fn heap_bytes(&self) -> (usize, usize, usize) {
        let tables = self.deletes.bytes()
            + self.skeletons.bytes()
            + self.thin.bytes()
            + self.abjad_skeletons.bytes()
            + self.abjad_thin.bytes()
            + self.phonetics.bytes()
            + self.variants.bytes();
        let postings = self.full.bytes()
            + self.prefix.bytes()
            + self.common.bytes()
            + self.common_abjad.bytes();
        // The arena and the look-up map's copies of the text.
        let names: usize = self.names.bytes()
            + self.lens.len() * (4 + 4 + 4 + 16 + 24)
            + self.text.len() * 2
            + self.skeleton_text.len()
            + self.skeleton_bounds.len() * 4;
        (tables, postings, names)
    }

    pub fn vocabulary(&self) -> usize {
        self.lens.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A word no name has (1,000 letters, as a hostile query sends) has its one-letter
    /// deletions only, and is split into words no longer than a name's; a name's word has its
    /// two-letter deletions too.
    #[test]
    fn a_word_longer_than_any_name_is_read_within_bounds() {
        let long: Vec<u8> = (0..1000u32)
            .map(|i| b'A' + (i.wrapping_mul(2_654_435_761) >> 27) as u8 % 26)
            .collect();
        let mut keys = vec![];
        delete_keys(&long, &mut keys);
        assert!(keys.len() <= long.len() + 1, "{} keys", keys.len());
        delete_keys(b"KHRUSHCHOV", &mut keys);
        assert!(keys.iter().any(|k| k.1 == 2));
        let mut index = Index::default();
        for n in ["AB CD", "ABCD EFGH", "ABAB"] {
            index.add(0, &crate::names::normalize(n, crate::names::NameType::Any));
        }
        index.finish();
        // Split into the words it is made of, however long (a long name written as one).
        assert_eq!(index.segment(&"AB".repeat(500)).len(), 250);
        assert!(
            index
                .expand_token("ABCDEFGH", false)
                .iter()
                .any(|&(_, sim)| sim == 1.0)
        );
    }

    /// Tokens that only forms kept for scoring hold (a listed name's renderings that do not
    /// gather) are not followed: no name is gathered through them, and splitting a query token
    /// into them would stand in for the splits and segments that do gather.
    #[test]
    fn tokens_no_posting_lists_are_not_followed() {
        use crate::names::{NameType, normalize};
        let mut index = Index::default();
        let mut scored_only = normalize("ABCD EFGH", NameType::Any);
        scored_only.gathers = false;
        index.add(0, &scored_only);
        index.add(1, &normalize("ABCDEFGHIJ KLMN", NameType::Any));
        index.add(2, &normalize("ABCDEF GH", NameType::Any));
        index.finish();
        let id = |t: &str| index.ids[t];
        let reached: Vec<u32> = index
            .expand_token("ABCDEFGH", false)
            .iter()
            .map(|e| e.0 & !SHORT_PART)
            .collect();
        assert!(!reached.contains(&id("ABCD")) && !reached.contains(&id("EFGH")));
        // The split into tokens that do gather is found.
        assert!(reached.contains(&id("ABCDEF")) && reached.contains(&id("GH")));
    }

    /// An index of these names, finished.
    fn index_of(names: &[&str]) -> Index {
        use crate::names::{NameType, normalize};
        let mut index = Index::default();
        for (i, n) in names.iter().enumerate() {
            index.add(i as u32, &normalize(n, NameType::Any));
        }
        index.finish();
        index
    }

    /// The skeletons the index keeps are those [`crate::names::skeleton`] makes, one number
    /// for each distinct skeleton.
    #[test]
    fn kept_skeletons_are_the_tokens_skeletons() {
        use crate::names::skeleton;
        let index = index_of(&["MUHAMMAD HUSSEIN", "MOHAMMED HUSAYN", "محمد حسين", "A B"]);
        for t in 0..index.lens.len() as u32 {
            let (id, k) = index.token_skeleton(t);
            assert_eq!(k, skeleton(index.token(t)), "{}", index.token(t));
            for u in 0..index.lens.len() as u32 {
                assert_eq!(
                    id == index.token_skeleton(u).0,
                    k == index.token_skeleton(u).1
                );
            }
        }
        let mut skeletons = vec![];
        index.name_skeletons(1, &mut skeletons);
        assert_eq!(skeletons, ["MHMD", "HSN"]);
    }

    /// A token of a name written in an abjad has its expansion as a query token in an abjad
    /// expands it stored with the index: the same as computed, read rather than computed.
    #[test]
    fn abjad_tokens_expansions_are_stored() {
        let index = index_of(&[
            "محمد حسين",
            "محمدحسين",
            "MOHAMMED HUSSEIN",
            "حسن علي",
            "MAHMOUD",
        ]);
        let mut stored = 0;
        for t in 0..index.lens.len() as u32 {
            let text = index.token(t).to_owned();
            let computed = index.expand_token(&text, true);
            let found = index.token_expansion(&text, true);
            assert_eq!(&found[..], &computed[..], "{text}");
            if index.abjad[t as usize] {
                assert!(matches!(found, TokenExpansion::Stored(_)), "{text}");
                stored += 1;
            }
        }
        assert!(stored >= 4);
    }

    /// Two tokens whose skeletons as variant spellings are equal, which the exact scorer
    /// credits as variants, reach each other though their skeletons differ (`KTH` and `KD`).
    #[test]
    fn variant_spellings_reach_each_other() {
        let index = index_of(&["KOUTAHI", "KUTHY"]);
        for (q, t) in [("KUTHY", "KOUTAHI"), ("KOUTAHI", "KUTHY")] {
            let want = index.ids[t];
            let sim = crate::names::token_similarity(q, t) as f32;
            assert!(sim >= TOKEN_SIM);
            let reached = index.expand_token(q, false);
            assert!(
                reached.iter().any(|&(u, s)| u == want && s >= sim),
                "{q} does not reach {t}"
            );
        }
    }
}
