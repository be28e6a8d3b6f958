//! Task status codes, as Astra's.

use std::fmt;

/// The status of a task run, stored as Astra's integer codes in `task.status_code`.
///
/// Astra may define more codes: matches need a wildcard arm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(i32)]
#[non_exhaustive]
pub enum StatusCode {
    /// The task row exists but has not run yet (code 0).
    Created = 0,
    /// The task ran successfully (code 1).
    Success = 1,
    /// The task failed (code 30).
    Failure = 30,
    /// The process running the task failed (code 40).
    ProcessFailure = 40,
    /// The task is broken: its inputs cannot be analysed (code 50).
    Broken = 50,
    /// A dependency of the task is missing (code 60).
    MissingDependency = 60,
}

impl StatusCode {
    /// Every status, in code order.
    pub const ALL: [StatusCode; 6] = [
        StatusCode::Created,
        StatusCode::Success,
        StatusCode::Failure,
        StatusCode::ProcessFailure,
        StatusCode::Broken,
        StatusCode::MissingDependency,
    ];

    /// The integer code stored in the database.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The status of an integer code; `None` for a code Astra does not define.
    pub fn from_code(code: i64) -> Option<StatusCode> {
        StatusCode::ALL.into_iter().find(|s| i64::from(s.code()) == code)
    }

    /// A lower-case name: `created`, `success`, `failure`, `process failure`, `broken`,
    /// `missing dependency`.
    pub fn name(self) -> &'static str {
        match self {
            StatusCode::Created => "created",
            StatusCode::Success => "success",
            StatusCode::Failure => "failure",
            StatusCode::ProcessFailure => "process failure",
            StatusCode::Broken => "broken",
            StatusCode::MissingDependency => "missing dependency",
        }
    }
}

impl fmt::Display for StatusCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_astras() {
        let codes: Vec<i32> = StatusCode::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, [0, 1, 30, 40, 50, 60]);
        for s in StatusCode::ALL {
            assert_eq!(StatusCode::from_code(i64::from(s.code())), Some(s));
        }
        assert_eq!(StatusCode::from_code(2), None);
    }
}
