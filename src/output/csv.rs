//! CSV as RFC 4180 writes it (pure): fields separated by commas, a field quoted when it holds a comma, a
//! quote or a line break (its quotes doubled), records ended by CRLF. `inventory` and `audit` write with it.

use std::io::{self, Write};

/// One record.
pub(super) fn record<S: AsRef<str>>(out: &mut dyn Write, fields: &[S]) -> io::Result<()> {
    let cells: Vec<String> = fields
        .iter()
        .map(|f| {
            let f = f.as_ref();
            if f.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", f.replace('"', "\"\""))
            } else {
                f.to_owned()
            }
        })
        .collect();
    write!(out, "{}\r\n", cells.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_only_what_needs_it() {
        let mut out = Vec::new();
        record(&mut out, &["a", "b,c", "say \"hi\"", "two\nlines"]).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a,\"b,c\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }
}
