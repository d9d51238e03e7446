//! What the person at the terminal gets besides the results, through the real binary (issue 13): the shell
//! completions and the man page (part 6), and the progress bar, seen the way a person sees it: trailhub run
//! under tmux over moto, its pane captured while it runs and when it is done (part 5).

use crate::support;

use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use clap::CommandFactory;
use support::trailhub::{Out, World, static_config};
use support::{Fault, Rule, apply_test_env, test_env};
use trailhub::cli::Cli;

/// `trailhub ARGS` in an empty directory (no accounts.toml), with no AWS setting at all.
fn trailhub(args: &[&str]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_trailhub"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("AWS_") {
            cmd.env_remove(key);
        }
    }
    cmd.current_dir(dir.path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("cannot start the trailhub binary")
}

/// Every command a user can type, from the clap definitions; the ones named here must be among them.
fn subcommands() -> Vec<String> {
    let names: Vec<String> = Cli::command()
        .get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_owned())
        .collect();
    for known in [
        "policy",
        "plan",
        "apply",
        "restore-policy",
        "audit",
        "completions",
        "man",
        "permissions",
        "offboard",
    ] {
        assert!(names.iter().any(|n| n == known), "{known} in {names:?}");
    }
    names
}

fn stdout(out: &Output) -> String {
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

#[test]
fn completions_name_every_command_in_every_shell() {
    let bash = stdout(&trailhub(&["completions", "bash"]));
    assert!(bash.contains("complete -F _trailhub"), "{bash}");
    for name in subcommands() {
        assert!(
            bash.contains(&name),
            "bash completion lacks {name}:\n{bash}"
        );
    }
    assert!(
        bash.contains("--backup-dir") && bash.contains("--max-age"),
        "{bash}"
    );
    for shell in ["zsh", "fish", "powershell"] {
        let script = stdout(&trailhub(&["completions", shell]));
        for name in subcommands() {
            assert!(script.contains(&name), "{shell} completion lacks {name}");
        }
    }
    let bad = trailhub(&["completions", "tcsh"]);
    assert_eq!(bad.status.code(), Some(2));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.contains("possible values: bash, elvish, fish, powershell, zsh"),
        "{said}"
    );
}

#[test]
fn the_man_page_is_roff_with_every_command() {
    let page = stdout(&trailhub(&["man"]));
    let title = page
        .lines()
        .find(|l| l.starts_with(".TH "))
        .unwrap_or_else(|| panic!("no .TH line:\n{page}"));
    assert!(title.starts_with(".TH trailhub 1 "), "{title}");
    for section in [".SH NAME", ".SH SYNOPSIS", ".SH OPTIONS", ".SH COMMANDS"] {
        assert!(page.contains(section), "{section} missing:\n{page}");
    }
    for name in subcommands() {
        let heading = format!(".SS \"trailhub {name}\"");
        assert!(page.contains(&heading), "{heading} missing:\n{page}");
    }
    // the options of a command and the global ones (roff escapes the dashes)
    for option in [
        "\\-\\-backup\\-dir",
        "\\-\\-max\\-age",
        "\\-\\-endpoint\\-url",
    ] {
        assert!(page.contains(option), "{option} missing:\n{page}");
    }
}

const TMUX_HOW_TO: &str = "tmux not found: the progress bar is tested the way a person sees it, in a \
                           terminal under tmux. Install it with `apt-get install tmux` (.ci/run does this)";
/// A run under tmux that takes longer than this is a hang.
const TMUX_RUN_TIMEOUT: Duration = Duration::from_secs(120);

/// A private tmux server (its own socket, its own config) in a temporary directory.
struct Tmux {
    dir: tempfile::TempDir,
    /// Keys typed (then Enter) once the pane shows the text: a person answering a question.
    answer: Option<(String, String)>,
    /// stdout goes to the pane too (not to a file), and the pane is captured with its colours (`-e`).
    stdout_in_pane: bool,
    /// More environment for trailhub (NAME, value).
    env: Vec<(&'static str, &'static str)>,
    /// One run under tmux at a time: the progress bar's test watches timing, which a second terminal run
    /// beside it would disturb.
    _alone: std::sync::MutexGuard<'static, ()>,
}

/// Held by every test's run under tmux (tests/offboard.rs's too).
pub(crate) static ONE_TMUX_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// What a run under tmux showed: the exit code, stdout (redirected to a file: only stderr reaches the
/// pane), the first capture of the pane that `mid_run` accepted, and the pane once the run was over.
struct Seen {
    code: i32,
    stdout: String,
    mid_run: Option<String>,
    end: String,
}

impl Tmux {
    /// Fails, never skips, when tmux is missing.
    fn new() -> Tmux {
        match Command::new("tmux").arg("-V").output() {
            Ok(o) if o.status.success() => {}
            _ => panic!("{TMUX_HOW_TO}"),
        }
        let dir = tempfile::tempdir().unwrap();
        // the pane stays after trailhub exits (to be captured), without a status line, 120 x 40
        std::fs::write(
            dir.path().join("tmux.conf"),
            "set -g remain-on-exit on\nset -g status off\nset -g history-limit 20000\n",
        )
        .unwrap();
        Tmux {
            dir,
            answer: None,
            stdout_in_pane: false,
            env: Vec::new(),
            _alone: ONE_TMUX_AT_A_TIME
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        }
    }

    /// Types `keys` and Enter when the pane shows `prompt`.
    fn answering(mut self, prompt: &str, keys: &str) -> Tmux {
        self.answer = Some((prompt.to_owned(), keys.to_owned()));
        self
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S")
            .arg(self.dir.path().join("socket"))
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"));
        cmd
    }

    /// The pane, scrollback included, as a person sees it (no escape sequences; with `stdout_in_pane`,
    /// with its colours as SGR sequences).
    fn capture(&self) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "trailhub", "-S", "-"];
        if self.stdout_in_pane {
            args.push("-e");
        }
        let out = self.tmux().args(args).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// `trailhub --config FILE ARGS` of `w` (through its proxy) in a new tmux window: stderr is the pane,
    /// stdout goes to a file. The pane is captured every 20 ms while it runs.
    fn run(&self, w: &World, args: &[&str], mid_run: impl Fn(&str) -> bool) -> Seen {
        let out = self.dir.path().join("stdout");
        let code = self.dir.path().join("code");
        let _ = std::fs::remove_file(&code);
        let script = self.dir.path().join("run.sh");
        let mut text = String::from("unset RUST_LOG\n");
        for (k, v) in test_env(&w.proxy.url()) {
            text += &format!("export {k}='{v}'\n");
        }
        for (k, v) in &self.env {
            text += &format!("export {k}='{v}'\n");
        }
        let config = w.config_path();
        let quoted: Vec<String> = args.iter().map(|a| format!("'{a}'")).collect();
        let redirect = match self.stdout_in_pane {
            true => {
                std::fs::write(&out, "").unwrap();
                String::new()
            }
            false => format!("> '{}'", out.display()),
        };
        text += &format!(
            "'{}' --config '{}' {} {redirect}\necho $? > '{}'\n",
            env!("CARGO_BIN_EXE_trailhub"),
            config.display(),
            quoted.join(" "),
            code.display()
        );
        std::fs::write(&script, text).unwrap();
        let mut start = self.tmux();
        apply_test_env(&mut start, &w.proxy.url());
        let started = start
            .env_remove("TMUX")
            .env_remove("RUST_LOG")
            .args([
                "new-session",
                "-d",
                "-s",
                "trailhub",
                "-x",
                "120",
                "-y",
                "40",
            ])
            .arg(format!("sh '{}'", script.display()))
            .output()
            .unwrap();
        assert!(
            started.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&started.stderr)
        );
        let deadline = Instant::now() + TMUX_RUN_TIMEOUT;
        let mut seen_mid_run = None;
        let mut to_answer = self.answer.clone();
        while !code.exists() {
            if let Some((prompt, keys)) = &to_answer
                && self.capture().contains(prompt.as_str())
            {
                let typed = self
                    .tmux()
                    .args(["send-keys", "-t", "trailhub", keys.as_str(), "Enter"])
                    .status()
                    .unwrap();
                assert!(typed.success(), "tmux send-keys failed");
                to_answer = None;
            }
            assert!(
                Instant::now() < deadline,
                "trailhub {args:?} did not finish under tmux:\n{}",
                self.capture()
            );
            if seen_mid_run.is_none() {
                let pane = self.capture();
                if mid_run(&pane) {
                    seen_mid_run = Some(pane);
                }
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        // what trailhub wrote last is in the pane once tmux has read it
        std::thread::sleep(Duration::from_millis(300));
        let end = self.capture();
        self.kill_server();
        let code = std::fs::read_to_string(&code)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        Seen {
            code,
            stdout: std::fs::read_to_string(&out).unwrap(),
            mid_run: seen_mid_run,
            end,
        }
    }
}

impl Tmux {
    /// Ends the server and waits until it is gone: a session of the next run started while the old server
    /// is still exiting would be refused as a duplicate (seen on a loaded machine).
    fn kill_server(&self) {
        let _ = self.tmux().arg("kill-server").output();
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline
            && self
                .tmux()
                .args(["has-session", "-t", "trailhub"])
                .output()
                .is_ok_and(|o| o.status.success())
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").output();
    }
}

/// The bar's lines for `phase` in `pane`: (accounts done, total).
fn bar_counts(pane: &str, phase: &str) -> Vec<(usize, usize)> {
    pane.lines()
        .filter_map(|l| l.strip_prefix(&format!("{phase}: ")))
        .filter_map(|rest| {
            let rest = rest.split("] ").last()?;
            let (counts, tail) = rest.split_once(" accounts, ")?;
            let (done, total) = counts.split_once('/')?;
            tail.contains(" failed, ").then_some(())?;
            Some((done.parse().ok()?, total.parse().ok()?))
        })
        .collect()
}

/// Whether `pane` shows `phase`'s bar running part way: `[===>   ] N/total accounts, K failed, T left`
/// with some but not all of `total` accounts done.
fn part_way(pane: &str, phase: &str, total: usize) -> bool {
    pane.lines()
        .filter(|l| l.starts_with(&format!("{phase}: [")) && l.trim_end().ends_with(" left"))
        .flat_map(|l| bar_counts(l, phase))
        .any(|(done, t)| t == total && done < total)
}

/// Nothing of the bar where stderr is not a terminal.
fn no_bar(out: &Out) {
    for phase in ["observing: ", "applying: ", "auditing: "] {
        assert!(!out.stderr.contains(phase), "{out}");
    }
    assert!(
        !out.stderr.contains('\r') && !out.stderr.contains('\x1b'),
        "{out}"
    );
}

/// Each line of the panes is a log line or the bar's, never both: the bar is lifted for each log line.
fn lines_apart(seen: &Seen, said: &str) {
    let panes = seen
        .end
        .lines()
        .chain(seen.mid_run.iter().flat_map(|p| p.lines()));
    for line in panes {
        let bar = line.contains(" accounts, ") && line.contains(" failed");
        let log = line.contains(" INFO ") || line.contains(" WARN ");
        assert!(
            !(bar && log),
            "a log line and the bar share a line: {line:?}\n{said}"
        );
        if bar {
            let phase = ["observing: ", "applying: ", "auditing: "];
            assert!(
                phase.iter().any(|p| line.starts_with(p)),
                "{line:?}\n{said}"
            );
        }
    }
}

/// Issue 13, part 5: `plan`, `apply` and `audit` over 200 accounts under tmux draw the bar on stderr (its
/// phase, the accounts done of the total, the failures so far and the time left) while they run and leave
/// each phase's last line; log lines (warnings, -v) pass above the bar, never through it; `--no-progress` and a stderr that
/// is not a terminal show nothing of it; stdout holds nothing of it, and is byte for byte what it is without a
/// terminal.
#[test]
fn the_progress_bar_shows_on_a_terminal_and_nowhere_else() {
    let tmux = Tmux::new();
    let w = World::start();
    let members: Vec<(String, String)> = (0..200)
        .map(|i| (format!("{:012}", 300_000_000_000_u64 + i), format!("M{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = members
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    w.write_config(&static_config(&refs));
    let total = 201; // and the central account
    let report = |what: &str, seen: &Seen| {
        format!(
            "{what}: exit {}\n--- mid-run pane ---\n{}\n--- last pane ---\n{}",
            seen.code,
            seen.mid_run.as_deref().unwrap_or("(none)"),
            seen.end
        )
    };

    // plan, three roles refusing AssumeRole: without a terminal, then under tmux
    for id in ["300000000007", "300000000077", "300000000177"] {
        w.proxy.add_rule(
            Rule::on("sts", "AssumeRole")
                .role_contains(id)
                .always(Fault::AccessDenied),
        );
    }
    let piped = w.trailhub(&["plan"]);
    assert_eq!(piped.code, 1, "{piped}");
    assert_eq!(piped.stderr.matches(" WARN ").count(), 3, "{piped}");
    no_bar(&piped);
    let seen = tmux.run(&w, &["plan"], |p| part_way(p, "observing", total));
    let said = report("plan", &seen);
    assert_eq!(seen.code, 1, "{said}");
    assert_eq!(seen.stdout, piped.stdout, "{said}");
    let last = format!("observing: {total}/{total} accounts, 3 failed, in ");
    assert!(seen.end.contains(&last), "{said}");
    assert_eq!(seen.end.matches(" WARN ").count(), 3, "{said}");
    lines_apart(&seen, &said);
    w.proxy.clear_rules();

    // apply under tmux with -v logs (the byte-for-byte comparison is plan's: a piped apply of 201 more
    // accounts would double the test's time for the same stdout machinery)
    let backups = w.backup_dir();
    let apply = [
        "apply",
        "--yes",
        "--backup-dir",
        backups.to_str().unwrap(),
        "-v",
    ];
    let seen = tmux.run(&w, &apply, |p| part_way(p, "applying", total));
    let said = report("apply -v", &seen);
    assert_eq!(seen.code, 0, "{said}");
    assert!(
        seen.mid_run.is_some(),
        "the bar never seen part way: {said}"
    );
    for phase in ["observing", "applying"] {
        let counts = bar_counts(&seen.end, phase);
        assert!(counts.contains(&(total, total)), "{phase}: {said}");
    }
    let summary = format!(
        "summary: {total} accounts: {total} converged ({total} changed, 0 unchanged), 0 failed\n"
    );
    assert!(seen.stdout.ends_with(&summary), "{said}");
    for bar in ["observing: ", "applying: ", "\r", "\x1b"] {
        assert!(!seen.stdout.contains(bar), "{bar:?} on stdout: {said}");
    }
    let logs = seen.end.lines().filter(|l| l.contains(" INFO ")).count();
    assert!(logs >= total, "-v logs each account's outcome: {said}");
    lines_apart(&seen, &said);

    // audit: its two phases; the report, on stdout, has nothing of the bar
    let seen = tmux.run(&w, &["audit"], |p| !bar_counts(p, "observing").is_empty());
    let said = report("audit", &seen);
    assert_eq!(seen.code, 0, "{said}");
    assert!(seen.mid_run.is_some(), "{said}");
    for phase in ["observing", "auditing"] {
        let counts = bar_counts(&seen.end, phase);
        assert!(counts.contains(&(total, total)), "{phase}: {said}");
    }
    lines_apart(&seen, &said);
    let coverage = format!("coverage: {total}/{total} accounts (100.0%)\n");
    assert!(seen.stdout.ends_with(&coverage), "{said}");
    for bar in ["observing: ", "auditing: ", "\r", "\x1b"] {
        assert!(!seen.stdout.contains(bar), "{bar:?} on stdout: {said}");
    }

    // --no-progress: nothing of the bar on the terminal either (three accounts are enough to say so)
    w.write_config(&static_config(&refs[..2]));
    let quiet = tmux.run(&w, &["plan", "--no-progress"], |_| false);
    let said = report("plan --no-progress", &quiet);
    assert_eq!(quiet.code, 0, "{said}");
    assert!(quiet.stdout.contains("summary: "), "{said}");
    assert!(
        !quiet.end.contains("observing") && !quiet.end.contains(" accounts, "),
        "{said}"
    );
}

/// Issue 23, point 1: a "no" at apply's question, typed in a terminal, is not an error: exit 4, `not
/// applied`, and nothing made.
#[test]
fn a_no_at_the_question_exits_4_under_tmux() {
    let tmux = Tmux::new().answering("Apply these changes? [y/N]", "n");
    let w = World::start();
    w.write_config(&static_config(&support::trailhub::MEMBERS));
    let backups = w.backup_dir();
    let seen = tmux.run(
        &w,
        &["apply", "--backup-dir", backups.to_str().unwrap()],
        |_| false,
    );
    assert_eq!(seen.code, 4, "{}\n{}", seen.stdout, seen.end);
    assert!(
        seen.end.contains("Apply these changes? [y/N] n"),
        "{}",
        seen.end
    );
    assert!(seen.stdout.ends_with("not applied\n"), "{}", seen.stdout);
    assert!(w.trail("222222222222", "DEV-CLOUDTRAIL").is_none());
    assert!(!w.buckets().contains(&support::trailhub::BUCKET.to_owned()));
}

/// `sh -c SCRIPT` with the test's AWS settings pointing at `url`: (the exit code the script prints last,
/// stderr).
fn shell(url: &str, script: &str) -> (String, String) {
    let mut cmd = Command::new("bash");
    apply_test_env(&mut cmd, url);
    let out = cmd
        .env("TRAILHUB", env!("CARGO_BIN_EXE_trailhub"))
        .env_remove("RUST_LOG")
        .args(["-c", script])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Issue 23, point 7: `trailhub ... | head` ends quietly when the reader goes away: no "Broken pipe",
/// and the command's own exit code (0 here), through a real pipe.
#[test]
fn a_closed_pipe_ends_quietly() {
    let w = World::start();
    w.write_config(&static_config(&support::trailhub::MEMBERS));
    let config = w.config_path();
    let config = config.to_str().unwrap();
    for pipe in [
        "\"$TRAILHUB\" man | head -n 1".to_owned(),
        // `true` reads nothing and leaves at once: every write meets the closed pipe
        "\"$TRAILHUB\" man | true".to_owned(),
        "\"$TRAILHUB\" completions zsh | true".to_owned(),
        format!("\"$TRAILHUB\" --config '{config}' plan | head -n 2"),
        format!("\"$TRAILHUB\" --config '{config}' plan | true"),
        format!("\"$TRAILHUB\" --config '{config}' policy --format json | true"),
    ] {
        let (out, err) = shell(
            &w.proxy.url(),
            &format!("{pipe}; echo \"exit=${{PIPESTATUS[0]}}\""),
        );
        assert!(out.trim_end().ends_with("exit=0"), "{pipe}: {out}\n{err}");
        assert!(
            !err.contains("Broken pipe") && !err.contains("error"),
            "{pipe}: {err}"
        );
    }
}

/// Issue 23, point 7: each command's `--format` offers only the values it takes, in the completions and
/// the help; hidden options are in no completion script.
#[test]
fn completions_offer_each_commands_formats_and_no_hidden_option() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout(&trailhub(&["completions", shell]));
        assert!(!script.contains("org-page-size"), "{shell}:\n{script}");
    }
    let bash = stdout(&trailhub(&["completions", "bash"]));
    let formats: Vec<&str> = bash
        .lines()
        .filter(|l| l.contains("compgen -W \"text json"))
        .map(|l| l.split('"').nth(1).unwrap())
        .collect();
    // policy, plan, apply, restore-policy, offboard: text json markdown; audit and permissions their own
    assert_eq!(
        formats
            .iter()
            .filter(|f| **f == "text json markdown")
            .count(),
        5,
        "{formats:?}"
    );
    assert!(
        formats.contains(&"text json markdown html junit csv ocsf asff"),
        "{formats:?}"
    );
    assert!(
        formats.contains(&"text json markdown cloudformation"),
        "{formats:?}"
    );
    let plan = stdout(&trailhub(&["plan", "--help"]));
    assert!(
        plan.contains("[possible values: text, json, markdown]") || plan.contains("- markdown:"),
        "{plan}"
    );
    assert!(!plan.contains("html"), "{plan}");
    let wrong = trailhub(&["plan", "--format", "html"]);
    assert_eq!(wrong.status.code(), Some(2));
    let said = String::from_utf8_lossy(&wrong.stderr);
    assert!(
        said.contains("[possible values: text, json, markdown]"),
        "{said}"
    );
}

/// Issue 23, point 7: each command's help lists its own options first, the global ones after, then
/// examples.
#[test]
fn help_lists_the_commands_own_options_first_with_examples() {
    for (command, own) in [
        ("plan", "--out"),
        ("apply", "--backup-dir"),
        ("audit", "--max-age"),
        ("offboard", "--trail"),
        ("permissions", "--read-only"),
    ] {
        let help = stdout(&trailhub(&[command, "--help"]));
        let at = |what: &str| help.find(what).unwrap_or_else(|| panic!("{what}: {help}"));
        assert!(at(own) < at("Global options:"), "{command}: {help}");
        assert!(at("Global options:") < at("--config"), "{command}: {help}");
        assert!(at("--config") < at("Example"), "{command}: {help}");
        assert!(
            help.contains(&format!("  trailhub {command}")),
            "{command}: {help}"
        );
    }
}

/// Issue 23, point 3: `plan --diff` in a terminal colours the diff (added lines green); with NO_COLOR set
/// it is plain. Seen in the pane, escape sequences included.
#[test]
fn the_diff_is_coloured_in_a_terminal_unless_no_color() {
    let w = World::start();
    w.write_config(&static_config(&support::trailhub::MEMBERS));
    let mut tmux = Tmux::new();
    tmux.stdout_in_pane = true;
    // the tests' environment sets NO_COLOR; empty, as no-color.org says, it does not count
    tmux.env.push(("NO_COLOR", ""));
    let seen = tmux.run(&w, &["plan", "--diff", "--no-progress"], |_| false);
    assert_eq!(seen.code, 0, "{}", seen.end);
    assert!(
        seen.end
            .contains("bucket policy of sec-cloudtrail-log (planned)"),
        "{}",
        seen.end
    );
    assert!(
        seen.end.contains("\x1b[32m+"),
        "no green added line:\n{}",
        seen.end
    );

    drop(tmux);
    let mut tmux = Tmux::new();
    tmux.stdout_in_pane = true;
    tmux.env.push(("NO_COLOR", "1"));
    let plain = tmux.run(&w, &["plan", "--diff", "--no-progress"], |_| false);
    assert_eq!(plain.code, 0, "{}", plain.end);
    assert!(plain.end.contains("(planned)"), "{}", plain.end);
    assert!(
        !plain.end.contains("\x1b[32m"),
        "colour under NO_COLOR:\n{}",
        plain.end
    );
}
