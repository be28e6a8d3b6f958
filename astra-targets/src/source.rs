//! The astraSource FITS product of a task.
