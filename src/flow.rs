//! Operations made of several `GET`s (credentials, the region): the [`Flow`]
//! trait they share, sans-IO over a [`Client`], and
//! [`driver::complete`](crate::driver::complete) that runs one to its end.

use crate::client::{Answer, Client, Error, Operation};
use crate::time::Instant;

/// A sequence of `GET`s on a [`Client`] that ends in one result.
///
/// The protocol: [`Flow::start`] starts a `GET` on the client (the
/// [`Operation`] borrows the flow for its path); you run that operation to its
/// end (say with [`driver::run`](crate::driver::run)); [`Flow::finish`] takes
/// its outcome and says whether the flow is done or wants another `GET`; once
/// done, [`Flow::output`] reads the result from the last answer (which stays in
/// your receive buffer).
pub trait Flow {
    /// What the flow gives, borrowing the receive buffer.
    type Output<'b>;
    /// Why it failed.
    type Error;

    /// Starts the next `GET` on `client`.
    fn start<'c, 'a, 'f>(
        &'f mut self,
        now: Instant,
        client: &'c mut Client<'a>,
    ) -> Result<Operation<'c, 'a, 'f>, Self::Error>;

    /// Takes the outcome of the `GET` [`Flow::start`] started: done, or not yet.
    fn finish(&mut self, now: Instant, outcome: Result<Answer<'_>, Error>) -> Result<Step, Self::Error>;

    /// The result, from the answer of the `GET` that finished the flow.
    fn output<'b>(&self, answer: Answer<'b>) -> Result<Self::Output<'b>, Self::Error>;
}

/// What [`Flow::finish`] says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Step {
    /// Start the next `GET`.
    More,
    /// The last answer holds the result: call [`Flow::output`].
    Done,
}
