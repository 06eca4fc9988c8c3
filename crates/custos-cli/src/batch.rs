//! `--batch`: one answer per line of standard input, whatever the other lines hold.

use std::io::{BufRead, Write};

use anyhow::{Context, Result, bail};

/// Reads standard input a line at a time and writes one line of answer for each, in order.
/// `answer` gets the line's number (from 1) and text, and gives its answer, or `Err` with what
/// to write for a line it could not answer (see [`error_line`]). A bad line never stops the
/// batch: every line is answered, and the batch fails at the end, saying how many lines failed
/// and which, when any did.
pub fn run(mut answer: impl FnMut(u64, &str) -> Result<String, String>) -> Result<()> {
    let stdin = std::io::stdin();
    let mut input = stdin.lock();
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut buf = Vec::new();
    let mut n = 0u64;
    let mut failed = vec![];
    loop {
        buf.clear();
        if input
            .read_until(b'\n', &mut buf)
            .context("cannot read standard input")?
            == 0
        {
            break;
        }
        n += 1;
        let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let answered = match std::str::from_utf8(line) {
            Ok(text) => answer(n, text),
            Err(_) => Err(error_line(n, &anyhow::anyhow!("not UTF-8 text"))),
        };
        let text = answered.unwrap_or_else(|e| {
            failed.push(n);
            e
        });
        writeln!(out, "{text}")?;
    }
    out.flush()?;
    if !failed.is_empty() {
        let shown: Vec<String> = failed.iter().take(20).map(u64::to_string).collect();
        bail!(
            "{} of {n} lines failed (line {}{})",
            failed.len(),
            shown.join(", "),
            if failed.len() > shown.len() {
                ", ..."
            } else {
                ""
            }
        );
    }
    Ok(())
}

/// The answer to a line that could not be answered: `{"line": N, "error": "..."}`.
pub fn error_line(line: u64, e: &anyhow::Error) -> String {
    serde_json::json!({"line": line, "error": format!("{e:#}")}).to_string()
}
