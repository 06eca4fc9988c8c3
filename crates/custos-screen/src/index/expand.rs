//! A query's tokens expanded to the vocabulary tokens like them: deletions, skeletons, phonetic keys, prefixes and splits, with a bounded cache for tokens no list holds.

use super::*;

impl Index {
    /// Whether vocabulary token `t` is a word of a name the index gathers (carrying it, or a
    /// noise word of it): a token that only forms kept for scoring hold (see [`Index::add`])
    /// leads to no name, and is not followed.
    pub(super) fn posted(&self, t: u32) -> bool {
        self.posted_tokens[t as usize]
    }

    /// The vocabulary token `s` is, when it is a word of a name the index gathers (see
    /// [`Index::posted`]).
    pub(super) fn posted_token(&self, s: &str) -> Option<u32> {
        self.ids.get(s).copied().filter(|&t| self.posted(t))
    }

    /// The tokens whose skeleton is `sk`, marked as reached by skeleton.
    fn with_skeleton(&self, sk: &str) -> impl Iterator<Item = (u32, bool)> + '_ {
        self.skeletons
            .get(key(sk.as_bytes()))
            .filter(|t| t >> LEVEL_SHIFT == 0)
            .map(|t| (t & ((1 << LEVEL_SHIFT) - 1), true))
    }

    pub(super) fn sim(&self, q: &str, t: u32) -> f32 {
        token_similarity(q, self.token(t)) as f32
    }

    /// What one query token (of two letters or more) reaches in the vocabulary: `(token,
    /// similarity)`, a token possibly more than once. Remembered for the next query with the
    /// same token (names share their common tokens), up to [`EXPANSION_CACHE`] pairs.
    pub(super) fn token_expansion(&self, qt: &str, abjad: bool) -> TokenExpansion<'_> {
        if let Some(&t) = self.ids.get(qt)
            && let stored = if abjad {
                self.common_abjad.get(t)
            } else {
                self.common.get(t)
            }
            && !stored.is_empty()
        {
            return TokenExpansion::Stored(stored);
        }
        TokenExpansion::Cached(self.cached_expansion(qt, abjad))
    }

    pub(super) fn cached_expansion(&self, qt: &str, abjad: bool) -> Expansion {
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

    pub(super) fn expand_token(&self, qt: &str, abjad: bool) -> Vec<(u32, f32)> {
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
                found.extend(self.with_skeleton(&sk));
            }
        } else {
            found.extend(thin.get(key(sk.as_bytes())).map(|t| (t, true)));
        }
        // Tokens sharing the query token's skeleton as a variant spelling, which the exact
        // scorer credits (see [`crate::names::token_similarity`]) though their skeletons may
        // differ (`KOUTAHI` and `KUTHY`: `KTH` both, but `KTH` and `KD`).
        let v = variant_skeleton(qt);
        if v.len() > 1 {
            // (Those with the same skeleton are found above, when it is the query token's.)
            if abjad || v != sk {
                found.extend(self.with_skeleton(&v));
            }
            found.extend(self.variants.get(key(v.as_bytes())).map(|t| (t, true)));
        }
        // Tokens that begin the query token, shorter than the deletions reach: Jaro-Winkler
        // credits a shared beginning.
        for k in 3..b.len().saturating_sub(2) {
            if let Some(t) = self.posted_token(&qt[..k]) {
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
                    .filter(|&t| self.posted(t))
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
        if let Some(k) = fold_key(qt) {
            found.extend(self.phonetics.get(k).map(|t| (t, false)));
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
        // The tokens found share few skeletons (a query token in an abjad reaches thousands of
        // tokens through a hundred or so): each is compared once.
        let mut by_skeleton: HashMap<u32, f32> = HashMap::new();
        for (t, _) in found {
            let mut sim = self.sim(qt, t);
            // Against a name written in an abjad, the exact scorer also compares skeletons.
            if abjad || self.abjad[t as usize] {
                let (id, tk) = self.token_skeleton(t);
                let s = *by_skeleton
                    .entry(id)
                    .or_insert_with(|| SKELETON_SIM * skeleton_similarity(&sk, tk));
                sim = sim.max(s);
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
        // (Words of at most LONGEST_WORD letters: each look-up costs the length of the word.)
        for k in 2..b.len().saturating_sub(1).min(LONGEST_WORD + 1) {
            let (left, rest) = qt.split_at(k);
            let Some(l) = self.posted_token(left) else {
                continue;
            };
            if let Some(r) = self.posted_token(rest) {
                split(&[l, r]);
            }
            for k2 in 2..rest.len().saturating_sub(1).min(LONGEST_WORD + 1) {
                let (mid, right) = rest.split_at(k2);
                if let (Some(mi), Some(r)) = (self.posted_token(mid), self.posted_token(right)) {
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
    pub(super) fn segment(&self, qt: &str) -> Vec<u32> {
        let n = qt.len();
        if n < 8 || !qt.is_ascii() {
            return vec![];
        }
        // best[i]: the fewest tokens making `qt[..i]`, and where the last begins.
        let mut best: Vec<Option<(usize, usize)>> = vec![None; n + 1];
        best[0] = Some((0, 0));
        for end in 2..=n {
            // (Words of at most LONGEST_WORD letters, as the splits above.)
            for start in (end.saturating_sub(LONGEST_WORD)..=end - 2).rev() {
                let Some((count, _)) = best[start] else {
                    continue;
                };
                if best[end].is_some_and(|(c, _)| c <= count + 1) {
                    continue;
                }
                if self.posted_token(&qt[start..end]).is_some() {
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
            let Some(t) = self.posted_token(&qt[start..end]) else {
                return vec![];
            };
            parts.push(t);
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
                if let Some(t) = self.posted_token(joined.as_str()) {
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
}
