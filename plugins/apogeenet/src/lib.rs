//! APOGEENet's results as database rows.
//!
//! APOGEENet is a neural network that maps an APOGEE spectrum to its effective
//! temperature, surface gravity and metallicity; its errors come from running it again
//! on copies of the spectrum perturbed by its noise (Monte-Carlo draws), as the SDSS
//! pipeline did.
//!
//! **Approach.** The network's inference runs outside this crate (no maintained Rust
//! inference crate was used, and the trained network is not part of the workspace): the
//! network writes a table of its outputs for a batch of spectra, and this crate reads it
//! ([`table`]), matches each spectrum row of each input file with its line, computes the
//! spectrum's signal-to-noise ratio, and sets the quality bits ([`quality`]). The rows
//! go to the database (no astraSource file), one per spectrum row, through the `apogeenet`
//! plugin of the `astra` program ([`plugin`]):
//!
//! ```text
//! astra run apogeenet INPUTS... --model apogeenet-outputs.csv
//! ```
//!
//! The table's layout is described in [`table`]. A table that cannot be read is refused
//! as a whole, before any task runs, with one error naming the file and the line; a
//! spectrum row the table lacks fails its task with an error naming the file, the row and
//! the table, and the other tasks go on.
//!
//! **Quality bits** (the `result_flags` column, declared once in
//! [`plugin::ApogeeNetResults`] and recorded with their names in the database and the
//! docs), modelled on what SDSS's APOGEENet (version 3) flagged:
//!
//! | Bit | Name | Set when |
//! |---|---|---|
//! | 0 | `BAD_OUTPUT` | a value or error of the table is not a finite number |
//! | 1 | `UNRELIABLE_TEFF` | teff is outside 1700 K to 100 000 K |
//! | 2 | `UNRELIABLE_LOGG` | logg is outside -1 to 6 |
//! | 3 | `UNRELIABLE_FE_H` | teff < 3200 K, logg > 5, or fe_h outside -4 to 2 |
//! | 4 | `LOW_SNR` | the spectrum's median S/N per pixel is below 10 |
//! | 5 | `LARGE_ERROR` | u_teff > 10% of teff, u_logg > 0.5 or u_fe_h > 0.5 |
//!
//! The task id names the table (the MD5 of its file): another batch's outputs are other
//! work.

mod error;
pub mod plugin;
pub mod quality;
pub mod table;

pub use error::ApogeeNetError;
pub use table::{NetworkRow, OutputTable};
