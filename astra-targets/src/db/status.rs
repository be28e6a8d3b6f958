//! Task status codes, as Astra's: a task moves from created (0) to running (1) to
//! success (30) or one of the failures (40, 50, 60).

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
    /// The task is running, or its run was lost (the process was killed) (code 1).
    Running = 1,
    /// The task ran successfully (code 30).
    Success = 30,
    /// The task's analysis failed: it returned an error (code 40).
    ProcessFailure = 40,
    /// The task is broken: its analysis panicked (a defect of the analysis code)
    /// (code 50).
    Broken = 50,
    /// A dependency of the task is missing (code 60).
    MissingDependency = 60,
}

/// The lowest failure code.
pub(crate) const FIRST_FAILURE: i32 = 40;

impl StatusCode {
    /// Every status, in code order.
    pub const ALL: [StatusCode; 6] = [
        StatusCode::Created,
        StatusCode::Running,
        StatusCode::Success,
        StatusCode::ProcessFailure,
        StatusCode::Broken,
        StatusCode::MissingDependency,
    ];

    /// Whether the code is one of the failures (40 and above).
    pub fn is_failure(self) -> bool {
        self.code() >= FIRST_FAILURE
    }

    /// The integer code stored in the database.
    pub fn code(self) -> i32 {
        self as i32
    }

    /// The status of an integer code; `None` for a code Astra does not define.
    pub fn from_code(code: i64) -> Option<StatusCode> {
        StatusCode::ALL.into_iter().find(|s| i64::from(s.code()) == code)
    }

    /// A lower-case name: `created`, `running`, `success`, `process failure`, `broken`,
    /// `missing dependency`.
    pub fn name(self) -> &'static str {
        match self {
            StatusCode::Created => "created",
            StatusCode::Running => "running",
            StatusCode::Success => "success",
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
        assert!(StatusCode::ALL.iter().all(|s| s.is_failure() == (s.code() >= 40)));
    }
}
