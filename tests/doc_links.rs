//! Every relative link of the project's markdown (README.md, ARCHITECTURE.md, docs/*.md, runbooks/*.md)
//! lands on a file that exists and, for a `.md` target with an anchor, on a heading of that file; and every
//! `README.md#...`, `docs/NAME.md#...` or `runbooks/NAME.md#...` written in `src/` does too. The reference
//! moved from README.md to docs/ (issue 19), and links into it are written by hand in many places.
//!
//! Standalone: no AWS, no moto, no test support code.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The lines outside fenced code blocks: a heading or a link inside a fence is not one.
fn prose_lines(text: &str) -> Vec<&str> {
    let mut fence: Option<&str> = None;
    let mut out = Vec::new();
    for line in text.lines() {
        let t = line.trim_start();
        let marker = ["```", "~~~"].into_iter().find(|m| t.starts_with(m));
        match (fence, marker) {
            (None, Some(m)) => fence = Some(m),
            (Some(open), Some(m)) if open == m => fence = None,
            (None, None) => out.push(line),
            _ => {}
        }
    }
    out
}

/// The line without its code spans (a run of N backticks up to the next run of exactly N).
fn strip_code_spans(line: &str) -> String {
    let chars: Vec<char> = line.chars().collect();
    let run = |at: usize| chars[at..].iter().take_while(|c| **c == '`').count();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        if chars[i] != '`' {
            out.push(chars[i]);
            i += 1;
            continue;
        }
        let n = run(i);
        let mut j = i + n;
        let mut close = None;
        while j < chars.len() {
            if chars[j] == '`' {
                let m = run(j);
                if m == n {
                    close = Some(j + m);
                    break;
                }
                j += m;
            } else {
                j += 1;
            }
        }
        match close {
            Some(end) => i = end,
            None => {
                // no closing run: the backticks are literal
                out.extend(&chars[i..i + n]);
                i += n;
            }
        }
    }
    out
}

/// GitHub's anchor of a heading: lower case, punctuation other than '-' and '_' dropped, spaces as
/// hyphens.
fn anchor_of(heading: &str) -> String {
    heading
        .trim_start_matches('#')
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// Every anchor a file's headings make; a repeated heading gets `-1`, `-2`, ... as on GitHub.
fn anchors(text: &str) -> HashSet<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut out = HashSet::new();
    for line in prose_lines(text) {
        if !line.starts_with('#') {
            continue;
        }
        let a = anchor_of(line);
        let n = seen.iter().filter(|s| **s == a).count();
        out.insert(if n == 0 {
            a.clone()
        } else {
            format!("{a}-{n}")
        });
        seen.push(a);
    }
    out
}

fn markdown_in(dir: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(root().join(dir))
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "md"))
        .collect();
    files.sort();
    files
}

fn markdown_files() -> Vec<PathBuf> {
    let mut files = vec![root().join("README.md")];
    let architecture = root().join("ARCHITECTURE.md");
    if architecture.exists() {
        files.push(architecture);
    }
    files.extend(markdown_in("docs"));
    files.extend(markdown_in("runbooks"));
    files
}

/// The targets of the inline links `](target)` of a markdown text, outside code.
fn link_targets(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in prose_lines(text) {
        let line = strip_code_spans(line);
        for (i, _) in line.match_indices("](") {
            let target: String = line[i + 2..]
                .chars()
                .take_while(|c| *c != ')' && !c.is_whitespace())
                .collect();
            out.push(target);
        }
    }
    out
}

fn shown(path: &Path) -> String {
    path.strip_prefix(root())
        .unwrap_or(path)
        .display()
        .to_string()
}

/// Where `path#anchor` (path relative to `base`, or empty for `file` itself) goes wrong, if it does.
fn broken(file: &Path, base: &Path, path: &str, anchor: Option<&str>) -> Option<String> {
    let target = if path.is_empty() {
        file.to_path_buf()
    } else {
        base.join(path)
    };
    if !target.exists() {
        return Some(format!("{} does not exist", shown(&target)));
    }
    let anchor = anchor.filter(|a| !a.is_empty())?;
    if target.extension().is_some_and(|x| x == "md") && !anchors(&read(&target)).contains(anchor) {
        return Some(format!("{} has no heading #{anchor}", shown(&target)));
    }
    None
}

#[test]
fn every_relative_markdown_link_lands_on_a_file_and_a_heading() {
    let mut failures = Vec::new();
    let mut links = 0;
    for file in markdown_files() {
        let base = file.parent().unwrap();
        for target in link_targets(&read(&file)) {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            links += 1;
            let (path, anchor) = match target.split_once('#') {
                Some((p, a)) => (p, Some(a)),
                None => (target.as_str(), None),
            };
            if let Some(why) = broken(&file, base, path, anchor) {
                failures.push(format!("{}: ]({target}): {why}", shown(&file)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "broken links:\n{}",
        failures.join("\n")
    );
    assert!(links > 200, "only {links} links checked");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The `(path, anchor)` of each `README.md[#a]`, `ARCHITECTURE.md[#a]`, `BENCHMARKS.md[#a]`,
/// `docs/name.md[#a]` and `runbooks/name.md[#a]` in a text; a name in capitals (`runbooks/FILE.md`) is a
/// placeholder, not a file.
fn doc_mentions(text: &str) -> Vec<(String, Option<String>)> {
    let name_char =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-');
    let anchor_char = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '-');
    let mut out = Vec::new();
    for prefix in [
        "README.md",
        "ARCHITECTURE.md",
        "BENCHMARKS.md",
        "docs/",
        "runbooks/",
    ] {
        for (i, _) in text.match_indices(prefix) {
            let before = text[..i].chars().next_back();
            if before
                .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '/' | '-'))
            {
                continue;
            }
            let mut rest = &text[i + prefix.len()..];
            let mut path = prefix.to_owned();
            if prefix.ends_with('/') {
                let name: String = rest.chars().take_while(|c| name_char(*c)).collect();
                if name.is_empty() || !rest[name.len()..].starts_with(".md") {
                    continue;
                }
                path.push_str(&name);
                path.push_str(".md");
                rest = &rest[name.len() + 3..];
            }
            let anchor = rest.strip_prefix('#').map(|r| {
                r.chars()
                    .take_while(|c| anchor_char(*c))
                    .collect::<String>()
            });
            out.push((path, anchor));
        }
    }
    out
}

#[test]
fn every_doc_link_written_in_src_lands_on_a_file_and_a_heading() {
    let mut files = Vec::new();
    rust_files(&root().join("src"), &mut files);
    files.sort();
    let mut failures = Vec::new();
    let mut links = 0;
    for file in files {
        for (path, anchor) in doc_mentions(&read(&file)) {
            links += 1;
            if let Some(why) = broken(&file, root(), &path, anchor.as_deref()) {
                let shown_link = match &anchor {
                    Some(a) => format!("{path}#{a}"),
                    None => path.clone(),
                };
                failures.push(format!("{}: {shown_link}: {why}", shown(&file)));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "broken links:\n{}",
        failures.join("\n")
    );
    assert!(links > 50, "only {links} links checked");
}

#[test]
fn anchors_are_githubs() {
    let text = "# accounts.toml reference\n\n## Trail names and `{name}`\n\n```sh\n# not a heading\n```\n\n\
                ### 2. The key policy: what trailhub writes, and why\n## Notes\n## Notes\n## Notes\n";
    let got = anchors(text);
    for a in [
        "accountstoml-reference",
        "trail-names-and-name",
        "2-the-key-policy-what-trailhub-writes-and-why",
        "notes",
        "notes-1",
        "notes-2",
    ] {
        assert!(got.contains(a), "{a} not in {got:?}");
    }
    assert!(
        !got.contains("not-a-heading"),
        "a comment in a fence is no heading"
    );
}

#[test]
fn links_in_code_are_not_links() {
    let text = "see [a](a.md) and `[b](b.md)` and ``x `[c](c.md)` y``\n```\n[d](d.md)\n```\n[e](e.md#f \"t\")";
    assert_eq!(link_targets(text), ["a.md", "e.md#f"]);
}

#[test]
fn doc_mentions_in_source_text() {
    let text = "\"see runbooks/kms.md#no-kms, docs/iam-permissions.md)\" /// runbooks/FILE.md#anchor \
                README.md#quick-start src/docs/x.md";
    assert_eq!(
        doc_mentions(text),
        [
            ("README.md".to_owned(), Some("quick-start".to_owned())),
            ("docs/iam-permissions.md".to_owned(), None),
            ("runbooks/kms.md".to_owned(), Some("no-kms".to_owned())),
        ]
    );
}
