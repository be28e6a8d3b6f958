//! The `CREATED` timestamp: UTC, `YYYY-MM-DDTHH:MM:SS`.

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS`.
pub fn now_utc() -> String {
    crate::civil::now_utc()
}

/// Seconds since 1970-01-01T00:00:00 UTC as `YYYY-MM-DDTHH:MM:SS` (proleptic Gregorian).
pub fn format_utc(secs: i64) -> String {
    crate::civil::format_utc(secs)
}
