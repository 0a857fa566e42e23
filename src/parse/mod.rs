//! Pure parsers for response bodies. Zero-copy: every value borrows the body.

mod listing;

pub use listing::{Entry, EntryKind, Listing, ListingError, ListingErrorKind};
