//! Driver errors wrapped with what was being done, and URLs made fit for messages.

use crate::Error;

/// Wraps a driver error with what was being done.
pub(crate) fn db_err(action: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
    let action = action.into();
    move |source| Error::Database { action, source }
}

/// A database URL with its password, if any, replaced by `***` (for messages).
pub(crate) fn redact(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_string();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_string();
    };
    match rest[..at].find(':') {
        Some(colon) => format!("{}{}:***{}", &url[..scheme_end], &rest[..colon], &rest[at..]),
        None => url.to_string(),
    }
}

/// The error of a database that cannot be opened or reached.
pub(crate) fn connect_error(url: &str, reason: impl Into<String>) -> Error {
    Error::Connect {
        url: redact(url),
        reason: reason.into(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            super::redact("postgres://astra:secret@db:5432/x"),
            "postgres://astra:***@db:5432/x"
        );
        assert_eq!(super::redact("postgres://astra@db/x"), "postgres://astra@db/x");
        assert_eq!(super::redact("sqlite://a@b.db"), "sqlite://a@b.db");
    }
}
