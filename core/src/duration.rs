//! Durations as service files, scenarios and `sleep` write them: `2s`,
//! `0.05`, `150ms`.
//!
//! Owns the text form of time and nothing else. Resolution is one
//! millisecond, the unit of [`crate::events::Millis`].

/// Parses `DECIMAL[ms|s|m|h]` (no unit: seconds, as `sleep` reads it) into
/// milliseconds. Finer than a millisecond is an error rather than a silent
/// rounding, so that a scenario means exactly what it says.
pub fn parse_duration_ms(text: &str) -> Result<u64, String> {
    let bad = || format!("bad duration '{text}' (write e.g. 2s, 0.5s, 150ms)");
    let (number, scale_ms) = if let Some(n) = text.strip_suffix("ms") {
        (n, 1)
    } else if let Some(n) = text.strip_suffix('s') {
        (n, 1000)
    } else if let Some(n) = text.strip_suffix('m') {
        (n, 60_000)
    } else if let Some(n) = text.strip_suffix('h') {
        (n, 3_600_000)
    } else {
        (text, 1000)
    };
    let (whole, fraction) = match number.split_once('.') {
        Some((w, f)) => (w, f),
        None => (number, ""),
    };
    if whole.is_empty() && fraction.is_empty() {
        return Err(bad());
    }
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit());
    if !digits(whole) || !digits(fraction) {
        return Err(bad());
    }
    let whole_value: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| bad())?
    };
    // Exact decimal arithmetic: fraction digits scaled to the unit.
    let mut fraction_ms: u64 = 0;
    let mut place = scale_ms;
    for c in fraction.chars() {
        let digit = u64::from(c as u8 - b'0');
        if place % 10 != 0 {
            if digit != 0 {
                return Err(format!("duration '{text}' is finer than a millisecond"));
            }
            continue;
        }
        place /= 10;
        fraction_ms += digit * place;
    }
    whole_value
        .checked_mul(scale_ms)
        .and_then(|ms| ms.checked_add(fraction_ms))
        .ok_or_else(bad)
}

/// Writes milliseconds back in the shortest form [`parse_duration_ms`]
/// reads: `2s`, `0.05s`, `1.5s`.
pub fn format_duration_ms(ms: u64) -> String {
    if ms % 1000 == 0 {
        format!("{}s", ms / 1000)
    } else {
        let text = format!("{}.{:03}", ms / 1000, ms % 1000);
        format!("{}s", text.trim_end_matches('0'))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_scenarios_use() {
        assert_eq!(parse_duration_ms("2s"), Ok(2000));
        assert_eq!(parse_duration_ms("0.05"), Ok(50));
        assert_eq!(parse_duration_ms(".5s"), Ok(500));
        assert_eq!(parse_duration_ms("150ms"), Ok(150));
        assert_eq!(parse_duration_ms("1.5m"), Ok(90_000));
        assert_eq!(parse_duration_ms("5"), Ok(5000));
        assert_eq!(
            parse_duration_ms("0.0001s").unwrap_err(),
            "duration '0.0001s' is finer than a millisecond"
        );
        assert!(parse_duration_ms("s").is_err());
        assert!(parse_duration_ms("-1s").is_err());
        assert!(parse_duration_ms("infinity").is_err());
    }

    #[test]
    fn formats_round_trip() {
        for ms in [0, 1, 50, 999, 1000, 1500, 123_456] {
            assert_eq!(parse_duration_ms(&format_duration_ms(ms)), Ok(ms));
        }
        assert_eq!(format_duration_ms(50), "0.05s");
    }
}
