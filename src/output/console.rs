//! The person at the terminal: the yes/no question before a write, notes kept apart from the results
//! (stderr) and the progress of a run. [`Terminal`] is the real one (stdin and stderr, I/O); [`Scripted`]
//! answers from a script and keeps a transcript, for tests.

use std::collections::VecDeque;
use std::io::{self, BufRead, IsTerminal};

use crate::progress::SharedProgress;

pub trait Console {
    /// Whether there is someone to ask: without a terminal, a command that writes needs `--yes`.
    fn can_ask(&self) -> bool;
    /// Asks `question [y/N]`; true only for `y`, `Y` or `yes`.
    fn confirm(&mut self, question: &str) -> io::Result<bool>;
    /// Asks `prompt` and reads a line: true only when it is `expected` (an account ID typed out, before a
    /// trail is deleted).
    fn confirm_typed(&mut self, prompt: &str, expected: &str) -> io::Result<bool>;
    /// A line for the person at the terminal that is not part of the results.
    fn note(&mut self, line: &str);
    /// Where a run over the accounts tells its progress: nowhere, unless someone watches.
    fn progress(&self) -> SharedProgress {
        SharedProgress::default()
    }
    /// Whether the results may be coloured: stdout is a terminal that shows colour and NO_COLOR is not set.
    fn colour(&self) -> bool {
        false
    }
}

/// The real terminal: asks on stderr, reads the answer from stdin, writes notes to stderr, and shows
/// progress where `main` gave it a bar.
#[derive(Debug, Default)]
pub struct Terminal {
    progress: SharedProgress,
}

impl Terminal {
    pub fn with_progress(progress: SharedProgress) -> Self {
        Terminal { progress }
    }
}

impl Console for Terminal {
    fn can_ask(&self) -> bool {
        io::stdin().is_terminal()
    }

    fn confirm(&mut self, question: &str) -> io::Result<bool> {
        eprint!("\n{question} [y/N] ");
        let mut answer = String::new();
        io::stdin().lock().read_line(&mut answer)?;
        Ok(is_yes(&answer))
    }

    fn confirm_typed(&mut self, prompt: &str, expected: &str) -> io::Result<bool> {
        eprint!("\n{prompt} ");
        let mut answer = String::new();
        io::stdin().lock().read_line(&mut answer)?;
        Ok(answer.trim() == expected)
    }

    fn note(&mut self, line: &str) {
        eprintln!("{line}");
    }

    fn progress(&self) -> SharedProgress {
        self.progress.clone()
    }

    fn colour(&self) -> bool {
        // https://no-color.org: set and not empty turns colour off
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var_os("TERM").is_some_and(|t| t == "dumb");
        !no_color && !dumb && io::stdout().is_terminal()
    }
}

fn is_yes(answer: &str) -> bool {
    matches!(answer.trim(), "y" | "Y" | "yes")
}

/// A console for tests: answers each question with the next scripted answer (no, once they run out) and
/// records every question and note, in order.
#[derive(Debug, Default)]
pub struct Scripted {
    answers: VecDeque<String>,
    /// What the person at the terminal saw: `note: LINE`, or `ask: QUESTION [y/N] ANSWER`.
    pub transcript: Vec<String>,
}

impl Scripted {
    /// A console that answers `answers`, in order (a terminal is there to ask on).
    pub fn answering(answers: &[&str]) -> Self {
        Scripted {
            answers: answers.iter().map(|a| (*a).to_owned()).collect(),
            transcript: Vec::new(),
        }
    }
}

impl Console for Scripted {
    fn can_ask(&self) -> bool {
        true
    }

    fn confirm(&mut self, question: &str) -> io::Result<bool> {
        let answer = self.answers.pop_front().unwrap_or_default();
        self.transcript
            .push(format!("ask: {question} [y/N] {answer}"));
        Ok(is_yes(&answer))
    }

    fn confirm_typed(&mut self, prompt: &str, expected: &str) -> io::Result<bool> {
        let answer = self.answers.pop_front().unwrap_or_default();
        self.transcript.push(format!("ask: {prompt} {answer}"));
        Ok(answer.trim() == expected)
    }

    fn note(&mut self, line: &str) {
        self.transcript.push(format!("note: {line}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_y_and_yes_are_yes() {
        for yes in ["y\n", "Y", " yes \n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "YES", "yep", "no"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn a_script_that_runs_out_says_no() {
        let mut c = Scripted::answering(&["yes"]);
        assert!(c.confirm("Go?").unwrap());
        assert!(!c.confirm("Again?").unwrap());
        c.note("done");
        assert_eq!(
            c.transcript,
            ["ask: Go? [y/N] yes", "ask: Again? [y/N] ", "note: done"]
        );
    }
}
