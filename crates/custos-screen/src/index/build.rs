//! Building the index: the vocabulary interned and sorted, the postings, every vocabulary token's expansion computed on all cores.

use super::*;

impl Index {
    pub(super) fn intern(&mut self, t: &str) -> u32 {
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
        self.len_first.push([
            t.len().min(255) as u8,
            t.as_bytes().first().copied().unwrap_or(b' '),
        ]);
        self.abjad.push(false);
        self.posted_tokens.push(false);
        self.building.push(vec![]);
        id
    }

    /// Adds a name (already normalised) and returns its id. A name that does not gather
    /// ([`Normalized::gathers`]) is kept for scoring, but no posting lists it: a query never
    /// gathers it (the screener scores it beside a form of the same name that it gathers).
    pub fn add(&mut self, entity: u32, n: &Normalized) -> u32 {
        let id = self.names.len() as u32;
        let tokens: Vec<u32> = n.tokens.iter().map(|t| self.intern(t)).collect();
        let all: Vec<u32> = n.all.iter().map(|t| self.intern(t)).collect();
        let mut distinct = tokens.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        for &t in &distinct {
            if n.gathers {
                self.building[t as usize].push(id);
            }
            if n.abjad {
                self.abjad[t as usize] = true;
            }
        }
        if n.gathers {
            for &t in tokens.iter().chain(&all) {
                self.posted_tokens[t as usize] = true;
            }
        }
        self.names.push(entity, n.abjad, &tokens, &all);
        self.posted.push(n.gathers);
        id
    }

    /// Completes the index once every name is in: prefix postings and lookup tables.
    pub fn finish(&mut self) {
        self.sort_vocabulary();
        let mut prefix: Vec<Vec<Prefix>> = vec![vec![]; self.lens.len()];
        let posted = std::mem::take(&mut self.posted);
        for id in 0..self.names.len() as u32 {
            if !posted[id as usize] {
                continue;
            }
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
        let mut variants = vec![];
        let mut keys = vec![];
        let mut skeleton_ids: HashMap<String, u32> = HashMap::new();
        let (mut skeleton_text, mut skeleton_bounds) = (String::new(), vec![0u32]);
        self.skeleton_of = (0..self.lens.len() as u32)
            .map(|t| {
                let k = skeleton(self.token(t));
                *skeleton_ids.entry(k).or_insert_with_key(|k| {
                    skeleton_text.push_str(k);
                    skeleton_bounds.push(skeleton_text.len() as u32);
                    skeleton_bounds.len() as u32 - 2
                })
            })
            .collect();
        (self.skeleton_text, self.skeleton_bounds) = (skeleton_text, skeleton_bounds);
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
                let k = self.token_skeleton(t).1;
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
                if let Some(k) = fold_key(text) {
                    phonetics.push((k, t));
                }
                let v = variant_skeleton(text);
                if v.len() > 1 && v != self.token_skeleton(t).1 {
                    variants.push((key(v.as_bytes()), t));
                }
            }
        }
        self.deletes = Table::build(deletes);
        self.skeletons = Table::build(skeletons);
        self.thin = Table::build(thin);
        self.abjad_skeletons = Table::build(abjad_skeletons);
        self.abjad_thin = Table::build(abjad_thin);
        self.phonetics = Table::build(phonetics);
        self.variants = Table::build(variants);
        self.full = Postings::from_lists(std::mem::take(&mut self.building));
        self.store_common_expansions();
    }

    /// Renumbers the vocabulary in alphabetical order: a query token's variants ("MOHAMED",
    /// "MOHAMMAD", "MOHAMMMED") then lie near one another, so that comparing the query token
    /// with them reads a few nearby stretches of memory rather than one place per variant.
    pub(super) fn sort_vocabulary(&mut self) {
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
        self.len_first = order.iter().map(|&o| self.len_first[o as usize]).collect();
        self.abjad = order.iter().map(|&o| self.abjad[o as usize]).collect();
        self.posted_tokens = order
            .iter()
            .map(|&o| self.posted_tokens[o as usize])
            .collect();
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

    /// Computes once, when the index is built, the expansions of the tokens that at least
    /// [`COMMON_TOKEN`] names hold: names share their common tokens, so queries do too, and
    /// the first query with each would otherwise pay for it. On as many threads as there are
    /// cores.
    pub(super) fn store_common_expansions(&mut self) {
        let common: Vec<u32> = (0..self.lens.len() as u32)
            .filter(|&t| self.full.get(t).len() >= COMMON_TOKEN)
            .collect();
        self.common = self.expansions_of(&common, false);
        // The tokens of names written in an abjad, expanded as a query written in one
        // expands them (against every token's skeleton): the costliest expansions, and
        // a query in the Arabic script mostly made of them.
        let abjad: Vec<u32> = common
            .into_iter()
            .filter(|&t| self.abjad[t as usize])
            .collect();
        self.common_abjad = self.expansions_of(&abjad, true);
    }

    /// The expansions of `common` (sorted), as a query token `abjad` or not expands them, on
    /// every core; empty for the other tokens.
    fn expansions_of(&self, common: &[u32], abjad: bool) -> Postings<(u32, f32)> {
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        let chunk = common.len().div_ceil(threads).max(1);
        let this = self;
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
                            let e = this.expand_token(this.token(t), abjad);
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
        stored
    }
}
