//! Statements of many rows: bulk loads and the walks over every customer write a page at a
//! time, not a row at a time.

use super::*;

/// A value bound into a statement of many rows.
pub(super) enum Val {
    Text(String),
    OptText(Option<String>),
    Int(i64),
    OptInt(Option<i64>),
    Blob(Vec<u8>),
}

/// Values bound into one statement of many rows: well under the databases' limits (SQLite's
/// is 32,766), and few enough that binding stays cheap (SQLite finds a parameter's name by
/// walking the statement's list of them, so binding a statement's values takes time in the
/// square of their number).
pub(super) const ROW_VALUES: usize = 400;

/// `INSERT INTO {into} VALUES {row}, {row}, ...{tail}`, in statements of [`ROW_VALUES`]
/// values at most. `row` numbers its values from `$1`; a number may repeat (a row's
/// `created_at` is its `updated_at` too).
pub(super) async fn insert_many(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    into: &str,
    row: &str,
    tail: &str,
    rows: Vec<Vec<Val>>,
) -> Result<(), StoreError> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let per = (ROW_VALUES / width).max(1);
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Val>> = rows.by_ref().take(per).collect();
        let mut sql = format!("INSERT INTO {into} VALUES ");
        for i in 0..chunk.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&renumber(row, i * width));
        }
        sql.push_str(tail);
        let mut q = sqlx::query(&sql);
        for v in chunk.into_iter().flatten() {
            q = match v {
                Val::Text(t) => q.bind(t),
                Val::OptText(t) => q.bind(t),
                Val::Int(n) => q.bind(n),
                Val::OptInt(n) => q.bind(n),
                Val::Blob(b) => q.bind(b),
            };
        }
        q.execute(&mut **tx).await.map_err(db)?;
    }
    Ok(())
}

/// `row` with each `$n` moved on by `by`.
pub(super) fn renumber(row: &str, by: usize) -> String {
    let mut out = String::with_capacity(row.len() + 8);
    let mut chars = row.chars().peekable();
    while let Some(ch) = chars.next() {
        out.push(ch);
        if ch == '$' {
            let mut n = 0usize;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = n * 10 + d as usize;
                chars.next();
            }
            out.push_str(&(n + by).to_string());
        }
    }
    out
}
