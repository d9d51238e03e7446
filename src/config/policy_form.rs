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
/// the same words and at the same place (``unknown variant `wide`, expected one of `auto`, ...``).
impl<'de> Deserialize<'de> for PolicyForm {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Setting;
        impl<'de> Visitor<'de> for Setting {
            type Value = PolicyForm;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("enum PolicyForm")
            }
            fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<PolicyForm, A::Error> {
                let (Variant(form), variant) = data.variant()?;
                variant.unit_variant()?;
                Ok(form)
            }
        }
        d.deserialize_enum("PolicyForm", &NAMES, Setting)
    }
}

/// The variant's name, refused as it is read when it names no setting.
struct Variant(PolicyForm);

impl<'de> Deserialize<'de> for Variant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Name;
        impl Visitor<'_> for Name {
            type Value = Variant;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("variant identifier")
            }
            fn visit_str<E: de::Error>(self, name: &str) -> Result<Variant, E> {
                PolicyForm::named(name)
                    .map(Variant)
                    .ok_or_else(|| E::unknown_variant(name, &NAMES))
            }
        }
        d.deserialize_identifier(Name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    struct File {
        #[allow(dead_code)]
        policy_form: toml::Spanned<PolicyForm>,
    }

    /// The words and the place serde's derive gave when the setting was a plain enum.
    #[test]
    fn an_unknown_setting_is_refused_with_every_name() {
        let err = toml::from_str::<File>("policy_form = \"wide\"\n").unwrap_err();
        assert_eq!(err.span(), Some(14..20));
        assert_eq!(
            err.message(),
            "unknown variant `wide`, expected one of `auto`, `exact`, `account-arns`, `source-account`, `shared-prefix`, `organization`"
        );
        let err = toml::from_str::<File>("policy_form = 3\n").unwrap_err();
        assert_eq!(err.message(), "wanted string or table");
    }

    #[test]
    fn each_name_reads_back() {
        for (name, want) in NAMES.iter().zip(
            [PolicyForm::Auto]
                .into_iter()
                .chain(Form::ALL.map(PolicyForm::Pinned)),
        ) {
            let f: File = toml::from_str(&format!("policy_form = \"{name}\"\n")).unwrap();
            assert_eq!(f.policy_form.into_inner(), want);
        }
    }
}
