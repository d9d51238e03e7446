//! The catalogue against the code that makes the calls and against the docs: a call added to `aws::sdk`
//! without its permission (or a permission left behind by a call removed) fails here.

use std::collections::BTreeSet;

use crate::permissions::calls::{NEEDS, operations};

/// Every file of `src/aws/sdk/`: a new file must be added here (the test below counts them).
const SDK_SOURCES: &[(&str, &str)] = &[
    (
        "bucket_settings.rs",
        include_str!("../../aws/sdk/bucket_settings.rs"),
    ),
    ("central.rs", include_str!("../../aws/sdk/central.rs")),
    (
        "central_sns.rs",
        include_str!("../../aws/sdk/central_sns.rs"),
    ),
    ("cloudwatch.rs", include_str!("../../aws/sdk/cloudwatch.rs")),
    ("ec2.rs", include_str!("../../aws/sdk/ec2.rs")),
    ("iam.rs", include_str!("../../aws/sdk/iam.rs")),
    ("kms.rs", include_str!("../../aws/sdk/kms.rs")),
    ("logs.rs", include_str!("../../aws/sdk/logs.rs")),
    ("member.rs", include_str!("../../aws/sdk/member.rs")),
    ("mod.rs", include_str!("../../aws/sdk/mod.rs")),
    (
        "organizations.rs",
        include_str!("../../aws/sdk/organizations.rs"),
    ),
    ("selectors.rs", include_str!("../../aws/sdk/selectors.rs")),
    ("sns.rs", include_str!("../../aws/sdk/sns.rs")),
    ("session.rs", include_str!("../../aws/sdk/session.rs")),
    ("sqs.rs", include_str!("../../aws/sdk/sqs.rs")),
];

/// The operation names a source names its errors with: `aws_err("X", ...)`, `AwsError::new("X", ...)`,
/// and `let op = "X";` for a call whose errors are made from `op`.
fn named_operations(source: &str) -> BTreeSet<String> {
    let mut ops = BTreeSet::new();
    for marker in ["aws_err(\"", "AwsError::new(\"", "let op = \""] {
        for (i, _) in source.match_indices(marker) {
            let rest = &source[i + marker.len()..];
            if let Some(end) = rest.find('"') {
                ops.insert(rest[..end].to_owned());
            }
        }
    }
    ops
}

#[test]
fn every_sdk_source_file_is_scanned() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/src/aws/sdk");
    let on_disk: BTreeSet<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".rs"))
        .collect();
    let scanned: BTreeSet<String> = SDK_SOURCES.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(
        on_disk, scanned,
        "add the new file of src/aws/sdk/ to SDK_SOURCES"
    );
}

/// Issue 13, part 3: the permissions cannot drift from the calls.
#[test]
fn the_catalogue_names_exactly_the_calls_the_sdk_makes() {
    let in_sdk: BTreeSet<String> = SDK_SOURCES
        .iter()
        .flat_map(|(_, s)| named_operations(s))
        .collect();
    let in_catalogue: BTreeSet<String> = operations().iter().map(|o| o.to_string()).collect();
    let missing: Vec<_> = in_sdk.difference(&in_catalogue).collect();
    assert!(
        missing.is_empty(),
        "calls without their permissions in src/permissions/calls.rs: {missing:?}"
    );
    let extra: Vec<_> = in_catalogue.difference(&in_sdk).collect();
    assert!(
        extra.is_empty(),
        "permissions for calls the sdk no longer makes: {extra:?}"
    );
}

#[test]
fn the_scan_finds_both_spellings() {
    let src = "x.map_err(|e| aws_err(\"HeadBucket\", e)); AwsError::new(\"CreateFlowLogs\", c, m); let op = \"PutBucketLogging\";";
    let ops: Vec<String> = named_operations(src).into_iter().collect();
    assert_eq!(ops, ["CreateFlowLogs", "HeadBucket", "PutBucketLogging"]);
}

/// docs/iam-permissions.md's table names every call of the catalogue and every action it needs.
#[test]
fn the_docs_table_lists_every_call_and_action() {
    let doc = include_str!("../../../docs/iam-permissions.md");
    let table: Vec<&str> = doc.lines().filter(|l| l.starts_with("| ")).collect();
    for n in NEEDS {
        let row = table.iter().find(|l| {
            let first = l.split('|').nth(1).unwrap_or_default();
            first.split([',', '/']).any(|c| c.trim() == n.operation)
        });
        let Some(row) = row else {
            panic!("docs/iam-permissions.md: no row for {}", n.operation);
        };
        if let Some(a) = n.action {
            assert!(
                table
                    .iter()
                    .any(|l| l.contains(n.operation) && l.contains(&format!("`{a}`"))),
                "docs/iam-permissions.md: {} does not say it needs `{a}` ({row})",
                n.operation
            );
        }
    }
}

#[test]
fn every_action_is_service_colon_name() {
    for n in NEEDS {
        if let Some(a) = n.action {
            let (service, name) = a.split_once(':').unwrap();
            assert!(
                !service.is_empty() && name.chars().next().unwrap().is_ascii_uppercase(),
                "{a}"
            );
        }
    }
}
