//! Consonant skeletons: what a transliteration from an abjad (Arabic, Hebrew) keeps of a name,
//! and what the comparison and the index match such names by.

/// A token's consonants, doubled letters collapsed: what an abjad transliteration keeps. The
/// letters that transliterations of one Arabic, Persian or Hebrew letter disagree on count as
/// one:
/// - `DJ` and `J` (ج, Djamel);
/// - `SH` and `CH` (ش, Chaouki), and `TCH` and `TSH` (Mitch: چ, and تش in Arabic letters);
/// - `C` before `E`, `I`, `Y` and `S` as `S` (Lounici);
/// - `Q`, `K`, any other `C`, `G` and `GH`: ق is written Qasim, Kasim and, as the Maghreb and
///   the Gulf say it, Gasmi and Ghedeir; غ Ghali and Gali; Persian گ is written ك in Arabic
///   letters (كُل, Gul); ק is McConnell's C;
/// - `Z`, `DH`, `D` and `TH` (ظ ذ ض, Kazim, Kadhim, Kathim, Romdhane, Bathali; ث written th
///   by any_ascii and the lists, Uthman; ط and ه together, Taha, as any_ascii writes a name
///   as written; its renderings write a vowel between an Arabic letter and a following ح or
///   ه that would make a digraph of the two, see [`crate::romanize::arabic`]).
///
/// What names written in an abjad are compared and indexed by. Two names in Latin letters
/// are variant spellings by stricter classes, which keep `TH` apart from `D`, `G` and `GH`
/// from `K`, and `TCH` from `CH`
/// (Fathi is not Fadi, Gamal not Kamal).
pub fn skeleton(t: &str) -> String {
    made(t, true)
}

/// A token's skeleton by the classes of `abjad` (see [`consonant_class`]); a token with no
/// consonant, its first letter.
fn made(t: &str, abjad: bool) -> String {
    let out: String = skeleton_chars(t, abjad).collect();
    if out.is_empty() {
        t.chars().take(1).collect()
    } else {
        out
    }
}

/// The class of the letter (or two) `rest` begins with, and how many bytes it takes; `None`
/// for a vowel. `abjad`: the classes an abjad's transliterations are compared by (see
/// [`skeleton`]); without it, those of variant spellings in Latin letters.
fn consonant_class(rest: &[u8], abjad: bool) -> (Option<u8>, usize) {
    match rest {
        [b'D', b'J', ..] => (Some(b'J'), 2),
        // (TCH is the English spelling of ch, Mitch: چ in Persian letters, تش in Arabic.)
        [b'T', b'C' | b'S', b'H', ..] if abjad => (Some(b'#'), 3),
        [b'S' | b'C', b'H', ..] => (Some(b'#'), 2),
        // Ks, not sh: "EXCHANGE" is not "CHANG".
        [b'X', ..] => (Some(b'S'), 1),
        [b'D', b'H', ..] => (Some(b'D'), 2),
        [b'T', b'H', ..] if abjad => (Some(b'D'), 2),
        [b'C', b'E' | b'I' | b'Y', ..] => (Some(b'S'), 1),
        [b'G', b'H', ..] if abjad => (Some(b'K'), 2),
        [b'G', ..] if abjad => (Some(b'K'), 1),
        [b'G', b'H', ..] => (Some(b'G'), 2),
        [b'Q' | b'C' | b'K', ..] => (Some(b'K'), 1),
        [b'Z', ..] => (Some(b'D'), 1),
        [b'A' | b'E' | b'I' | b'O' | b'U' | b'Y' | b'W', ..] => (None, 1),
        [c, ..] => (Some(*c), 1),
        [] => (None, 0),
    }
}

/// [`skeleton`]'s letters (with `abjad`; without, those [`same_skeleton`] compares), one at a
/// time, without building it.
pub(crate) fn skeleton_chars(t: &str, abjad: bool) -> impl Iterator<Item = char> + '_ {
    let b = t.as_bytes();
    let (mut i, mut last) = (0, None);
    std::iter::from_fn(move || {
        while i < b.len() {
            // A letter outside ASCII is its own class (names reach here transliterated).
            let (class, used) = if b[i].is_ascii() {
                consonant_class(&b[i..], abjad)
            } else {
                let c = t[i..].chars().next().unwrap_or(' ');
                return {
                    i += c.len_utf8();
                    Some(c)
                };
            };
            i += used;
            if let Some(c) = class
                && last.replace(c) != Some(c)
            {
                return Some(char::from(c));
            }
        }
        None
    })
}

/// A token's skeleton as variant spellings in Latin letters share it: [`skeleton`]'s, with
/// `TH` kept apart from `D`, `G` and `GH` from `K`, and `TCH` from `CH`.
pub(crate) fn variant_skeleton(t: &str) -> String {
    made(t, false)
}

/// `variant_skeleton(a) == variant_skeleton(b)`, without building either: two spellings of one
/// name ("MUHAMMAD" and "MOHAMMED").
pub(crate) fn same_skeleton(a: &str, b: &str) -> bool {
    match (
        skeleton_chars(a, false).next(),
        skeleton_chars(b, false).next(),
    ) {
        (Some(_), Some(_)) => skeleton_chars(a, false).eq(skeleton_chars(b, false)),
        _ => variant_skeleton(a) == variant_skeleton(b),
    }
}
