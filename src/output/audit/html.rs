//! `audit --format html`: one self-contained page (inline CSS; no script, font, image or other file, no
//! network) to open from a ticket or a CI artifact. Coverage at a glance, per OU when known, then the
//! accounts with gaps, with warnings, and the covered ones; each problem with its meaning and its runbook
//! section (pure rendering). Every string from the report is escaped: account names come from AWS
//! Organizations.

use std::fmt;
use std::io::{self, Write};

use super::{age, bucket_gaps, percent, printable};
use crate::audit::{AccountKind, AccountReport, AuditReport, Problem, Severity};
use crate::plan::layout::s3_url;

const STYLE: &str = "
:root { color-scheme: light; }
body { font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif;
  color: #1f2328; background: #fff; margin: 0 auto; max-width: 1180px; padding: 24px 28px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; }
code, .id, .code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, 'Liberation Mono', monospace; }
.code { font-size: 13px; font-weight: 600; }
.when, .note { color: #59636e; margin: 0 0 16px; }
.note { margin-top: 28px; font-size: 13px; }
.summary { border: 1px solid; border-radius: 8px; padding: 14px 20px; }
.summary.ok { background: #dafbe1; border-color: #4ac26b; }
.summary.bad { background: #ffebe9; border-color: #ff8182; }
.figure { font-size: 30px; font-weight: 600; margin: 0; }
.figure .pct { font-weight: 400; }
.counts { list-style: none; margin: 6px 0 0; padding: 0; display: flex; flex-wrap: wrap; gap: 6px 28px; }
table { border-collapse: collapse; width: 100%; }
table.ous { width: auto; min-width: 50%; }
th.problems { width: 58%; }
th, td { text-align: left; vertical-align: top; padding: 7px 10px; border-bottom: 1px solid #d1d9e0; }
th { background: #f6f8fa; font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.id { white-space: nowrap; }
tr > td:first-child { border-left: 4px solid transparent; }
tr.gap > td:first-child { border-left-color: #cf222e; }
tr.warning > td:first-child { border-left-color: #d4a72c; }
tr.ok > td:first-child { border-left-color: #4ac26b; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; font-weight: 600;
  white-space: nowrap; }
.badge.gap { background: #ffebe9; color: #a40e26; }
.badge.warning { background: #fff8c5; color: #7d4e00; }
.badge.ok { background: #dafbe1; color: #116329; }
.badge.stale { background: #eff2f5; color: #59636e; }
ul.problems { list-style: none; margin: 0; padding: 0; }
ul.problems li + li { margin-top: 10px; }
.message { overflow-wrap: anywhere; }
.meaning { color: #59636e; font-size: 13px; }
.remedy { font-size: 13px; }
.remedy a { white-space: nowrap; }
.controls { color: #59636e; font-size: 12px; }
a { color: #0969da; }
";

/// The page.
pub(super) fn write(out: &mut dyn Write, report: &AuditReport, runbooks: &str) -> io::Result<()> {
    let target = s3_url(&report.bucket, report.key_prefix.as_deref());
    let s = &report.summary;
    writeln!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>CloudTrail coverage {}/{} ({:.1}%) of {}</title>\n<style>{STYLE}</style>\n</head>\n<body>",
        s.covered,
        s.accounts,
        percent(s.covered, s.accounts),
        Esc(&target)
    )?;
    writeln!(
        out,
        "<h1>CloudTrail coverage of <code>{}</code></h1>\n<p class=\"when\">Audited at {}; log files \
         count as fresh up to {} old. Written by trailhub {}.</p>",
        Esc(&target),
        Esc(&report.generated_at),
        age(i64::try_from(report.max_age_seconds).unwrap_or(i64::MAX)),
        env!("CARGO_PKG_VERSION")
    )?;
    write_summary(out, report)?;
    write_bucket(out, report, runbooks)?;
    write_ous(out, report)?;
    write_accounts(out, report, runbooks)?;
    if runbooks.is_empty() {
        writeln!(
            out,
            "<p class=\"note\">The runbooks named are in trailhub's repository; their links work when this \
             file sits at the root of a checkout (audit --runbooks-url sets where they lead).</p>"
        )?;
    } else {
        writeln!(
            out,
            "<p class=\"note\">The runbooks named are under <code>{}</code>.</p>",
            Esc(runbooks)
        )?;
    }
    writeln!(out, "</body>\n</html>")
}

/// The coverage figure and what stands behind it.
fn write_summary(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let s = &report.summary;
    let in_scope = || {
        report
            .accounts
            .iter()
            .filter(|a| a.scope != AccountKind::Stale)
    };
    let warned = in_scope()
        .filter(|a| a.covered && !a.problems.is_empty())
        .count();
    let mut counts = vec![
        plural(
            s.accounts - s.covered,
            "account with gaps",
            "accounts with gaps",
        ),
        plural(warned, "covered with warnings", "covered with warnings"),
    ];
    if s.stale > 0 {
        counts.push(plural(
            s.stale,
            "stale account (not counted)",
            "stale accounts (not counted)",
        ));
    }
    counts.push(match bucket_gaps(report) {
        0 => "the bucket: no gap".to_owned(),
        n => format!("the bucket: {}", plural(n, "gap", "gaps")),
    });
    let class = if report.exit_code() == 0 { "ok" } else { "bad" };
    writeln!(
        out,
        "<section class=\"summary {class}\">\n<p class=\"figure\" id=\"coverage\">{}/{} accounts covered \
         <span class=\"pct\">({:.1}%)</span></p>\n<ul class=\"counts\">",
        s.covered,
        s.accounts,
        percent(s.covered, s.accounts)
    )?;
    for c in counts {
        writeln!(out, "<li>{}</li>", Esc(&c))?;
    }
    writeln!(out, "</ul>\n</section>")
}

/// The bucket's own problems (`bucket_problems`), when it has any.
fn write_bucket(out: &mut dyn Write, report: &AuditReport, runbooks: &str) -> io::Result<()> {
    if report.bucket_problems.is_empty() {
        return Ok(());
    }
    writeln!(
        out,
        "<section id=\"bucket\">\n<h2>The bucket <code>{}</code></h2>",
        Esc(&report.bucket)
    )?;
    write_problems(out, &report.bucket_problems, runbooks)?;
    writeln!(out, "</section>")
}

/// Coverage per OU, when any account has one: the summary's `by_ou`, and the in-scope accounts without a
/// path (the central account's) as the rest of the summary's counts.
fn write_ous(out: &mut dyn Write, report: &AuditReport) -> io::Result<()> {
    let s = &report.summary;
    if s.by_ou.is_empty() {
        return Ok(());
    }
    let by_ou = s
        .by_ou
        .iter()
        .map(|o| (o.ou.as_str(), (o.accounts, o.covered)));
    let without = by_ou
        .clone()
        .fold((s.accounts, s.covered), |(a, c), (_, (n, k))| {
            (a.saturating_sub(n), c.saturating_sub(k))
        });
    writeln!(
        out,
        "<section id=\"ous\">\n<h2>By organizational unit</h2>\n<table class=\"ous\">\n<thead><tr>\
         <th>OU</th><th class=\"num\">covered</th><th class=\"num\">accounts</th><th class=\"num\">%</th>\
         </tr></thead>\n<tbody>"
    )?;
    let rows = by_ou.chain((without.0 > 0).then_some(("(no OU)", without)));
    for (ou, (accounts, covered)) in rows {
        let class = if covered < accounts { "gap" } else { "ok" };
        writeln!(
            out,
            "<tr class=\"{class}\"><td>{}</td><td class=\"num\">{covered}</td><td class=\"num\">{accounts}</td>\
             <td class=\"num\">{:.1}%</td></tr>",
            Esc(ou),
            percent(covered, accounts)
        )?;
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}

/// One row per account: those with gaps first, then those with warnings, then the others, each group in
/// the report's order.
fn write_accounts(out: &mut dyn Write, report: &AuditReport, runbooks: &str) -> io::Result<()> {
    let ous = has_ous(report);
    let mut accounts: Vec<&AccountReport> = report.accounts.iter().collect();
    accounts.sort_by_key(|a| rank(&a.problems));
    writeln!(
        out,
        "<section id=\"accounts\">\n<h2>Accounts</h2>\n<table class=\"accounts\">\n<thead><tr>\
         <th>account</th><th>name</th>{}<th>status</th><th class=\"problems\">problems</th></tr></thead>\n<tbody>",
        if ous { "<th>OU</th>" } else { "" }
    )?;
    for a in accounts {
        let (class, status) = match (a.scope, a.covered) {
            (AccountKind::Stale, _) => ("stale", "stale: not in scope"),
            (_, false) => ("gap", "not covered"),
            (_, true) if a.problems.is_empty() => ("ok", "covered"),
            (_, true) => ("warning", "covered"),
        };
        let row = match rank(&a.problems) {
            0 => "gap",
            1 => "warning",
            _ => "ok",
        };
        write!(
            out,
            "<tr class=\"{row}\"><td class=\"id\">{}</td><td>{}</td>",
            Esc(&a.id),
            Esc(&a.name)
        )?;
        if ous {
            write!(out, "<td>{}</td>", Esc(a.ou.as_deref().unwrap_or("")))?;
        }
        write!(
            out,
            "<td><span class=\"badge {class}\">{status}</span></td><td>"
        )?;
        write_problems(out, &a.problems, runbooks)?;
        if let Some(line) = super::controls_line(&a.controls) {
            write!(out, "<p class=\"controls\">{}</p>", Esc(&line))?;
        }
        writeln!(out, "</td></tr>")?;
    }
    writeln!(out, "</tbody>\n</table>\n</section>")
}

/// Gaps before warnings, each with its code, message, meaning and runbook section.
fn write_problems(out: &mut dyn Write, problems: &[Problem], runbooks: &str) -> io::Result<()> {
    if problems.is_empty() {
        return write!(out, "-");
    }
    let mut sorted: Vec<&Problem> = problems.iter().collect();
    sorted.sort_by_key(|p| p.severity != Severity::Gap);
    writeln!(out, "<ul class=\"problems\">")?;
    for p in sorted {
        let (class, severity) = match p.severity {
            Severity::Gap => ("gap", "gap"),
            Severity::Warning => ("warning", "warning"),
        };
        let doc = p.code.doc();
        writeln!(
            out,
            "<li class=\"{class}\"><span class=\"code\">{}</span> <span class=\"badge {class}\">{severity}</span> \
             <span class=\"message\">{}</span><br>\n<span class=\"meaning\">{}</span><br>\n\
             <span class=\"remedy\">What to do: {} (<a href=\"{}\">{}</a>)</span>{}</li>",
            p.code.as_str(),
            Esc(&p.message),
            Esc(doc.meaning),
            Esc(doc.remedy),
            Esc(&super::link(runbooks, doc.runbook)),
            Esc(doc.runbook),
            controls_line(p)
        )?;
    }
    write!(out, "</ul>")
}

/// `<br>CIS 3.1 (v6/v7: 4.1) · Security Hub CloudTrail.1`: the controls the problem fails, where it maps to any.
fn controls_line(p: &Problem) -> String {
    let m = crate::audit::controls(p.code);
    let mut parts = Vec::new();
    if !m.cis.is_empty() {
        parts.push(format!(
            "CIS {} (v6/v7: {})",
            m.cis.join(", "),
            m.cis_v6.join(", ")
        ));
    }
    if !m.security_hub.is_empty() {
        parts.push(format!("Security Hub {}", m.security_hub.join(", ")));
    }
    match parts.is_empty() {
        true => String::new(),
        false => format!(
            "<br>\n<span class=\"controls\">{}</span>",
            Esc(&parts.join(" · "))
        ),
    }
}

/// 0 for problems with a gap, 1 with warnings only, 2 for none.
fn rank(problems: &[Problem]) -> u8 {
    if problems.iter().any(|p| p.severity == Severity::Gap) {
        0
    } else if !problems.is_empty() {
        1
    } else {
        2
    }
}

fn has_ous(report: &AuditReport) -> bool {
    report.accounts.iter().any(|a| a.ou.is_some())
}

/// `1 gap`, `2 gaps`.
fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// Text made safe for HTML, in an element or in a quoted attribute value.
struct Esc<'a>(&'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.0.chars() {
            match c {
                '&' => f.write_str("&amp;")?,
                '<' => f.write_str("&lt;")?,
                '>' => f.write_str("&gt;")?,
                '"' => f.write_str("&quot;")?,
                '\'' => f.write_str("&#39;")?,
                c => fmt::Write::write_char(f, printable(c))?,
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Code, OuCoverage, Summary};
    use dom::{Element, parse};

    const HOSTILE: &str = "<script>alert(\"pwned\")</script> & 'Co' <img src=x onerror=alert(1)>";

    #[test]
    fn escapes_markup_ampersands_and_quotes() {
        assert_eq!(
            Esc("<script>a & b</script>").to_string(),
            "&lt;script&gt;a &amp; b&lt;/script&gt;"
        );
        assert_eq!(
            Esc("\"double\" 'single'").to_string(),
            "&quot;double&quot; &#39;single&#39;"
        );
        assert_eq!(Esc("a\u{7}b\tc").to_string(), "a\u{fffd}b\tc");
        assert_eq!(Esc("Prod/ÜberTeam").to_string(), "Prod/ÜberTeam");
    }

    fn account(id: &str, name: &str, ou: Option<&str>, problems: Vec<Problem>) -> AccountReport {
        AccountReport {
            id: id.into(),
            name: name.into(),
            scope: if id == "111111111111" {
                AccountKind::Central
            } else {
                AccountKind::Member
            },
            covered: !problems.iter().any(|p| p.severity == Severity::Gap),
            trail_arn: None,
            problems,
            controls: vec![],
            ou: ou.map(Into::into),
            checked: vec![],
        }
    }

    fn gap(code: Code, message: &str) -> Problem {
        Problem {
            code,
            severity: Severity::Gap,
            message: message.into(),
        }
    }

    fn warning(code: Code, message: &str) -> Problem {
        Problem {
            code,
            severity: Severity::Warning,
            message: message.into(),
        }
    }

    /// Six accounts in the report's order (central, members by ID, stale): two with gaps, three with
    /// warnings only (one stale), one clean; a hostile name; a bucket gap.
    fn report(ous: bool) -> AuditReport {
        let ou = |p: &'static str| ous.then_some(p);
        let mut stale = account(
            "999999999999",
            "",
            None,
            vec![warning(
                Code::StalePolicyEntry,
                "account 999999999999 is not in scope",
            )],
        );
        stale.scope = AccountKind::Stale;
        stale.covered = false;
        AuditReport {
            bucket: "sec-log".into(),
            key_prefix: None,
            generated_at: "2027-01-15T08:00:00Z".into(),
            max_age_seconds: 86_400,
            summary: Summary {
                accounts: 5,
                covered: 3,
                stale: 1,
                by_ou: if ous {
                    vec![
                        OuCoverage {
                            ou: "Root/Workloads/Dev".into(),
                            accounts: 2,
                            covered: 1,
                        },
                        OuCoverage {
                            ou: "Root/Workloads/Prod".into(),
                            accounts: 2,
                            covered: 1,
                        },
                    ]
                } else {
                    vec![]
                },
            },
            accounts: vec![
                account(
                    "111111111111",
                    "central",
                    None,
                    vec![warning(Code::NoDelivery, "trail SEC started 5 minutes ago")],
                ),
                account(
                    "222222222222",
                    "DEV",
                    ou("Root/Workloads/Dev"),
                    vec![
                        warning(
                            Code::NoLogValidation,
                            "trail DEV-CT: log file validation is off",
                        ),
                        gap(Code::NotLogging, "trail DEV-CT exists but is not logging"),
                    ],
                ),
                account(
                    "333333333333",
                    HOSTILE,
                    ou("Root/Workloads/Prod"),
                    vec![gap(
                        Code::NoTrail,
                        "no trail delivers to s3://sec-log/ (seen: <b>x</b> -> https://example.com/)",
                    )],
                ),
                account("444444444444", "PRD", ou("Root/Workloads/Prod"), vec![]),
                account(
                    "555555555555",
                    "QA",
                    ou("Root/Workloads/Dev"),
                    vec![warning(
                        Code::ForeignKmsKey,
                        "trail QA-CT encrypts with a key of 777777777777",
                    )],
                ),
                stale,
            ],
            stale_policy_entries: vec![],
            bucket_problems: vec![gap(
                Code::BucketNoRetention,
                "bucket sec-log: no rule trailhub-retention",
            )],
            central: Default::default(),
        }
    }

    fn render(report: &AuditReport) -> String {
        let mut out = Vec::new();
        write(&mut out, report, "").unwrap();
        String::from_utf8(out).unwrap()
    }

    /// Issue 23, point 5: each problem carries its one-line remedy, so that the page reads well without its
    /// links; with a base URL the links lead there, and the page says so.
    #[test]
    fn each_problem_says_what_to_do_and_links_under_the_base_url() {
        let mut out = Vec::new();
        let base = "https://git.example.com/sec/trailhub/-/blob/v1.2.0/";
        write(&mut out, &report(false), base).unwrap();
        let html = String::from_utf8(out).unwrap();
        let page = parse(&html);
        let remedies = page.find(|e| e.has_class("remedy"));
        assert_eq!(remedies.len(), 7, "one per problem");
        assert!(remedies.iter().any(|r| r.text().starts_with(
            "What to do: Run trailhub apply, then look for the StopLogging event in the account's CloudTrail"
        )));
        for a in page.find(|e| e.name == "a") {
            let href = a.attr("href").unwrap();
            assert!(href.starts_with(base), "{href}");
            assert_eq!(href, format!("{base}{}", a.text()));
        }
        assert!(html.contains(&format!("The runbooks named are under <code>{base}</code>")));
    }

    /// The rows of the table of class `class`, each as its cells' text.
    fn rows(page: &Element, class: &str) -> Vec<Vec<String>> {
        let table = page.find(|e| e.name == "table" && e.has_class(class));
        let body = table[0].find(|e| e.name == "tbody");
        body[0]
            .children_named("tr")
            .map(|tr| tr.children_named("td").map(Element::text).collect())
            .collect()
    }

    /// What a browser's tokenizer reads from the page: no parse error, a standards-mode doctype, a title
    /// and the coverage figure, one row per account with the problems first, every problem's runbook
    /// linked, and nothing that runs or loads.
    #[test]
    fn the_page_parses_with_no_error_and_shows_the_report() {
        let html = render(&report(false));
        let page = parse(&html);
        let title = page.find(|e| e.name == "title");
        assert_eq!(
            title[0].text(),
            "CloudTrail coverage 3/5 (60.0%) of s3://sec-log/"
        );
        assert_eq!(
            page.find(|e| e.attr("id") == Some("coverage"))[0].text(),
            "3/5 accounts covered (60.0%)"
        );
        let counts: Vec<String> = page.find(|e| e.has_class("counts"))[0]
            .children_named("li")
            .map(Element::text)
            .collect();
        assert_eq!(
            counts,
            [
                "2 accounts with gaps",
                "2 covered with warnings",
                "1 stale account (not counted)",
                "the bucket: 1 gap"
            ]
        );
        let bucket = page.find(|e| e.attr("id") == Some("bucket"));
        assert_eq!(
            bucket[0].find(|e| e.has_class("code"))[0].text(),
            "bucket-no-retention"
        );

        // one row per account: gaps, then warnings, then the clean one
        let rows = rows(&page, "accounts");
        let ids: Vec<&str> = rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(
            ids,
            [
                "222222222222",
                "333333333333",
                "111111111111",
                "555555555555",
                "999999999999",
                "444444444444"
            ]
        );
        let statuses: Vec<&str> = rows.iter().map(|r| r[2].as_str()).collect();
        assert_eq!(
            statuses,
            [
                "not covered",
                "not covered",
                "covered",
                "covered",
                "stale: not in scope",
                "covered"
            ]
        );
        // within an account, the gap before the warning
        assert!(rows[0][3].starts_with("not-logging gap trail DEV-CT exists but is not logging"));
        assert!(rows[0][3].contains("no-log-validation warning"));
        assert_eq!(rows[5][3], "-");
        assert!(
            page.find(|e| e.attr("id") == Some("ous")).is_empty(),
            "no OU, no OU table"
        );

        // the hostile name is text, not markup
        assert_eq!(rows[1][1], HOSTILE);
        assert!(
            !html.contains("<script") && !html.contains("<img"),
            "{html}"
        );
        let active = [
            "script", "img", "iframe", "object", "embed", "link", "base", "form",
        ];
        assert!(page.find(|e| active.contains(&e.name.as_str())).is_empty());

        // every link is a runbook section named by its text, and nothing points outside the file
        let links = page.find(|e| e.name == "a");
        assert_eq!(links.len(), 7, "one per problem");
        for a in &links {
            let href = a.attr("href").unwrap();
            assert!(
                href.starts_with("runbooks/") && href.contains(".md#"),
                "{href}"
            );
            assert_eq!(a.text(), href);
        }
        let hrefs: Vec<&str> = links.iter().filter_map(|a| a.attr("href")).collect();
        assert!(hrefs.contains(&"runbooks/scheduled-audit.md#not-logging"));
        assert!(hrefs.contains(&"runbooks/kms.md#bucket-no-retention"));
        for e in page.find(|_| true) {
            for (name, value) in &e.attrs {
                assert!(!name.starts_with("on"), "{name}={value}");
                let v = value.trim().to_ascii_lowercase();
                assert!(
                    !(v.contains("http:") || v.contains("https:") || v.starts_with("//")),
                    "{name}={value}"
                );
            }
        }
        assert!(html.contains("https://example.com/"), "URLs stay in text");
        assert!(!html.contains("url(") && !html.contains("@import"));
    }

    /// With OUs: a coverage table per OU (in-scope accounts only) and an OU column.
    #[test]
    fn coverage_per_ou_when_known() {
        let page = parse(&render(&report(true)));
        assert_eq!(
            rows(&page, "ous"),
            [
                ["Root/Workloads/Dev", "1", "2", "50.0%"],
                ["Root/Workloads/Prod", "1", "2", "50.0%"],
                ["(no OU)", "1", "1", "100.0%"],
            ]
        );
        let header: Vec<String> = page.find(|e| e.name == "table" && e.has_class("accounts"))[0]
            .find(|e| e.name == "th")
            .iter()
            .map(|e| e.text())
            .collect();
        assert_eq!(header, ["account", "name", "OU", "status", "problems"]);
        assert_eq!(rows(&page, "accounts")[0][2], "Root/Workloads/Dev");
    }

    /// The page as a tree, from html5gum's WHATWG tokenizer: every parse error fails the test, and so does
    /// an end tag that does not close the element open (stricter than a browser, which would repair it).
    mod dom {
        use std::collections::BTreeMap;

        use html5gum::{DefaultEmitter, Token, Tokenizer};

        /// Elements that have no end tag.
        const VOID: [&str; 6] = ["meta", "br", "img", "input", "link", "hr"];

        #[derive(Debug, Default)]
        pub struct Element {
            pub name: String,
            pub attrs: BTreeMap<String, String>,
            pub children: Vec<Node>,
        }

        #[derive(Debug)]
        pub enum Node {
            Element(Element),
            Text(String),
        }

        /// The document (a `#document` element holding `<html>`), after checking the doctype.
        pub fn parse(html: &str) -> Element {
            let mut emitter = DefaultEmitter::default();
            emitter.naively_switch_states(true); // <title> and <style> hold text, as in a browser
            let mut open = vec![Element {
                name: "#document".into(),
                ..Element::default()
            }];
            let mut doctype = None;
            let s = |b: &[u8]| String::from_utf8(b.to_vec()).unwrap();
            for token in Tokenizer::new_with_emitter(html, emitter) {
                match token.unwrap() {
                    Token::Doctype(d) => doctype = Some((s(&d.name), d.force_quirks)),
                    Token::StartTag(t) => {
                        let e = Element {
                            name: s(&t.name),
                            attrs: t.attributes.iter().map(|(k, v)| (s(k), s(v))).collect(),
                            children: Vec::new(),
                        };
                        if VOID.contains(&e.name.as_str()) || t.self_closing {
                            open.last_mut().unwrap().children.push(Node::Element(e));
                        } else {
                            open.push(e);
                        }
                    }
                    Token::EndTag(t) => {
                        let e = open.pop().unwrap();
                        assert_eq!(e.name, s(&t.name), "</{}> closes <{}>", s(&t.name), e.name);
                        open.last_mut().unwrap().children.push(Node::Element(e));
                    }
                    Token::String(text) => {
                        open.last_mut().unwrap().children.push(Node::Text(s(&text)))
                    }
                    Token::Comment(_) => {}
                    Token::Error(e) => panic!("parse error: {}", *e),
                }
            }
            assert_eq!(doctype, Some(("html".to_owned(), false)), "standards mode");
            assert_eq!(
                open.len(),
                1,
                "unclosed: {:?}",
                open.iter().map(|e| &e.name).collect::<Vec<_>>()
            );
            open.pop().unwrap()
        }

        impl Element {
            pub fn attr(&self, name: &str) -> Option<&str> {
                self.attrs.get(name).map(String::as_str)
            }

            pub fn has_class(&self, class: &str) -> bool {
                self.attr("class")
                    .is_some_and(|c| c.split_whitespace().any(|c| c == class))
            }

            /// Every element below this one that `matches`, in document order.
            pub fn find(&self, matches: impl Fn(&Element) -> bool + Copy) -> Vec<&Element> {
                let mut found = Vec::new();
                for child in &self.children {
                    if let Node::Element(e) = child {
                        if matches(e) {
                            found.push(e);
                        }
                        found.extend(e.find(matches));
                    }
                }
                found
            }

            pub fn children_named<'a>(
                &'a self,
                name: &'a str,
            ) -> impl Iterator<Item = &'a Element> {
                self.children.iter().filter_map(move |c| match c {
                    Node::Element(e) if e.name == name => Some(e),
                    _ => None,
                })
            }

            /// The text inside, entities resolved, runs of white space as one space, trimmed.
            pub fn text(&self) -> String {
                fn collect(e: &Element, out: &mut String) {
                    for c in &e.children {
                        match c {
                            Node::Text(t) => out.push_str(t),
                            Node::Element(e) => collect(e, out),
                        }
                    }
                }
                let mut raw = String::new();
                collect(self, &mut raw);
                raw.split_whitespace().collect::<Vec<_>>().join(" ")
            }
        }
    }
}
