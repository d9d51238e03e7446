//! Event selectors between the SDK's types and trailhub's plain values (pure conversions).

use aws_sdk_cloudtrail::types as sdk;

use crate::aws::{
    AdvancedSelector, AwsError, BasicSelector, EventSelectors, FieldSelector, ReadWrite,
};

/// GetEventSelectors' answer, in plain values.
pub(super) fn from_sdk(
    basic: &[sdk::EventSelector],
    advanced: &[sdk::AdvancedEventSelector],
) -> EventSelectors {
    EventSelectors {
        basic: basic.iter().map(basic_from_sdk).collect(),
        advanced: advanced
            .iter()
            .map(|a| AdvancedSelector {
                name: a.name().map(str::to_owned),
                fields: a.field_selectors().iter().map(field_from_sdk).collect(),
            })
            .collect(),
    }
}

fn basic_from_sdk(s: &sdk::EventSelector) -> BasicSelector {
    BasicSelector {
        read_write: match s.read_write_type() {
            Some(sdk::ReadWriteType::ReadOnly) => ReadWrite::ReadOnly,
            Some(sdk::ReadWriteType::WriteOnly) => ReadWrite::WriteOnly,
            _ => ReadWrite::All,
        },
        management: s.include_management_events().unwrap_or(true),
        excluded_sources: s.exclude_management_event_sources().to_vec(),
        data_resources: s
            .data_resources()
            .iter()
            .map(|d| {
                (
                    d.r#type().unwrap_or_default().to_owned(),
                    d.values().to_vec(),
                )
            })
            .collect(),
    }
}

fn field_from_sdk(f: &sdk::AdvancedFieldSelector) -> FieldSelector {
    FieldSelector {
        field: f.field().to_owned(),
        equals: f.equals().to_vec(),
        starts_with: f.starts_with().to_vec(),
        ends_with: f.ends_with().to_vec(),
        not_equals: f.not_equals().to_vec(),
        not_starts_with: f.not_starts_with().to_vec(),
        not_ends_with: f.not_ends_with().to_vec(),
    }
}

/// The SDK's basic selectors for PutEventSelectors.
pub(super) fn basic_to_sdk(s: &BasicSelector) -> sdk::EventSelector {
    let rw = match s.read_write {
        ReadWrite::All => sdk::ReadWriteType::All,
        ReadWrite::ReadOnly => sdk::ReadWriteType::ReadOnly,
        ReadWrite::WriteOnly => sdk::ReadWriteType::WriteOnly,
    };
    sdk::EventSelector::builder()
        .read_write_type(rw)
        .include_management_events(s.management)
        .set_exclude_management_event_sources(Some(s.excluded_sources.clone()))
        .set_data_resources(Some(
            s.data_resources
                .iter()
                .map(|(kind, values)| {
                    sdk::DataResource::builder()
                        .r#type(kind)
                        .set_values(Some(values.clone()))
                        .build()
                })
                .collect(),
        ))
        .build()
}

/// The SDK's advanced selectors for PutEventSelectors.
pub(super) fn advanced_to_sdk(
    a: &AdvancedSelector,
) -> Result<sdk::AdvancedEventSelector, AwsError> {
    let construction = |e: aws_smithy_types::error::operation::BuildError| {
        AwsError::new("PutEventSelectors", "ConstructionFailure", e.to_string())
    };
    let nonempty = |v: &Vec<String>| (!v.is_empty()).then(|| v.clone());
    let mut fields = Vec::new();
    for f in &a.fields {
        fields.push(
            sdk::AdvancedFieldSelector::builder()
                .field(&f.field)
                .set_equals(nonempty(&f.equals))
                .set_starts_with(nonempty(&f.starts_with))
                .set_ends_with(nonempty(&f.ends_with))
                .set_not_equals(nonempty(&f.not_equals))
                .set_not_starts_with(nonempty(&f.not_starts_with))
                .set_not_ends_with(nonempty(&f.not_ends_with))
                .build()
                .map_err(construction)?,
        );
    }
    sdk::AdvancedEventSelector::builder()
        .set_name(a.name.clone())
        .set_field_selectors(Some(fields))
        .build()
        .map_err(construction)
}
