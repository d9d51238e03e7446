//! `trailhub completions SHELL` and `trailhub man` (no I/O but the writer): a shell's completion script and
//! the man page, both generated from the clap definitions in `cli`, so that they cannot drift from the
//! parser. Neither needs the accounts file or AWS.

use std::io::{self, Write};

use clap::CommandFactory;
use clap_complete::Shell;
use clap_mangen::Man;

use crate::cli::Cli;

/// The completion script for `shell`.
pub fn completions(shell: Shell, out: &mut dyn Write) -> io::Result<()> {
    let mut built = Cli::command();
    built.build();
    let mut cmd = visible(&built);
    // generated whole first: clap_complete panics on a failed write (a closed pipe); `out` returns it
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "trailhub", &mut script);
    out.write_all(&script)
}

/// `cmd` (built: each command holds the global options) without its hidden options and commands, for the
/// completion scripts: clap_complete offers every option it is given, hidden or not.
fn visible(cmd: &clap::Command) -> clap::Command {
    let mut out = clap::Command::new(cmd.get_name().to_owned());
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        out = out.version(version.to_owned());
    }
    for arg in cmd.get_arguments() {
        // clap adds --help and --version again when this one is built
        let own = !["help", "version"].contains(&arg.get_id().as_str());
        if own && !arg.is_hide_set() {
            out = out.arg(arg.clone().global(false));
        }
    }
    for sub in cmd.get_subcommands() {
        if !sub.is_hide_set() && sub.get_name() != "help" {
            out = out.subcommand(visible(sub));
        }
    }
    out
}

/// trailhub(1), one page: the name, synopsis, description and global options, then a COMMANDS section with
/// each command's synopsis, description and options, so that `man trailhub` shows every option (rather
/// than naming trailhub-apply(1) and pages that would have to be installed one by one).
pub fn man(out: &mut dyn Write) -> io::Result<()> {
    let cli = Cli::command();
    let page = Man::new(cli.clone());
    // roff's preamble (it defines the apostrophe) comes with the title, once
    page.render_title(out)?;
    let top: [RenderSection; 4] = [
        Man::render_name_section,
        Man::render_synopsis_section,
        Man::render_description_section,
        Man::render_options_section,
    ];
    for render in top {
        out.write_all(section(&page, render, false)?.as_bytes())?;
    }
    writeln!(out, ".SH COMMANDS")?;
    for sub in cli.get_subcommands().filter(|s| !s.is_hide_set()) {
        let name = format!("trailhub {}", sub.get_name());
        writeln!(out, ".SS \"{name}\"")?;
        let sub_page = Man::new(sub.clone().bin_name(name));
        let parts: [RenderSection; 2] = [
            Man::render_synopsis_section,
            Man::render_description_section,
        ];
        for render in parts {
            out.write_all(section(&sub_page, render, true)?.as_bytes())?;
            writeln!(out, ".PP")?;
        }
        out.write_all(section(&sub_page, Man::render_options_section, true)?.as_bytes())?;
    }
    out.write_all(section(&page, Man::render_version_section, false)?.as_bytes())
}

type RenderSection = fn(&Man, &mut dyn Write) -> io::Result<()>;

/// One section as clap_mangen renders it, without roff's preamble (written once, with the title) and, for a
/// command's part of the COMMANDS section, without its `.SH` heading.
fn section(page: &Man, render: RenderSection, headless: bool) -> io::Result<String> {
    let mut buf = Vec::new();
    render(page, &mut buf)?;
    let text = String::from_utf8_lossy(&buf);
    let mut kept = String::new();
    for line in text.lines() {
        let preamble = line.starts_with(".ie \\n(.g .ds Aq") || line.starts_with(".el .ds Aq");
        if preamble || (headless && line.starts_with(".SH ")) {
            continue;
        }
        kept.push_str(line);
        kept.push('\n');
    }
    Ok(kept)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_man_page_has_one_preamble_and_every_command() {
        let mut page = Vec::new();
        man(&mut page).unwrap();
        let page = String::from_utf8(page).unwrap();
        assert_eq!(page.matches(".ds Aq").count(), 2, "{page}");
        assert!(page.starts_with(".ie \\n(.g .ds Aq"), "{page}");
        assert_eq!(page.matches("\n.TH ").count(), 1, "{page}");
        for sub in Cli::command().get_subcommands() {
            let heading = format!(".SS \"trailhub {}\"", sub.get_name());
            assert!(page.contains(&heading), "{heading} missing:\n{page}");
        }
        assert!(page.contains("backup\\-dir"), "apply's own options: {page}");
    }
}
