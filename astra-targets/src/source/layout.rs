//! The HDUs of an astraSource file, in order, with what each holds.

/// One HDU of the astraSource layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HduSpec {
    /// The `EXTNAME` (`PRIMARY` for HDU 0, which carries no `EXTNAME` card).
    pub name: &'static str,
    /// What the HDU holds: the `EXTNAME` comment and the primary `HISTORY` card.
    pub meaning: &'static str,
    /// The `BUNIT` of an image HDU; `None` for the primary HDU and tables.
    pub bunit: Option<&'static str>,
}

/// The unit of the flux and continuum of SDSS spectra.
pub const FLUX_UNIT: &str = "10**-17 erg/s/cm**2/Angstrom";

/// The nine HDUs, in file order.
pub const HDUS: [HduSpec; 9] = [
    HduSpec {
        name: "PRIMARY",
        meaning: "Input spectrum header and provenance",
        bunit: None,
    },
    HduSpec {
        name: "NORMALIZED_FLUX",
        meaning: "Continuum-normalized flux",
        bunit: Some(""),
    },
    HduSpec {
        name: "NORMALIZED_IVAR",
        meaning: "Normalized flux inverse variance",
        bunit: Some(""),
    },
    HduSpec {
        name: "BITMASK",
        meaning: "Pixel bitmask of the input spectrum",
        bunit: Some(""),
    },
    HduSpec {
        name: "CONTINUUM",
        meaning: "Continuum of the flux",
        bunit: Some(FLUX_UNIT),
    },
    HduSpec {
        name: "MODEL_FLUX",
        meaning: "Model of the normalized flux",
        bunit: Some(""),
    },
    HduSpec {
        name: "MODEL_IVAR",
        meaning: "Model flux inverse variance",
        bunit: Some(""),
    },
    HduSpec {
        name: "TASK_PARAMETERS",
        meaning: "Parameter names, values, descriptions",
        bunit: None,
    },
    HduSpec {
        name: "RESULTS",
        meaning: "Results, one row per spectrum",
        bunit: None,
    },
];

/// The index of `TASK_PARAMETERS`.
pub const TASK_PARAMETERS: usize = 7;
/// The index of `RESULTS`.
pub const RESULTS: usize = 8;

/// The provenance cards the writer appends to the primary header, in order: key and
/// comment.
pub const PROVENANCE_CARDS: [(&str, &str); 6] = [
    ("ASTRA", "astra-targets version"),
    ("TASK_ID", "Task identifier"),
    ("CREATED", "File creation time (UTC)"),
    ("PLUGIN", "Plugin that wrote this file"),
    ("PLUGVER", "Plugin version"),
    ("PARAMHSH", "MD5 of the significant parameters"),
];

/// The spectral world-coordinate cards of every image HDU, in order: key and comment.
pub const WCS_CARDS: [(&str, &str); 5] = [
    ("CRVAL1", "log10(wavelength / Angstrom) at CRPIX1"),
    ("CDELT1", "log10(wavelength) step per pixel"),
    ("CRPIX1", "Reference pixel (1-based)"),
    ("CTYPE1", "Log-linear wavelength axis"),
    ("DC-FLAG", "Dispersion: 1 for log-linear"),
];
