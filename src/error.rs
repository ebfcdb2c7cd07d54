//! Exit codes, and the error type that carries one to `main`.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | failure (bad config, I/O, unexpected problem; `doctor` with a check failing) |
//! | 2 | usage error (unknown command, flag, profile, tool or argument; an argument out of range) |
//! | 3 | the tool ran and answered with an error (`call`; the upstream's failures included) |
//! | 4 | not signed in |
//! | 5 | the API could not be reached or rejected the credential (`login`, `status`) |
//! | 101 | a bug: the program panicked (its message on stderr says where); please report it |
//! | 130 | stopped with Ctrl-C while waiting (what a shell reports: 128 + SIGINT) |
//!
//! Read API and hosted profiles follow the same table. With `--json` (`call`, `tools`), a
//! failure also prints one object on stdout: `{"error": {"kind", "message", "hint"}}`, the
//! kind being [`Exit::kind`].

use std::fmt;

/// A process exit code from the table above.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success = 0,
    Failure = 1,
    Usage = 2,
    ToolError = 3,
    NotSignedIn = 4,
    Upstream = 5,
    Bug = 101,
    Interrupted = 130,
}

impl Exit {
    /// The row's name, for `--json` failures: `usage`, `not_signed_in`, ….
    pub fn kind(self) -> &'static str {
        match self {
            Self::Success => "success",
            Self::Failure => "failure",
            Self::Usage => "usage",
            Self::ToolError => "tool_error",
            Self::NotSignedIn => "not_signed_in",
            Self::Upstream => "upstream",
            Self::Bug => "bug",
            Self::Interrupted => "interrupted",
        }
    }
}

/// An error that ends a command with a specific exit code and an optional hint.
#[derive(Debug)]
pub struct CliError {
    pub exit: Exit,
    pub message: String,
    pub hint: Option<String>,
}

impl CliError {
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
            hint: None,
        }
    }

    pub fn with_hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for CliError {}
