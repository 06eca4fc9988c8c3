//! The bundle format, pure: no files, no clock. C2SP tlog-tiles entry bundles (each entry a
//! 16-bit big-endian length and its bytes), and the zstd frames they are stored in. With
//! [`crate::event`] (the canonical encoding) and `columns` (the columnar form of a bundle of
//! events), this is what fuzz targets and outside auditors read a ledger's bytes with.

use std::cell::RefCell;

/// The entries of a bundle: each a 16-bit big-endian length and the bytes.
pub fn split_bundle(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut at = 0usize;
    std::iter::from_fn(move || {
        let len = usize::from(u16::from_be_bytes([*data.get(at)?, *data.get(at + 1)?]));
        let leaf = data.get(at + 2..at + 2 + len)?;
        at += 2 + len;
        Some(leaf)
    })
}

/// A bundle's bytes from its entries.
pub fn join_bundle<'a>(leaves: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = vec![];
    for l in leaves {
        out.extend_from_slice(&(l.len() as u16).to_be_bytes());
        out.extend_from_slice(l);
    }
    out
}

/// Decompresses one zstd frame, with one context per thread when the frame states its size
/// (every frame custos writes does).
pub fn unzstd(frame: &[u8]) -> std::io::Result<Vec<u8>> {
    thread_local! {
        static DCTX: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
    }
    match zstd::zstd_safe::get_frame_content_size(frame) {
        // A bundle is at most 256 entries of 64 KiB.
        Ok(Some(n)) if n <= 32 << 20 => DCTX.with(|d| {
            let mut d = d.borrow_mut();
            if d.is_none() {
                *d = Some(zstd::bulk::Decompressor::new()?);
            }
            match d.as_mut() {
                Some(d) => d.decompress(frame, n as usize),
                None => zstd::decode_all(frame),
            }
        }),
        _ => zstd::decode_all(frame),
    }
}

/// Entries per bundle, and leaf hashes per tile (C2SP tlog-tiles: height 8).
pub const ENTRIES: usize = 256;

/// A stored bundle (a columnar frame, or a zstd frame of the bytes as they are) back to the
/// bundle's bytes, as `entries` keeps it.
pub fn unpack(frame: &[u8]) -> Result<Vec<u8>, String> {
    crate::columns::unpack(frame)
}

/// The entries of a bundle (as `/ledger/{log}/tile/entries/N` serves it), strictly: every
/// entry framed by its length, at most [`ENTRIES`], nothing left over.
pub fn entries(bundle: &[u8]) -> Result<Vec<&[u8]>, String> {
    let mut out = vec![];
    let mut at = 0usize;
    while at < bundle.len() {
        let Some(len) = bundle.get(at..at + 2) else {
            return Err(format!("entry {} has a torn length", out.len()));
        };
        let len = usize::from(u16::from_be_bytes([len[0], len[1]]));
        let Some(entry) = bundle.get(at + 2..at + 2 + len) else {
            return Err(format!("entry {} is cut short", out.len()));
        };
        if out.len() == ENTRIES {
            return Err(format!("more than {ENTRIES} entries"));
        }
        out.push(entry);
        at += 2 + len;
    }
    Ok(out)
}

/// The RFC 6962 leaf hashes of a bundle's entries.
pub fn leaf_hashes(bundle: &[u8]) -> Result<Vec<tlog_tiles::Hash>, String> {
    Ok(entries(bundle)?
        .into_iter()
        .map(tlog_tiles::record_hash)
        .collect())
}

/// Checks a bundle against the level-0 hash tile that covers it (`tile/0/N`, as a log
/// serves both): the tile holds exactly the leaf hashes of the bundle's entries. With the
/// tiles above it and the signed checkpoint, this is how an outside auditor checks a
/// bundle from bytes alone. Entries purged by retention are not checked this way: their
/// bytes are zeros and their leaf hashes are kept apart.
pub fn check_against_tile(bundle: &[u8], tile: &[u8]) -> Result<(), String> {
    let hashes = leaf_hashes(bundle)?;
    if tile.len() != hashes.len() * tlog_tiles::HASH_SIZE {
        return Err(format!(
            "the tile holds {} bytes; {} entries need {}",
            tile.len(),
            hashes.len(),
            hashes.len() * tlog_tiles::HASH_SIZE
        ));
    }
    for (i, (h, t)) in hashes
        .iter()
        .zip(tile.chunks(tlog_tiles::HASH_SIZE))
        .enumerate()
    {
        if h.0[..] != t[..] {
            return Err(format!("entry {i} is not the one the tile commits"));
        }
    }
    Ok(())
}
