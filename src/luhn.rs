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

/// Whether `number` (ASCII digits) can be a payment card's number: Luhn-valid, and its
/// length fits what card schemes issue under its first digits (Visa 4: 13, 16 or 19; Amex
/// 34/37: 15; Mastercard 51–55 and 2221–2720: 16; Diners 30/36/38/39: 14 to 19; Discover,
/// UnionPay, Maestro and JCB 35, 5, 6: 12 to 19). A timestamp or an id of 13 to 19 digits
/// that happens to pass Luhn (1 in 10 do) mostly starts otherwise.
pub fn is_card_number(number: &str) -> bool {
    let length = number.len();
    let prefix = |digits: usize| number.get(..digits).and_then(|p| p.parse::<u32>().ok());
    let issued = match number.as_bytes().first() {
        Some(b'4') => matches!(length, 13 | 16 | 19),
        Some(b'3') => match prefix(2) {
            Some(34 | 37) => length == 15,
            Some(30 | 36 | 38 | 39) => (14..=19).contains(&length),
            Some(35) => (16..=19).contains(&length),
            _ => false,
        },
        Some(b'2') => prefix(4).is_some_and(|p| (2221..=2720).contains(&p)) && length == 16,
        Some(b'5' | b'6') => (12..=19).contains(&length),
        _ => false,
    };
    issued && is_valid(number)
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
    fn card_numbers_start_as_schemes_issue_them() {
        for card in [
            "4242424242424242",
            "378282246310005",
            "5555555555554444",
            "6011111111111117",
        ] {
            assert!(is_card_number(card), "{card}");
        }
        // Luhn-valid, but a timestamp and an id no scheme issues.
        for other in ["20240105123457", "1234567890123452"] {
            assert!(is_valid(other), "{other}");
            assert!(!is_card_number(other), "{other}");
        }
    }

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
