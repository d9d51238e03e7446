//! `trailhub permissions`: the two IAM policies (text, JSON, Markdown) and the member role's
//! CloudFormation template (pure rendering).

use std::io::{self, Write};

use serde_json::{Value, json};

use super::{Console, Render, print_json};
use crate::permissions::{ORGANIZATIONS_ADMIN_ROLE, Permissions};

/// The two headings, the central identity's first.
fn headings(p: &Permissions) -> [&'static str; 2] {
    if p.read_only {
        [
            "The central identity, read only (plan, policy, audit)",
            "The member role, read only (plan, policy, audit)",
        ]
    } else {
        [
            "The central identity (the role or user trailhub runs as in the central account)",
            "The member role (members.role_name in every member account; --format cloudformation for a template)",
        ]
    }
}

impl Render for Permissions {
    fn text(&self, out: &mut dyn Write, _console: &mut dyn Console) -> io::Result<()> {
        let [central, member] = headings(self);
        writeln!(out, "# {central}")?;
        print_json(out, &self.central)?;
        writeln!(out, "\n# {member}")?;
        print_json(out, &self.member)
    }

    fn json(&self) -> serde_json::Result<Value> {
        Ok(json!({"read_only": self.read_only, "central": self.central, "member": self.member}))
    }

    fn markdown(&self, out: &mut dyn Write) -> io::Result<()> {
        for (heading, policy) in headings(self).iter().zip([&self.central, &self.member]) {
            writeln!(out, "### {heading}\n\n```json")?;
            print_json(out, policy)?;
            writeln!(out, "```\n")?;
        }
        Ok(())
    }

    fn cloudformation(&self, out: &mut dyn Write, console: &mut dyn Console) -> io::Result<()> {
        print_json(out, &self.template)?;
        if self.names_organizations_role {
            console.note(&organizations_role_note());
        }
        Ok(())
    }
}

/// Why a template naming Organizations' own role must not be deployed, and what to do instead: a plain
/// sentence on stderr (stdout stays the template).
fn organizations_role_note() -> String {
    format!(
        "members.role_name is {ORGANIZATIONS_ADMIN_ROLE}, the administrator role AWS Organizations made in the accounts it created: a stack making a role of that name fails there. Give trailhub's role a name of its own (members.role_name = \"TrailhubMember\") before deploying this template (docs/iam-permissions.md#the-member-role-which-one)."
    )
}
