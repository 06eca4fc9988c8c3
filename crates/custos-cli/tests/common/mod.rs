//! What the CLI's tests share: the binary run in a data directory, a server started and
//! stopped, requests to it, and the files a test carves.

#![allow(dead_code, reason = "each test binary uses part of this")]

use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_custos");

pub fn custos(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .env_remove("CUSTOS_DATA_DIR")
        .output()
        .expect("custos runs")
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub admin_key: Option<String>,
    /// The demo's `peer` key (TAXII).
    pub peer_key: Option<String>,
    /// The demo's `console user ROLE: EMAIL PASSWORD [totp:SECRET]` lines.
    pub console_users: Vec<String>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `custos ARGS --listen 127.0.0.1:0` and reads its announced address (and admin key).
pub fn start(dir: &Path, args: &[&str]) -> Server {
    start_with(dir, args, &[])
}

/// [`start`] with environment variables set.
pub fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Server {
    let mut child = Command::new(BIN)
        .args(args)
        .args(["--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir)
        .env_remove("CUSTOS_DATA_DIR")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("custos starts");
    let stdout = child.stdout.take().unwrap();
    // Its log, kept to say why it stopped if it does not start.
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut s);
        s
    });
    // From here on the server is reaped by Drop, whatever happens.
    let mut server = Server {
        child,
        url: String::new(),
        admin_key: None,
        peer_key: None,
        console_users: vec![],
    };
    let mut out = BufReader::new(stdout);
    loop {
        let mut line = String::new();
        if out.read_line(&mut line).unwrap() == 0 {
            let _ = server.child.wait();
            let log = log.join().unwrap_or_default();
            let tail: String = log.lines().rev().take(5).collect::<Vec<_>>().join("\n");
            panic!("custos exited before listening: {tail}");
        }
        if let Some(k) = line.strip_prefix("admin key: ") {
            server.admin_key = Some(k.trim().to_owned());
        }
        if let Some(k) = line.strip_prefix("peer key: ") {
            server.peer_key = Some(k.trim().to_owned());
        }
        if line.starts_with("console user ") {
            server.console_users.push(line.trim().to_owned());
        }
        if let Some(u) = line.strip_prefix("listening on ") {
            server.url = u.trim().to_owned();
            return server;
        }
    }
}

pub async fn call(
    s: &Server,
    key: &str,
    method: &str,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let c = reqwest::Client::new();
    let mut r = c
        .request(method.parse().unwrap(), format!("{}{path}", s.url))
        .bearer_auth(key)
        .header("x-custos-purpose", "cli test");
    if let Some(b) = body {
        r = r.json(&b);
    }
    let resp = r.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

pub fn peer(rel: &str) -> std::path::PathBuf {
    let base = std::env::var("CUSTOS_PEER_DATA")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/peer-data")
        });
    base.join(rel)
}

/// Runs a batch command with `lines` on its standard input.
pub fn batch(mut cmd: Command, lines: &[String]) -> std::process::Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    for l in lines {
        writeln!(stdin, "{l}").unwrap();
    }
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// Every KEK in a keyring file as it is on disk.
pub fn keks_on_disk(path: &Path) -> Vec<custos_store::crypto::SecretKey> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["keks"]
        .as_object()
        .unwrap()
        .values()
        .map(|k| {
            let b = base64_decode(k.as_str().unwrap());
            custos_store::crypto::SecretKey::from_bytes(&b).unwrap()
        })
        .collect()
}

pub fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.decode(s).unwrap()
}

/// Every file under `dir`, recursively, with its bytes.
pub fn files_under(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
    let mut out = vec![];
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else if let Ok(b) = std::fs::read(&p) {
            out.push((p, b));
        }
    }
    out
}

/// How many places of `data` open, with one of `keks`, as the wrapped data key of `customer`:
/// an attacker's carving of the data directory.
pub fn carve(data: &[u8], keks: &[custos_store::crypto::SecretKey], customer: &str) -> usize {
    const WRAPPED: usize = 1 + 24 + 32 + 16;
    let aad = format!("custos:dek:v1:{customer}");
    (0..data.len().saturating_sub(WRAPPED - 1))
        .filter(|&at| data[at] == 1)
        .filter(|&at| {
            keks.iter().any(|k| {
                custos_store::crypto::open(k, aad.as_bytes(), &data[at..at + WRAPPED]).is_ok()
            })
        })
        .count()
}

/// Waits (bounded) until `f` holds, asking again as the server's maintenance runs.
pub async fn eventually<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !f().await {
        assert!(
            std::time::Instant::now() < deadline,
            "waited 30 s for {what}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

/// A fresh JetStream stream on the machine's NATS: the context, its name and its subject.
pub async fn nats_stream(prefix: &str) -> (async_nats::jetstream::Context, String, String) {
    use async_nats::jetstream;
    let client = async_nats::connect("nats://127.0.0.1:4222")
        .await
        .expect("NATS with JetStream on 127.0.0.1:4222 (.ci/test starts it)");
    let js = jetstream::new(client);
    let tag = format!(
        "{prefix}{}x{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    );
    let name = format!("CUSTOS_TEST_{tag}");
    let subject = format!("custos.test.{tag}.events");
    js.create_stream(jetstream::stream::Config {
        name: name.clone(),
        subjects: vec![subject.clone()],
        ..Default::default()
    })
    .await
    .unwrap();
    (js, name, subject)
}

/// Runs `custos ARGS` on `dir`, which must fail saying `why` (on standard error).
#[allow(dead_code, reason = "each test binary uses part of this")]
pub fn fails_in(dir: &Path, args: &[&str], why: &str) {
    let o = custos(dir, args);
    assert!(!o.status.success(), "{args:?} succeeded");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(why), "{args:?}: {err}");
}

/// Runs `custos ARGS` on `dir`, which must succeed; its standard output.
pub fn ok_in(dir: &Path, args: &[&str]) -> String {
    let o = custos(dir, args);
    assert!(
        o.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

/// A script of the sharing tests (`tests/sharing/NAME`).
pub fn sharing_script(name: &str) -> String {
    format!("{}/tests/sharing/{name}", env!("CARGO_MANIFEST_DIR"))
}
