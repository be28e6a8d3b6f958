//! The progress bar of `astra run`: rate and time left, drawn on standard error only
//! when it is a terminal.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::run::Observer;

/// A progress bar over a run's inputs, for [`Runner::observer`](crate::run::Runner::observer):
/// rate and time left on standard error when it is a terminal, nothing otherwise.
#[derive(Debug)]
pub struct Bar(ProgressBar);

impl Default for Bar {
    fn default() -> Self {
        Bar::new()
    }
}

impl Bar {
    /// A bar, hidden when standard error is not a terminal.
    pub fn new() -> Bar {
        let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
        if !std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::hidden());
        }
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} inputs  {per_sec}  {elapsed_precise} elapsed, ETA {eta}")
        {
            bar.set_style(style);
        }
        Bar(bar)
    }

    /// Removes the bar from the terminal.
    pub fn finish(&self) {
        self.0.finish_and_clear();
    }
}

impl Observer for Bar {
    fn started(&self, inputs: usize) {
        self.0.set_length(inputs as u64);
    }
    fn skipped(&self, n: usize) {
        self.0.inc(n as u64);
    }
    fn finished(&self, _ok: bool) {
        self.0.inc(1);
    }
}
