//! Free text from a request: trimmed, not empty, bounded, without control characters.

use crate::error::CoreError;

/// Checks a free-text field, and returns it trimmed. A field named `""` is the input as a whole.
pub fn free_text(field: &str, s: &str) -> Result<String, CoreError> {
    let t = s.trim();
    if t.is_empty() {
        return Err(CoreError::invalid(field, "must not be empty"));
    }
    if t.len() > 1000 || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(CoreError::invalid(
            field,
            "must be at most 1000 characters without control characters",
        ));
    }
    Ok(t.to_owned())
}
