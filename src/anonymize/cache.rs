//! Recent outputs of one rule by input. Real columns repeat themselves — cities, first names,
//! countries, the IP address of a busy client in a log — and a rule that reads no other column
//! gives equal outputs for equal inputs, so a repeated value is looked up instead of drawn
//! again (a keyed hash and a fake each time).

use std::collections::HashMap;

use foldhash::fast::RandomState;

/// The outputs of one rule for the inputs it saw last, while they pay off.
#[derive(Debug, Default)]
pub struct OutputCache {
    outputs: HashMap<String, Option<String>, RandomState>,
    lookups: usize,
    hits: usize,
    /// Its inputs did not repeat enough: every value is computed.
    off: bool,
}

impl OutputCache {
    /// Inputs kept at most; all are forgotten when it is full.
    const ENTRIES: usize = 4096;
    /// Longer inputs are not kept: values that repeat are short (cities, names, addresses),
    /// and a kept document would cost its size for nothing.
    const LONGEST_INPUT: usize = 256;

    /// The output for `input`: a recent equal input's, else what `compute` gives. After its
    /// first 4,096 lookups, a cache that hit fewer than one in ten turns
    /// itself off (a column of unique values, like e-mails, would only pay for it). Inputs
    /// longer than 256 bytes are always computed.
    pub fn get_or_compute<E>(
        &mut self,
        input: &str,
        compute: impl FnOnce() -> Result<Option<String>, E>,
    ) -> Result<Option<String>, E> {
        if self.off || input.len() > OutputCache::LONGEST_INPUT {
            return compute();
        }
        self.lookups += 1;
        if let Some(output) = self.outputs.get(input) {
            self.hits += 1;
            return Ok(output.clone());
        }
        let output = compute()?;
        if self.lookups == OutputCache::ENTRIES && self.hits * 10 < self.lookups {
            self.off = true;
            self.outputs = HashMap::default();
            return Ok(output);
        }
        if self.outputs.len() >= OutputCache::ENTRIES {
            self.outputs.clear();
        }
        self.outputs.insert(input.to_owned(), output.clone());
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn computed(cache: &mut OutputCache, input: &str, calls: &mut usize) -> Option<String> {
        cache
            .get_or_compute(input, || {
                *calls += 1;
                Ok::<_, ()>(Some(format!("fake of {input}")))
            })
            .expect("computed")
    }

    #[test]
    fn repeated_inputs_are_computed_once_and_unique_ones_turn_it_off() {
        let (mut cache, mut calls) = (OutputCache::default(), 0);
        for round in 0..3 {
            for city in ["Leeds", "York", "Bath"] {
                assert_eq!(
                    computed(&mut cache, city, &mut calls),
                    Some(format!("fake of {city}")),
                    "round {round}"
                );
            }
        }
        assert_eq!(calls, 3);

        let (mut unique, mut calls) = (OutputCache::default(), 0);
        for n in 0..2 * OutputCache::ENTRIES {
            computed(&mut unique, &format!("user{n}@mail.example"), &mut calls);
        }
        assert!(unique.off && unique.outputs.is_empty());
        assert_eq!(calls, 2 * OutputCache::ENTRIES);
    }

    #[test]
    fn long_inputs_are_computed_and_never_kept() {
        let (mut cache, mut calls) = (OutputCache::default(), 0);
        let document = "a long document ".repeat(100);
        for _ in 0..3 {
            computed(&mut cache, &document, &mut calls);
        }
        assert_eq!(calls, 3);
        assert!(cache.outputs.is_empty());
    }
}
