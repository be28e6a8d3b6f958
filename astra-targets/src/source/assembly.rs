//! astraSource files assembled from the layout of the first file of their shape.
//!
//! The first file of each layout (image shape and types, table columns) a thread writes
//! goes through cfitsio; its layout is kept (see [`crate::fits::template`]) once the same
//! bytes have been assembled from it, and later files of that layout are assembled
//! directly. A thread keeps at most [`MAX_LAYOUTS`] layouts.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::ops::Deref;
use std::rc::Rc;

use crate::Result;
use crate::fits::template::{HduSource, Layout, in_records};
use crate::fits::{FitsBytes, KEEP_LIMIT};

/// The layouts a thread keeps; more are forgotten all at once.
pub const MAX_LAYOUTS: usize = 64;

thread_local! {
    /// Layouts by key; `None` for a layout that cannot be assembled (its files always go
    /// through cfitsio).
    static LAYOUTS: RefCell<HashMap<String, Option<Rc<Layout>>>> = RefCell::new(HashMap::new());
    /// The buffer files are assembled in, kept between files (see [`keep`]).
    static BUFFER: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Keeps `buffer` for the next file: at most [`KEEP_LIMIT`] bytes, and no more than
/// twice what its last file needed once that is over 1 MiB, so a worker does not hold
/// the memory of one large file for the rest of its run.
fn keep(mut buffer: Vec<u8>) {
    let used = buffer.len();
    buffer.clear();
    if buffer.capacity() > KEEP_LIMIT {
        return;
    }
    if buffer.capacity() > (2 * used).max(1 << 20) {
        buffer.shrink_to(used);
    }
    BUFFER.with(|b| b.set(buffer));
}

/// The number of astraSource layouts this thread has learnt and assembles files of
/// without cfitsio's per-card calls (at most [`MAX_LAYOUTS`]).
pub fn layouts_learnt() -> usize {
    LAYOUTS.with(|l| l.borrow().values().filter(|v| v.is_some()).count())
}

/// The bytes of a file: assembled (in the thread's kept buffer, given back on drop), or
/// written by cfitsio.
pub(super) enum FileBytes {
    Assembled(Vec<u8>),
    Written(FitsBytes),
}

impl Deref for FileBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Assembled(v) => v,
            FileBytes::Written(b) => b,
        }
    }
}

impl Drop for FileBytes {
    fn drop(&mut self) {
        if let FileBytes::Assembled(v) = self {
            keep(std::mem::take(v));
        }
    }
}

/// The bytes of the file of `hdus` with layout `key`, dated `date`: assembled when the
/// layout is known, otherwise from `write` (cfitsio), whose layout is then learnt.
pub(super) fn file_bytes(
    key: String,
    hdus: &[HduSource<'_>],
    date: &str,
    write: impl FnOnce() -> Result<FitsBytes>,
) -> Result<FileBytes> {
    let known = LAYOUTS.with(|l| l.borrow().get(&key).cloned());
    if let Some(Some(layout)) = &known {
        let mut buffer = BUFFER.with(Cell::take);
        if layout.assemble_into(hdus, date, &mut buffer).is_some() {
            crate::fits::trim_kept_memory(buffer.len());
            return Ok(FileBytes::Assembled(buffer));
        }
        keep(buffer);
    }
    let written = write()?;
    // A file with a card in the long-string convention says nothing of its layout.
    if known.is_none() && in_records(hdus) {
        let layout = Layout::learn(&written, hdus).map(Rc::new);
        LAYOUTS.with(|l| {
            let mut l = l.borrow_mut();
            if l.len() >= MAX_LAYOUTS {
                l.clear();
            }
            l.insert(key, layout);
        });
    }
    Ok(FileBytes::Written(written))
}
