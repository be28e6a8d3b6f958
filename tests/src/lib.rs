//! Helpers shared by the workspace-level integration tests: the tools that
//! `scripts/test.sh` installs and starts (a Python venv with the reference packages,
//! `fitsverify`, a throwaway PostgreSQL cluster), found through the environment.
//!
//! Every helper fails loudly when its tool is missing, naming the variable or package and
//! how to get it: a test never skips silently.

pub mod cannon;
pub mod db_support;
pub mod postgres;
pub mod program;
pub mod python;
pub mod rng;
pub mod tools;
pub mod workspace;

pub use postgres::pg_url;
pub use python::{python, run_python};
pub use tools::fitsverify;
pub use workspace::workspace_root;
