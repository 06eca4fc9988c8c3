//! What the integration tests share.

use std::path::{Path, PathBuf};

/// A file of ../shared/peer-data (or of `CUSTOS_PEER_DATA`).
pub fn peer(rel: &str) -> PathBuf {
    let base = std::env::var("CUSTOS_PEER_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data")
        });
    let p = base.join(rel);
    assert!(p.exists(), "peer data missing: {}", p.display());
    p
}
