//! How the CLI prints records: a table with a header for people, JSON with `--json` for
//! programs; days as `YYYY-MM-DD`, times as RFC 3339; names of values as the API spells them,
//! never Rust's debug form.

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use unicode_width::UnicodeWidthStr;

/// Rows under a header, printed with aligned columns. Cells are cleaned of control characters
/// (a tab or a newline in a stored value cannot break a row). Columns are as wide as their
/// cells are on a terminal, not as many characters as they hold: a Hangul or Han character
/// takes two columns, most Khmer and Burmese vowel signs above or below a letter none
/// (`unicode-width`).
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(headers: &[&'static str]) -> Table {
        Table {
            headers: headers.to_vec(),
            rows: vec![],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(
            cells
                .into_iter()
                .map(|c| {
                    c.chars()
                        .map(|ch| if ch.is_control() { ' ' } else { ch })
                        .collect()
                })
                .collect(),
        );
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text; `empty` when it has no row.
    pub fn render(&self, empty: &str) -> String {
        if self.rows.is_empty() {
            return format!("{empty}\n");
        }
        let width = |i: usize| {
            self.rows
                .iter()
                .map(|r| r[i].width())
                .chain([self.headers[i].len()])
                .max()
                .unwrap_or(0)
        };
        let widths: Vec<usize> = (0..self.headers.len()).map(width).collect();
        let line = |cells: Vec<&str>| {
            let last = cells.len() - 1;
            let mut s = String::new();
            for (i, c) in cells.into_iter().enumerate() {
                if i == last {
                    s.push_str(c);
                } else {
                    s.push_str(c);
                    s.extend(std::iter::repeat_n(' ', widths[i] - c.width() + 2));
                }
            }
            s.trim_end().to_owned() + "\n"
        };
        let mut out = line(self.headers.clone());
        for r in &self.rows {
            out.push_str(&line(r.iter().map(String::as_str).collect()));
        }
        out
    }

    /// Writes the table to standard output. A reader that stops reading (`| head`) ends the
    /// command quietly: the broken pipe is returned, and `main` exits without a word.
    pub fn print(&self, empty: &str) -> Result<()> {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        out.write_all(self.render(empty).as_bytes())?;
        out.flush()?;
        Ok(())
    }
}

/// Pretty JSON on standard output (a closed pipe ends the command quietly, as for a table).
pub fn print_json(v: &impl serde::Serialize) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

/// A value's name as the API spells it (`in_force`, `lessee`), for enums and tagged values.
pub fn name(v: &impl serde::Serialize) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        Ok(serde_json::Value::Object(o)) => o
            .get("kind")
            .and_then(|k| k.as_str())
            .map(str::to_owned)
            .unwrap_or_default(),
        Ok(serde_json::Value::Array(a)) => a.iter().map(name).collect::<Vec<_>>().join(","),
        Ok(serde_json::Value::Null) => String::new(),
        Ok(other) => other.to_string(),
        Err(_) => String::new(),
    }
}

/// A time's day, `YYYY-MM-DD`.
pub fn day(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

/// An optional time's day, or `-`.
pub fn day_or_dash(t: Option<DateTime<Utc>>) -> String {
    t.map(day).unwrap_or_else(|| "-".into())
}

/// A time as RFC 3339, to the second.
pub fn time_text(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// A day given to a flag: `YYYY-MM-DD`.
pub fn date(flag: &str, s: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
        .with_context(|| format!("--{flag} `{s}` is not a YYYY-MM-DD date"))
}

/// The start of a range given to a flag (clap's `value_parser`): an RFC 3339 time, or a day
/// (its first instant).
pub fn range_start(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    custos_app::when::parse(s, custos_app::when::End::Start)
}

/// The end of a range given to a flag: an RFC 3339 time, or a day (all of it).
pub fn range_end(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    custos_app::when::parse(s, custos_app::when::End::End)
}

/// A time given to a flag: an RFC 3339 time, or a day (`YYYY-MM-DD`, its start in UTC).
pub fn time(flag: &str, s: &str) -> Result<DateTime<Utc>> {
    custos_app::when::parse(s, custos_app::when::End::Start)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("--{flag} `{s}` is not a day (YYYY-MM-DD) or an RFC 3339 time"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_table_aligns_its_columns_under_a_header_and_cleans_its_cells() {
        let mut t = Table::new(&["ID", "STATUS", "NOTE"]);
        t.row(vec!["a".into(), "in_force".into(), "x\ty".into()]);
        t.row(vec!["longer".into(), "ok".into(), String::new()]);
        assert_eq!(
            t.render("none"),
            "ID      STATUS    NOTE\na       in_force  x y\nlonger  ok\n"
        );
        assert_eq!(Table::new(&["ID"]).render("none"), "none\n");
    }

    /// A name in Hangul, Han or Khmer is padded by the columns a terminal gives it, so that
    /// the column after it lines up (padded by characters, the score after 김정은 stood three
    /// columns too far right).
    #[test]
    fn a_table_pads_wide_and_combining_characters_by_their_columns() {
        let mut t = Table::new(&["NAME", "SCORE"]);
        t.row(vec!["Kim Jong Un".into(), "1.000".into()]);
        t.row(vec!["김정은".into(), "1.000".into()]);
        t.row(vec!["金正恩".into(), "0.950".into()]);
        t.row(vec!["សុភារ៉ា".into(), "0.925".into()]);
        let text = t.render("none");
        let columns: Vec<usize> = text
            .lines()
            .map(|l| {
                // The last column begins after the last run of spaces.
                let at = l.rfind("  ").unwrap() + 2;
                l[..at].width()
            })
            .collect();
        assert!(
            columns.iter().all(|&c| c == columns[0]),
            "{columns:?}\n{text}"
        );
    }

    #[test]
    fn names_are_the_api_spelling_never_debug() {
        #[derive(serde::Serialize)]
        #[serde(rename_all = "snake_case")]
        enum S {
            InForce,
        }
        #[derive(serde::Serialize)]
        #[serde(tag = "kind", rename_all = "snake_case")]
        enum Scope {
            Lessee { customer_id: String },
        }
        assert_eq!(name(&S::InForce), "in_force");
        assert_eq!(
            name(&Scope::Lessee {
                customer_id: "cus_1".into()
            }),
            "lessee"
        );
        assert_eq!(name(&vec![S::InForce, S::InForce]), "in_force,in_force");
    }

    #[test]
    fn a_day_is_taken_where_a_time_is_asked() {
        assert_eq!(
            time("at", "2026-11-01").unwrap().to_rfc3339(),
            "2026-11-01T00:00:00+00:00"
        );
        assert!(time("at", "2026-11-01T10:00:00Z").is_ok());
        let e = time("at", "yesterday").unwrap_err();
        assert!(format!("{e:#}").contains("--at `yesterday`"), "{e:#}");
    }
}
