//! One key for the ways European languages write a name from Cyrillic (and for the Latin
//! spellings of Slavic names generally): German, Polish, Czech, Hungarian, Dutch, French and
//! English renderings of one letter made one.
//!
//! | sound | renderings | key |
//! |---|---|---|
//! | щ | shch, szcz, schtsch, stsch | `Q` |
//! | ч, х | ch, tch, tsch, cz, kh | `C` |
//! | ш, ж | sh, sch, sz, zh | `X` |
//! | ц | ts, tz | `Z` |
//! | в | v, w, final ff | `V` |
//! | й, ы, и | j, y, i | `I` |
//! | у | u, oe (Dutch), ou (French) | `U` |
//! | е | e, ie, je, ye | `E` |
//! | д (Hungarian дь) | d, gy | `D` |
//! | ф | f, ph | `F` |
//! | к | k, c before a, o, u, l, r; ck, cc | `K` |
//!
//! and the East Slavic full vocalism (`olo` as `la`: Volodymyr and Vladimir), Mc as Mac,
//! doubled letters written once. "Wladimir Poetin", "Władimir Władimirowicz", "Vlagyimir
//! Putyin", "Chruschtschow" and "Chruszczow" key as "Vladimir Putin", "Vladimirovich" and
//! "Khrushchov" do.

/// The longest token keyed; longer ones have no key.
pub const MAX: usize = 64;

/// Multi-letter renderings, by their first letter, longest first where one begins another.
type Rules = &'static [(&'static [u8], &'static [u8])];

const S_RULES: Rules = &[
    (b"SCHTSCH", b"Q"),
    (b"STSCH", b"Q"),
    (b"SHCH", b"Q"),
    (b"SZCZ", b"Q"),
    (b"SCH", b"X"),
    (b"SH", b"X"),
    (b"SZ", b"X"),
];
const T_RULES: Rules = &[
    (b"TSCH", b"C"),
    (b"TCH", b"C"),
    (b"TS", b"Z"),
    (b"TZ", b"Z"),
];
// A hard c (McConnell, Makkonnel): k.
const C_RULES: Rules = &[
    (b"CH", b"C"),
    (b"CZ", b"C"),
    (b"CK", b"K"),
    (b"CC", b"K"),
    (b"CA", b"KA"),
    (b"CO", b"KO"),
    (b"CU", b"KU"),
    (b"CL", b"KL"),
    (b"CR", b"KR"),
];
const K_RULES: Rules = &[(b"KH", b"C")];
const Z_RULES: Rules = &[(b"ZH", b"X")];
const P_RULES: Rules = &[(b"PH", b"F")];
// East Slavic full vocalism: Volodymyr is Vladimir, Volodymyrovych Vladimirovich.
const O_RULES: Rules = &[(b"OLO", b"LA"), (b"OE", b"U"), (b"OU", b"U")];

/// The rule `rest` begins with, if any: its output and the bytes it takes.
fn rule(rest: &[u8]) -> Option<(&'static [u8], usize)> {
    let rules = match rest.first()? {
        b'S' => S_RULES,
        b'T' => T_RULES,
        b'C' => C_RULES,
        b'K' => K_RULES,
        b'Z' => Z_RULES,
        b'P' => P_RULES,
        b'O' => O_RULES,
        _ => return None,
    };
    rules
        .iter()
        .find(|(from, _)| rest.starts_with(from))
        .map(|(from, to)| (*to, from.len()))
}

/// Every byte as itself, for a rule's output of one letter.
const LETTERS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = i as u8;
        i += 1;
    }
    t
};

fn vowel(c: u8) -> bool {
    matches!(c, b'A' | b'E' | b'I' | b'O' | b'U' | b'Y')
}

/// The key of an upper-case ASCII token, written to `out`: its length, or `None` when the
/// token is longer than [`MAX`] or not ASCII.
pub fn key(token: &[u8], out: &mut [u8; MAX]) -> Option<usize> {
    key_upto(token, out, usize::MAX)
}

/// [`key`], stopping once `limit` bytes are written: all but the last of them are the key's own
/// (a later `E` may yet take back an `I` before it).
fn key_upto(token: &[u8], out: &mut [u8; MAX], limit: usize) -> Option<usize> {
    if token.len() > MAX || !token.is_ascii() {
        return None;
    }
    let mut n = 0;
    let mut i = 0;
    while i < token.len() {
        let rest = &token[i..];
        // Mc, Mac: one prefix (McConnell, Makkonnel).
        if i == 0 && rest.starts_with(b"MC") {
            out[..3].copy_from_slice(b"MAK");
            n = 3;
            i = 2;
            continue;
        }
        if n >= limit {
            return Some(n);
        }
        let (to, used): (&[u8], usize) = match rule(rest) {
            Some(r) => r,
            None => {
                let c = match rest[0] {
                    // Hungarian gy before a vowel (Vlagyimir).
                    b'G' if rest.len() > 2 && rest[1] == b'Y' && vowel(rest[2]) => {
                        i += 1;
                        b'D'
                    }
                    b'W' => b'V',
                    b'J' | b'Y' => b'I',
                    // A final -ff is -v (Romanoff).
                    b'F' if rest.len() == 2 && rest[1] == b'F' => {
                        i += 1;
                        b'V'
                    }
                    c => c,
                };
                (std::slice::from_ref(&LETTERS[usize::from(c)]), 1)
            }
        };
        i += used;
        for &c in to {
            // ie, je, ye are e, except where they begin the name (Ievgen, Yevgeny are Evgeny).
            if c == b'E' && n > 0 && out[n - 1] == b'I' {
                n -= 1;
            }
            if n > 0 && out[n - 1] == c {
                continue;
            }
            if n == MAX {
                return None;
            }
            out[n] = c;
            n += 1;
        }
    }
    Some(n)
}

/// Whether two tokens have the same key.
pub fn same(a: &str, b: &str) -> bool {
    let (mut ka, mut kb) = ([0u8; MAX], [0u8; MAX]);
    // Most tokens compared differ in their first letters: those are keyed first, alone.
    const HEAD: usize = 3;
    match (
        key_upto(a.as_bytes(), &mut ka, HEAD + 1),
        key_upto(b.as_bytes(), &mut kb, HEAD + 1),
    ) {
        (Some(la), Some(lb)) if ka[..la.min(HEAD)] != kb[..lb.min(HEAD)] => return false,
        (None, _) | (_, None) => return false,
        _ => {}
    }
    match (key(a.as_bytes(), &mut ka), key(b.as_bytes(), &mut kb)) {
        (Some(la), Some(lb)) => ka[..la] == kb[..lb],
        _ => false,
    }
}

/// The key as a string (for the index's tables).
pub fn key_string(token: &str) -> Option<String> {
    let mut k = [0u8; MAX];
    key(token.as_bytes(), &mut k).map(|n| String::from_utf8_lossy(&k[..n]).into_owned())
}

/// Whether a token is a patronymic (Vladimirovich, Wladimirowitsch, Volodymyrivna, Aliyevich,
/// Ahmad oglu, kyzy): of the forms the national systems give, by its key.
pub fn is_patronymic(token: &str) -> bool {
    // Asked of every token left unpaired in a comparison: most are told apart by their last
    // letters alone (a v or w near the end, or one of the Turkic words).
    let b = token.as_bytes();
    let tail = &b[b.len().saturating_sub(8)..];
    if !(tail.contains(&b'V')
        || tail.contains(&b'W')
        || (b.len() == 4 && matches!(b[0], b'O' | b'K' | b'G')))
    {
        return false;
    }
    let mut k = [0u8; MAX];
    let Some(n) = key(token.as_bytes(), &mut k) else {
        return false;
    };
    let k = &k[..n];
    // -vich as the national systems write it (-owitsch, -ovitch, -ovych), not the -vić, -wicz
    // of South Slavic and Polish surnames (Petrović, Mickiewicz).
    n >= 6 && (k.ends_with(b"VIC") && b.ends_with(b"CH") || k.ends_with(b"VNA"))
        || matches!(k, b"OGLU" | b"OGLI" | b"OGLA" | b"KIZI" | b"GIZI")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn national_renderings_key_alike() {
        for (a, b) in [
            ("WLADIMIR", "VLADIMIR"),
            ("VLAGYIMIR", "VLADIMIR"),
            ("POETIN", "PUTIN"),
            ("PUTYIN", "PUTIN"),
            ("WLADIMIROWICZ", "VLADIMIROVICH"),
            ("WLADIMIROWITSCH", "VLADIMIROVICH"),
            ("CHRUSCHTSCHOW", "KHRUSHCHOV"),
            ("CHRUSZCZOW", "KHRUSHCHOV"),
            ("SCHUKOW", "ZHUKOV"),
            ("JURIJ", "YURIY"),
            ("SERGEJEW", "SERGEYEV"),
            ("SIERGIEJEW", "SERGEYEV"),
            ("JEWGENIJ", "YEVGENIY"),
            ("ROMANOFF", "ROMANOV"),
            ("TSCHECHOW", "CHEKHOV"),
            ("CZECHOW", "CHEKHOV"),
            ("VOLODYMYR", "VLADIMIR"),
            ("VOLODYMYROVYCH", "VLADIMIROVICH"),
            ("MAKKONNELL", "MCCONNELL"),
            ("MAKONEL", "MCCONNELL"),
            ("MICH", "MITCH"),
        ] {
            assert!(
                same(a, b),
                "{a} {b}: {:?} {:?}",
                key_string(a),
                key_string(b)
            );
        }
        for (a, b) in [("PUTIN", "PUTNAM"), ("IVAN", "IVANA"), ("SMITH", "SMYTHE")] {
            assert!(!same(a, b), "{a} {b}");
        }
        assert!(is_patronymic("VLADIMIROVICH"));
        assert!(is_patronymic("WLADIMIROWITSCH"));
        assert!(!is_patronymic("PETROVIC"));
        assert!(!is_patronymic("MICKIEWICZ"));
        assert!(is_patronymic("VOLODYMYROVYCH"));
        assert!(is_patronymic("PETROVNA"));
        assert!(is_patronymic("OGLU"));
        assert!(!is_patronymic("VLADIMIR"));
    }
}
