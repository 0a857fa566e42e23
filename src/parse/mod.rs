//! Pure parsers for response bodies. Zero-copy: every value borrows the body.

mod documents;
pub mod json;
mod listing;
mod timestamp;

pub use documents::{
    Credentials, DocumentError, ErrorCode, IamInfo, IdentityDocument, MAX_UNKNOWN_KEYS, MaintenanceEvent,
    MaintenanceEvents, RebalanceRecommendation, Secret, SpotAction, SpotActionKind, Strings,
};
pub use listing::{Entry, EntryKind, Listing, ListingError, ListingErrorKind};
pub use timestamp::{Timestamp, TimestampError};
