//! Time as restage records it: run ids, the current time in UTC, the proleptic Gregorian
//! calendar (for dates in rules, fixtures and binary COPY), and ages for people.

use std::time::{SystemTime, UNIX_EPOCH};

use rand::Rng;

/// A new run id: UTC time to the second and four random hex digits
/// (`20261122020000-4f2a`); it names temporary instances, so it is lowercase and short.
pub fn new_run_id() -> String {
    let digits: String = now_rfc3339().chars().filter(char::is_ascii_digit).collect();
    format!("{digits}-{:04x}", rand::rng().random::<u16>())
}

/// The current time as RFC 3339, to the second (`2026-11-22T02:00:00Z`).
pub fn now_rfc3339() -> String {
    rfc3339(now_secs())
}

/// Seconds since the Unix epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
        })
}

/// `secs` since the Unix epoch as RFC 3339 in UTC, to the second.
pub fn rfc3339(secs: i64) -> String {
    let (days, second_of_day) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        second_of_day % 3600 / 60,
        second_of_day % 60
    )
}

/// A duration for people: `3d 4h`, `2h 5m`, `12m`, `40s`.
pub fn human_age(seconds: i64) -> String {
    let seconds = seconds.max(0);
    let (days, hours, minutes) = (seconds / 86400, seconds % 86400 / 3600, seconds % 3600 / 60);
    match (days, hours, minutes) {
        (0, 0, 0) => format!("{seconds}s"),
        (0, 0, m) => format!("{m}m"),
        (0, h, m) => format!("{h}h {m}m"),
        (d, h, _) => format!("{d}d {h}h"),
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The date of a day number (the inverse of `days_from_civil`).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let days = days + 719_468;
    let era = days.div_euclid(146_097);
    let day_of_era = days - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * month_index + 2) / 5 + 1) as u32;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_rfc_3339_in_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_795_312_800), "2026-11-22T02:00:00Z");
        assert_eq!(rfc3339(951_868_799), "2000-02-29T23:59:59Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        let now = now_rfc3339();
        assert!(now.starts_with("20") && now.ends_with('Z'), "{now}");
    }

    #[test]
    fn run_ids_are_the_time_and_four_hex_digits() {
        let id = new_run_id();
        let (time, random) = id.split_once('-').expect("two parts");
        assert_eq!(time.len(), 14, "{id}");
        assert!(time.chars().all(|c| c.is_ascii_digit()), "{id}");
        assert_eq!(random.len(), 4, "{id}");
    }

    #[test]
    fn ages_read_in_the_largest_units() {
        assert_eq!(human_age(40), "40s");
        assert_eq!(human_age(720), "12m");
        assert_eq!(human_age(7500), "2h 5m");
        assert_eq!(human_age(3 * 86400 + 4 * 3600 + 60), "3d 4h");
    }
}
