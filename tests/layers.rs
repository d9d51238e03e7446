//! The shape of `src/` that ARCHITECTURE.md promises (issue 19), checked so that it stays: layers import
//! downward only, with no cycle between the top-level modules; no file holds more than 700 lines of
//! non-test code; no non-test function is longer than 80 lines. Non-test code is what stands before a
//! file's `#[cfg(test)]`, in a file that is not itself a test file.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_FILE_LINES: usize = 700;
const MAX_FN_LINES: usize = 80;

/// (module, modules it must not import): the rules ARCHITECTURE.md states.
const FORBIDDEN: &[(&str, &[&str])] = &[
    (
        "plan",
        &[
            "aws", "observe", "apply", "audit", "commands", "output", "report", "fake",
        ],
    ),
    ("output", &["commands"]),
    (
        "aws",
        &[
            "config", "plan", "observe", "apply", "audit", "commands", "output", "report",
        ],
    ),
    (
        "config",
        &[
            "plan", "aws", "observe", "apply", "audit", "commands", "output",
        ],
    ),
    (
        "world",
        &[
            "config", "plan", "aws", "observe", "apply", "audit", "commands", "output",
        ],
    ),
    (
        "model",
        &[
            "config", "plan", "aws", "world", "observe", "apply", "audit", "commands", "output",
        ],
    ),
];

struct Source {
    /// `src/`-relative path.
    path: String,
    /// The top-level module it belongs to (`plan` for `src/plan/policy/fit.rs`).
    module: String,
    /// Its lines before `#[cfg(test)]`.
    lines: Vec<String>,
}

fn sources() -> Vec<Source> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files: Vec<PathBuf> = Vec::new();
    let mut dirs = vec![src.clone()];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let path = p.strip_prefix(&src).unwrap().display().to_string();
            let module = path
                .split('/')
                .next()
                .unwrap()
                .trim_end_matches(".rs")
                .to_owned();
            let text = std::fs::read_to_string(&p).unwrap();
            let lines = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .map(str::to_owned)
                .collect();
            Source {
                path,
                module,
                lines,
            }
        })
        .filter(|s| !is_test_file(&s.path))
        .collect()
}

fn is_test_file(path: &str) -> bool {
    path.ends_with("/tests.rs")
        || path.ends_with("_tests.rs")
        || path.contains("/tests/")
        || path.ends_with("fixtures.rs")
}

/// `crate::NAME` references outside comments: the top-level modules a file imports.
fn imports(s: &Source) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in &s.lines {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let name: String = rest[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() && name != s.module {
                found.insert(name);
            }
            rest = &rest[i + 7..];
        }
    }
    found
}

#[test]
fn layers_import_downward_only() {
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut bad = Vec::new();
    for s in sources() {
        for dep in imports(&s) {
            if let Some((_, banned)) = FORBIDDEN.iter().find(|(m, _)| *m == s.module)
                && banned.contains(&dep.as_str())
            {
                bad.push(format!("src/{} imports crate::{dep}", s.path));
            }
            edges.entry(s.module.clone()).or_default().insert(dep);
        }
    }
    assert!(
        bad.is_empty(),
        "imports against the layers:\n{}",
        bad.join("\n")
    );
    let cycles = cycles(&edges);
    assert!(
        cycles.is_empty(),
        "cycles between top-level modules: {cycles:?}"
    );
}

/// The strongly connected components of more than one module (Tarjan).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct Walk<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        found: Vec<Vec<String>>,
    }
    fn visit<'a>(w: &mut Walk<'a>, v: &'a str) {
        let n = w.index.len();
        w.index.insert(v, n);
        w.low.insert(v, n);
        w.stack.push(v);
        for u in w.edges.get(v).into_iter().flatten() {
            let u = u.as_str();
            if !w.index.contains_key(u) {
                visit(w, u);
                let lu = w.low[u];
                let lv = w.low.get_mut(v).unwrap();
                *lv = (*lv).min(lu);
            } else if w.stack.contains(&u) {
                let iu = w.index[u];
                let lv = w.low.get_mut(v).unwrap();
                *lv = (*lv).min(iu);
            }
        }
        if w.low[v] == w.index[v] {
            let mut comp = Vec::new();
            while let Some(u) = w.stack.pop() {
                comp.push(u.to_owned());
                if u == v {
                    break;
                }
            }
            if comp.len() > 1 {
                w.found.push(comp);
            }
        }
    }
    let mut w = Walk {
        edges,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        found: Vec::new(),
    };
    for v in edges.keys() {
        if !w.index.contains_key(v.as_str()) {
            visit(&mut w, v.as_str());
        }
    }
    w.found
}

#[test]
fn a_file_holds_one_concept_and_a_function_fits_on_a_screen() {
    let mut long = Vec::new();
    for s in sources() {
        if s.lines.len() > MAX_FILE_LINES {
            long.push(format!(
                "src/{}: {} lines of non-test code",
                s.path,
                s.lines.len()
            ));
        }
        for (start, name, len) in functions(&s.lines) {
            if len > MAX_FN_LINES {
                long.push(format!(
                    "src/{}:{} fn {name}: {len} lines",
                    s.path,
                    start + 1
                ));
            }
        }
    }
    assert!(long.is_empty(), "too long:\n{}", long.join("\n"));
}

/// Each function's first line, name and length in lines, by counting braces outside comments, strings
/// and character literals.
fn functions(lines: &[String]) -> Vec<(usize, String, usize)> {
    let mut found = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let Some(name) = fn_name(line) else { continue };
        let (mut depth, mut started) = (0i64, false);
        let mut j = i;
        while j < lines.len() {
            let code = strip(&lines[j]);
            depth += code.matches('{').count() as i64 - code.matches('}').count() as i64;
            started |= code.contains('{');
            if (!started && depth == 0 && code.contains(';')) || (started && depth <= 0) {
                break;
            }
            j += 1;
        }
        if started {
            found.push((i, name, j - i + 1));
        }
    }
    found
}

/// The name of the function a line starts, if it starts one.
fn fn_name(line: &str) -> Option<String> {
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        match w {
            "pub" | "const" | "async" | "unsafe" | "extern" => continue,
            w if w.starts_with("pub(") => continue,
            "fn" => {
                let name: String = words
                    .next()?
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                return (!name.is_empty()).then_some(name);
            }
            _ => return None,
        }
    }
    None
}

/// A line without its comment, its string literals and its character literals.
fn strip(line: &str) -> String {
    let mut out = String::new();
    let mut chars = line.chars().peekable();
    let mut in_str = false;
    while let Some(c) = chars.next() {
        if in_str {
            match c {
                '\\' => {
                    chars.next();
                }
                '"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_str = true,
            '/' if chars.peek() == Some(&'/') => break,
            '\'' => {
                // a char literal such as '{' or '\'' (a lifetime has no closing quote nearby)
                let ahead: String = chars.clone().take(3).collect();
                if let Some(escaped) = ahead.strip_prefix('\\') {
                    if let Some(end) = escaped.find('\'') {
                        for _ in 0..end + 2 {
                            chars.next();
                        }
                    }
                } else if ahead.chars().nth(1) == Some('\'') {
                    chars.next();
                    chars.next();
                }
            }
            _ => out.push(c),
        }
    }
    out
}
