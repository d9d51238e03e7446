//! The organization in plain values (pure): accounts, roots and OUs as AWS Organizations lists them.

/// An account as AWS Organizations lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAccount {
    pub id: String,
    pub name: String,
    pub active: bool,
}

/// A root or an organizational unit: its ID and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OuNode {
    pub id: String,
    pub name: String,
}

/// One page of ListAccounts and the token of the next, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPage {
    pub accounts: Vec<OrgAccount>,
    pub next: Option<String>,
}

/// The organization as DescribeOrganization describes it: its ID (`o-...`) and its management account,
/// which owns every organization trail, whichever account made it (CT-16).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: String,
    pub management_account: String,
}

/// The organization one account is in, as learned (DescribeOrganization with its own credentials, or the
/// listing of the organization it was found in).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Membership {
    /// In no organization (DescribeOrganization: `AWSOrganizationsNotInUseException`, ORG-6).
    Outside,
    /// In organization `id` (`o-...`); `path` is its `aws:SourceOrgPaths` value
    /// (`o-.../r-.../ou-.../`) when known.
    In { id: String, path: Option<String> },
}

/// A policy of AWS Organizations as DescribePolicy gives it: its ID (`p-...`), name and JSON content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgPolicy {
    pub id: String,
    pub name: String,
    pub content: String,
}
