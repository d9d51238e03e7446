//! The shared bucket policy (pure): build trailhub's statements, merge them into the live policy without
//! touching anything else, and keep the result under S3's 20 KB limit.
//!
//! trailhub owns two families of statements ([`family`]): two for CloudTrail, found by the Sids of AWS's
//! documentation, and, when flow logs go to the bucket, two for `delivery.logs.amazonaws.com` under
//! trailhub's own Sids; each family has a Deny of writes into another account's folder. One more Deny,
//! [`tls`], refuses every request made without TLS (unless another writer's equivalent one is there). Every other
//! statement is kept as it was, in its order. Entries already in trailhub's statements are kept too
//! (removing accounts is an explicit, separate act), so a merge only ever widens what they allow.
//!
//! Each family names what may write in one of several forms, from the most specific to the smallest
//! ([`Form`]). With `policy_form = "auto"` the most specific combination that fits in 20 KB is chosen;
//! none of the forms drops the source condition or uses a `*` principal.
//!
//! The parts: [`family`] describes each family as data; [`input`] is what the policy is for; `live` reads
//! the live policy and `content` one of trailhub's statements; `render` writes a family's statements in a
//! form; `fit` measures and chooses the combination of forms; `merge` runs it; `report` says what it did;
//! `restore` puts back what another writer lost; `tls` is the TLS-only Deny.

mod content;
mod error;
pub mod evidence;
pub mod family;
mod fit;
pub mod input;
mod live;
mod merge;
mod render;
mod report;
mod restore;
pub mod tls;

pub use crate::config::Form;
pub use error::{FormSize, PolicyError, SIZE_LIMIT};
pub use evidence::{Basis, Evidence};
pub use family::{
    ACL_KEY, ACL_SID, CLOUDTRAIL, DENY_SID, FULL_CONTROL, LOG_ACL_SID, LOG_DELIVERY, LOG_DENY_SID,
    LOG_WRITE_SID, OWN_ACL_SID, OWN_WRITE_SID, SOURCE_ACCOUNT, SOURCE_ARN, SOURCE_ORG, WRITE_SID,
};
pub use input::{Entry, FlowLogAccounts, Org, PolicyInput};
pub use live::parse_live;
pub use merge::merge;
pub use report::{LogDelivery, Merged};
pub use restore::{Restored, restore_lost};
pub use tls::{TLS_SID, denies_insecure_transport};

#[cfg(test)]
mod tests;
