//! Why a line or a message could not be decoded. These are operating errors, expected on real
//! feeds: callers count them by [`ErrorKind`] and go on.

/// Why a sentence was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SentenceError {
    #[error("empty line")]
    Empty,
    #[error("bad checksum")]
    BadChecksum,
    #[error("malformed: {0}")]
    Malformed(&'static str),
    #[error("unsupported: {0}")]
    Unsupported(&'static str),
}

/// Why a payload could not be decoded into a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    #[error("payload character {0:#04x} is not 6-bit armouring")]
    BadCharacter(u8),
    #[error("payload longer than {0} bits")]
    TooLong(usize),
    #[error("message type {message_type} needs at least {needed} bits, got {got}")]
    TooShort { message_type: u8, needed: usize, got: usize },
    #[error("message type {0} does not exist")]
    UnknownType(u8),
}

/// The four reasons a line is counted as not decoded, as `harborlink ais decode` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    BadChecksum,
    Malformed,
    IncompleteFragments,
    Unsupported,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::BadChecksum => "bad_checksum",
            ErrorKind::Malformed => "malformed",
            ErrorKind::IncompleteFragments => "incomplete_fragments",
            ErrorKind::Unsupported => "unsupported",
        }
    }
}

impl SentenceError {
    pub fn kind(self) -> ErrorKind {
        match self {
            SentenceError::BadChecksum => ErrorKind::BadChecksum,
            SentenceError::Unsupported(_) => ErrorKind::Unsupported,
            SentenceError::Empty | SentenceError::Malformed(_) => ErrorKind::Malformed,
        }
    }
}

impl DecodeError {
    pub fn kind(self) -> ErrorKind {
        match self {
            DecodeError::UnknownType(_) => ErrorKind::Unsupported,
            _ => ErrorKind::Malformed,
        }
    }
}
