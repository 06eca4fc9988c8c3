//! JSON bodies, read one way whichever door they come in by (the API, a file, a NATS message):
//! every way a body can be wrong becomes a precise error, naming the field by its path and the
//! rule it broke, never echoing the value sent.

use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// A serde message without the offending value: "invalid type: string \"x\", expected u8"
/// becomes "invalid type, expected u8"; "unknown variant `x`, expected one of ..." becomes
/// "must be one of ...", as every value outside a set is refused.
pub fn redact(msg: &str) -> String {
    let msg = msg.split(" at line ").next().unwrap_or(msg);
    // One wording for a value outside a set, wherever it is refused: "must be one of ...".
    if let Some(rest) = msg.strip_prefix("unknown variant ") {
        return match rest.find(", expected ") {
            Some(i) => format!("must be {}", &rest[i + 11..]),
            None => "is not one of the accepted values".to_owned(),
        };
    }
    for lead in ["invalid type: ", "invalid value: ", "invalid length "] {
        if let Some(rest) = msg.strip_prefix(lead) {
            let kind = lead.trim_end_matches([':', ' ']);
            return match rest.rfind(", expected ") {
                Some(i) => format!("{kind}, expected {}", &rest[i + 11..]),
                None => kind.to_owned(),
            };
        }
    }
    // Errors from our own types (`invalid field `x`: reason`) carry no values.
    msg.to_owned()
}

/// The error of a value that did not deserialise (from a body, or a query string): `path` is
/// where serde was (`.` at the top), `msg` serde's message. The field is named by its path;
/// a missing field, or one of our own types' errors (`invalid field `x`: reason`), by its own
/// name (below that path, for a missing one). The value sent is never echoed.
pub fn blame(path: &str, msg: &str) -> Error {
    let under = |field: &str| {
        if path == "." || path.is_empty() {
            field.to_owned()
        } else {
            format!("{path}.{field}")
        }
    };
    if let Some(rest) = msg.strip_prefix("invalid field `")
        && let Some((field, reason)) = rest.split_once("`: ")
    {
        // Below the top, the path names the value whose type refused it.
        let at = if path == "." || path.is_empty() {
            field.to_owned()
        } else {
            path.to_owned()
        };
        return Error::invalid(at, redact(reason));
    }
    if let Some(rest) = msg.strip_prefix("missing field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return Error::invalid(under(field), "is required");
    }
    if let Some(rest) = msg.strip_prefix("duplicate field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return Error::invalid(under(field), redact(msg));
    }
    // An unknown key is named by its path; inside a value serde buffered first (an internally
    // tagged enum, such as a designation's `subject`) the path stops above it.
    if let Some(rest) = msg.strip_prefix("unknown field `")
        && let Some((field, _)) = rest.split_once('`')
        && path.rsplit('.').next() != Some(field)
    {
        return Error::invalid(under(field), redact(msg));
    }
    Error::Validation {
        field: (path != "." && !path.is_empty()).then(|| path.to_owned()),
        detail: redact(msg),
    }
}

/// Parses a JSON body into `T`.
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T> {
    // Every body is an object. (serde would otherwise read a struct from an array too.)
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => {}
        None => return Err(Error::Malformed("the body is empty".into())),
        Some(_) => {
            return Err(Error::Validation {
                field: None,
                detail: "the body must be a JSON object".into(),
            });
        }
    }
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let v: T = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => blame(&path, &inner.to_string()),
            _ => Error::Malformed(format!(
                "the body is not valid JSON (line {}, column {})",
                inner.line(),
                inner.column()
            )),
        }
    })?;
    // Trailing content after the value is an error too: a second object sent after the
    // first would otherwise be dropped without a word.
    de.end().map_err(|e| {
        Error::Malformed(format!(
            "the body is not valid JSON: something follows the object (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(path: &str, msg: &str) -> Option<String> {
        match blame(path, msg) {
            Error::Validation { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn an_unknown_key_is_named_by_its_whole_path() {
        // As serde_path_to_error reports one inside a struct: the path ends with it.
        assert_eq!(
            field(
                "individual.ful_name",
                "unknown field `ful_name`, expected `full_name`"
            )
            .as_deref(),
            Some("individual.ful_name")
        );
        // Inside an internally tagged enum, the path stops above it.
        assert_eq!(
            field("subject", "unknown field `nme`, expected one of `name`").as_deref(),
            Some("subject.nme")
        );
        assert_eq!(
            field(".", "unknown field `nme`, expected one of `name`").as_deref(),
            Some("nme")
        );
    }

    #[test]
    fn anything_after_the_object_is_refused() {
        #[derive(Debug, serde::Deserialize)]
        struct T {
            #[allow(dead_code)]
            a: u8,
        }
        assert!(parse::<T>(b" {\"a\": 1}\n ").is_ok());
        for body in [
            &b"{\"a\": 1} xyz"[..],
            b"{\"a\": 1}]]]",
            b"{\"a\": 1}{\"a\": 2}",
        ] {
            match parse::<T>(body) {
                Err(Error::Malformed(m)) => assert!(m.contains("follows the object"), "{m}"),
                other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
            }
        }
    }
}
