//! Durations for people (pure): `--max-age` parsed from `24h`, `90m`, `1d12h`, and ages written back the
//! same way in the audit's messages.

use std::time::Duration;

/// Parses a humane duration: one or more `<number><unit>` with units s, m, h, d, w (`24h`, `90m`, `1d12h`).
pub fn parse_max_age(s: &str) -> Result<Duration, String> {
    let bad =
        || format!("{s:?} is not a duration like 24h, 90m, 2d or 1d12h (units: s, m, h, d, w)");
    let mut total: u64 = 0;
    let mut digits = String::new();
    let mut units = 0;
    for c in s.trim().chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: u64 = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            'd' => 86_400,
            'w' => 7 * 86_400,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|x| total.checked_add(x))
            .ok_or_else(bad)?;
        digits.clear();
        units += 1;
    }
    if units == 0 || !digits.is_empty() {
        return Err(bad());
    }
    if total == 0 {
        return Err(format!("{s:?}: the maximum age must be more than zero"));
    }
    Ok(Duration::from_secs(total))
}

/// A duration in seconds, for people: `45s`, `90m` -> `1h30m`, `2d3h`.
pub fn age(secs: i64) -> String {
    let s = secs.max(0);
    match s {
        s if s >= 2 * 86_400 => format!("{}d{}h", s / 86_400, s % 86_400 / 3600),
        s if s >= 3600 => format!("{}h{}m", s / 3600, s % 3600 / 60),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn max_age_parsing() {
        let secs = |s| parse_max_age(s).map(|d| d.as_secs());
        assert_eq!(secs("24h"), Ok(86_400));
        assert_eq!(secs("90m"), Ok(5400));
        assert_eq!(secs("2d"), Ok(172_800));
        assert_eq!(secs("1d12h"), Ok(129_600));
        assert_eq!(secs("45s"), Ok(45));
        assert_eq!(secs("1w"), Ok(604_800));
        for bad in [
            "",
            "24",
            "h",
            "1x",
            "-1h",
            "0h",
            "1.5h",
            "99999999999999999999d",
        ] {
            assert!(parse_max_age(bad).is_err(), "{bad}");
        }
    }
}
