//! The console in a real browser (Debian's Chromium, driven by Playwright for Python) against
//! a fresh `custos demo`: every page as the role that uses it, every action, the wrong roles,
//! four eyes, a purpose before personal data, accessibility (axe-core), the keyboard, and no
//! request leaving 127.0.0.1. Screenshots of each page go to `target/console-screenshots/`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;

#[test]
fn the_console_works_in_a_real_browser() {
    let dir = tempfile::tempdir().unwrap();
    let s = start(dir.path(), &["demo"]);
    assert_eq!(s.console_users.len(), 5, "{:?}", s.console_users);
    let users = dir.path().join("console-users.txt");
    std::fs::write(&users, s.console_users.join("\n")).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let shots = root.join("target/console-screenshots");
    std::fs::create_dir_all(&shots).unwrap();
    let axe = root.join("target/test-data/axe-core/axe.min.js");
    assert!(
        axe.exists(),
        "{} is missing: .ci/test fetches it (the npm package axe-core)",
        axe.display()
    );
    let out = Command::new("python3")
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/console/browser.py"
        ))
        .arg(&s.url)
        .arg(&users)
        .arg(&shots)
        .arg(&axe)
        .current_dir(dir.path())
        .output()
        .expect("python3 runs (pip install -r crates/custos-cli/tests/console/requirements.txt)");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the console's browser tests failed:\n{stdout}\n{stderr}"
    );
    assert!(stdout.contains("console browser tests passed"), "{stdout}");
}
