//! Bad accounts files (issue 2, §2 and §7): each is an error before any AWS call, exit 2, with a message
//! that names the file and the place (line and column) and what is wrong.

use crate::support;

use support::Proxy;
use support::trailhub::{MEMBERS, run, static_config};

/// One bad file: how to make it from the good one, where the error must point, and what it must say.
struct Case {
    what: &'static str,
    text: String,
    /// The text the error points at (its first occurrence, after `after` when set), for line and column.
    at: Option<&'static str>,
    after: Option<&'static str>,
    says: &'static str,
}

fn case(what: &'static str, text: String, at: &'static str, says: &'static str) -> Case {
    Case {
        what,
        text,
        at: Some(at),
        after: None,
        says,
    }
}

impl Case {
    /// The place is the first `at` after `after`.
    fn after(mut self, after: &'static str) -> Case {
        self.after = Some(after);
        self
    }
}

/// Replaces the one occurrence of `from` in the good file.
fn good_with(from: &str, to: &str) -> String {
    let good = static_config(&MEMBERS);
    assert_eq!(
        good.matches(from).count(),
        1,
        "{from:?} must be in the good file once"
    );
    good.replace(from, to)
}

/// The good file with a section added at its end.
fn with_section(section: &str) -> String {
    format!("{}\n{section}", static_config(&MEMBERS))
}

/// 1-based (line, column) of the first `needle` at or after the first `after`.
fn place(text: &str, needle: &str, after: Option<&str>) -> (usize, usize) {
    let start = after.map_or(0, |a| text.find(a).unwrap() + a.len());
    let offset = start
        + text[start..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} not in:\n{text}"));
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, column)
}

fn cases() -> Vec<Case> {
    let org_with_accounts = good_with("source = \"static\"", "source = \"organizations\"");
    let mut duplicate = static_config(&MEMBERS);
    duplicate.push_str("\n[[account]]\nid = \"333333333333\"\nname = \"STG-AGAIN\"\n");
    vec![
        // issue 23: an account ID without quotes is an integer to TOML; say "quote it"
        case(
            "unquoted account ID",
            good_with("id = \"333333333333\"", "id = 333333333333"),
            "333333333333",
            "333333333333 is a number here, and this is text: quote it, as in \"333333333333\"",
        ),
        case(
            "unquoted account ID with a leading zero",
            good_with("id = \"333333333333\"", "id = 033333333333"),
            "033333333333",
            "033333333333 is an account ID without quotes (TOML reads digits as a number, and a number cannot start with 0): quote it",
        ),
        case(
            "unknown key",
            good_with("name = \"STG\"", "name = \"STG\"\ncolour = \"blue\""),
            "colour",
            "unknown field `colour`",
        ),
        case(
            "wrong type",
            good_with(
                "trail_name = \"{name}-CLOUDTRAIL\"",
                "trail_name = \"{name}-CLOUDTRAIL\"\nconcurrency = \"many\"",
            ),
            "\"many\"",
            "invalid type",
        ),
        case(
            "11-digit account id",
            good_with("\"333333333333\"", "\"33333333333\""),
            "\"33333333333\"",
            "not 12 digits",
        ),
        case(
            "same account twice",
            duplicate,
            "\"333333333333\"",
            "listed twice",
        )
        .after("STG\""),
        case(
            "trail name invalid once the template is filled in",
            good_with("name = \"PRD\"", "name = \"日本\""),
            "\"444444444444\"",
            "\"-CLOUDTRAIL\"",
        ),
        case(
            "account's own trail name invalid",
            good_with(
                "name = \"DEV\"",
                "name = \"DEV\"\ntrail_name = \"dev trail\"",
            ),
            "\"dev trail\"",
            "not valid",
        ),
        case(
            "members trail_name template invalid",
            good_with("\"{name}-CLOUDTRAIL\"", "\"{name}--CLOUDTRAIL\""),
            "\"{name}--CLOUDTRAIL\"",
            "next to each other",
        ),
        case(
            "invalid bucket name",
            good_with("sec-cloudtrail-log", "Sec_CloudTrail_Log"),
            "\"Sec_CloudTrail_Log\"",
            "bucket name",
        ),
        case(
            "bad region",
            good_with("ap-northeast-2", "mars-north-one"),
            "\"mars-north-one\"",
            "region",
        ),
        case(
            "concurrency 0",
            good_with(
                "trail_name = \"{name}-CLOUDTRAIL\"",
                "trail_name = \"{name}-CLOUDTRAIL\"\nconcurrency = 0",
            ),
            "0\n",
            "concurrency must be 1 to 256",
        ),
        case(
            "organizations with [[account]] entries",
            org_with_accounts,
            "[[account]]",
            "[[account]] entries are for source = \"static\"",
        ),
        case(
            "bad role_arn",
            good_with(
                "name = \"PRD\"",
                "name = \"PRD\"\nrole_arn = \"arn:aws:iam::4444:role/Admin\"",
            ),
            "\"arn:aws:iam::4444",
            "role ARN",
        ),
        case(
            "bad role_name",
            good_with(
                "role_name = \"OrganizationAccountAccessRole\"",
                "role_name = \"\"",
            ),
            "\"\"",
            "role_name",
        ),
        case(
            "central account listed as member",
            good_with("\"333333333333\"", "\"123456789012\""),
            "\"123456789012\"",
            "is the central account",
        )
        .after("[[account]]"),
        case(
            "excluded account id not 12 digits",
            good_with("[members]\n", "[members]\nexclude = [\"1234\"]\n"),
            "[\"1234\"]",
            "not 12 digits",
        ),
        case(
            "bad external_id",
            good_with(
                "[members]\n",
                "[members]\nexternal_id = \"no spaces please\"\n",
            ),
            "\"no spaces please\"",
            "external_id",
        ),
        case(
            "key prefix naming AWSLogs",
            good_with("[members]\n", "key_prefix = \"org/AWSLogs\"\n\n[members]\n"),
            "\"org/AWSLogs\"",
            "AWSLogs",
        ),
        case(
            "unknown source",
            good_with("\"static\"", "\"ldap\""),
            "\"ldap\"",
            "unknown variant `ldap`",
        ),
        case(
            "missing required key",
            good_with("bucket = \"sec-cloudtrail-log\"\n", ""),
            "[central]",
            "missing field `bucket`",
        ),
        case(
            "not TOML: an unterminated string",
            good_with("name = \"DEV\"", "name = \"DEV"),
            "\n",
            "TOML parse error",
        )
        .after("name = \"DEV"),
        // issue 11: [cloudwatch] and [flow_logs], each value checked against AWS's rule
        case(
            "retention CloudWatch Logs does not accept",
            with_section("[cloudwatch]\nretention_days = 366\n"),
            "366",
            "retention_days 366 is not one CloudWatch Logs accepts",
        ),
        case(
            "log group name outside CloudWatch Logs' rules",
            with_section("[cloudwatch]\nlog_group = \"/trailhub/cloud trail\"\n"),
            "\"/trailhub/cloud trail\"",
            "log group name",
        ),
        case(
            "bad role name for CloudWatch Logs",
            with_section("[cloudwatch]\nrole_name = \"Trailhub/ToLogs\"\n"),
            "\"Trailhub/ToLogs\"",
            "not a valid IAM role name",
        ),
        case(
            "unknown traffic type",
            with_section("[flow_logs]\ntraffic_type = \"DENIED\"\n"),
            "\"DENIED\"",
            "unknown variant `DENIED`",
        ),
        case(
            "aggregation interval neither 60 nor 600",
            with_section("[flow_logs]\nmax_aggregation_interval = 300\n"),
            "300",
            "must be 60 or 600",
        ),
        case(
            "unknown field in a custom flow log format",
            with_section("[flow_logs]\nlog_format = \"${srcaddr} ${colour}\"\n"),
            "\"${srcaddr}",
            "unknown field \"colour\"",
        ),
        case(
            "unknown flow log destination",
            with_section("[flow_logs]\ndestinations = [\"s3\", \"kinesis\"]\n"),
            "\"kinesis\"",
            "unknown variant `kinesis`",
        ),
        case(
            "unknown key in [flow_logs]",
            with_section("[flow_logs]\ntrafic_type = \"ALL\"\n"),
            "trafic_type",
            "unknown field `trafic_type`",
        ),
        // issue 12: kms_key, retention_days, access_log_bucket in [central]
        case(
            "kms_key of another account",
            good_with(
                "[members]",
                "kms_key = \"arn:aws:kms:ap-northeast-2:999999999999:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n[members]",
            ),
            "\"arn:aws:kms",
            "belongs to account 999999999999, not the central account",
        ),
        case(
            "kms_key in another region than the bucket",
            good_with(
                "[members]",
                "kms_key = \"arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab\"\n[members]",
            ),
            "\"arn:aws:kms",
            "CloudTrail needs the key in the bucket's region",
        ),
        case(
            "kms_key that is not an ARN",
            good_with("[members]", "kms_key = \"alias/trailhub\"\n[members]"),
            "\"alias/trailhub\"",
            "is neither \"create\" nor a KMS key ARN",
        ),
        case(
            "kms_key with a malformed key ID",
            good_with(
                "[members]",
                "kms_key = \"arn:aws:kms:ap-northeast-2:123456789012:key/abc\"\n[members]",
            ),
            "\"arn:aws:kms",
            "the resource must be key/ID",
        ),
        case(
            "retention_days out of range",
            good_with("[members]", "retention_days = 0\n[members]"),
            "0\n",
            "retention_days must be 1 to 36500 (days), not 0",
        )
        .after("retention_days = "),
        case(
            "access_log_bucket is the central bucket",
            good_with(
                "[members]",
                "access_log_bucket = \"sec-cloudtrail-log\"\n[members]",
            ),
            "\"sec-cloudtrail-log\"",
            "is the central bucket itself",
        )
        .after("access_log_bucket = "),
        // issue 13: organizational units
        case(
            "an OU ID of the wrong shape",
            good_with(
                "source = \"static\"",
                "source = \"organizations\"\norganizational_units = [\"ou-Prod\"]",
            )
            .split("\n[[account]]")
            .next()
            .unwrap()
            .to_owned(),
            "\"ou-Prod\"",
            "is not an organizational unit ID",
        ),
        case(
            "organizational_units with source = static",
            good_with(
                "source = \"static\"",
                "source = \"static\"\norganizational_units = [\"ou-ab12-cdef3456\"]",
            ),
            "\"ou-ab12-cdef3456\"",
            "need source = \"organizations\"",
        ),
        Case {
            what: "static with no accounts",
            text: static_config(&[]),
            at: None,
            after: None,
            says: "source = \"static\" needs at least one [[account]] entry",
        },
    ]
}

/// Every bad file, for every command: exit 2, the file and the place named, and not one request sent.
#[test]
fn bad_config_is_refused_before_any_aws_call() {
    // Nothing may reach it: the proxy's upstream is never asked, so no moto is needed behind it.
    let proxy = Proxy::start("http://127.0.0.1:9");
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    assert!(cases.len() >= 10);
    for (i, c) in cases.iter().enumerate() {
        let path = dir.path().join(format!("case-{i}.toml"));
        std::fs::write(&path, &c.text).unwrap();
        let file = path.to_str().unwrap();
        for args in [&["plan"][..], &["apply", "--yes"], &["policy"]] {
            let out = run(&proxy.url(), &[&["--config", file][..], args].concat(), &[]);
            let context = format!("{} ({args:?}):\n{}\n{out}", c.what, c.text);
            assert_eq!(out.code, 2, "{context}");
            assert!(out.stderr.starts_with("error: "), "{context}");
            assert!(out.stderr.contains(file), "the file is named: {context}");
            assert!(
                out.stderr.contains(c.says),
                "{:?} is said: {context}",
                c.says
            );
            if let Some(at) = c.at {
                let (l, col) = place(&c.text, at, c.after);
                assert!(
                    out.stderr.contains(&format!("{file}:{l}:{col}:"))
                        || out.stderr.contains(&format!("line {l}, column {col}")),
                    "the place {l}:{col} is named: {context}"
                );
            }
            assert!(out.stdout.is_empty(), "{context}");
        }
    }
    assert!(proxy.log().is_empty(), "{:#?}", proxy.log());
}

#[test]
fn missing_config_file_is_refused_before_any_aws_call() {
    let proxy = Proxy::start("http://127.0.0.1:9");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nope.toml");
    let file = path.to_str().unwrap();
    let out = run(&proxy.url(), &["plan", "--config", file], &[]);
    assert_eq!(out.code, 2, "{out}");
    assert!(out.stderr.contains(&format!("cannot read {file}")), "{out}");
    assert!(out.stderr.contains("No such file"), "{out}");
    assert!(proxy.log().is_empty(), "{:#?}", proxy.log());
}

/// A static source without any `[[account]]` must point at the members table (or its `source` line),
/// not at the top of the file: 1:1 is a comment in most real accounts files.
#[test]
fn static_source_without_accounts_names_the_members_table() {
    let proxy = Proxy::start("http://127.0.0.1:9");
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "# trailhub accounts\n# (the team's, see the wiki)\n\n{}",
        static_config(&[])
    );
    let path = dir.path().join("accounts.toml");
    std::fs::write(&path, &text).unwrap();
    let file = path.to_str().unwrap();
    let out = run(&proxy.url(), &["plan", "--config", file], &[]);
    assert_eq!(out.code, 2, "{out}");
    let lines = [
        place(&text, "[members]", None).0,
        place(&text, "source = ", None).0,
    ];
    assert!(
        lines
            .iter()
            .any(|l| out.stderr.contains(&format!("{file}:{l}:"))
                || out.stderr.contains(&format!("line {l}, column"))),
        "the error names line {} ([members]) or {} (source):\n{out}",
        lines[0],
        lines[1]
    );
    assert!(proxy.log().is_empty(), "{:#?}", proxy.log());
}
