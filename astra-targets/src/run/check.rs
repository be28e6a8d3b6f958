//! Files checked in bulk: input stamps and whether astraSource files are complete, on
//! several threads (the checks wait on the file system, not on computation).

use std::path::Path;

use crate::db::InputMemo;
use crate::source::looks_complete;

/// Items below which checks stay on the calling thread.
const ALONE: usize = 512;

/// `f` of each item, in order, on up to `threads` threads.
pub(super) fn par_map<'t, T: Sync, R: Send>(items: &'t [T], threads: usize, f: impl Fn(&'t T) -> R + Sync) -> Vec<R> {
    let threads = threads.clamp(1, items.len().div_ceil(ALONE).max(1));
    if threads == 1 {
        return items.iter().map(f).collect();
    }
    let piece = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let handles: Vec<_> = items
            .chunks(piece)
            .map(|part| s.spawn(|| part.iter().map(&f).collect::<Vec<R>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
            .collect()
    })
}

/// The threads file checks use: the machine's parallelism, at most 8.
pub(super) fn check_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get()).min(8)
}

/// A file's stamp: its size, modification time (ns) and inode, which change when the
/// file is replaced or rewritten. `None` when it cannot be read.
pub(super) fn stamp(path: &Path) -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(format!("{}:{}.{:09}:{}", m.size(), m.mtime(), m.mtime_nsec(), m.ino()))
}

/// Whether the astraSource file a memo entry names is there and whole: the file its
/// task's row was committed with (the same stamp), or, when the entry has no stamp of
/// it, a file that [`looks_complete`]. A plugin writing rows only has no file to check.
pub(super) fn output_complete(memo: &InputMemo) -> bool {
    if memo.output.is_empty() {
        return true;
    }
    let output = Path::new(&memo.output);
    if memo.output_stamp.is_empty() {
        looks_complete(output)
    } else {
        stamp(output).is_some_and(|s| s == memo.output_stamp)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn par_map_keeps_the_order() {
        let items: Vec<usize> = (0..5000).collect();
        assert_eq!(
            par_map(&items, 3, |i| i * 2),
            items.iter().map(|i| i * 2).collect::<Vec<_>>()
        );
        assert_eq!(par_map(&items[..10], 8, |i| i + 1), (1..11).collect::<Vec<_>>());
        assert!(par_map(&[] as &[usize], 4, |i| *i).is_empty());
    }

    #[test]
    fn a_file_is_complete_while_its_stamp_is_the_committed_one() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.fits");
        std::fs::write(&path, vec![b' '; 2880]).unwrap();
        let memo = InputMemo::new("1:2.3:4", "id", path.to_str().unwrap());
        assert!(!output_complete(&memo), "no stamp: the file must look like FITS");
        let memo = memo.with_output_stamp(stamp(&path).unwrap());
        assert!(output_complete(&memo));
        std::fs::write(&path, vec![b' '; 5760]).unwrap();
        assert!(!output_complete(&memo), "a rewritten file is not the committed one");
        std::fs::remove_file(&path).unwrap();
        assert!(!output_complete(&memo));
        assert!(output_complete(&InputMemo::new("1:2.3:4", "id", "")));
    }
}
