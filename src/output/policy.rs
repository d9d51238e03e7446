//! `trailhub policy`: the bucket policy `apply` would write, and the form it is written in (pure rendering).

use std::io::{self, Write};

use serde_json::Value;

use super::{Console, Render, print_json};
use crate::plan::policy::{Merged, SIZE_LIMIT};

/// The document itself (text), the document with its form and size (JSON), or both for a ticket
/// (Markdown). In text, the form goes to the console so that stdout stays the document alone, ready for a
/// pipe.
impl Render for Merged {
    fn text(&self, out: &mut dyn Write, console: &mut dyn Console) -> io::Result<()> {
        console.note(&format!("policy form: {}", form_line(self)));
        print_json(out, &self.policy)
    }

    fn json(&self) -> serde_json::Result<Value> {
        let mut v = serde_json::to_value(self)?;
        v["policy"] = self.policy.clone();
        Ok(v)
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        writeln!(out, "**policy form:** {}\n", form_line(self))?;
        writeln!(out, "```json")?;
        print_json(out, &self.policy)?;
        writeln!(out, "```")
    }
}

/// "exact, 1289 of 20480 bytes" and, when a more specific form was passed over, why.
pub(super) fn form_line(p: &Merged) -> String {
    let mut line = format!("{}, {} of {SIZE_LIMIT} bytes", p.form.name(), p.size);
    let passed: Vec<String> = p
        .form_sizes
        .iter()
        .filter(|f| f.form != p.form)
        .map(|f| match (&f.size, &f.unusable) {
            (Some(n), _) => format!("{} would be {n} bytes", f.form.name()),
            (None, Some(why)) => format!("{} cannot be used: {why}", f.form.name()),
            (None, None) => format!("{} not tried", f.form.name()),
        })
        .collect();
    if !passed.is_empty() {
        line += &format!(" (the most specific form that fits: {})", passed.join("; "));
    }
    line
}
