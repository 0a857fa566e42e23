//! `std::io` conveniences (feature `std`): the crate's errors as `io::Error`s,
//! for drivers written against `std::io::Read` and `Write`.

extern crate std;

use std::io::{Error, ErrorKind};

use crate::wire::{DecodeError, EncodeError, ReadError};

impl From<DecodeError> for Error {
    /// `UnexpectedEof` keeps its kind; every other peer error is `InvalidData`.
    fn from(e: DecodeError) -> Error {
        let kind = match e {
            DecodeError::UnexpectedEof(_) => ErrorKind::UnexpectedEof,
            _ => ErrorKind::InvalidData,
        };
        Error::new(kind, e)
    }
}

impl From<ReadError> for Error {
    /// A decode error as above; buffer misuse is `InvalidInput`.
    fn from(e: ReadError) -> Error {
        match e {
            ReadError::Decode(e) => e.into(),
            _ => Error::new(ErrorKind::InvalidInput, e),
        }
    }
}

impl From<EncodeError> for Error {
    /// Always `InvalidInput`: the request's inputs were refused.
    fn from(e: EncodeError) -> Error {
        Error::new(ErrorKind::InvalidInput, e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::EofPhase;
    use std::string::ToString;

    #[test]
    fn errors_keep_their_kind_and_message() {
        let eof: Error = ReadError::Decode(DecodeError::UnexpectedEof(EofPhase::Body)).into();
        assert_eq!(eof.kind(), ErrorKind::UnexpectedEof);
        assert_eq!(eof.to_string(), "connection closed inside the response body");
        let small: Error = ReadError::BufferTooSmall(crate::BufferTooSmall { required: 9 }).into();
        assert_eq!(small.kind(), ErrorKind::InvalidInput);
        let data: Error = DecodeError::MalformedChunk.into();
        assert_eq!(data.kind(), ErrorKind::InvalidData);
        let encode: Error = EncodeError::InvalidUserAgent.into();
        assert_eq!(encode.kind(), ErrorKind::InvalidInput);
    }
}
