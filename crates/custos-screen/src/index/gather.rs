//! The names that could reach the query's score bound gathered from the postings, and their scores estimated.

use super::*;

impl Index {
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
    pub(super) fn gather_by_rarest(
        &self,
        ex: &Expanded,
        m: u8,
        name_slack: f32,
        out: &mut Vec<u32>,
    ) {
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
    pub(super) fn once_each(&self, out: &mut Vec<u32>) {
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
    pub(super) fn may_match(&self, ex: &Expanded, t: u32) -> bool {
        if t == NO_TOKEN || ex.reached[t as usize / 64] & (1 << (t % 64)) != 0 {
            return true;
        }
        let [len, first] = self.len_first[t as usize];
        if len == 1 {
            ex.q_first.contains(&first)
        } else {
            ex.q_initials.contains(&first)
        }
    }

    /// The initial of query token `i` as a vocabulary token, when pairing with it could credit
    /// the token at least `floor`.
    pub(super) fn initial(&self, ex: &Expanded, i: usize, floor: f32) -> Option<u32> {
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
            let [len, first] = self.len_first[t as usize];
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
}
