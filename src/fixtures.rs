//! Fixtures shared by the unit tests (tests only, pure): the accounts.toml of the runs over the in-memory
//! fake, written once.

use std::path::Path;

use crate::config::Config;

/// The central account of every fixture.
pub(crate) const CENTRAL: &str = "111111111111";

/// accounts.toml's text: the central account [`CENTRAL`] (bucket `sec-log` in ap-northeast-2, its trail
/// `SEC`) with the lines `central`, members' trails named `{name}-CT` with the lines `members_section`,
/// then `members` static accounts M0, M1... numbered from 200000000000. Append further sections to it.
pub(crate) fn config_text(central: &str, members_section: &str, members: usize) -> String {
    let mut text = format!(
        "[central]\naccount_id = \"{CENTRAL}\"\nbucket = \"sec-log\"\nregion = \"ap-northeast-2\"\ntrail_name = \"SEC\"\n{central}[members]\ntrail_name = \"{{name}}-CT\"\n{members_section}"
    );
    for i in 0..members {
        text += &format!(
            "[[account]]\nid = \"{:012}\"\nname = \"M{i}\"\n",
            200000000000u64 + i as u64
        );
    }
    text
}

/// [`config_text`] with nothing added, parsed.
pub(crate) fn config(members: usize) -> Config {
    parse(&config_text("", "", members))
}

/// A fixture's text, parsed (it must be valid).
pub(crate) fn parse(text: &str) -> Config {
    Config::parse(Path::new("t.toml"), text).unwrap()
}
