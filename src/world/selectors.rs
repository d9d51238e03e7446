//! A trail's event selectors in plain values (pure), as GetEventSelectors reports them.

use serde::Serialize;

/// A trail's event selectors as GetEventSelectors reports them, in plain values: basic selectors or advanced
/// ones (a trail has one kind, or none at all, which logs nothing).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct EventSelectors {
    pub basic: Vec<BasicSelector>,
    pub advanced: Vec<AdvancedSelector>,
}

/// `ReadWriteType` of a basic selector.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReadWrite {
    #[default]
    All,
    ReadOnly,
    WriteOnly,
}

/// One basic event selector.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct BasicSelector {
    pub read_write: ReadWrite,
    /// `IncludeManagementEvents` (AWS's default when it is not given: true).
    pub management: bool,
    /// `ExcludeManagementEventSources`: event sources (`kms.amazonaws.com`, `rdsdata.amazonaws.com`) left out.
    pub excluded_sources: Vec<String>,
    /// Data events (`Type`, `Values`), kept as they are.
    pub data_resources: Vec<(String, Vec<String>)>,
}

/// One advanced event selector: its field selectors AND together.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct AdvancedSelector {
    pub name: Option<String>,
    pub fields: Vec<FieldSelector>,
}

/// One field of an advanced event selector (`eventCategory`, `readOnly`, `eventSource`...) and its operators.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct FieldSelector {
    pub field: String,
    pub equals: Vec<String>,
    pub starts_with: Vec<String>,
    pub ends_with: Vec<String>,
    pub not_equals: Vec<String>,
    pub not_starts_with: Vec<String>,
    pub not_ends_with: Vec<String>,
}
