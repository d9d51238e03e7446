//! `[members] organizational_units` and `exclude_organizational_units` (pure): which parts of the
//! organization are in scope, each an OU (with everything below it) or a root, by ID. Checked against the
//! shapes AWS Organizations gives its IDs (ORG-4) before any call.

use std::ops::Range;

use toml::Spanned;

/// An OU's ID: `ou-` then 4 to 32 lower-case letters or digits (the root's part), `-`, then 8 to 32 more;
/// or a root's: `r-` then 4 to 32 (ORG-4).
pub fn check_ou_id(id: &str) -> Result<(), String> {
    let part = |s: &str, lo: usize, hi: usize| {
        (lo..=hi).contains(&s.len())
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    let ok = match id.strip_prefix("ou-") {
        Some(rest) => rest
            .split_once('-')
            .is_some_and(|(root, ou)| part(root, 4, 32) && part(ou, 8, 32)),
        None => id.strip_prefix("r-").is_some_and(|r| part(r, 4, 32)),
    };
    if ok {
        Ok(())
    } else {
        Err(format!(
            "{id:?} is not an organizational unit ID (ou-xxxx-yyyyyyyy, lower-case letters and digits) nor a root ID (r-xxxx)"
        ))
    }
}

/// The IDs, each checked; the first bad one's place and why.
pub(super) fn read_ids(raw: Vec<Spanned<String>>) -> Result<Vec<String>, (Range<usize>, String)> {
    raw.into_iter()
        .map(|s| {
            let span = s.span();
            let id = s.into_inner();
            check_ou_id(&id).map(|()| id).map_err(|m| (span, m))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ou_and_root_ids() {
        for good in ["ou-ab12-cdef3456", "r-ab12", "ou-abcd-0123456789abcdef"] {
            assert_eq!(check_ou_id(good), Ok(()), "{good}");
        }
        for bad in [
            "ou-AB12-cdef3456",
            "ou-ab1-cdef3456",
            "ou-ab12-cdef345",
            "r-ab",
            "o-abc123",
            "Prod",
            "",
        ] {
            assert!(check_ou_id(bad).is_err(), "{bad}");
        }
    }
}
