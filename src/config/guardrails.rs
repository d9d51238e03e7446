//! `[guardrails]` (pure): the service control policy trailhub owns, which keeps a member account's
//! administrators from undoing trailhub's coverage (issue 25). Valid only with `source = "organizations"`:
//! an SCP is attached to the organization's root or OUs.

use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::logs::Bad;

/// The SCP's name unless `policy_name` says otherwise.
pub const DEFAULT_POLICY_NAME: &str = "trailhub-protect-logging";

/// The validated `[guardrails]` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guardrails {
    /// The SCP's name: trailhub finds its policy by it (and by its tag), and changes no other.
    pub policy_name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawGuardrails {
    policy_name: Option<Spanned<String>>,
}

/// `[guardrails]` as written (`at`: where the section is, for the error when the source is static).
pub(super) fn guardrails(
    raw: RawGuardrails,
    at: Range<usize>,
    organizations: bool,
) -> Result<Guardrails, Bad> {
    if !organizations {
        return Err((
            at,
            "[guardrails] needs source = \"organizations\": its service control policy is attached to the organization's root or OUs".to_owned(),
        ));
    }
    let policy_name = match raw.policy_name {
        None => DEFAULT_POLICY_NAME.to_owned(),
        Some(n) => {
            let name = n.get_ref().trim();
            // CreatePolicy's Name: 1 to 128 characters of the ASCII range (ORG-12)
            let ok = (1..=128).contains(&name.len())
                && name.chars().all(|c| c.is_ascii() && !c.is_ascii_control());
            if !ok {
                return Err((
                    n.span(),
                    format!(
                        "policy_name {name:?} is not a valid policy name: 1 to 128 printable ASCII characters"
                    ),
                ));
            }
            name.to_owned()
        }
    };
    Ok(Guardrails { policy_name })
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use std::path::Path;

    const HEAD: &str =
        "[central]\naccount_id = \"111111111111\"\nbucket = \"sec-log\"\nregion = \"us-east-1\"\n";

    fn parse(members: &str, guardrails: &str) -> Result<Config, String> {
        let text =
            format!("{HEAD}[members]\ntrail_name = \"{{name}}-CT\"\n{members}\n{guardrails}");
        Config::parse(Path::new("a.toml"), &text).map_err(|e| e.to_string())
    }

    #[test]
    fn the_default_name_and_a_chosen_one() {
        let cfg = parse("source = \"organizations\"", "[guardrails]\n").unwrap();
        assert_eq!(
            cfg.guardrails.unwrap().policy_name,
            "trailhub-protect-logging"
        );
        let cfg = parse(
            "source = \"organizations\"",
            "[guardrails]\npolicy_name = \"sec-logging\"\n",
        )
        .unwrap();
        assert_eq!(cfg.guardrails.unwrap().policy_name, "sec-logging");
        assert!(
            parse("source = \"organizations\"", "")
                .unwrap()
                .guardrails
                .is_none()
        );
    }

    #[test]
    fn a_static_source_or_a_bad_name_is_refused_where_it_is_written() {
        let e = parse(
            "[[account]]\nid = \"222222222222\"\nname = \"DEV\"",
            "[guardrails]\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("a.toml:10:") && e.contains("source = \"organizations\""),
            "{e}"
        );
        let e = parse(
            "source = \"organizations\"",
            "[guardrails]\npolicy_name = \"\"\n",
        )
        .unwrap_err();
        assert!(
            e.starts_with("a.toml:9:") && e.contains("policy_name"),
            "{e}"
        );
        assert!(parse("source = \"organizations\"", "[guardrails]\nname = \"x\"\n").is_err());
    }
}
