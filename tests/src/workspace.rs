//! Where the workspace is.

use std::path::PathBuf;

/// The root folder of the workspace (the parent of this `tests` crate).
pub fn workspace_root() -> PathBuf {
    let here = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    here.parent()
        .expect("the tests crate lives in the workspace root")
        .to_path_buf()
}
