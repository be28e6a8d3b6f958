//! Low-level FITS writing through cfitsio: image and table HDUs, header cards, checksums.
