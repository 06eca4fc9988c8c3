//! Screening a subject against lists through an index, so that a query does not scan the list.
//!
//! Every name and alias of every entry is normalised once (see [`crate::names`]) and indexed by
//! its tokens (see [`crate::index`]). A query reaches the vocabulary tokens like its own,
//! gathers the names carrying them, keeps the [`CANDIDATES`] best estimated, scores each
//! exactly, lets the corroborating fields (year of birth, country, identifiers) raise or lower
//! the score, and explains every hit.

use std::collections::HashMap;

use serde::Serialize;

use crate::index::Index;
use crate::model::{Designation, ListEntity, NameKind};
use crate::names::{
    NameRef, NameType, Normalized, combined_weight, compare_normalized, compare_tokens_with,
    normalize, normalize_all, token_similarity,
};

/// Hits at or above this score are reported when no limit is asked for.
pub const DEFAULT_THRESHOLD: f64 = 0.88;
/// What a matching year of birth adds to a hit's score.
const BIRTH_YEAR_MATCH: f64 = 0.05;
/// What a country matching a nationality or address adds.
const COUNTRY_MATCH: f64 = 0.03;
/// What an address sharing most of its words with one the list gives adds.
const ADDRESS_MATCH: f64 = 0.03;

/// How many candidates from the index are scored exactly.
pub const CANDIDATES: usize = 64;
/// Beyond [`CANDIDATES`], names estimated within this of the bound are scored too (the
/// estimate runs a little under the exact score).
const NEAR_BOUND: f32 = 0.01;
/// At most this many of them.
const NEAR_CANDIDATES: usize = 16;
/// Scoring up to this many names touches them first (see [`Index::touch_names`]): the
/// candidates of a query's forms, with room for the forms of the same names scored beside them.
const TOUCHED: usize = 4 * (CANDIDATES + NEAR_CANDIDATES);

/// The token similarities worked out in one query's scoring, so that a pair is mostly worked
/// out once: a query's candidates share their tokens (the query's own, and its common variants).
/// A pair is keyed by the query's form and token, the listed token (its id in the vocabulary)
/// and which way round it was asked (see [`crate::names::PairSim`]); a slot another pair
/// takes is overwritten.
struct PairMemo {
    slots: Vec<std::cell::Cell<(u64, f64)>>,
}

impl Default for PairMemo {
    fn default() -> Self {
        PairMemo {
            slots: vec![std::cell::Cell::new((0, 0.0)); 1 << PairMemo::BITS],
        }
    }
}

impl PairMemo {
    /// Slots: `2^BITS`.
    const BITS: u32 = 10;

    /// The key of a pair (never 0, an empty slot's), or `None` for a form or token beyond
    /// what a key holds (not remembered).
    fn key(form: usize, token: usize, listed: u32, reversed: bool) -> Option<u64> {
        (form < 1 << 10 && token < 1 << 10).then(|| {
            1 | u64::from(reversed) << 1
                | (token as u64) << 2
                | (form as u64) << 12
                | u64::from(listed) << 32
        })
    }

    /// The similarity remembered under `key`, or `compute`d and remembered.
    fn get(&self, key: Option<u64>, compute: impl FnOnce() -> f64) -> f64 {
        let Some(key) = key else {
            return compute();
        };
        let slot = (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - Self::BITS)) as usize;
        let (held, sim) = self.slots[slot].get();
        if held == key {
            return sim;
        }
        let sim = compute();
        self.slots[slot].set((key, sim));
        sim
    }
}

/// What is screened.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub name: String,
    pub name_type: NameType,
    /// `YYYY` or `YYYY-MM-DD`.
    pub birth_date: Option<String>,
    /// ISO alpha-2.
    pub country: Option<String>,
    /// Identifiers of the subject: `(kind, value)`, e.g. `("passport", "A1234567")`,
    /// `("email", ...)`, `("wallet", "xbt:1Abc...")`. A list entry carrying the same one is
    /// strong corroboration; one carrying others says nothing (people hold several).
    pub identifiers: Vec<(String, String)>,
    /// A postal address, one line: an entry with an address sharing most of its words
    /// (street, city, postal code) is corroborated; a different address says nothing (people
    /// move, and lists keep old addresses).
    pub address: Option<String>,
}

/// Where a query's time went, summed over the queries screened with it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stages {
    /// Normalising and transliterating the query's name.
    pub normalize: std::time::Duration,
    /// Finding the vocabulary tokens like the query's.
    pub expand: std::time::Duration,
    /// Reading posting lists for the names worth estimating.
    pub gather: std::time::Duration,
    /// Estimating those names' scores and keeping the best [`CANDIDATES`].
    pub estimate: std::time::Duration,
    /// Scoring the candidates exactly, with corroboration and explanations.
    pub score: std::time::Duration,
    /// Names gathered.
    pub gathered: usize,
}

/// One part of a hit's explanation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Factor {
    pub field: String,
    pub effect: f64,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Hit {
    pub entity_id: String,
    pub list: String,
    /// The entry's primary name.
    pub name: String,
    /// The name or alias that matched.
    pub matched_name: String,
    pub score: f64,
    pub explanation: Vec<Factor>,
}

/// A name's kind and value as the list gives it.
struct NameMeta {
    kind: NameKind,
    /// Shared by the forms of one name.
    value: std::sync::Arc<str>,
    /// What a match through this form counts for (see [`Normalized::weight`]).
    weight: f64,
    /// See [`Normalized::whole`].
    whole: bool,
    /// The forms of the same name that the index does not gather (see
    /// [`LISTED_RENDERINGS_GATHERED`]), `siblings..siblings + scored_with`: scored whenever
    /// this form is gathered.
    siblings: u32,
    scored_with: u8,
}

/// How many of a listed name's renderings in the Arabic script the index gathers through,
/// beside the name as written: the first, nearest what lists write ("Abdullah" for عبد الله).
/// The others (the article apart, Abd apart, Abdul; see [`crate::romanize::arabic`]) are
/// scored whenever the name is gathered, not gathered through: each would reach most Latin
/// names sharing its consonants, and the index they made was a tenth larger and slower to
/// read for every query.
pub const LISTED_RENDERINGS_GATHERED: usize = 1;

/// An index over the entries of one or more lists.
pub struct Screener {
    entities: Vec<(String, ListEntity)>,
    meta: Vec<NameMeta>,
    index: Index,
    /// The forms of the names of entity `i` are `name_ids[i]..name_ids[i + 1]`.
    name_ids: Vec<u32>,
    /// How many names the entries have, as the lists give them.
    names: usize,
    /// `(kind group, identifier in comparable form)` -> entities carrying it: a shared
    /// identifier brings an entry to scoring whatever its name.
    by_identifier: HashMap<(String, String), Vec<u32>>,
    /// Entities ordered by `(list, entry id)`, for look-ups by id (four bytes an entity).
    by_id: Vec<u32>,
    /// Each entity's place in `by_id`: hits of equal score are ordered by it, without reading
    /// their ids.
    rank: Vec<u32>,
    /// What each list's hits ask of a provider, as it was imported (a prohibition unless
    /// said otherwise).
    measures: HashMap<String, custos_core::screening::ListMeasure>,
    /// Each entity's addresses as [`address_words`], made the first time a query with an
    /// address is scored against it (most entities never are).
    address_words: Vec<std::sync::OnceLock<Vec<Vec<Box<str>>>>>,
}

impl std::fmt::Debug for Screener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screener")
            .field("entities", &self.entities.len())
            .field("names", &self.meta.len())
            .finish()
    }
}

fn name_type(e: &ListEntity) -> NameType {
    match e.kind {
        crate::EntityKind::Person => NameType::Person,
        crate::EntityKind::Organization
        | crate::EntityKind::Vessel
        | crate::EntityKind::Aircraft => NameType::Organization,
        crate::EntityKind::Unknown => NameType::Any,
    }
}

/// An identifier in comparable form: letters and digits only, upper case; an email folded to
/// lower case whole.
fn ident(kind: &str, value: &str) -> String {
    if kind == "email" {
        value.trim().to_lowercase()
    } else {
        value
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .collect::<String>()
            .to_ascii_uppercase()
    }
}

/// The group of identifier kinds that name the same kind of thing.
fn kind_group(k: &str) -> &str {
    match k {
        "passport" | "national_id" | "id" | "document" | "tax_id" | "registration" => "document",
        other => other,
    }
}

fn same_kind(a: &str, b: &str) -> bool {
    kind_group(a) == kind_group(b)
}

/// The words of an address worth comparing: letters and digits, folded, two characters or
/// more; sorted, each once.
fn address_words(s: &str) -> Vec<Box<str>> {
    let mut words: Vec<Box<str>> = any_ascii::any_ascii(s)
        .to_ascii_uppercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 2)
        .map(Box::from)
        .collect();
    words.sort_unstable();
    words.dedup();
    words
}

/// Two addresses (as [`address_words`]) share at least two thirds of the words of the shorter
/// one (and at least two).
fn same_address(a: &[Box<str>], b: &[Box<str>]) -> bool {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let shorter = a.len().min(b.len());
    shared >= 2 && shared * 3 >= shorter * 2
}

/// Whether `date` is a full date of birth a list gives (as `1971-03-02`, `02 Mar 1971` or
/// `2 March 1971`), not only its year: what makes a match exact.
pub fn same_birth_date(date: chrono::NaiveDate, listed: &[String]) -> bool {
    listed.iter().any(|l| {
        let l = l.trim();
        ["%Y-%m-%d", "%d %b %Y", "%d %B %Y"]
            .iter()
            .any(|f| chrono::NaiveDate::parse_from_str(l, f).is_ok_and(|d| d == date))
    })
}

fn years(s: &str) -> Vec<u32> {
    s.split(|c: char| !c.is_ascii_digit())
        .filter(|p| p.len() == 4)
        .filter_map(|p| p.parse().ok())
        .collect()
}

impl Screener {
    /// Builds the index over `(list name, entry)` pairs.
    pub fn build(entries: impl IntoIterator<Item = (String, ListEntity)>) -> Screener {
        let entities: Vec<(String, ListEntity)> = entries.into_iter().collect();
        let n_entities = entities.len();
        let mut index = Index::default();
        let mut meta = vec![];
        let mut name_ids = vec![];
        let mut names = 0;
        let mut by_identifier: HashMap<(String, String), Vec<u32>> = HashMap::new();
        for (i, (_, e)) in entities.iter().enumerate() {
            name_ids.push(meta.len() as u32);
            for id in &e.identifiers {
                let v = ident(&id.kind, &id.value);
                if !v.is_empty() {
                    let slot = by_identifier
                        .entry((kind_group(&id.kind).to_owned(), v))
                        .or_default();
                    if slot.last() != Some(&(i as u32)) {
                        slot.push(i as u32);
                    }
                }
            }
            let t = name_type(e);
            // Each form of a name is indexed (see [`normalize_all`]): a name in Hangul under
            // its RR, McCune–Reischauer and common renderings, and so on.
            for n in &e.names {
                let value: std::sync::Arc<str> = n.value.as_str().into();
                let mut forms = normalize_all(&n.value, t);
                forms.retain(|f| !f.tokens.is_empty());
                names += usize::from(!forms.is_empty());
                // The name as written and its first renderings gather; the rest are scored
                // beside them (forms that do not gather come last: see [`normalize_all`]).
                for (k, f) in forms.iter_mut().enumerate() {
                    f.gathers |= k <= LISTED_RENDERINGS_GATHERED;
                }
                let gathering = forms.iter().filter(|f| f.gathers).count();
                let first = meta.len() as u32;
                let siblings = first + gathering as u32;
                let scored_with = u8::try_from(forms.len() - gathering).unwrap_or(u8::MAX);
                for norm in forms {
                    index.add(i as u32, &norm);
                    meta.push(NameMeta {
                        kind: n.kind,
                        value: value.clone(),
                        weight: norm.weight,
                        whole: norm.whole,
                        siblings,
                        scored_with: if norm.gathers { scored_with } else { 0 },
                    });
                }
            }
        }
        name_ids.push(meta.len() as u32);
        index.finish();
        let mut by_id: Vec<u32> = (0..entities.len() as u32).collect();
        by_id.sort_unstable_by(|&a, &b| {
            let (la, ea) = &entities[a as usize];
            let (lb, eb) = &entities[b as usize];
            (la, &ea.id).cmp(&(lb, &eb.id))
        });
        let mut rank = vec![0u32; entities.len()];
        for (at, &e) in by_id.iter().enumerate() {
            rank[e as usize] = at as u32;
        }
        Screener {
            entities,
            meta,
            index,
            name_ids,
            names,
            by_identifier,
            by_id,
            rank,
            measures: HashMap::new(),
            address_words: (0..n_entities)
                .map(|_| std::sync::OnceLock::new())
                .collect(),
        }
    }

    /// The same index, with what each list's hits ask of a provider.
    pub fn with_measures(
        mut self,
        measures: impl IntoIterator<Item = (String, custos_core::screening::ListMeasure)>,
    ) -> Screener {
        self.measures = measures.into_iter().collect();
        self
    }

    /// What the hits on `list` ask of a provider (a prohibition when nobody said).
    pub fn measure(&self, list: &str) -> custos_core::screening::ListMeasure {
        self.measures.get(list).copied().unwrap_or_default()
    }

    /// The entry `id` of `list`, as indexed.
    pub fn entity(&self, list: &str, id: &str) -> Option<&ListEntity> {
        let at = self
            .by_id
            .binary_search_by(|&i| {
                let (l, e) = &self.entities[i as usize];
                (l.as_str(), e.id.as_str()).cmp(&(list, id))
            })
            .ok()?;
        Some(&self.entities[self.by_id[at] as usize].1)
    }

    /// Every special-measure designation among the indexed entries, with its list.
    pub fn designations(&self) -> impl Iterator<Item = (&str, &ListEntity, &Designation)> {
        self.entities
            .iter()
            .filter_map(|(l, e)| e.designation.as_deref().map(|d| (l.as_str(), e, d)))
    }

    pub fn entities(&self) -> usize {
        self.entities.len()
    }

    /// The names of the indexed entries (with a token to them), as the lists give them.
    pub fn names(&self) -> usize {
        self.names
    }

    /// The forms of those names the index holds (see [`normalize_all`]): a name in another
    /// script has several.
    pub fn forms(&self) -> usize {
        self.meta.len()
    }

    /// Roughly the heap the index takes, in bytes: `(lookup tables, postings, names and
    /// vocabulary)`.
    pub fn index_bytes(&self) -> (usize, usize, usize) {
        self.index.heap_bytes()
    }

    /// Distinct tokens in the index.
    pub fn vocabulary(&self) -> usize {
        self.index.vocabulary()
    }

    /// The names worth scoring exactly: those the index gathers for the query (see
    /// [`crate::index`]), best estimated first, at most [`CANDIDATES`] (and
    /// [`NEAR_CANDIDATES`] more near the bound).
    fn candidates(&self, q: &Normalized, bound: f32, stages: &mut Stages) -> Vec<u32> {
        let t = std::time::Instant::now();
        let ex = self.index.expand(q);
        stages.expand += t.elapsed();
        let t = std::time::Instant::now();
        let mut gathered = vec![];
        self.index.gather(&ex, bound, &mut gathered);
        stages.gather += t.elapsed();
        stages.gathered += gathered.len();
        let t = std::time::Instant::now();
        let mut ranked = self.index.estimate_all(&ex, &gathered);
        if ranked.len() > CANDIDATES {
            ranked.select_nth_unstable_by(CANDIDATES - 1, |a, b| {
                b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
            });
            // A very common name ("حسین محمدی", "Mohammed Hassan") has more names estimated
            // near the bound than that: the best [`NEAR_CANDIDATES`] of the rest are scored too
            // when they are within [`NEAR_BOUND`] of it.
            let floor = bound - NEAR_BOUND;
            let rest = &mut ranked[CANDIDATES..];
            if rest.len() > NEAR_CANDIDATES {
                rest.select_nth_unstable_by(NEAR_CANDIDATES - 1, |a, b| {
                    b.0.total_cmp(&a.0).then(a.1.cmp(&b.1))
                });
            }
            let n = rest.len().min(NEAR_CANDIDATES);
            let near = &mut rest[..n];
            near.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let keep = CANDIDATES + near.iter().take_while(|r| r.0 >= floor).count();
            ranked.truncate(keep);
        }
        stages.estimate += t.elapsed();
        ranked.into_iter().map(|(_, id)| id).collect()
    }

    /// Why the index did or did not bring an entry's names to exact scoring: each name's exact
    /// score, the index's estimate and its rank among the gathered names. For diagnosing
    /// recall.
    #[doc(hidden)]
    pub fn debug_candidate(&self, q: &Query, entity_id: &str) -> String {
        let qn = normalize(&q.name, q.name_type);
        let ex = self.index.expand(&qn);
        let mut gathered = vec![];
        self.index
            .gather(&ex, crate::index::MIN_BOUND, &mut gathered);
        let mut scratch = vec![];
        let mut ranked: Vec<(f32, u32)> = gathered
            .iter()
            .map(|&id| (self.index.estimate(&ex, id, &mut scratch), id))
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
        let mut out = format!("q={:?} gathered={} ", qn.tokens, gathered.len());
        for id in 0..self.index.names.len() {
            if self.entities[self.index.names.entity(id as u32) as usize]
                .1
                .id
                == entity_id
            {
                let mut norm = self.index.normalized(id as u32);
                norm.whole = self.meta[id].whole;
                let exact = compare_normalized(&qn, &norm);
                let pos = ranked.iter().position(|r| r.1 == id as u32);
                let est = self.index.estimate(&ex, id as u32, &mut scratch);
                out += &format!(
                    "\n  name={:?} exact={exact:.3} est={est:.3} rank={pos:?}",
                    norm.tokens
                );
            }
        }
        out
    }

    /// How alike the query's name (the best of its forms in `mask`: bit `i` for form `i`) and
    /// name `id` are (see [`compare_tokens_with`]).
    /// (`tokens` and `all` are scratch space, kept from one name to the next.)
    /// `skeletons`: those of each form's tokens (see [`Normalized::skeletons`]).
    /// `memo`: the token pairs seen in this query's scoring.
    fn name_score<'a>(
        &'a self,
        (forms, form_skeletons): (&[Normalized], &[Vec<String>]),
        (mask, memo): (u64, &PairMemo),
        id: u32,
        (tokens, all, skeletons): (&mut Vec<&'a str>, &mut Vec<&'a str>, &mut Vec<&'a str>),
    ) -> f64 {
        let abjad = self.index.name_tokens(id, tokens, all);
        // Skeletons are compared only where one of the names is written in an abjad.
        if abjad || forms[0].abjad {
            self.index.name_skeletons(id, skeletons);
        } else {
            skeletons.clear();
        }
        let meta = &self.meta[id as usize];
        let name = NameRef {
            tokens,
            all,
            abjad,
            skeletons,
            whole: meta.whole,
        };
        let weight = meta.weight;
        let vocabulary = self.index.names.tokens(id);
        forms
            .iter()
            .zip(form_skeletons)
            .enumerate()
            .filter(|(i, _)| *i >= 64 || mask & (1 << i) != 0)
            .map(|(f, (qn, k))| {
                let pair = |i: usize, j: usize, reversed: bool| {
                    memo.get(PairMemo::key(f, i, vocabulary[j], reversed), || {
                        let (x, y) = (qn.tokens[i].as_str(), name.tokens[j]);
                        if reversed {
                            token_similarity(y, x)
                        } else {
                            token_similarity(x, y)
                        }
                    })
                };
                compare_tokens_with(qn.with_skeletons(k), name, &pair)
                    * combined_weight(qn.weight, weight)
            })
            .fold(0.0, f64::max)
    }

    /// The score of name `id` for the query, from its name score, corroboration included;
    /// with `why`, the factors that made it.
    fn assess(
        &self,
        q: &Query,
        address: &[Box<str>],
        name_score: f64,
        id: u32,
        mut why: Option<&mut Vec<Factor>>,
    ) -> f64 {
        let mut note = |field: &str, effect: f64, detail: &dyn Fn() -> String| {
            if let Some(why) = why.as_deref_mut() {
                why.push(Factor {
                    field: field.into(),
                    effect,
                    detail: detail(),
                });
            }
        };
        let n = &self.meta[id as usize];
        let mut score = name_score;
        note("name", score, &|| {
            format!("`{}` against {} `{}`", q.name, kind_name(n.kind), n.value)
        });
        if n.kind == NameKind::WeakAlias {
            let effect = -0.1 * score;
            score += effect;
            note("name", effect, &|| "a weak alias counts less".into());
        }
        // A query with nothing but a name leaves the entry unread: reading it is a miss of
        // the cache for every name scored.
        if q.birth_date.is_none()
            && q.country.is_none()
            && address.is_empty()
            && q.identifiers.is_empty()
        {
            return score.clamp(0.0, 1.0);
        }
        let entity = self.index.names.entity(id) as usize;
        let e = &self.entities[entity].1;
        if let Some(dob) = &q.birth_date {
            let qy = years(dob);
            let ey: Vec<u32> = e.birth_dates.iter().flat_map(|d| years(d)).collect();
            if !qy.is_empty() && !ey.is_empty() {
                let (effect, detail) = if qy.iter().any(|y| ey.contains(y)) {
                    (BIRTH_YEAR_MATCH, "the year of birth matches")
                } else {
                    (-0.10, "the year of birth differs")
                };
                score += effect;
                note("date_of_birth", effect, &|| detail.into());
            }
        }
        if let Some(c) = &q.country {
            let mut linked = e.nationalities.iter().chain(&e.countries).peekable();
            if linked.peek().is_some() {
                let (effect, detail) = if linked.any(|l| l == c) {
                    (
                        COUNTRY_MATCH,
                        "the country matches a nationality or address",
                    )
                } else {
                    (-0.03, "no nationality or address in that country")
                };
                score += effect;
                note("country", effect, &|| detail.into());
            }
        }
        if !address.is_empty()
            && !e.addresses.is_empty()
            && self.address_words[entity]
                .get_or_init(|| e.addresses.iter().map(|a| address_words(a)).collect())
                .iter()
                .any(|l| same_address(address, l))
        {
            score += ADDRESS_MATCH;
            note("address", ADDRESS_MATCH, &|| {
                "the address matches one the list gives".into()
            });
        }
        if let Some((k, _)) = q.identifiers.iter().find(|(k, v)| {
            let qv = ident(k, v);
            !qv.is_empty()
                && e.identifiers
                    .iter()
                    .any(|i| same_kind(k, &i.kind) && ident(&i.kind, &i.value) == qv)
        }) {
            let effect = 0.15;
            score += effect;
            // The value is not repeated: explanations may be kept in review cases.
            note("identifier", effect, &|| {
                format!("the list carries the same {k}")
            });
        }
        score.clamp(0.0, 1.0)
    }

    /// Scores names exactly and keeps each entry's best, best first: without `limit`, those at
    /// or above the default threshold; with it, the best `limit`. Only the hits kept are
    /// explained.
    fn score(
        &self,
        q: &Query,
        forms: &[Normalized],
        ids: impl Iterator<Item = (u32, u64)>,
        limit: Option<usize>,
    ) -> Vec<Hit> {
        // Entity -> (score, name): the first of its best-scoring names.
        // (name, the forms of the query to score it with)
        let ids: Vec<(u32, u64)> = ids.collect();
        // Touching first what scoring reads (see [`Index::touch_names`]) saves about a tenth.
        // (The candidates near the bound count: with them a common name's query scores up to
        // [`CANDIDATES`] + [`NEAR_CANDIDATES`] names, and it was those that went untouched.)
        if ids.len() <= TOUCHED {
            let mut touched = 0u8;
            for &(id, _) in &ids {
                touched ^= self.meta[id as usize].kind as u8;
            }
            std::hint::black_box(touched);
            self.index.touch_names(ids.iter().map(|&(id, _)| id));
        }
        let address = q.address.as_deref().map(address_words).unwrap_or_default();
        // The query's skeletons, made once for every name it is compared with.
        let skeletons_of_forms: Vec<Vec<String>> =
            forms.iter().map(Normalized::skeletons).collect();
        // (entity, score, name, name score)
        let (mut tokens, mut all, mut skeletons) = (vec![], vec![], vec![]);
        let memo = PairMemo::default();
        let mut ranked: Vec<(u32, f64, u32, f64)> = ids
            .into_iter()
            .map(|(id, mask)| {
                let name_score = self.name_score(
                    (forms, &skeletons_of_forms),
                    (mask, &memo),
                    id,
                    (&mut tokens, &mut all, &mut skeletons),
                );
                (
                    self.index.names.entity(id),
                    self.assess(q, &address, name_score, id, None),
                    id,
                    name_score,
                )
            })
            .collect();
        // Each entry's best name: the highest score, the lowest id among equals.
        ranked.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
        ranked.dedup_by_key(|r| r.0);
        // Best first; among equals, by list and entry id.
        ranked.sort_by(|a, b| {
            b.1.total_cmp(&a.1)
                .then_with(|| self.rank[a.0 as usize].cmp(&self.rank[b.0 as usize]))
        });
        match limit {
            Some(n) => ranked.truncate(n),
            None => ranked.retain(|r| r.1 >= DEFAULT_THRESHOLD),
        }
        self.touch_hits(ranked.iter().map(|r| (r.0, r.2)));
        ranked
            .into_iter()
            .map(|(entity, score, id, name_score)| {
                let mut why = vec![];
                self.assess(q, &address, name_score, id, Some(&mut why));
                let (list, e) = &self.entities[entity as usize];
                Hit {
                    entity_id: e.id.clone(),
                    list: list.clone(),
                    name: e.primary_name().to_owned(),
                    matched_name: self.meta[id as usize].value.to_string(),
                    score,
                    explanation: why,
                }
            })
            .collect()
    }

    /// Touches what the hits kept are made of (each entry's id, list and names, the name
    /// matched), a step of each chain at a time in loops of independent loads, as
    /// [`Index::touch_names`] does for scoring: these are read from all over the heap, and
    /// copying them one hit after another waited on one miss of the cache after another.
    fn touch_hits(&self, hits: impl Iterator<Item = (u32, u32)> + Clone) {
        let mut touched = 0usize;
        for (entity, id) in hits.clone() {
            let (list, e) = &self.entities[entity as usize];
            touched ^= list.len() ^ e.id.len() ^ e.names.len() ^ self.meta[id as usize].value.len();
        }
        for (entity, id) in hits.clone() {
            let (list, e) = &self.entities[entity as usize];
            let first = |s: &str| usize::from(s.as_bytes().first().copied().unwrap_or(0));
            touched ^= first(list) ^ first(&e.id) ^ first(&self.meta[id as usize].value);
            touched ^= e.names.iter().map(|n| n.value.len()).sum::<usize>();
        }
        for (entity, _) in hits {
            let e = &self.entities[entity as usize].1;
            touched ^= usize::from(e.primary_name().as_bytes().first().copied().unwrap_or(0));
        }
        std::hint::black_box(touched);
    }

    /// Screens through the index. Without `limit`, returns the hits at or above the default
    /// threshold; with it, the best `limit` of the names scored: those the index gathers as
    /// possibly reaching the threshold less what the query's year of birth, country and
    /// address could add, at most [`CANDIDATES`] and 16 more near the bound for each form of
    /// the query, and every name of an entry sharing an identifier with the query. Hits below
    /// the threshold, at any score, may be among them, but a name that could not reach that
    /// bound is not looked for: this is not the best `limit` of the lists
    /// ([`Screener::screen_exhaustive`] is).
    pub fn screen(&self, q: &Query, limit: Option<usize>) -> Vec<Hit> {
        self.screen_timed(q, limit, &mut Stages::default())
    }

    /// The same, adding the time each stage took to `stages` (for the benchmark).
    pub fn screen_timed(&self, q: &Query, limit: Option<usize>, stages: &mut Stages) -> Vec<Hit> {
        let t = std::time::Instant::now();
        let forms = normalize_all(&q.name, q.name_type);
        stages.normalize += t.elapsed();
        if forms[0].tokens.is_empty() {
            return vec![];
        }
        // The lowest name score that corroboration could lift to the threshold: the index
        // does not gather names below it.
        let mut bound = DEFAULT_THRESHOLD;
        if q.birth_date.is_some() {
            bound -= BIRTH_YEAR_MATCH;
        }
        if q.country.is_some() {
            bound -= COUNTRY_MATCH;
        }
        // (An address of no word worth comparing corroborates nothing; see [`address_words`].)
        if q.address
            .as_deref()
            .is_some_and(|a| !address_words(a).is_empty())
        {
            bound -= ADDRESS_MATCH;
        }
        // The names each form of the query gathers (a name in Latin letters has one form),
        // each to be scored with the forms that gathered it.
        // Forms that gather nothing of their own are scored against every name gathered.
        let bit = |i: usize| if i < 64 { 1u64 << i } else { u64::MAX };
        let scored_always = forms
            .iter()
            .enumerate()
            .filter(|(_, f)| !f.gathers)
            .fold(0u64, |m, (i, _)| m | bit(i));
        let mut ids: Vec<(u32, u64)> = vec![];
        for (i, qn) in forms.iter().enumerate().filter(|(_, f)| f.gathers) {
            for id in self.candidates(qn, bound as f32, stages) {
                let mask = bit(i) | scored_always;
                ids.push((id, mask));
                // The forms of the same listed name that are scored, not gathered.
                let m = &self.meta[id as usize];
                ids.extend((m.siblings..m.siblings + u32::from(m.scored_with)).map(|s| (s, mask)));
            }
        }
        let t = std::time::Instant::now();
        for (k, v) in &q.identifiers {
            let key = (kind_group(k).to_owned(), ident(k, v));
            for &e in self.by_identifier.get(&key).into_iter().flatten() {
                let e = e as usize;
                ids.extend((self.name_ids[e]..self.name_ids[e + 1]).map(|id| (id, u64::MAX)));
            }
        }
        ids.sort_unstable();
        ids.dedup_by(|a, b| {
            if a.0 == b.0 {
                b.1 |= a.1;
                true
            } else {
                false
            }
        });
        let hits = self.score(q, &forms, ids.into_iter(), limit);
        stages.score += t.elapsed();
        hits
    }

    /// The same, scanning every name: the reference the index is held to.
    pub fn screen_exhaustive(&self, q: &Query, limit: Option<usize>) -> Vec<Hit> {
        let forms = normalize_all(&q.name, q.name_type);
        if forms[0].tokens.is_empty() {
            return vec![];
        }
        self.score(
            q,
            &forms,
            (0..self.meta.len() as u32).map(|id| (id, u64::MAX)),
            limit,
        )
    }
}

fn kind_name(k: NameKind) -> &'static str {
    match k {
        NameKind::Primary => "the name",
        NameKind::Alias => "the alias",
        NameKind::WeakAlias => "the weak alias",
        NameKind::Former => "the former name",
    }
}

#[cfg(test)]
mod tests {
    use super::same_birth_date;

    /// Scoring remembers token pairs from one name to the next (see `PairMemo`): every hit's
    /// score is still the comparison of the two names alone, over names sharing their tokens
    /// across scripts and orders, and with more tokens than the memory has room for.
    #[test]
    fn remembered_token_pairs_score_as_the_names_compared_alone() {
        use super::{Query, Screener};
        use crate::model::{EntityKind, ListEntity};
        use crate::names::{NameType, compare};
        let mut names: Vec<String> = [
            "Mohammed Hassan Ali",
            "Mohamed Hasan",
            "Muhammad Hussein",
            "Ali Hassan Mohammed",
            "محمد حسن",
            "Hassan Ali",
            "Ali Mohammed Hussain",
            "Vladimir Vladimirovich Putin",
            "Wladimir Putin",
            "김정은",
        ]
        .map(str::to_owned)
        .into();
        // Names of nine tokens and more against a query of as many: each way round is aligned
        // apart, the pairs asked the other way round too.
        names.push("Abu Bakr Muhammad ibn Ali ibn Hassan al Baghdadi".into());
        names.push("Muhammad Abu Bakr ibn Hassan ibn Ali al Baghdadi".into());
        let nine = crate::names::normalize(&names[names.len() - 1], NameType::Person);
        assert!(nine.tokens.len() >= 9, "{:?}", nine.tokens);
        // More pairs than slots: the memory overwrites what it holds.
        names.extend((0..600).map(|i| format!("Hassan Mohamad{i} Aly{}", i * 7)));
        let s = Screener::build(names.iter().enumerate().map(|(i, n)| {
            (
                "list".to_owned(),
                ListEntity::new(i.to_string(), EntityKind::Person, n.as_str()),
            )
        }));
        for q in [
            "Mohammed Hassan",
            "Ali Hasan",
            "محمد علي",
            "Putin Vladimir",
            "Kim Jong Un",
            "Abu Bakr Mohammed ibn Ali ibn Hasan al Bagdadi",
        ] {
            let query = Query {
                name: q.into(),
                name_type: NameType::Person,
                ..Default::default()
            };
            // Through the index (its candidates read ahead) and through every name.
            let hits = s.screen(&query, Some(20));
            assert!(!hits.is_empty(), "{q}");
            let all = s.screen_exhaustive(&query, Some(names.len()));
            assert!(all.len() > 5, "{q}");
            for h in hits.into_iter().chain(all) {
                let alone = compare(q, &h.matched_name, NameType::Person);
                assert!(
                    (h.score - alone).abs() < 1e-12,
                    "{q} / {}: {} against {alone}",
                    h.matched_name,
                    h.score
                );
            }
        }
    }

    /// An address the list gives lifts a name by [`super::ADDRESS_MATCH`]: the index gathers
    /// the names it could lift to the threshold, as it does for a date of birth and a country
    /// ("Kovalenko" scores 0.85 against "Olena Kovalenko", 0.88 with the same address, which
    /// only the exhaustive scan found).
    #[test]
    fn an_address_lowers_the_bound_the_index_gathers_for() {
        use super::{Query, Screener};
        use crate::model::{EntityKind, ListEntity};
        use crate::names::{NameType, compare};
        let address = "12 Rua Augusta, 1100-048 Lisboa";
        let listed = [
            "Pedro Alvares Cabral Lima Souza Reis",
            "Pedro Alvares Cabral Limaverde Souza",
            "Olena Kovalenko",
            "Ivan Kovalenko",
        ];
        let s = Screener::build(listed.iter().enumerate().map(|(i, n)| {
            let mut e = ListEntity::new(i.to_string(), EntityKind::Person, *n);
            e.addresses.push(address.into());
            ("list".to_owned(), e)
        }));
        let ids = |hits: Vec<super::Hit>| hits.into_iter().map(|h| h.entity_id).collect::<Vec<_>>();
        for (name, found) in [("Pedro Alvarez", ["0", "1"]), ("Kovalenko", ["3", "2"])] {
            let q = Query {
                name: name.into(),
                name_type: NameType::Person,
                address: Some(address.into()),
                ..Default::default()
            };
            for n in found {
                let alone = compare(name, listed[n.parse::<usize>().unwrap()], NameType::Person);
                assert!((0.85..0.88).contains(&alone), "{name} / {n}: {alone}");
            }
            let exhaustive = ids(s.screen_exhaustive(&q, None));
            assert_eq!(exhaustive, found, "{name}");
            assert_eq!(ids(s.screen(&q, None)), exhaustive, "{name}");
        }
    }

    fn check(listed: &[&str], expect: bool) {
        let d = chrono::NaiveDate::from_ymd_opt(1971, 3, 2).unwrap();
        let listed: Vec<String> = listed.iter().map(|s| (*s).to_owned()).collect();
        assert_eq!(same_birth_date(d, &listed), expect, "{listed:?}");
    }

    #[test]
    fn a_full_date_of_birth_is_the_same_only_when_all_of_it_is() {
        check(&["1971-03-02"], true);
        check(&["02 Mar 1971"], true);
        check(&["2 March 1971"], true);
        check(&["1968", "02 Mar 1971"], true);
        check(&["1971"], false);
        check(&["Mar 1971"], false);
        check(&["circa 1971"], false);
        check(&["1971-03-03"], false);
        check(&["1970 to 1972"], false);
        check(&[], false);
    }
}
