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
