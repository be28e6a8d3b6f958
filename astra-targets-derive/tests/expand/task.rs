// A task with parameters of several kinds, an enum parameter, a path template and
// results. Its expansion is in task.expanded.rs (see src/snapshots.rs).

/// Fit labels to every visit of a star.
#[derive(AstraTask)]
#[astra(
    family = "VisitFit",
    version = "2.0.1",
    results = Row,
    path = "{namespace}/{telescope}/{healpix|grp:0>3}/{healpix}/Visit-{obj}-{task_short_id}.fits"
)]
struct VisitFit {
    /// Telescope
    #[astra(enum)]
    telescope: Telescope,
    /// HEALPix pixel
    healpix: u32,
    /// Object name
    obj: String,
    /// Lowest S/N analysed
    snr_min: f64,
    /// Threads
    #[astra(insignificant, default)]
    threads: u16,
}
