//! The Luhn checksum of card numbers: the seed data's test cards must pass it, and the `card`
//! transformer's fakes are made to pass it.

/// The Luhn sum of `digits` (0–9 each, most significant first): every second digit from the
/// right is doubled, and a doubled digit over 9 counts as its digit sum.
fn sum(digits: impl DoubleEndedIterator<Item = u8>) -> u32 {
    digits
        .rev()
        .enumerate()
        .map(|(position, digit)| {
            let digit = u32::from(digit);
            if position % 2 == 1 {
                let doubled = digit * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                digit
            }
        })
        .sum()
}

/// Whether `number` is 12 to 19 ASCII digits with a valid Luhn check digit.
pub fn is_valid(number: &str) -> bool {
    (12..=19).contains(&number.len())
        && number.bytes().all(|b| b.is_ascii_digit())
        && sum(number.bytes().map(|b| b - b'0')).is_multiple_of(10)
}

/// Makes a 16-digit number Luhn-valid by changing its second digit, which is never doubled in
/// a 16-digit number (it sits at an even distance from the last digit).
pub fn fix(digits: &mut [u8]) {
    digits[1] = 0;
    digits[1] = ((10 - sum(digits.iter().copied()) % 10) % 10) as u8;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_valid_and_invalid_numbers() {
        for valid in [
            "4242424242424242",
            "4000000000009995",
            "4000000000000002",
            "4000002500003155",
        ] {
            assert!(is_valid(valid), "{valid}");
        }
        for invalid in [
            "4242424242424241",
            "42424242",
            "42424242424",
            "4242-4242-4242-4242",
            "4242 4242 4242 4242",
        ] {
            assert!(!is_valid(invalid), "{invalid}");
        }
    }

    #[test]
    fn fixes_the_second_digit() {
        let mut digits: Vec<u8> = "4999999999991234".bytes().map(|b| b - b'0').collect();
        fix(&mut digits);
        let number: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
        assert!(is_valid(&number), "{number}");
        assert!(number.ends_with("1234"));
    }
}
