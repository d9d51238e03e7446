//! `policy_form` in accounts.toml (pure): the five forms in which trailhub's bucket-policy statements name
//! what may write, most specific first, and the setting that pins one of them or leaves the choice to the
//! planner (`auto`). One type for the file and the planner: the planner's chosen form is a [`Form`].

use std::fmt;

use serde::de::{self, Deserializer, EnumAccess, VariantAccess, Visitor};
use serde::{Deserialize, Serialize};

/// How a family of statements names what may write, most specific first. Each family of the bucket policy
/// (`plan::policy::family`) says which forms it has and what each one writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Form {
    /// Each source named exactly (CloudTrail: every trail ARN, about 100 accounts fit); per-account
    /// resources.
    Exact,
    /// `ArnLike aws:SourceArn` = any source of a listed account; per-account resources.
    AccountArns,
    /// `StringEquals aws:SourceAccount` = every account ID; per-account resources.
    SourceAccount,
    /// `StringEquals aws:SourceAccount` = every account ID; one `AWSLogs/*` resource.
    SharedPrefix,
    /// `StringEquals aws:SourceOrgID` = the organization; one `AWSLogs/*` resource. Constant size. Only with
    /// `source = "organizations"`.
    Organization,
}

impl Form {
    pub const ALL: [Form; 5] = [
        Form::Exact,
        Form::AccountArns,
        Form::SourceAccount,
        Form::SharedPrefix,
        Form::Organization,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Form::Exact => "exact",
            Form::AccountArns => "account-arns",
            Form::SourceAccount => "source-account",
            Form::SharedPrefix => "shared-prefix",
            Form::Organization => "organization",
        }
    }
}

/// `policy_form` in accounts.toml: `auto` (the most specific form that fits) or one form, pinned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PolicyForm {
    /// The most specific form that fits.
    #[default]
    Auto,
    Pinned(Form),
}

/// The setting's words, as accounts.toml spells them.
const NAMES: [&str; 6] = [
    "auto",
    "exact",
    "account-arns",
    "source-account",
    "shared-prefix",
    "organization",
];

impl PolicyForm {
    fn named(name: &str) -> Option<PolicyForm> {
        if name == "auto" {
            return Some(PolicyForm::Auto);
        }
        Form::ALL
            .into_iter()
            .find(|f| f.name() == name)
            .map(PolicyForm::Pinned)
    }
}

/// Read as an enum of unit variants, the way serde's derive reads one, so that a wrong value is refused with
/// the same words (``unknown variant `wide`, expected one of `auto`, ...``).
impl<'de> Deserialize<'de> for PolicyForm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Setting;
        impl<'de> Visitor<'de> for Setting {
            type Value = PolicyForm;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("enum PolicyForm")
            }
            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<PolicyForm, A::Error> {
                let (name, variant): (String, _) = data.variant()?;
                let form = PolicyForm::named(&name)
                    .ok_or_else(|| de::Error::unknown_variant(&name, &NAMES))?;
                variant.unit_variant()?;
                Ok(form)
            }
        }
        d.deserialize_enum("PolicyForm", &NAMES, Setting)
    }
}
