//! FITS writing and checking through cfitsio (the `fitsio` crate's bundled library,
//! called through `fitsio::sys`).
//!
//! - [`FitsWriter`]: a new FITS file being written, in memory or on disk, each HDU
//!   checksummed as it is finished;
//! - [`card`]: header cards formatted as 80-character records;
//! - [`create_image_hdu`]: the one way images are written (astraSource HDUs and plugins);
//! - [`table`]: binary tables with units, descriptions, null values and matrix cells;
//! - [`checksum`]: the FITS data checksum, summed from the data being written instead of
//!   read back;
//! - [`FitsReader`]: reading a file: HDUs, images, table columns, keywords, header cards
//!   and checksums (the astraSource checks and the spectrum readers use it).
//!
//! File names never go through cfitsio's extended-filename parser: files are created and
//! opened with the disk-file calls that take a name literally.

pub mod card;
pub mod checksum;
mod file;
mod image;
mod read;
mod status;
pub mod table;
pub(crate) mod template;

pub use card::{Card, CardValue};
pub(crate) use file::trim_kept_memory;
pub use file::{FitsBytes, FitsWriter, KEEP_LIMIT, kept_memory, release_kept_memory};
pub use image::{Dtype, ExtName, ImageData, create_image_hdu};
pub use read::{ColumnInfo, Element, FitsReader, HduType, RawCard};
pub use table::{ColumnData, TableColumn, create_table_hdu};
