//! The architecture as ARCHITECTURE.md draws it is the one the manifests declare, and the
//! doors keep to their side of the application layer.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Each workspace crate's normal dependencies within the workspace, from `cargo metadata`.
fn declared() -> BTreeMap<String, BTreeSet<String>> {
    let out = std::process::Command::new(env!("CARGO"))
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let mut map = BTreeMap::new();
    for p in v["packages"].as_array().unwrap() {
        let deps = p["dependencies"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["kind"].is_null() && d["name"].as_str().unwrap().starts_with("custos-"))
            .map(|d| d["name"].as_str().unwrap().to_owned())
            .collect();
        map.insert(p["name"].as_str().unwrap().to_owned(), deps);
    }
    map
}

/// The table of ARCHITECTURE.md's map.
fn drawn() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).unwrap();
    let mut map = BTreeMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() == 4 && cells[1].starts_with("custos-") {
            let deps = cells[2]
                .split(',')
                .map(str::trim)
                .filter(|d| *d != "none")
                .map(str::to_owned)
                .collect();
            map.insert(cells[1].to_owned(), deps);
        }
    }
    map
}

#[test]
fn the_map_is_the_manifests() {
    assert_eq!(drawn(), declared());
}

#[test]
fn the_server_does_not_reach_the_store() {
    assert!(!declared()["custos-server"].contains("custos-store"));
}

/// The CLI calls the application layer; it uses the HTTP crate only to serve.
#[test]
fn the_cli_uses_the_server_only_to_serve() {
    let allowed = [
        "custos_server::router",
        "custos_server::AppState",
        "custos_server::serve::",
    ];
    let dir = root().join("crates/custos-cli/src");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for (n, line) in text.lines().enumerate() {
            let mut rest = line;
            while let Some(i) = rest.find("custos_server::") {
                let tail = &rest[i..];
                assert!(
                    allowed.iter().any(|a| tail.starts_with(a)),
                    "{}:{}: {line}",
                    path.display(),
                    n + 1
                );
                rest = &tail["custos_server::".len()..];
            }
        }
    }
}

/// Files read top-down: none is over 1,000 lines, but generated tables.
#[test]
fn no_source_file_is_over_a_thousand_lines() {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let p = entry.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|e| e == "rs") {
                out.push(p);
            }
        }
    }
    let mut files = vec![];
    walk(&root().join("crates"), &mut files);
    let generated = ["countries_data.rs"];
    for f in files {
        if generated.iter().any(|g| f.ends_with(g)) {
            continue;
        }
        let lines = std::fs::read_to_string(&f).unwrap().lines().count();
        assert!(lines <= 1000, "{} has {lines} lines", f.display());
    }
}

/// The domain's modules import one another in one direction only: no two rule modules need
/// each other (shared kinds live in `kinds`, records in `records`).
#[test]
fn the_core_has_no_import_circle() {
    let src = root().join("crates/custos-core/src");
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut files = vec![];
    for entry in std::fs::read_dir(&src).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            for e in std::fs::read_dir(&p).unwrap() {
                files.push(e.unwrap().path());
            }
        } else {
            files.push(p);
        }
    }
    let modules: BTreeSet<String> = files
        .iter()
        .filter_map(|f| {
            let rel = f.strip_prefix(&src).unwrap();
            rel.components().next().map(|c| {
                c.as_os_str()
                    .to_string_lossy()
                    .trim_end_matches(".rs")
                    .to_owned()
            })
        })
        .filter(|m| m != "lib")
        .collect();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        if rel.file_name().is_some_and(|n| n == "tests.rs") {
            continue;
        }
        let from = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        if from == "lib" {
            continue;
        }
        for line in std::fs::read_to_string(f).unwrap().lines() {
            let Some(rest) = line.trim().strip_prefix("use crate::") else {
                continue;
            };
            let to: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if modules.contains(&to) && to != from {
                edges.entry(from.clone()).or_default().insert(to);
            }
        }
    }
    fn visit(
        m: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(i) = path.iter().position(|p| p == m) {
            panic!("import circle: {} -> {m}", path[i..].join(" -> "));
        }
        if done.contains(m) {
            return;
        }
        path.push(m.to_owned());
        for n in edges.get(m).into_iter().flatten() {
            visit(n, edges, path, done);
        }
        path.pop();
        done.insert(m.to_owned());
    }
    let mut done = BTreeSet::new();
    for m in &modules {
        visit(m, &edges, &mut vec![], &mut done);
    }
}
