//! ASPCAP's stellar parameters and the labels FERRE's grids give them.

use std::fmt;

/// One of ASPCAP's stellar parameters: a dimension of a FERRE grid.
///
/// The grids of ASPCAP name their dimensions with FERRE labels (`LABEL(i)` in the grid
/// header); each parameter has one ([`Parameter::ferre_label`]). A grid need not have
/// every parameter (the giants' grids have no rotation, for example).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Parameter {
    /// Effective temperature, K (`TEFF`).
    Teff,
    /// Surface gravity, log10(g / cm s-2) (`LOGG`).
    Logg,
    /// Metallicity [M/H] (`METALS`).
    MH,
    /// Rotational broadening, log10(v sin i / km s-1) (`LGVSINI`).
    Log10VSini,
    /// Microturbulence, log10(v_micro / km s-1) (`LOG10VDOP`).
    Log10VMicro,
    /// Alpha-element abundance [alpha/M] (`O Mg Si S Ca Ti`).
    AlphaM,
    /// Carbon abundance [C/M] (`C`).
    CM,
    /// Nitrogen abundance [N/M] (`N`).
    NM,
}

impl Parameter {
    /// Every parameter, in the order of ASPCAP's results.
    pub const ALL: [Parameter; 8] = [
        Parameter::Teff,
        Parameter::Logg,
        Parameter::MH,
        Parameter::Log10VSini,
        Parameter::Log10VMicro,
        Parameter::AlphaM,
        Parameter::CM,
        Parameter::NM,
    ];

    /// The parameter's name in the results (`teff`, `m_h`, `log10_v_micro`, ...).
    pub const fn name(self) -> &'static str {
        match self {
            Parameter::Teff => "teff",
            Parameter::Logg => "logg",
            Parameter::MH => "m_h",
            Parameter::Log10VSini => "log10_v_sini",
            Parameter::Log10VMicro => "log10_v_micro",
            Parameter::AlphaM => "alpha_m",
            Parameter::CM => "c_m",
            Parameter::NM => "n_m",
        }
    }

    /// The label ASPCAP's FERRE grids give this dimension.
    pub const fn ferre_label(self) -> &'static str {
        match self {
            Parameter::Teff => "TEFF",
            Parameter::Logg => "LOGG",
            Parameter::MH => "METALS",
            Parameter::Log10VSini => "LGVSINI",
            Parameter::Log10VMicro => "LOG10VDOP",
            Parameter::AlphaM => "O Mg Si S Ca Ti",
            Parameter::CM => "C",
            Parameter::NM => "N",
        }
    }

    /// The parameter a FERRE label names, if it is one of ASPCAP's.
    pub fn from_ferre_label(label: &str) -> Option<Parameter> {
        Parameter::ALL.into_iter().find(|p| p.ferre_label() == label.trim())
    }

    /// The parameter whose results name ([`Parameter::name`]) is `name`.
    pub fn from_name(name: &str) -> Option<Parameter> {
        Parameter::ALL.into_iter().find(|p| p.name() == name)
    }

    /// The parameter's position in [`Parameter::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A value for some of the parameters (the initial point of a spectrum, for example).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Point {
    values: [Option<f64>; 8],
}

impl Point {
    /// No value set.
    pub fn new() -> Self {
        Point::default()
    }

    /// The same point with `parameter` set to `value`.
    pub fn with(mut self, parameter: Parameter, value: f64) -> Self {
        self.values[parameter.index()] = Some(value);
        self
    }

    /// Sets `parameter` to `value`.
    pub fn set(&mut self, parameter: Parameter, value: f64) {
        self.values[parameter.index()] = Some(value);
    }

    /// The value of `parameter`, if set.
    pub fn get(&self, parameter: Parameter) -> Option<f64> {
        self.values[parameter.index()]
    }
}
