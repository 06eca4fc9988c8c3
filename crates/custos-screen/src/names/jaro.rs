//! Jaro-Winkler over the ASCII tokens names are made of, bit-parallel and without allocating.

/// Jaro-Winkler similarity, as `strsim::jaro_winkler` computes it (the tests hold the two
/// equal), without allocating for the ASCII tokens of at most 64 letters that names are made
/// of once transliterated. Scoring a candidate compares every token pair; this is its inner
/// loop.
pub fn jw(a_str: &str, b_str: &str) -> f64 {
    let (a, b) = (a_str.as_bytes(), b_str.as_bytes());
    if !(a.is_ascii() && b.is_ascii() && a.len() <= 64 && b.len() <= 64) {
        return strsim::jaro_winkler(a_str, b_str);
    }
    let sim = jaro_ascii(a, b);
    if sim > 0.7 {
        let prefix = a.iter().zip(b).take_while(|(x, y)| x == y).count().min(4);
        sim + 0.1 * prefix as f64 * (1.0 - sim)
    } else {
        sim
    }
}

/// Jaro over ASCII strings of at most 64 bytes, bit-parallel: the positions of each byte in
/// `b` are a bitmask, so finding the first unmatched equal byte within the window is a mask
/// and a count of trailing zeros rather than a scan. The matches, and so the result, are those
/// of the classic scan (each byte of `a` in order takes the first free equal byte of `b` in
/// its window).
///
/// Tokens are nearly always capital letters alone: their table is then of 26 letters rather
/// than of every ASCII byte, a fifth of the clearing (compared as often as tokens are, it
/// shows).
fn jaro_ascii(a: &[u8], b: &[u8]) -> f64 {
    if a.iter().chain(b).all(u8::is_ascii_uppercase) {
        jaro_table::<26>(a, b, |c| c - b'A')
    } else {
        jaro_table::<128>(a, b, |c| c & 0x7f)
    }
}

/// [`jaro_ascii`] with a table of `N` entries, `slot` giving each byte's.
#[inline(always)]
fn jaro_table<const N: usize>(a: &[u8], b: &[u8], slot: impl Fn(u8) -> u8) -> f64 {
    let (la, lb) = (a.len(), b.len());
    if la == 0 && lb == 0 {
        return 1.0;
    }
    if la == 0 || lb == 0 {
        return 0.0;
    }
    let below = |n: usize| if n >= 64 { u64::MAX } else { (1u64 << n) - 1 };
    let mut positions = [0u64; N];
    for (j, &y) in b.iter().enumerate() {
        positions[usize::from(slot(y))] |= 1 << j;
    }
    let range = (la.max(lb) / 2).saturating_sub(1);
    let (mut a_flags, mut b_flags) = (0u64, 0u64);
    let mut matches = 0usize;
    for (i, &x) in a.iter().enumerate() {
        let lo = i.saturating_sub(range);
        let hi = lb.min(i + range + 1);
        if lo >= hi {
            continue;
        }
        let free = positions[usize::from(slot(x))] & below(hi) & !below(lo) & !b_flags;
        if free != 0 {
            a_flags |= 1 << i;
            b_flags |= 1 << free.trailing_zeros();
            matches += 1;
        }
    }
    if matches == 0 {
        return 0.0;
    }
    // The k-th matched byte of `a` against the k-th matched byte of `b`.
    let mut transpositions = 0usize;
    let (mut af, mut bf) = (a_flags, b_flags);
    while af != 0 {
        let (i, j) = (af.trailing_zeros() as usize, bf.trailing_zeros() as usize);
        if a[i] != b[j] {
            transpositions += 1;
        }
        af &= af - 1;
        bf &= bf - 1;
    }
    let t = transpositions / 2;
    let m = matches as f64;
    (m / la as f64 + m / lb as f64 + (matches - t) as f64 / m) / 3.0
}
