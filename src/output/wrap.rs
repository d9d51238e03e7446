//! Text for people fits 100 columns (issue 23 point 3): a long line breaks between its items (after `, `
//! or `; `, outside parentheses first), between words only when one item alone is too long, and its
//! continuation lines are indented under it. The account tables wrap their last column in the room the
//! other columns leave; [`Fit`] wraps every other line a report writes (pure).

use std::io::{self, Write};

/// The widest line of text output, in columns (characters).
pub const WIDTH: usize = 100;

/// The narrowest a table's last column is made, however wide the columns before it are.
const NARROWEST: usize = 30;

/// `line` as lines of at most `width` columns, the first as it starts and the others `hang` columns deeper
/// than it starts. A word wider than the room (a long ARN in a narrow column) is left whole on a line of
/// its own, the one case of a wider line: cut, it could not be copied.
pub fn wrap(line: &str, width: usize, hang: usize) -> Vec<String> {
    let line = line.trim_end();
    let body = line.trim_start_matches(' ');
    let lead = line.len() - body.len();
    let mut lines = Vec::new();
    let mut rest = body;
    let mut prefix = " ".repeat(lead);
    let continued = " ".repeat((lead + hang).min(width / 2));
    loop {
        let room = width.saturating_sub(prefix.len()).max(1);
        if rest.chars().count() <= room {
            lines.push(format!("{prefix}{rest}"));
            return lines;
        }
        let (head, tail) = split(rest, room);
        lines.push(format!("{prefix}{}", head.trim_end()));
        rest = tail.trim_start();
        if rest.is_empty() {
            return lines;
        }
        prefix.clone_from(&continued);
    }
}

/// `s` cut before `room` columns: after the last item separator outside parentheses, else the last one
/// inside, else at the last space outside parentheses, else at the last space, else (one word wider than
/// the room) after that word. A break that would leave less than a third of the room used is passed over
/// for the next kind.
fn split(s: &str, room: usize) -> (&str, &str) {
    let mut outer = None;
    let mut inner = None;
    let mut outer_space = None;
    let mut space = None;
    let mut depth = 0usize;
    let mut previous = ' ';
    for (n, (i, c)) in s.char_indices().enumerate() {
        if n >= room {
            break;
        }
        if c == ' ' {
            space = Some(i);
            if depth == 0 {
                outer_space = Some(i);
            }
            if previous == ',' || previous == ';' {
                if depth == 0 {
                    outer = Some(i);
                }
                inner = Some(i);
            }
        }
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
        previous = c;
    }
    let enough = |at: &Option<usize>| at.filter(|&i| s[..i].chars().count() * 3 >= room);
    let at = enough(&outer)
        .or_else(|| enough(&inner))
        .or_else(|| enough(&outer_space))
        .or(space.filter(|&i| i > 0))
        .unwrap_or_else(|| s.find(' ').unwrap_or(s.len()));
    s.split_at(at)
}

/// The width of a table's last column: what `offset` (where it starts) leaves of [`WIDTH`].
pub fn last_column(offset: usize) -> usize {
    WIDTH.saturating_sub(offset).max(NARROWEST)
}

/// A cell's text wrapped to `width`: each of its lines (an account's parts) on its own, continued two
/// columns deeper.
pub fn cell(text: &str, width: usize) -> String {
    let lines: Vec<String> = text.lines().flat_map(|l| wrap(l, width, 2)).collect();
    lines.join("\n")
}

/// A writer that wraps each line written through it to [`WIDTH`], continued two columns deeper than the
/// line starts. Lines are written as they end; [`Fit::finish`] (or dropping it) writes an unfinished one.
pub struct Fit<'a> {
    out: &'a mut dyn Write,
    line: Vec<u8>,
}

impl<'a> Fit<'a> {
    pub fn new(out: &'a mut dyn Write) -> Self {
        Fit {
            out,
            line: Vec::new(),
        }
    }

    /// Writes what is left of the last line, unwrapped by a newline if it had none.
    pub fn finish(mut self) -> io::Result<()> {
        self.write_line(false)
    }

    fn write_line(&mut self, newline: bool) -> io::Result<()> {
        if self.line.is_empty() && !newline {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&self.line).into_owned();
        self.line.clear();
        let lines = wrap(&text, WIDTH, 2);
        let last = lines.len() - 1;
        for (n, l) in lines.iter().enumerate() {
            self.out.write_all(l.as_bytes())?;
            if n < last || newline {
                self.out.write_all(b"\n")?;
            }
        }
        Ok(())
    }
}

impl Write for Fit<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut rest = buf;
        while let Some(end) = rest.iter().position(|&b| b == b'\n') {
            self.line.extend_from_slice(&rest[..end]);
            self.write_line(true)?;
            rest = &rest[end + 1..];
        }
        self.line.extend_from_slice(rest);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

impl Drop for Fit<'_> {
    fn drop(&mut self) {
        let _ = self.write_line(false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn widest(lines: &[String]) -> usize {
        lines.iter().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    #[test]
    fn a_short_line_is_left_as_it_is() {
        assert_eq!(wrap("policy: up to date", 100, 2), ["policy: up to date"]);
    }

    #[test]
    fn a_long_line_breaks_between_items_outside_parentheses_first() {
        let line = "flow logs (20 VPCs in 20 Regions): log group /trailhub/vpc-flow-logs: create (365 days), role TrailhubFlowLogsToLogs: create (policy trailhub-flow-logs-to-logs, kept)";
        let lines = wrap(line, 60, 2);
        assert_eq!(
            lines,
            [
                "flow logs (20 VPCs in 20 Regions): log group",
                "  /trailhub/vpc-flow-logs: create (365 days),",
                "  role TrailhubFlowLogsToLogs: create",
                "  (policy trailhub-flow-logs-to-logs, kept)",
            ]
        );
        assert!(widest(&lines) <= 60);
    }

    #[test]
    fn items_go_whole_to_the_next_line() {
        let items: Vec<String> = (1..=9).map(|n| format!("create vpc-{n:04} (s3)")).collect();
        let lines = wrap(&items.join(", "), 50, 2);
        assert_eq!(
            lines,
            [
                "create vpc-0001 (s3), create vpc-0002 (s3),",
                "  create vpc-0003 (s3), create vpc-0004 (s3),",
                "  create vpc-0005 (s3), create vpc-0006 (s3),",
                "  create vpc-0007 (s3), create vpc-0008 (s3),",
                "  create vpc-0009 (s3)",
            ]
        );
    }

    #[test]
    fn a_word_wider_than_the_room_is_left_whole_on_its_own_line() {
        let arn = "arn:aws:cloudtrail:ap-northeast-2:123456789012:trail/OrganizationTrail";
        let lines = wrap(&format!("covered by {arn}, kept"), 40, 2);
        assert_eq!(
            lines,
            ["covered by", format!("  {arn},").as_str(), "  kept"]
        );
    }

    #[test]
    fn the_writer_wraps_each_line_under_its_own_indent() {
        let mut out = Vec::new();
        let mut fit = Fit::new(&mut out);
        let long = "word ".repeat(30);
        write!(fit, "short\n    {long}\nunfinished").unwrap();
        fit.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "short");
        assert!(lines[1].starts_with("    word") && lines[2].starts_with("      word"));
        assert_eq!(lines.last(), Some(&"unfinished"));
        assert!(!text.ends_with('\n'));
        assert!(lines.iter().all(|l| l.chars().count() <= WIDTH));
    }

    #[test]
    fn a_cell_wraps_each_of_its_lines() {
        let text = format!("trail: create trail\nflow logs: {}", "a, ".repeat(40));
        let wrapped = cell(&text, 40);
        assert!(wrapped.starts_with("trail: create trail\nflow logs: a, a,"));
        assert!(wrapped.lines().all(|l| l.chars().count() <= 40));
        assert!(wrapped.lines().skip(2).all(|l| l.starts_with("  a")));
    }
}
