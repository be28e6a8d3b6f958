//! The memory the writer keeps between files follows what the last file needed: after a
//! large file the buffer it was assembled in is kept for the next large one, and the
//! small files that follow give it back. One test in its own binary: the kept buffer is
//! the process's.

mod source_support;

use astra_targets::OutputRoot;
use astra_targets::fits::kept_memory;
use astra_targets::source::{AstraSource, SourceImages, Staging, WriteOptions};
use astra_targets::spectrum::SpectrumKind;
use source_support::*;

fn write(n: usize, seed: u64, options: &WriteOptions) -> u64 {
    let (_dir, root) = output_root();
    let task = task();
    let source = AstraSource::new(&task, &OutputRoot::new(&root)).unwrap();
    let mut spectrum = spectrum(SpectrumKind::Apogee, n, seed);
    // No long-string card, so small files of this layout are assembled once it is learnt.
    spectrum.header.retain(|c| c.key != "OBJNOTE");
    let (_, p) = spectrum.shape();
    let mut noise = Noise::new(seed);
    let flux = noise.array((n, p), 0.5, 1.1);
    let ivar = noise.array((n, p), 0.0, 100.0);
    source
        .write_images(&spectrum, SourceImages::new(&flux, &ivar), &results(n), options)
        .unwrap();
    std::fs::metadata(source.path()).unwrap().len()
}

#[test]
fn the_kept_buffer_follows_the_last_file() {
    let large = write(300, 1, &WriteOptions::default().staging(Staging::Memory));
    let kept = kept_memory();
    assert!(
        kept as u64 >= large && kept < 4 * large as usize,
        "after a {large}-byte file in memory, {kept} bytes kept"
    );
    for seed in 2..6 {
        write(1, seed, &WriteOptions::default());
    }
    let kept = kept_memory();
    assert!(kept <= 2 << 20, "after small files, {kept} bytes still kept");
}
