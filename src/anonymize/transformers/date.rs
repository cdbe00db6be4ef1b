//! date: shift dates and timestamps by a keyed offset; birth dates keep their age band.

use crate::clock::{civil_from_days, days_from_civil};
use rand::Rng;

use crate::anonymize::{
    BuildContext, Definition, MAX_DRAWS, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext,
};
use crate::catalog::TypeCategory;

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[Definition {
    name: "date",
    summary: "shift a date or timestamp by a keyed offset; birth dates stay in their 5-year band",
    options: &[
        OptionSpec {
            name: "shift_days",
            kind: OptionKind::Integer,
            summary: "largest shift either way, 1 to 36500 (default 30); never 0 days",
        },
        OptionSpec {
            name: "birth_date",
            kind: OptionKind::Boolean,
            summary: "keep the age band (default: when the column name mentions birth or dob)",
        },
    ],
    accepts: &[
        TypeCategory::Date,
        TypeCategory::Timestamp,
        TypeCategory::Text,
    ],
    unique_safe: false,
    example: "date_of_birth = { transform = \"date\", shift_days = 365 }",
    rewrites_parts: false,
    build: build_date,
}];

/// Width of an age band, in years.
const AGE_BAND_YEARS: i64 = 5;

#[derive(Debug)]
struct DateShift {
    shift_days: i64,
    birth_date: bool,
}

fn build_date(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let shift_days = options.integer("shift_days").unwrap_or(30);
    if !(0..=36_500).contains(&shift_days) {
        return Err(format!(
            "option 'shift_days' must be 0 to 36500, not {shift_days}"
        ));
    }
    let name = context.column.name.to_lowercase();
    let birth_date = options
        .boolean("birth_date")
        .unwrap_or(name.contains("birth") || name.contains("dob"));
    if shift_days == 0 && !birth_date {
        return Err(
            "option 'shift_days' = 0 would keep every date as it is; shift by 1 to 36500 days \
             (or write `keep` if the column is not personal data)"
                .to_owned(),
        );
    }
    Ok(Box::new(DateShift {
        shift_days,
        birth_date,
    }))
}

impl Transformer for DateShift {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let (date, rest) = value.split_at(value.len().min(10));
        let (year, month, day) =
            parse_date(date).ok_or_else(|| TransformError::NotADate(value.to_owned()))?;
        let mut rng = context.rng(value);
        let days = days_from_civil(year, month, day);
        let range = if self.birth_date {
            let band_start = year - year.rem_euclid(AGE_BAND_YEARS);
            days_from_civil(band_start, 1, 1)
                ..=days_from_civil(band_start + AGE_BAND_YEARS, 1, 1) - 1
        } else {
            days - self.shift_days..=days + self.shift_days
        };
        // A date that comes out as it went in is a leak: draw again from the same stream.
        let shifted = (0..MAX_DRAWS)
            .map(|_| rng.random_range(range.clone()))
            .find(|shifted| *shifted != days)
            .ok_or(TransformError::NoDifferentFake(MAX_DRAWS))?;
        let (year, month, day) = civil_from_days(shifted);
        Ok(Some(format!("{year:04}-{month:02}-{day:02}{rest}")))
    }
}

/// The year, month and day of a `YYYY-MM-DD` date; the day is checked against 31 only.
pub fn parse_date(text: &str) -> Option<(i64, u32, u32)> {
    let mut parts = text.splitn(3, '-');
    let year = parts.next()?.parse().ok()?;
    let month = parts
        .next()?
        .parse()
        .ok()
        .filter(|m| (1..=12).contains(m))?;
    let day = parts
        .next()?
        .parse()
        .ok()
        .filter(|d| (1..=31).contains(d))?;
    Some((year, month, day))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::testing::{apply, apply_to, column, compile, test_keyer};

    #[test]
    fn civil_days_round_trip() {
        for (y, m, d) in [(1970, 1, 1), (2000, 2, 29), (1899, 12, 31), (2026, 11, 22)] {
            assert_eq!(civil_from_days(days_from_civil(y, m, d)), (y, m, d));
        }
        assert_eq!(days_from_civil(1970, 1, 2), 1);
    }

    #[test]
    fn shifts_within_the_range_and_keeps_the_time() {
        let output = apply(
            "{ transform = \"date\", shift_days = 10 }",
            Some("2024-03-01 12:34:56+00"),
        )
        .expect("date");
        assert!(output.ends_with(" 12:34:56+00"), "{output}");
        let (y, m, d) = parse_date(&output[..10]).expect("date");
        assert!((days_from_civil(y, m, d) - days_from_civil(2024, 3, 1)).abs() <= 10);
    }

    #[test]
    fn birth_dates_keep_their_age_band() {
        let birth = column("date_of_birth", "date", TypeCategory::Date);
        for input in ["1984-06-15", "1990-01-01", "2003-12-31"] {
            let output = apply_to("\"date\"", &birth, Some(input), &[])
                .expect("ok")
                .expect("date");
            let band = |text: &str| text[..4].parse::<i64>().expect("year") / 5;
            assert_eq!(band(&output), band(input), "{input} -> {output}");
        }
    }

    /// A shift of 0 days would keep the date: over 100,000 dates, with the narrowest range
    /// (one day either way) and as birth dates, none comes out as it went in.
    #[test]
    fn no_date_stays_as_it_was() {
        let keyer = test_keyer();
        let shifted = compile(
            "{ transform = \"date\", shift_days = 1 }",
            &column("updated_on", "date", TypeCategory::Date),
        )
        .expect("rule builds");
        let birth = compile(
            "\"date\"",
            &column("date_of_birth", "date", TypeCategory::Date),
        )
        .expect("rule builds");
        for (rule, count) in [(&shifted, 60_000), (&birth, 40_000)] {
            for offset in 0..count {
                let (y, m, d) = civil_from_days(-20_000 + offset);
                let value = format!("{y:04}-{m:02}-{d:02}");
                let output = rule
                    .apply(Some(&value), &keyer, &[])
                    .expect("a date")
                    .expect("not NULL");
                assert_ne!(output, value);
            }
        }
    }

    #[test]
    fn a_zero_shift_is_refused() {
        let error = compile(
            "{ transform = \"date\", shift_days = 0 }",
            &column("updated_on", "date", TypeCategory::Date),
        )
        .expect_err("refused");
        assert!(error.contains("shift_days"), "{error}");
    }
}
