//! What the person at the terminal gets besides the results, through the real binary (issue 13): the shell
//! completions and the man page (part 6).

use std::process::{Command, Output, Stdio};

use clap::CommandFactory;
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
