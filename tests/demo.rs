//! The quick start's flow as a person reads it (issue 23 point 3): `scripts/demo`'s commands (plan, apply,
//! apply again, audit) with the sample accounts.toml over moto, whose accounts have a VPC in every Region.
//! Every line of their text fits 100 columns, and apply says what it did in one line per account.

use crate::support::trailhub::World;

/// The widest line a person's terminal is expected to hold.
const COLUMNS: usize = 100;

/// The accounts file `scripts/demo` runs with.
const SAMPLE: &str = include_str!("../accounts.toml");

/// The lines of `text` wider than [`COLUMNS`], with their width.
fn too_wide(text: &str) -> Vec<(usize, &str)> {
    (text.lines())
        .map(|l| (l.chars().count(), l))
        .filter(|(n, _)| *n > COLUMNS)
        .collect()
}

/// The rows of the account table of `text`: the lines after its header (`ACCOUNT ...`) up to the blank
/// line that ends it.
fn table_rows(text: &str) -> Vec<&str> {
    (text.lines())
        .skip_while(|l| !l.starts_with("ACCOUNT "))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .collect()
}

#[test]
fn the_demo_fits_100_columns_and_apply_says_one_line_per_account() {
    let w = World::start();
    w.write_config(SAMPLE);
    let plan = w.trailhub(&["plan"]);
    assert_eq!(plan.code, 0, "{plan}");
    let apply = w.apply();
    assert_eq!(apply.code, 0, "{apply}");
    let again = w.apply();
    assert_eq!(again.code, 0, "{again}");
    let audit = w.trailhub(&["audit"]);
    for (command, out) in [
        ("plan", &plan),
        ("apply", &apply),
        ("apply again", &again),
        ("audit", &audit),
    ] {
        let wide = too_wide(&out.stdout);
        assert!(wide.is_empty(), "{command}: {wide:#?}\n{out}");
    }
    // the plan wraps per item: an account's flow logs over 20 Regions take several lines, and a cell
    // still lists its first six items, then how many more
    let rows = table_rows(&plan.stdout);
    assert!(rows.len() > 4 * 3, "{plan}");
    assert!(
        plan.stdout.contains("more (") && plan.stdout.contains("--format json lists each)"),
        "{plan}"
    );
    // apply: one line per account, the central account and the three members, what each had done
    let rows = table_rows(&apply.stdout);
    let ids = [
        "123456789012",
        "222222222222",
        "333333333333",
        "444444444444",
    ];
    assert_eq!(rows.len(), ids.len(), "{apply}");
    for (row, id) in rows.iter().zip(ids) {
        assert!(row.starts_with(id), "{apply}");
        assert!(
            row.contains("done: ") && row.contains("(trail 2, CloudWatch Logs 3, flow logs "),
            "{row}"
        );
    }
    assert!(again.stdout.starts_with("nothing to do"), "{again}");
    assert!(audit.stdout.contains("coverage: 4/4 accounts"), "{audit}");
}
