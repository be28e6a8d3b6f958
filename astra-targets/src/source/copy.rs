//! `copy_from`: the destination becomes a symbolic link to another file, or a copy of it
//! that keeps its permissions and times, replacing any old destination atomically.

use std::fs::{self, File, FileTimes};
use std::path::Path;

use crate::fs::AtomicPath;
use crate::{Error, Result};

/// Makes `destination` a symbolic link to `source` (an absolute link, made at a temporary
/// name and renamed over the destination) or a copy of it (written to a temporary name,
/// given the source's permissions and access and modification times, then renamed).
pub fn copy_from(destination: &Path, source: &Path, use_symbolic_link: bool) -> Result<()> {
    let io = |action: &'static str, path: &Path| {
        let path = path.to_path_buf();
        move |source| Error::Io { action, path, source }
    };
    let meta = fs::metadata(source).map_err(io("reading", source))?;
    let atomic = AtomicPath::new(destination)?;
    let temp = atomic.temp_path().to_path_buf();
    if use_symbolic_link {
        let target = std::path::absolute(source).map_err(io("resolving", source))?;
        std::os::unix::fs::symlink(&target, &temp).map_err(io("linking", &temp))?;
    } else {
        fs::copy(source, &temp).map_err(io("copying", source))?;
        let times = FileTimes::new()
            .set_accessed(meta.accessed().map_err(io("reading", source))?)
            .set_modified(meta.modified().map_err(io("reading", source))?);
        File::open(&temp)
            .and_then(|f| f.set_times(times))
            .map_err(io("setting the times of", &temp))?;
    }
    atomic.commit(false)
}
