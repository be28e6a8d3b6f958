//! Input spectra: APOGEE apStar-style and BOSS spec-style files, and synthetic ones.
