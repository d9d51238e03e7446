//! `trailhub offboard` as a person meets it (issue 23, point 6), against moto: without a terminal, the
//! account's own refusal first, then the preview in the future tense and the refusal for want of --yes;
//! the trail of an account gone from the file found without --trail; and, under tmux, deleting the trail
//! takes the account ID typed out: `y` leaves everything as it was.

use crate::support;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use support::test_env;
use support::trailhub::{MEMBERS, World, static_config};

const PRD: &str = "444444444444";

/// A private tmux server (its own socket and config) running one command in a 120 x 40 pane that stays
/// after the command exits.
struct Pane {
    dir: tempfile::TempDir,
    /// One run under tmux at a time (the progress bar's test in tests/cli.rs watches timing).
    _alone: std::sync::MutexGuard<'static, ()>,
}

impl Pane {
    /// Starts `script` (sh) in the pane. Fails, never skips, when tmux is missing.
    fn start(script: &str) -> Pane {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("tmux.conf"),
            "set -g remain-on-exit on\nset -g status off\nset -g history-limit 20000\n",
        )
        .unwrap();
        let path = dir.path().join("run.sh");
        std::fs::write(&path, script).unwrap();
        let alone = crate::cli::ONE_TMUX_AT_A_TIME
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let pane = Pane { dir, _alone: alone };
        let started = pane
            .tmux()
            .env_remove("TMUX")
            .args(["new-session", "-d", "-s", "t", "-x", "120", "-y", "40"])
            .arg(format!("sh '{}'", path.display()))
            .status()
            .expect("tmux not found: install it with `apt-get install tmux` (.ci/run does this)");
        assert!(started.success(), "tmux new-session failed");
        pane
    }

    fn tmux(&self) -> Command {
        let mut cmd = Command::new("tmux");
        cmd.arg("-S")
            .arg(self.dir.path().join("socket"))
            .arg("-f")
            .arg(self.dir.path().join("tmux.conf"));
        cmd
    }

    /// The pane as a person sees it, scrollback included.
    fn capture(&self) -> String {
        let out = self
            .tmux()
            .args(["capture-pane", "-p", "-t", "t", "-S", "-"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `text`.
    fn wait_for(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(120);
        while !self.capture().contains(text) {
            assert!(
                Instant::now() < deadline,
                "{text:?} never showed:\n{}",
                self.capture()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `keys`, then Enter.
    fn type_line(&self, keys: &str) {
        let ok = self
            .tmux()
            .args(["send-keys", "-t", "t", "-l", keys])
            .status()
            .unwrap();
        assert!(ok.success());
        let ok = self
            .tmux()
            .args(["send-keys", "-t", "t", "Enter"])
            .status()
            .unwrap();
        assert!(ok.success());
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux().arg("kill-server").status();
    }
}

/// A script that runs `trailhub --config FILE offboard ACCOUNT` (no --yes) with the test's environment,
/// stdout and stderr both in the pane, then prints its exit code.
fn offboard_script(w: &World, account: &str, backups: &Path) -> String {
    let mut text = String::from("unset RUST_LOG\n");
    for (k, v) in test_env(&w.proxy.url()) {
        text += &format!("export {k}='{v}'\n");
    }
    text += &format!(
        "'{}' --config '{}' offboard {account} --backup-dir '{}'\necho \"exit code $?\"\n",
        env!("CARGO_BIN_EXE_trailhub"),
        w.config_path().display(),
        backups.display()
    );
    text
}

#[test]
fn offboard_refuses_first_finds_the_trail_and_takes_the_account_id_typed_out() {
    let w = World::start();
    w.write_config(&static_config(&MEMBERS));
    assert_eq!(w.apply().code, 0);
    // PRD leaves the file: its trail's name ({name}-CLOUDTRAIL) can no longer be made from it
    w.write_config(&static_config(&MEMBERS[..2]));

    // no terminal: the account's own refusal first
    let in_scope = w.trailhub(&["offboard", "333333333333"]);
    assert_eq!(in_scope.code, 2, "{in_scope}");
    assert!(in_scope.stderr.contains("still in scope"), "{in_scope}");
    assert!(!in_scope.stderr.contains("--yes"), "{in_scope}");
    // then what it would do, in the future tense, and the refusal for want of --yes
    let gone = w.trailhub(&["offboard", PRD]);
    assert_eq!(gone.code, 2, "{gone}");
    assert!(
        gone.stdout
            .contains("  - trail PRD-CLOUDTRAIL: will be deleted (its log files already in the bucket will stay)"),
        "{gone}"
    );
    assert!(
        gone.stderr
            .contains(&format!("refusing to offboard account {PRD} without --yes")),
        "{gone}"
    );
    assert!(w.trail(PRD, "PRD-CLOUDTRAIL").is_some());

    // at a terminal: `y` is not the account ID, so nothing is done
    let backups = w.backup_dir();
    let pane = Pane::start(&offboard_script(&w, PRD, &backups));
    let prompt = format!("Type the account ID ({PRD}) to offboard it:");
    pane.wait_for(&prompt);
    pane.type_line("y");
    pane.wait_for("exit code 4"); // not applied: the answer was not yes (docs/commands.md)
    let seen = pane.capture();
    assert!(seen.contains("will be deleted"), "{seen}");
    assert!(
        seen.contains(&format!("not applied: nothing was done to account {PRD}")),
        "{seen}"
    );
    assert!(w.trail(PRD, "PRD-CLOUDTRAIL").is_some(), "{seen}");
    drop(pane);

    // the account ID typed out: offboarded
    let pane = Pane::start(&offboard_script(&w, PRD, &backups));
    pane.wait_for(&prompt);
    pane.type_line(PRD);
    pane.wait_for("exit code 0");
    let seen = pane.capture();
    assert!(
        seen.contains(&format!("deleted trail PRD-CLOUDTRAIL in account {PRD}")),
        "{seen}"
    );
    assert!(
        seen.contains(&format!("account {PRD} offboarded")),
        "{seen}"
    );
    assert_eq!(w.trail(PRD, "PRD-CLOUDTRAIL"), None);
}
