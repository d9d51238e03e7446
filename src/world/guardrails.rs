//! The organization's service control policies as trailhub reads them (pure values): the central
//! account's standing to manage them, each policy's summary, and what is attached to a root or OU.

/// An Organizations policy as ListPolicies and ListPoliciesForTarget name it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PolicySummary {
    pub id: String,
    pub name: String,
    /// Whether AWS manages it (`FullAWSAccess`).
    pub aws_managed: bool,
}

/// The SCPs attached right at one root or OU (ListPoliciesForTarget, SERVICE_CONTROL_POLICY).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetPolicies {
    /// The root's (`r-...`) or OU's (`ou-...`) ID.
    pub target: String,
    pub attached: Vec<PolicySummary>,
}

/// What the central account is to the organization's policies: DescribeOrganization's management account,
/// and the resource-based delegation policy (DescribeResourcePolicy) when the caller is not it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyAuthority {
    pub caller: String,
    /// DescribeOrganization's MasterAccountId.
    pub management_account: String,
    /// The organization's ID (`o-...`).
    pub org_id: String,
    /// The delegation policy's content: None when there is none, or the caller may not read it (AWS
    /// answers only the management account and delegated administrators).
    pub delegation: Option<String>,
}
