//! The instance's Region: `placement/region`, else the identity document's
//! `region` (never the Availability Zone with its last letter cut: zones like
//! `us-east-1-bos-1a` and Local Zones break that rule).

use core::fmt;

use crate::BodyMode;
use crate::catalog;
use crate::client::{Answer, Client, Error, Operation};
use crate::flow::{Flow, Step};
use crate::parse::{DocumentError, IdentityDocument};
use crate::time::Instant;

/// Why the Region could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum RegionError {
    /// Neither `placement/region` nor the identity document gives one.
    NotFound,
    /// What the service gave is not a Region name (letters, digits and `-`).
    Invalid,
    /// The identity document is invalid.
    Document(DocumentError),
    /// A request failed.
    Request(Error),
    /// [`Flow`] calls out of order.
    WrongStep,
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::NotFound => f.write_str("no Region in placement/region nor in the identity document"),
            RegionError::Invalid => f.write_str("the service's Region is not a Region name"),
            RegionError::Document(e) => write!(f, "identity document: {e}"),
            RegionError::Request(e) => e.fmt(f),
            RegionError::WrongStep => f.write_str("region calls out of order"),
        }
    }
}

impl core::error::Error for RegionError {}

impl From<Error> for RegionError {
    fn from(e: Error) -> Self {
        RegionError::Request(e)
    }
}

/// Reads the Region: a [`Flow`] of one or two `GET`s. Its output is the name,
/// borrowing the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RegionFlow {
    step: Reading,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Reading {
    #[default]
    Placement,
    Document,
    FromPlacement,
    FromDocument,
}

impl RegionFlow {
    /// A flow that starts with `placement/region`.
    pub const fn new() -> RegionFlow {
        RegionFlow { step: Reading::Placement }
    }
}

fn region_name(text: &str) -> Result<&str, RegionError> {
    let text = text.trim();
    let valid = !text.is_empty() && text.len() <= 64 && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
    if valid { Ok(text) } else { Err(RegionError::Invalid) }
}

fn from_document(body: &[u8]) -> Result<&str, RegionError> {
    let document = IdentityDocument::parse(body).map_err(RegionError::Document)?;
    let region = document.region.ok_or(RegionError::NotFound)?;
    region_name(region.as_str().ok_or(RegionError::Invalid)?)
}

impl Flow for RegionFlow {
    type Output<'b> = &'b str;
    type Error = RegionError;

    fn start<'c, 'a, 'f>(
        &'f mut self,
        now: Instant,
        client: &'c mut Client<'a>,
    ) -> Result<Operation<'c, 'a, 'f>, RegionError> {
        let path = match self.step {
            Reading::Placement => catalog::REGION,
            Reading::Document => catalog::INSTANCE_IDENTITY_DOCUMENT,
            Reading::FromPlacement | Reading::FromDocument => return Err(RegionError::WrongStep),
        };
        Ok(client.get(now, path, BodyMode::Contiguous))
    }

    fn finish(&mut self, _now: Instant, outcome: Result<Answer<'_>, Error>) -> Result<Step, RegionError> {
        let answer = outcome.map_err(RegionError::Request)?;
        match (self.step, answer.found()) {
            (Reading::Placement, true) => {
                region_name(core::str::from_utf8(answer.body).map_err(|_| RegionError::Invalid)?)?;
                self.step = Reading::FromPlacement;
                Ok(Step::Done)
            }
            (Reading::Placement, false) => {
                self.step = Reading::Document;
                Ok(Step::More)
            }
            (Reading::Document, true) => {
                from_document(answer.body)?;
                self.step = Reading::FromDocument;
                Ok(Step::Done)
            }
            (Reading::Document, false) => Err(RegionError::NotFound),
            _ => Err(RegionError::WrongStep),
        }
    }

    fn output<'b>(&self, answer: Answer<'b>) -> Result<&'b str, RegionError> {
        match self.step {
            Reading::FromPlacement => region_name(core::str::from_utf8(answer.body).map_err(|_| RegionError::Invalid)?),
            Reading::FromDocument => from_document(answer.body),
            _ => Err(RegionError::WrongStep),
        }
    }
}
