//! Event selectors (pure): does a trail log every management event, read and write, with no event source
//! left out; what it logs now, in words; and the selectors that make it so while keeping its data events.
//!
//! Basic selectors: a selector logs management events when `IncludeManagementEvents` is on, for reads,
//! writes or both (`ReadWriteType`), less its `ExcludeManagementEventSources`. Advanced selectors: a selector
//! logs management events when its `eventCategory` field equals `Management`; a `readOnly` field narrows it to
//! reads or writes, and any other field (an `eventSource` that is not KMS, say) narrows it in ways trailhub does
//! not count as "every management event". Selectors OR together. A trail with no selectors logs nothing.

use std::collections::BTreeSet;

use crate::world::{AdvancedSelector, BasicSelector, EventSelectors, FieldSelector, ReadWrite};

/// What a trail's selectors log of management events.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Management {
    /// Every read management event is logged by some selector (none left out).
    pub reads: bool,
    /// Every write management event is logged by some selector (none left out).
    pub writes: bool,
    /// Event sources some management selector leaves out, or narrows to (advanced fields), in words.
    pub narrowed: BTreeSet<String>,
    /// Whether any selector logs management events at all.
    pub any: bool,
}

impl Management {
    pub fn all(&self) -> bool {
        self.reads && self.writes
    }
}

/// What `s` logs of management events.
pub fn management(s: &EventSelectors) -> Management {
    let mut m = Management::default();
    for b in s.basic.iter().filter(|b| b.management) {
        m.any = true;
        if !b.excluded_sources.is_empty() {
            m.narrowed
                .extend(b.excluded_sources.iter().map(|x| format!("except {x}")));
            continue;
        }
        m.reads |= b.read_write != ReadWrite::WriteOnly;
        m.writes |= b.read_write != ReadWrite::ReadOnly;
    }
    for a in &s.advanced {
        advanced_management(a, &mut m);
    }
    m
}

fn is_management_category(f: &FieldSelector) -> bool {
    f.field == "eventCategory" && f.equals.iter().any(|v| v == "Management")
}

/// Adds what one advanced selector logs of management events to `m`.
fn advanced_management(a: &AdvancedSelector, m: &mut Management) {
    if !a.fields.iter().any(is_management_category) {
        return;
    }
    m.any = true;
    let (mut reads, mut writes) = (true, true);
    for f in a.fields.iter().filter(|f| !is_management_category(f)) {
        match (f.field.as_str(), f.equals.as_slice()) {
            ("readOnly", [v]) if v == "true" => writes = false,
            ("readOnly", [v]) if v == "false" => reads = false,
            _ => {
                m.narrowed.insert(format!("only where {} matches", f.field));
                return;
            }
        }
    }
    m.reads |= reads;
    m.writes |= writes;
}

/// What the selectors log now, for the plan and the audit: `nothing (it has no event selectors)`,
/// `write-only management events`, `management events except kms.amazonaws.com`...
pub fn describe(s: &EventSelectors) -> String {
    if s.basic.is_empty() && s.advanced.is_empty() {
        return "nothing (it has no event selectors)".to_owned();
    }
    let m = management(s);
    if !m.any {
        return "no management events".to_owned();
    }
    let mut what = match (m.reads, m.writes) {
        (true, true) => "all management events".to_owned(),
        (true, false) => "read-only management events".to_owned(),
        (false, true) => "write-only management events".to_owned(),
        (false, false) => "management events".to_owned(),
    };
    if !m.narrowed.is_empty() && !m.all() {
        let narrowed: Vec<&str> = m.narrowed.iter().map(String::as_str).collect();
        what.push(' ');
        what.push_str(&narrowed.join(", "));
    }
    what
}

/// The name of the advanced selector trailhub writes.
pub const MANAGEMENT_SELECTOR: &str = "Management events (trailhub)";

/// The selectors that log every management event, read and write, keeping the data-event selectors of `s`:
/// advanced selectors stay advanced (the management ones replaced by one), basic ones stay basic (exclusions
/// dropped, management turned on in a read-write selector, or one added).
pub fn restored(s: &EventSelectors) -> EventSelectors {
    if !s.advanced.is_empty() {
        let mut advanced = vec![AdvancedSelector {
            name: Some(MANAGEMENT_SELECTOR.to_owned()),
            fields: vec![FieldSelector {
                field: "eventCategory".to_owned(),
                equals: vec!["Management".to_owned()],
                ..FieldSelector::default()
            }],
        }];
        advanced.extend(
            s.advanced
                .iter()
                .filter(|a| !a.fields.iter().any(is_management_category))
                .cloned(),
        );
        return EventSelectors {
            basic: vec![],
            advanced,
        };
    }
    let mut basic: Vec<BasicSelector> = s
        .basic
        .iter()
        .filter(|b| b.management || !b.data_resources.is_empty())
        .cloned()
        .map(|mut b| {
            b.excluded_sources.clear();
            b
        })
        .collect();
    match basic.iter_mut().find(|b| b.read_write == ReadWrite::All) {
        Some(b) => b.management = true,
        None => basic.insert(
            0,
            BasicSelector {
                management: true,
                ..BasicSelector::default()
            },
        ),
    }
    EventSelectors {
        basic,
        advanced: vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(rw: ReadWrite, management: bool, excluded: &[&str]) -> BasicSelector {
        BasicSelector {
            read_write: rw,
            management,
            excluded_sources: excluded.iter().map(|s| s.to_string()).collect(),
            data_resources: vec![],
        }
    }

    fn field(name: &str, equals: &[&str]) -> FieldSelector {
        FieldSelector {
            field: name.to_owned(),
            equals: equals.iter().map(|s| s.to_string()).collect(),
            ..FieldSelector::default()
        }
    }

    fn of_basic(b: Vec<BasicSelector>) -> EventSelectors {
        EventSelectors {
            basic: b,
            advanced: vec![],
        }
    }

    fn of_advanced(fields: Vec<Vec<FieldSelector>>) -> EventSelectors {
        EventSelectors {
            basic: vec![],
            advanced: fields
                .into_iter()
                .map(|f| AdvancedSelector {
                    name: None,
                    fields: f,
                })
                .collect(),
        }
    }

    #[test]
    fn what_counts_as_every_management_event() {
        let all = of_basic(vec![basic(ReadWrite::All, true, &[])]);
        assert!(management(&all).all());
        assert_eq!(describe(&all), "all management events");
        // no selectors at all (moto's new trail): nothing
        let none = EventSelectors::default();
        assert!(!management(&none).all());
        assert_eq!(describe(&none), "nothing (it has no event selectors)");
        let writes = of_basic(vec![basic(ReadWrite::WriteOnly, true, &[])]);
        assert_eq!(describe(&writes), "write-only management events");
        let both = of_basic(vec![
            basic(ReadWrite::ReadOnly, true, &[]),
            basic(ReadWrite::WriteOnly, true, &[]),
        ]);
        assert!(management(&both).all());
        let off = of_basic(vec![basic(ReadWrite::All, false, &[])]);
        assert_eq!(describe(&off), "no management events");
        let kms = of_basic(vec![basic(ReadWrite::All, true, &["kms.amazonaws.com"])]);
        assert!(!management(&kms).all());
        assert_eq!(describe(&kms), "management events except kms.amazonaws.com");
    }

    #[test]
    fn advanced_selectors() {
        let all = of_advanced(vec![vec![field("eventCategory", &["Management"])]]);
        assert!(management(&all).all());
        let split = of_advanced(vec![
            vec![
                field("eventCategory", &["Management"]),
                field("readOnly", &["true"]),
            ],
            vec![
                field("eventCategory", &["Management"]),
                field("readOnly", &["false"]),
            ],
        ]);
        assert!(management(&split).all());
        let reads = of_advanced(vec![vec![
            field("eventCategory", &["Management"]),
            field("readOnly", &["true"]),
        ]]);
        assert_eq!(describe(&reads), "read-only management events");
        let narrowed = of_advanced(vec![vec![
            field("eventCategory", &["Management"]),
            FieldSelector {
                field: "eventSource".into(),
                not_equals: vec!["kms.amazonaws.com".into()],
                ..FieldSelector::default()
            },
        ]]);
        assert!(!management(&narrowed).all());
        assert_eq!(
            describe(&narrowed),
            "management events only where eventSource matches"
        );
        let data_only = of_advanced(vec![vec![field("eventCategory", &["Data"])]]);
        assert_eq!(describe(&data_only), "no management events");
    }

    #[test]
    fn restoring_keeps_data_events() {
        let mut data = basic(ReadWrite::ReadOnly, false, &[]);
        data.data_resources = vec![("AWS::S3::Object".into(), vec!["arn:aws:s3:::b/".into()])];
        let s = of_basic(vec![
            basic(ReadWrite::All, true, &["kms.amazonaws.com"]),
            data.clone(),
        ]);
        let r = restored(&s);
        assert!(management(&r).all());
        assert_eq!(r.basic, [basic(ReadWrite::All, true, &[]), data.clone()]);
        // no read-write selector: one is added first
        let r = restored(&of_basic(vec![data.clone()]));
        assert_eq!(r.basic, [basic(ReadWrite::All, true, &[]), data]);
        assert!(management(&restored(&EventSelectors::default())).all());

        let s3_data = vec![
            field("eventCategory", &["Data"]),
            field("resources.type", &["AWS::S3::Object"]),
        ];
        let adv = of_advanced(vec![
            vec![
                field("eventCategory", &["Management"]),
                field("readOnly", &["true"]),
            ],
            s3_data.clone(),
        ]);
        let r = restored(&adv);
        assert!(management(&r).all());
        assert_eq!(r.advanced.len(), 2);
        assert_eq!(r.advanced[1].fields, s3_data);
        assert_eq!(restored(&r), r, "restoring twice is restoring once");
    }
}
