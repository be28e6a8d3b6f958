//! A FITS file being written through cfitsio: on disk, or in memory and then written out
//! in one piece.

use std::ffi::{CString, c_int, c_void};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::ptr;
use std::sync::Mutex;

use fitsio::sys;

use super::card::Card;
use super::card::{self, Formatted};
use super::checksum::Sum32;
use super::status::check;
use crate::{Error, Result};

unsafe extern "C" {
    fn realloc(p: *mut c_void, size: usize) -> *mut c_void;
    fn free(p: *mut c_void);
}

/// The memory of an in-memory FITS file: cfitsio holds pointers to both fields and
/// updates them when it grows the buffer, so they live in a `Box` that never moves.
#[derive(Debug)]
struct MemFile {
    ptr: *mut c_void,
    size: usize,
}

/// Bytes before each buffer handed to cfitsio, holding its real capacity.
const PREFIX: usize = 16;

/// The reallocation function given to cfitsio.
///
/// cfitsio truncates a memory file to the end of the current HDU whenever it starts the
/// next one, then grows it again: done literally, every HDU would move the buffer and
/// fault in fresh pages. Here a buffer never shrinks (its real capacity is kept just
/// before it) and grows at least twofold.
unsafe extern "C" fn grow(p: *mut c_void, size: usize) -> *mut c_void {
    // SAFETY: `p` is null or a pointer this function returned, PREFIX bytes into a C
    // allocation whose first word is its capacity.
    unsafe {
        let (base, capacity) = if p.is_null() {
            (ptr::null_mut(), 0)
        } else {
            let base = (p as *mut u8).sub(PREFIX) as *mut c_void;
            (base, *(base as *const usize))
        };
        if size <= capacity {
            return p;
        }
        let capacity = size.max(capacity * 2);
        let base = realloc(base, capacity + PREFIX);
        if base.is_null() {
            return ptr::null_mut();
        }
        *(base as *mut usize) = capacity;
        (base as *mut u8).add(PREFIX) as *mut c_void
    }
}

/// Frees a buffer made by [`grow`].
unsafe fn release(p: *mut c_void) {
    if !p.is_null() {
        // SAFETY: `p` came from `grow`.
        unsafe { free((p as *mut u8).sub(PREFIX) as *mut c_void) };
    }
}

/// Buffers up to this capacity are kept for the next in-memory file.
pub const KEEP_LIMIT: usize = 512 << 20;

/// The kept buffer (a pointer from [`grow`], as an address), ready for the next file:
/// its pages are already mapped, which spares hundreds of thousands of page faults when
/// large files are written one after the other.
static KEPT: Mutex<usize> = Mutex::new(0);

/// The capacity of a buffer from [`grow`].
unsafe fn capacity(p: *mut c_void) -> usize {
    // SAFETY: `p` came from `grow`: its capacity is stored PREFIX bytes before it.
    unsafe { *((p as *mut u8).sub(PREFIX) as *const usize) }
}

/// Takes the kept buffer, if any.
fn take_kept() -> *mut c_void {
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    std::mem::take(&mut *kept) as *mut c_void
}

/// Whether a kept buffer of `capacity` bytes is more than a file of `needed` bytes
/// warrants: over twice that, and over 1 MiB.
fn oversized(capacity: usize, needed: usize) -> bool {
    capacity > needed.saturating_mul(2).max(1 << 20)
}

/// Keeps a buffer for the next file when it is not too large: the larger of it and the
/// one kept already, unless that one is oversized for this file (the kept memory follows
/// what the last file needed); frees what is not kept.
unsafe fn keep_or_release(p: *mut c_void) {
    if p.is_null() {
        return;
    }
    // SAFETY: `p` came from `grow`.
    let cap = unsafe { capacity(p) };
    if cap > KEEP_LIMIT {
        // SAFETY: as above.
        return unsafe { release(p) };
    }
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    let old = *kept as *mut c_void;
    // SAFETY: both came from `grow`; the one not kept is freed.
    unsafe {
        if old.is_null() || capacity(old) < cap || oversized(capacity(old), cap) {
            *kept = p as usize;
            release(old);
        } else {
            release(p);
        }
    }
}

/// Frees the kept buffer when it is oversized for a file of `needed` bytes written
/// without it (over twice that, and over 1 MiB): a worker does not hold the memory of
/// one large file while it writes small ones.
pub(crate) fn trim_kept_memory(needed: usize) {
    let mut kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    let p = *kept as *mut c_void;
    // SAFETY: the kept pointer came from `grow`; once taken out it is freed once.
    unsafe {
        if !p.is_null() && oversized(capacity(p), needed) {
            *kept = 0;
            drop(kept);
            release(p);
        }
    }
}

/// The size in bytes of the buffer kept for the next in-memory file (0 when none is).
pub fn kept_memory() -> usize {
    let kept = KEPT.lock().unwrap_or_else(|e| e.into_inner());
    let p = *kept as *mut c_void;
    if p.is_null() {
        0
    } else {
        // SAFETY: the kept pointer came from `grow` and stays alive while the lock is held.
        unsafe { capacity(p) }
    }
}

/// Frees the buffer kept for the next in-memory file (up to [`KEEP_LIMIT`] bytes).
pub fn release_kept_memory() {
    // SAFETY: the kept pointer came from `grow` and is owned by nobody else.
    unsafe { release(take_kept()) };
}

/// A new FITS file being written with cfitsio, one HDU after the other.
///
/// HDUs are written completely (header, then data) and then checksummed: when the writer
/// was created with `checksum`, every HDU gets `DATASUM` and `CHECKSUM` cards. Dropping a
/// writer abandons the file (closing it and ignoring cfitsio's status);
/// [`close`](Self::close) and [`into_bytes`](Self::into_bytes) report every error.
///
/// A `FitsWriter` is not `Send`: cfitsio file handles stay on the thread that made them.
#[derive(Debug)]
pub struct FitsWriter {
    fptr: *mut sys::fitsfile,
    mem: Option<Box<MemFile>>,
    checksum: bool,
    /// The file on disk (`None`: in memory).
    path: Option<PathBuf>,
    hdus: usize,
}

impl FitsWriter {
    /// Creates a new FITS file at `path`, which must not exist. The name is taken
    /// literally (no cfitsio extended-filename syntax).
    pub fn create_file(path: &Path, checksum: bool) -> Result<Self> {
        let name = path.display().to_string();
        let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::Card {
            key: "file name".into(),
            reason: format!("{name:?} holds a NUL byte"),
        })?;
        let mut fptr = ptr::null_mut();
        let mut status = 0;
        // SAFETY: valid C string and out-pointers.
        unsafe { sys::ffdkinit(&mut fptr, c.as_ptr(), &mut status) };
        check(status, Some(path), None, || "creating".into())?;
        Ok(FitsWriter {
            fptr,
            mem: None,
            checksum,
            path: Some(path.to_path_buf()),
            hdus: 0,
        })
    }

    /// Creates a new FITS file in memory, with room for `capacity` bytes before cfitsio
    /// has to grow it. The buffer kept from the previous in-memory file (see
    /// [`KEEP_LIMIT`]) is reused when there is one.
    pub fn create_memory(capacity: usize, checksum: bool) -> Result<Self> {
        let mut mem = Box::new(MemFile {
            ptr: take_kept(),
            size: 0,
        });
        let mut fptr = ptr::null_mut();
        let mut status = 0;
        let delta = capacity.div_ceil(2880).max(1) * 2880;
        // SAFETY: cfitsio keeps the addresses of `mem.ptr` and `mem.size`, which are boxed
        // and outlive the file (it is closed in `into_bytes` or `drop` before `mem` goes).
        unsafe { sys::ffimem(&mut fptr, &mut mem.ptr, &mut mem.size, delta, Some(grow), &mut status) };
        check(status, None, None, || "creating".into())?;
        Ok(FitsWriter {
            fptr,
            mem: Some(mem),
            checksum,
            path: None,
            hdus: 0,
        })
    }

    /// The cfitsio handle, for calls this type does not wrap. The current HDU is the last
    /// one created.
    pub fn as_raw(&mut self) -> *mut sys::fitsfile {
        self.fptr
    }

    /// Whether HDUs are checksummed.
    pub fn checksum(&self) -> bool {
        self.checksum
    }

    /// The number of HDUs created so far.
    pub fn hdu_count(&self) -> usize {
        self.hdus
    }

    pub(crate) fn check(&self, status: c_int, action: impl FnOnce() -> String) -> Result<()> {
        check(status, self.path.as_deref(), None, action)
    }

    /// Counts a new HDU (called by the functions that create one).
    pub(crate) fn hdu_created(&mut self) {
        self.hdus += 1;
    }

    /// Appends a card to the current HDU's header.
    pub fn write_card(&mut self, card: &Card) -> Result<()> {
        self.write_formatted(&card::format(card)?)
    }

    /// Appends a card already formatted by [`card::format`] (for writers that check their
    /// cards before they touch anything, and so format each once).
    pub fn write_formatted(&mut self, card: &Formatted) -> Result<()> {
        let mut status = 0;
        let key = match card {
            Formatted::Records(records) => {
                for record in records {
                    let c = cstr(record);
                    // SAFETY: valid handle and C string.
                    unsafe { sys::ffprec(self.fptr, c.as_ptr(), &mut status) };
                }
                records.first().map_or("", |r| r.get(..8).unwrap_or(r).trim_end())
            }
            Formatted::LongString { key, value, comment } => {
                let (k, v, c) = (cstr(key), cstr(value), cstr(comment));
                // SAFETY: valid handle and C strings. ffplsw adds the LONGSTRN card that
                // announces the long-string convention (once per HDU).
                unsafe { sys::ffplsw(self.fptr, &mut status) };
                unsafe { sys::ffpkls(self.fptr, k.as_ptr(), v.as_ptr(), c.as_ptr(), &mut status) };
                key.as_str()
            }
        };
        self.check(status, || format!("writing header card {key}"))
    }

    /// Appends cards to the current HDU's header.
    pub fn write_cards<'c>(&mut self, cards: impl IntoIterator<Item = &'c Card>) -> Result<()> {
        cards.into_iter().try_for_each(|c| self.write_card(c))
    }

    /// Replaces the card of an existing keyword of the current HDU by a whole record
    /// (printable ASCII, at most 80 characters).
    pub fn replace_card(&mut self, key: &str, record: &str) -> Result<()> {
        let (k, r) = (cstr(key), ascii_cstr(key, record)?);
        let mut status = 0;
        // SAFETY: valid handle and C strings.
        unsafe { sys::ffmcrd(self.fptr, k.as_ptr(), r.as_ptr(), &mut status) };
        self.check(status, || format!("replacing the card {key}"))
    }

    /// Replaces the comment of an existing keyword of the current HDU.
    pub fn set_comment(&mut self, key: &str, comment: &str) -> Result<()> {
        if comment.is_empty() {
            return Ok(());
        }
        let (k, c) = (cstr(key), ascii_cstr(key, comment)?);
        let mut status = 0;
        // SAFETY: valid handle and C strings.
        unsafe { sys::ffmcom(self.fptr, k.as_ptr(), c.as_ptr(), &mut status) };
        self.check(status, || format!("setting the comment of {key}"))
    }

    /// Ends the current HDU's header: with checksums on, appends `DATASUM` (the given sum
    /// of the data still to be written, or a placeholder) and a zero `CHECKSUM`, so that
    /// finishing the HDU only rewrites cards in place.
    pub(crate) fn reserve_checksum(&mut self, datasum: Option<Sum32>) -> Result<()> {
        if !self.checksum {
            return Ok(());
        }
        let sum = datasum.map_or(0, |s| s.value());
        self.write_card(&card::string("CHECKSUM", "0000000000000000", "HDU checksum"))?;
        self.write_card(&card::string("DATASUM", &sum.to_string(), "data unit checksum"))
    }

    /// Finishes the current HDU: with checksums on, sets `CHECKSUM` (and `DATASUM`, read
    /// back by cfitsio when `datasum_known` is false).
    pub(crate) fn finish_hdu(&mut self, datasum_known: bool) -> Result<()> {
        if !self.checksum {
            return Ok(());
        }
        let mut status = 0;
        // SAFETY: valid handle.
        unsafe {
            if datasum_known {
                sys::ffupck(self.fptr, &mut status);
            } else {
                sys::ffpcks(self.fptr, &mut status);
            }
        }
        self.check(status, || format!("checksumming HDU {}", self.hdus))
    }

    /// Writes a primary HDU without data: `SIMPLE`, `BITPIX = 8`, `NAXIS = 0`, `EXTEND`,
    /// then `cards` (structural and checksum keys among them are skipped), then the
    /// checksum cards.
    pub fn write_primary(&mut self, cards: &[Card]) -> Result<()> {
        self.create_primary()?;
        self.write_cards(cards.iter().filter(|c| !card::is_reserved(&c.key)))?;
        self.reserve_checksum(Some(Sum32::default()))?;
        self.finish_hdu(true)
    }

    /// [`write_primary`](Self::write_primary) from cards already formatted by
    /// [`card::format`], none of them structural or checksum keys.
    pub fn write_primary_formatted(&mut self, cards: &[Formatted]) -> Result<()> {
        self.create_primary()?;
        cards.iter().try_for_each(|c| self.write_formatted(c))?;
        self.reserve_checksum(Some(Sum32::default()))?;
        self.finish_hdu(true)
    }

    fn create_primary(&mut self) -> Result<()> {
        let mut status = 0;
        // SAFETY: valid handle; no axes.
        unsafe { sys::ffcrimll(self.fptr, 8, 0, ptr::null_mut(), &mut status) };
        self.check(status, || "creating the primary HDU".to_string())?;
        self.hdu_created();
        Ok(())
    }

    /// Closes the file, reporting any error cfitsio meets while flushing it.
    pub fn close(mut self) -> Result<()> {
        let mut status = 0;
        // SAFETY: valid handle, closed once (the pointer is cleared).
        unsafe { sys::ffclos(self.fptr, &mut status) };
        self.fptr = ptr::null_mut();
        self.check(status, || "closing".to_string())
    }

    /// Closes an in-memory file and returns its bytes. Refused for files on disk.
    pub fn into_bytes(mut self) -> Result<FitsBytes> {
        if self.mem.is_none() {
            return Err(Error::Cfitsio {
                path: self.path.clone(),
                hdu: None,
                action: "taking the bytes".into(),
                status: 0,
                message: "the file is on disk".into(),
            });
        }
        let (mut start, mut data, mut end) = (0, 0, 0);
        let mut status = 0;
        // SAFETY: valid handle; the current HDU is the last one.
        unsafe { sys::ffghadll(self.fptr, &mut start, &mut data, &mut end, &mut status) };
        self.check(status, || "sizing".to_string())?;
        let len = (end as usize).div_ceil(2880) * 2880;
        // SAFETY: valid handle, closed once.
        unsafe { sys::ffclos(self.fptr, &mut status) };
        self.fptr = ptr::null_mut();
        self.check(status, || "closing".to_string())?;
        let mem = self.mem.take().expect("checked above");
        if len > mem.size {
            // SAFETY: the memory came from `grow`.
            unsafe { release(mem.ptr) };
            return Err(Error::Cfitsio {
                path: None,
                hdu: None,
                action: "closing".into(),
                status: 0,
                message: format!("{len} bytes expected, {} held", mem.size),
            });
        }
        Ok(FitsBytes { ptr: mem.ptr, len })
    }
}

impl Drop for FitsWriter {
    fn drop(&mut self) {
        if !self.fptr.is_null() {
            let mut status = 0;
            // SAFETY: valid handle, closed once; the status is deliberately ignored (the
            // file is being abandoned).
            unsafe { sys::ffclos(self.fptr, &mut status) };
            let _ = super::status::message(status);
        }
        if let Some(mem) = self.mem.take() {
            // SAFETY: null or memory from `grow`, no longer referenced by cfitsio.
            unsafe { keep_or_release(mem.ptr) };
        }
    }
}

/// The bytes of a FITS file written in memory.
#[derive(Debug)]
pub struct FitsBytes {
    ptr: *mut c_void,
    len: usize,
}

impl std::ops::Deref for FitsBytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: `len` bytes of the buffer were written by cfitsio.
        unsafe { std::slice::from_raw_parts(self.ptr as *const u8, self.len) }
    }
}

impl Drop for FitsBytes {
    fn drop(&mut self) {
        // SAFETY: memory from `grow`, owned here.
        unsafe { keep_or_release(self.ptr) };
    }
}

pub(crate) fn cstr(s: &str) -> CString {
    CString::new(s.replace('\0', " ")).expect("NUL bytes replaced")
}

pub(crate) fn ascii_cstr(what: &str, s: &str) -> Result<CString> {
    if let Some(c) = s.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(Error::Card {
            key: what.into(),
            reason: format!("{s:?} holds {c:?}; FITS text is printable ASCII"),
        });
    }
    Ok(cstr(s))
}

/// A pointer cfitsio declares mutable but only reads.
pub(crate) fn read_only<T>(data: &[T]) -> *mut c_void {
    data.as_ptr() as *mut c_void
}
