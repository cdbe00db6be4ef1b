//! number: keyed noise within ± a percentage, keeping integers integral and the decimals.

use rand::Rng;

use crate::anonymize::{
    BuildContext, Definition, OptionKind, OptionSpec, Options, TransformError, Transformer,
    ValueContext,
};
use crate::catalog::TypeCategory;

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[Definition {
    name: "number",
    summary: "the number with keyed noise within ± noise_pct percent",
    options: &[OptionSpec {
        name: "noise_pct",
        kind: OptionKind::Float,
        summary: "0-100 (default 10)",
    }],
    accepts: &[
        TypeCategory::Integer,
        TypeCategory::Decimal,
        TypeCategory::Text,
    ],
    unique_safe: false,
    example: "salary = { transform = \"number\", noise_pct = 10 }",
    rewrites_parts: false,
    build: build_number,
}];

#[derive(Debug)]
struct Number {
    noise: f64,
}

fn build_number(
    _: &str,
    options: &Options,
    _: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let noise_pct = options.float("noise_pct").unwrap_or(10.0);
    if !(0.0..=100.0).contains(&noise_pct) {
        return Err(format!(
            "option 'noise_pct' must be 0 to 100, not {noise_pct}"
        ));
    }
    Ok(Box::new(Number {
        noise: noise_pct / 100.0,
    }))
}

impl Transformer for Number {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let trimmed = value.trim();
        let number: f64 = trimmed
            .parse()
            .map_err(|_| TransformError::NotANumber(value.to_owned()))?;
        let mut rng = context.rng(trimmed);
        let factor = if self.noise > 0.0 {
            1.0 + rng.random_range(-self.noise..=self.noise)
        } else {
            1.0
        };
        let noisy = number * factor;
        let decimals = trimmed
            .split_once('.')
            .map_or(0, |(_, fraction)| fraction.len());
        Ok(Some(format!("{noisy:.decimals$}")))
    }
}

#[cfg(test)]
mod tests {
    use crate::anonymize::testing::apply;

    #[test]
    fn stays_within_the_noise_and_keeps_the_shape() {
        for input in ["100", "1234.56", "-20.5"] {
            let output =
                apply("{ transform = \"number\", noise_pct = 5 }", Some(input)).expect("number");
            let (a, b): (f64, f64) = (input.parse().expect("n"), output.parse().expect("n"));
            assert!((b - a).abs() <= a.abs() * 0.05 + 1.0, "{input} -> {output}");
            assert_eq!(input.contains('.'), output.contains('.'), "{output}");
        }
    }
}
