//! Civil (proleptic Gregorian) dates and UTC timestamps from counts of days and seconds
//! since 1970-01-01: the `CREATED` card of astraSource files and the observation dates of
//! synthetic spectra. Imports nothing from the rest of the crate.

use std::time::{SystemTime, UNIX_EPOCH};

/// The (year, month, day) of a count of days since 1970-01-01 (proleptic Gregorian).
pub(crate) fn civil_date(days: i64) -> (i64, i64, i64) {
    // The era-based civil-from-days algorithm of H. Hinnant.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SS`.
pub(crate) fn now_utc() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    format_utc(secs)
}

/// Seconds since 1970-01-01T00:00:00 UTC as `YYYY-MM-DDTHH:MM:SS` (proleptic Gregorian).
pub(crate) fn format_utc(secs: i64) -> String {
    let (year, month, day) = civil_date(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn known_dates() {
        assert_eq!(super::format_utc(0), "1970-01-01T00:00:00");
        assert_eq!(super::format_utc(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(super::format_utc(1_795_000_000), "2026-11-18T11:06:40");
        assert_eq!(super::civil_date(-1), (1969, 12, 31));
    }
}
