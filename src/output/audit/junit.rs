//! `audit --format junit`: JUnit XML, so that a CI system shows an audit's gaps as failed tests (pure
//! rendering). One test suite; one test case per account (its class name the account's OU when known), one
//! `<failure>` holding all of its gaps (strict JUnit schemas allow one, and Jenkins shows only the first),
//! the warnings as `<system-out>`; and one more test case for the bucket's own problems. quick-xml writes
//! it: it escapes every text and attribute value.

use std::io::{self, Write};

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::printable;
use crate::audit::{AuditReport, Problem, Severity};
use crate::plan::layout::s3_url;

/// The class name of a test case without an OU.
const CLASSNAME: &str = "trailhub.audit";

pub(super) fn write(out: &mut dyn Write, report: &AuditReport, runbooks: &str) -> io::Result<()> {
    let failed = |p: &[Problem]| p.iter().any(|p| p.severity == Severity::Gap);
    let tests = (report.accounts.len() + 1).to_string();
    let failures = (report
        .accounts
        .iter()
        .filter(|a| failed(&a.problems))
        .count()
        + usize::from(failed(&report.bucket_problems)))
    .to_string();
    let suite = format!(
        "trailhub audit of {}",
        s3_url(&report.bucket, report.key_prefix.as_deref())
    );
    let counts = [
        ("tests", tests.as_str()),
        ("failures", failures.as_str()),
        ("errors", "0"),
        ("skipped", "0"),
    ];
    let mut w = Writer::new_with_indent(out, b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    w.create_element("testsuites")
        .with_attribute(("name", "trailhub audit"))
        .with_attributes(counts)
        .write_inner_content(|w| {
            w.create_element("testsuite")
                .with_attribute(("name", suite.as_str()))
                .with_attributes(counts)
                .with_attribute(("timestamp", report.generated_at.as_str()))
                .write_inner_content(|w| {
                    for a in &report.accounts {
                        let name = format!("{} {}", a.id, a.name);
                        let class = a.ou.as_deref().unwrap_or(CLASSNAME);
                        let controls = super::controls_line(&a.controls);
                        let case = (class, name.trim_end());
                        testcase(w, case, &a.problems, controls.as_deref(), runbooks)?;
                    }
                    let bucket = format!("bucket {}", report.bucket);
                    let case = (CLASSNAME, bucket.as_str());
                    testcase(w, case, &report.bucket_problems, None, runbooks)
                })?;
            Ok(())
        })?;
    writeln!(w.get_mut())
}

/// One test case: one `<failure>` for all of its gaps (message: their count and codes; text: each gap on
/// its own line, with its meaning and runbook section), the warnings in `<system-out>`, after the
/// account's CIS monitoring controls (`[alarms]`) when it has some.
fn testcase<W: Write>(
    w: &mut Writer<W>,
    (classname, name): (&str, &str),
    problems: &[Problem],
    controls: Option<&str>,
    runbooks: &str,
) -> io::Result<()> {
    let classname = clean(classname);
    let name = clean(name);
    let case = w
        .create_element("testcase")
        .with_attribute(("classname", classname.as_str()))
        .with_attribute(("name", name.as_str()));
    if problems.is_empty() && controls.is_none() {
        case.write_empty()?;
        return Ok(());
    }
    let (gaps, warnings): (Vec<&Problem>, Vec<&Problem>) =
        problems.iter().partition(|p| p.severity == Severity::Gap);
    case.write_inner_content(|w| {
        if !gaps.is_empty() {
            let codes: Vec<&str> = gaps.iter().map(|p| p.code.as_str()).collect();
            let plural = if gaps.len() == 1 { "" } else { "s" };
            let message = format!("{} gap{plural}: {}", gaps.len(), codes.join(", "));
            let lines: Vec<String> = gaps.iter().map(|p| gap_line(p, runbooks)).collect();
            let text = clean(&lines.join("\n"));
            w.create_element("failure")
                .with_attribute(("message", message.as_str()))
                .with_attribute(("type", "gap"))
                .write_text_content(BytesText::new(&text))?;
        }
        if !warnings.is_empty() || controls.is_some() {
            let warned = warnings.iter().map(|p| {
                let doc = p.code.doc();
                format!(
                    "{} (warning): {} (see {})",
                    p.code.as_str(),
                    p.message,
                    super::link(runbooks, doc.runbook)
                )
            });
            let lines: Vec<String> = controls
                .map(str::to_owned)
                .into_iter()
                .chain(warned)
                .collect();
            let text = clean(&lines.join("\n"));
            w.create_element("system-out")
                .write_text_content(BytesText::new(&text))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// One gap on one line: `code: message. Meaning. What to do: remedy See runbook.`
fn gap_line(p: &Problem, runbooks: &str) -> String {
    let doc = p.code.doc();
    let message = p.message.replace('\n', " ");
    let message = message.trim_end().trim_end_matches('.');
    format!(
        "{}: {message}. {} What to do: {} See {}.",
        p.code.as_str(),
        doc.meaning,
        doc.remedy,
        super::link(runbooks, doc.runbook)
    )
}

/// `s` without the characters XML 1.0 does not allow (quick-xml escapes markup, not those).
fn clean(s: &str) -> String {
    s.chars().map(printable).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{AccountKind, AccountReport, Code, Summary};
    use quick_xml::Reader;
    use quick_xml::events::attributes::Attribute;

    fn problem(code: Code, severity: Severity, message: &str) -> Problem {
        Problem {
            code,
            severity,
            message: message.into(),
        }
    }

    fn account(id: &str, name: &str, ou: Option<&str>, problems: Vec<Problem>) -> AccountReport {
        AccountReport {
            id: id.into(),
            name: name.into(),
            scope: AccountKind::Member,
            covered: !problems.iter().any(|p| p.severity == Severity::Gap),
            trail_arn: None,
            problems,
            controls: vec![],
            ou: ou.map(Into::into),
            checked: vec![],
        }
    }

    fn report() -> AuditReport {
        use Severity::*;
        AuditReport {
            bucket: "sec-log".into(),
            key_prefix: Some("org".into()),
            generated_at: "2027-01-15T08:00:00Z".into(),
            max_age_seconds: 86_400,
            summary: Summary {
                accounts: 4,
                covered: 2,
                stale: 0,
                by_ou: vec![],
            },
            accounts: vec![
                account("111111111111", "central", None, vec![]),
                account(
                    "222222222222",
                    "DEV",
                    Some("Root/Workloads"),
                    vec![
                        problem(
                            Code::NotLogging,
                            Gap,
                            "trail DEV-CT exists but is not logging",
                        ),
                        problem(Code::NoTrail, Gap, "second gap"),
                        problem(Code::NoLogValidation, Warning, "validation off"),
                    ],
                ),
                account(
                    "333333333333",
                    "</testcase><x a=\"1\"> & 'q'\u{1}",
                    None,
                    vec![problem(
                        Code::PolicyDenies,
                        Gap,
                        "denied by <Deny> & \"Sid\"",
                    )],
                ),
                account(
                    "444444444444",
                    "QA",
                    None,
                    vec![problem(Code::NoDelivery, Warning, "nothing yet")],
                ),
            ],
            stale_policy_entries: vec![],
            bucket_problems: vec![problem(
                Code::BucketNoAccessLogging,
                Gap,
                "bucket sec-log: access logging is off",
            )],
            central: Default::default(),
        }
    }

    /// What the XML reader finds, in document order: (element, attributes), and each text with its
    /// references resolved as ("#text", [("", text)]).
    fn parse(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
        let mut reader = Reader::from_str(xml);
        reader.config_mut().check_end_names = true;
        let mut found = Vec::new();
        let mut text = String::new();
        loop {
            let event = reader.read_event().expect("well-formed XML");
            match &event {
                Event::Text(t) => text.push_str(&t.decode().unwrap()),
                Event::GeneralRef(r) => {
                    let entity = format!("&{};", r.decode().unwrap());
                    text.push_str(&quick_xml::escape::unescape(&entity).unwrap());
                }
                _ if !text.trim().is_empty() => {
                    found.push((
                        "#text".into(),
                        vec![(String::new(), text.trim().to_owned())],
                    ));
                    text.clear();
                }
                _ => text.clear(),
            }
            match event {
                Event::Start(e) | Event::Empty(e) => {
                    let attrs = e
                        .attributes()
                        .map(|a| {
                            let a: Attribute = a.unwrap();
                            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
                            (key, a.unescape_value().unwrap().into_owned())
                        })
                        .collect();
                    found.push((
                        String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                        attrs,
                    ));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        found
    }

    fn attr<'a>(attrs: &'a [(String, String)], key: &str) -> &'a str {
        &attrs.iter().find(|(k, _)| k == key).unwrap().1
    }

    #[test]
    fn one_test_case_per_account_and_one_for_the_bucket() {
        let mut out = Vec::new();
        write(&mut out, &report(), "").unwrap();
        let xml = String::from_utf8(out).unwrap();
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites"));
        let found = parse(&xml);
        let named = |n: &str| found.iter().filter(|(e, _)| e == n).collect::<Vec<_>>();
        let suites = named("testsuite");
        assert_eq!(suites.len(), 1);
        assert_eq!(attr(&suites[0].1, "tests"), "5");
        assert_eq!(
            attr(&suites[0].1, "failures"),
            "3",
            "DEV, 333... and the bucket"
        );
        assert_eq!(
            attr(&suites[0].1, "name"),
            "trailhub audit of s3://sec-log/org/"
        );
        assert_eq!(attr(&named("testsuites")[0].1, "failures"), "3");

        let cases: Vec<(&str, &str)> = named("testcase")
            .iter()
            .map(|(_, a)| (attr(a, "classname"), attr(a, "name")))
            .collect();
        assert_eq!(
            cases,
            [
                ("trailhub.audit", "111111111111 central"),
                ("Root/Workloads", "222222222222 DEV"),
                (
                    "trailhub.audit",
                    "333333333333 </testcase><x a=\"1\"> & 'q'\u{fffd}"
                ),
                ("trailhub.audit", "444444444444 QA"),
                ("trailhub.audit", "bucket sec-log"),
            ]
        );
        let failures: Vec<&str> = named("failure")
            .iter()
            .map(|(_, a)| attr(a, "message"))
            .collect();
        assert_eq!(
            failures,
            [
                "2 gaps: not-logging, no-trail",
                "1 gap: policy-denies",
                "1 gap: bucket-no-access-logging"
            ]
        );
        // issue 21, point 6: at most one failure in a test case (strict JUnit schemas allow one)
        let mut per_case: Vec<usize> = Vec::new();
        for (element, _) in &found {
            match element.as_str() {
                "testcase" => per_case.push(0),
                "failure" => *per_case.last_mut().unwrap() += 1,
                _ => {}
            }
        }
        assert_eq!(per_case, [0, 1, 1, 0, 1]);
        assert!(
            named("x").is_empty(),
            "the hostile name stays an attribute value"
        );
        let texts: Vec<&str> = named("#text")
            .iter()
            .map(|(_, t)| t[0].1.as_str())
            .collect();
        let dev: Vec<&str> = texts[0].lines().collect();
        assert_eq!(dev.len(), 2, "every gap, one a line: {dev:#?}");
        assert!(
            dev[0].starts_with("not-logging: trail DEV-CT exists but is not logging. The trail")
        );
        assert!(dev[0].ends_with("See runbooks/scheduled-audit.md#not-logging."));
        assert!(dev[1].starts_with("no-trail: second gap. No trail"));
        assert!(dev[1].ends_with("See runbooks/scheduled-audit.md#no-trail."));
        assert!(texts[2].starts_with("policy-denies: denied by <Deny> & \"Sid\". "));
        // warnings are output, not failures
        assert_eq!(named("system-out").len(), 2);
        assert!(texts.contains(
            &"no-log-validation (warning): validation off (see runbooks/scheduled-audit.md#no-log-validation)"
        ));
    }
}
