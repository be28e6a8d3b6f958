//! File-system targets: atomic writes and the file operations of a target path.
