//! Screening a subject against lists through an index, so that a query does not scan the list.
//!
//! Every name and alias of every entry is normalised once (see [`crate::names`]) and indexed by
//! the trigrams of its tokens. A query gathers the names sharing trigrams with it, keeps the
//! most promising candidates, scores each exactly, lets the corroborating fields (year of
//! birth, country) raise or lower the score, and explains every hit.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{ListEntity, NameKind};
use crate::names::{NameType, Normalized, compare_normalized, normalize};

/// Hits at or above this score are reported when no limit is asked for.
pub const DEFAULT_THRESHOLD: f64 = 0.88;
/// How many candidates from the index are scored exactly.
const CANDIDATES: usize = 512;

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

struct IndexedName {
    entity: u32,
    /// The summed weight (inverse document frequency) of the name's distinct trigrams.
    weight: f32,
    kind: NameKind,
    value: String,
    norm: Normalized,
}

/// An index over the entries of one or more lists.
pub struct Screener {
    entities: Vec<(String, ListEntity)>,
    names: Vec<IndexedName>,
    grams: HashMap<[u8; 3], Vec<u32>>,
}

impl std::fmt::Debug for Screener {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Screener")
            .field("entities", &self.entities.len())
            .field("names", &self.names.len())
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

fn push_trigrams(token: &[u8], pad: u8, out: &mut Vec<[u8; 3]>) {
    let padded: Vec<u8> = std::iter::once(pad)
        .chain(token.iter().copied())
        .chain(std::iter::once(pad))
        .collect();
    for w in padded.windows(3) {
        out.push([w[0], w[1], w[2]]);
    }
}

/// The trigrams of each token, padded so that short tokens and word edges count; with
/// `skeletons`, also the trigrams of the tokens' consonant skeletons (padded differently, so
/// the two kinds never meet), which is what a name written in an abjad can be found by.
fn trigrams(n: &Normalized, skeletons: bool, out: &mut Vec<[u8; 3]>) {
    for t in &n.tokens {
        push_trigrams(t.as_bytes(), b' ', out);
        if skeletons {
            push_trigrams(crate::names::skeleton(t).as_bytes(), b'|', out);
        }
    }
    out.sort_unstable();
    out.dedup();
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

/// Identifier kinds that name the same kind of thing.
fn same_kind(a: &str, b: &str) -> bool {
    fn group(k: &str) -> &str {
        match k {
            "passport" | "national_id" | "id" | "document" | "tax_id" | "registration" => {
                "document"
            }
            other => other,
        }
    }
    group(a) == group(b)
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
        let mut names: Vec<IndexedName> = vec![];
        let mut grams: HashMap<[u8; 3], Vec<u32>> = HashMap::new();
        let mut name_grams: Vec<Vec<[u8; 3]>> = vec![];
        let mut buf = vec![];
        for (i, (_, e)) in entities.iter().enumerate() {
            let t = name_type(e);
            for n in &e.names {
                let norm = normalize(&n.value, t);
                if norm.tokens.is_empty() {
                    continue;
                }
                buf.clear();
                trigrams(&norm, norm.abjad, &mut buf);
                let id = names.len() as u32;
                for g in &buf {
                    grams.entry(*g).or_default().push(id);
                }
                name_grams.push(buf.clone());
                names.push(IndexedName {
                    entity: i as u32,
                    weight: 0.0,
                    kind: n.kind,
                    value: n.value.clone(),
                    norm,
                });
            }
        }
        let total = names.len().max(1) as f32;
        let idf = |g: &[u8; 3]| (total / grams.get(g).map_or(1, Vec::len) as f32).ln() + 1.0;
        for (n, gs) in names.iter_mut().zip(&name_grams) {
            n.weight = gs.iter().map(idf).sum();
        }
        Screener {
            entities,
            names,
            grams,
        }
    }

    fn idf(&self, g: &[u8; 3]) -> f32 {
        let total = self.names.len().max(1) as f32;
        (total / self.grams.get(g).map_or(1, Vec::len) as f32).ln() + 1.0
    }

    pub fn entities(&self) -> usize {
        self.entities.len()
    }

    pub fn names(&self) -> usize {
        self.names.len()
    }

    /// The names worth scoring for a query: those whose trigram sets are most alike the
    /// query's, by a Dice coefficient in which each trigram weighs its inverse document
    /// frequency. A rare trigram (of a surname) then counts for more than a common one (of
    /// "MUHAMMAD"), and a short name ranks by how much of it matches, not by the raw count.
    fn candidates(&self, q: &Normalized) -> Vec<u32> {
        let mut qg = vec![];
        trigrams(q, true, &mut qg);
        let mut shared: HashMap<u32, f32> = HashMap::new();
        let mut qw = 0.0f32;
        for g in &qg {
            let w = self.idf(g);
            if let Some(ids) = self.grams.get(g) {
                qw += w;
                for &id in ids {
                    *shared.entry(id).or_default() += w;
                }
            } else if !(g[0] == b'|' || g[2] == b'|') {
                qw += w;
            }
        }
        let mut ranked: Vec<(u32, f32)> = shared
            .into_iter()
            .map(|(id, s)| (id, 2.0 * s / (qw + self.names[id as usize].weight)))
            .collect();
        ranked.sort_unstable_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(CANDIDATES);
        ranked.into_iter().map(|(id, _)| id).collect()
    }

    fn score(&self, q: &Query, qn: &Normalized, ids: impl Iterator<Item = u32>) -> Vec<Hit> {
        let mut best: HashMap<u32, Hit> = HashMap::new();
        for id in ids {
            let n = &self.names[id as usize];
            let mut score = compare_normalized(qn, &n.norm);
            let mut why = vec![Factor {
                field: "name".into(),
                effect: score,
                detail: format!("`{}` against {} `{}`", q.name, kind_name(n.kind), n.value),
            }];
            if n.kind == NameKind::WeakAlias {
                score *= 0.9;
                why.push(Factor {
                    field: "name".into(),
                    effect: -0.1 * score,
                    detail: "a weak alias counts less".into(),
                });
            }
            let (list, e) = &self.entities[n.entity as usize];
            if let Some(dob) = &q.birth_date {
                let qy = years(dob);
                let ey: Vec<u32> = e.birth_dates.iter().flat_map(|d| years(d)).collect();
                if !qy.is_empty() && !ey.is_empty() {
                    let (effect, detail) = if qy.iter().any(|y| ey.contains(y)) {
                        (0.05, "the year of birth matches")
                    } else {
                        (-0.10, "the year of birth differs")
                    };
                    score += effect;
                    why.push(Factor {
                        field: "birth_date".into(),
                        effect,
                        detail: detail.into(),
                    });
                }
            }
            if let Some(c) = &q.country {
                let linked: Vec<&String> = e.nationalities.iter().chain(&e.countries).collect();
                if !linked.is_empty() {
                    let (effect, detail) = if linked.contains(&c) {
                        (0.03, "the country matches a nationality or address")
                    } else {
                        (-0.03, "no nationality or address in that country")
                    };
                    score += effect;
                    why.push(Factor {
                        field: "country".into(),
                        effect,
                        detail: detail.into(),
                    });
                }
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
                why.push(Factor {
                    field: "identifier".into(),
                    effect,
                    // The value is not repeated: explanations may be kept in review cases.
                    detail: format!("the list carries the same {k}"),
                });
            }
            let score = score.clamp(0.0, 1.0);
            let hit = Hit {
                entity_id: e.id.clone(),
                list: list.clone(),
                name: e.primary_name().to_owned(),
                matched_name: n.value.clone(),
                score,
                explanation: why,
            };
            match best.get(&n.entity) {
                Some(h) if h.score >= score => {}
                _ => {
                    best.insert(n.entity, hit);
                }
            }
        }
        let mut hits: Vec<Hit> = best.into_values().collect();
        hits.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then(a.entity_id.cmp(&b.entity_id))
        });
        hits
    }

    /// Screens through the index. Without `limit`, returns the hits at or above the default
    /// threshold; with it, the best `limit` hits whatever their score.
    pub fn screen(&self, q: &Query, limit: Option<usize>) -> Vec<Hit> {
        let qn = normalize(&q.name, q.name_type);
        if qn.tokens.is_empty() {
            return vec![];
        }
        let mut hits = self.score(q, &qn, self.candidates(&qn).into_iter());
        finish(&mut hits, limit);
        hits
    }

    /// The same, scanning every name: the reference the index is held to.
    pub fn screen_exhaustive(&self, q: &Query, limit: Option<usize>) -> Vec<Hit> {
        let qn = normalize(&q.name, q.name_type);
        if qn.tokens.is_empty() {
            return vec![];
        }
        let mut hits = self.score(q, &qn, 0..self.names.len() as u32);
        finish(&mut hits, limit);
        hits
    }
}

fn finish(hits: &mut Vec<Hit>, limit: Option<usize>) {
    match limit {
        Some(n) => hits.truncate(n),
        None => hits.retain(|h| h.score >= DEFAULT_THRESHOLD),
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
