//! What the integration tests share.

use std::path::{Path, PathBuf};

/// A file of ../shared/peer-data (or of `CUSTOS_PEER_DATA`).
#[allow(dead_code, reason = "each test binary uses part of this")]
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

/// Runs the Python oracle `tests/oracle/SCRIPT` with `args`, writing `input` (one item a line)
/// to its standard input; returns its output, a line each. `CUSTOS_PYTHON` names the
/// interpreter; `.ci/test` installs the oracles (tests/oracle/requirements.txt).
#[allow(dead_code, reason = "each test binary uses part of this")]
pub fn oracle(script: &str, args: &[&std::ffi::OsStr], input: String) -> Vec<String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let python = std::env::var("CUSTOS_PYTHON").unwrap_or_else(|_| "python3".into());
    let mut child = Command::new(&python)
        .arg(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/oracle")
                .join(script),
        )
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {python}: {e}"));
    let mut stdin = child.stdin.take().unwrap();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    assert!(
        out.status.success(),
        "the oracle {script} failed (pip install -r crates/custos-screen/tests/oracle/requirements.txt)"
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}
