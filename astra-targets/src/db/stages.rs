//! Where the time of a bulk write goes, stage by stage
//! ([`Database::write_many_timed`](super::Database::write_many_timed)).

use std::fmt;
use std::time::{Duration, Instant};

/// The time each stage of one bulk write took, in the order they run.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct WriteStages {
    /// Task ids computed and parameters checked, before any SQL.
    pub prepare: Duration,
    /// Outputs reserved, one per task, and task rows created (or touched) pointing at them.
    pub tasks: Duration,
    /// Earlier parameter links removed, parameter rows stored and their keys read.
    pub parameters: Duration,
    /// Task-parameter links inserted.
    pub links: Duration,
    /// Shared outputs checked (their tasks moved to their reserved output), reserved
    /// outputs of tasks that kept theirs dropped, earlier result rows removed.
    pub outputs: Duration,
    /// Result rows inserted.
    pub rows: Duration,
    /// The transaction committed.
    pub commit: Duration,
}

impl WriteStages {
    /// The sum of the stages.
    pub fn total(&self) -> Duration {
        self.prepare + self.tasks + self.parameters + self.links + self.outputs + self.rows + self.commit
    }
}

impl fmt::Display for WriteStages {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stages = [
            ("prepare", self.prepare),
            ("tasks", self.tasks),
            ("parameters", self.parameters),
            ("links", self.links),
            ("outputs", self.outputs),
            ("rows", self.rows),
            ("commit", self.commit),
        ];
        for (i, (name, d)) in stages.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{name} {:.3} s", d.as_secs_f64())?;
        }
        Ok(())
    }
}

/// A stopwatch adding each lap to a stage, when stages are being measured.
pub(crate) struct Laps<'a> {
    stages: Option<&'a mut WriteStages>,
    since: Instant,
}

impl<'a> Laps<'a> {
    /// Laps added to `stages` (none measured when `None`).
    pub(crate) fn new(stages: Option<&'a mut WriteStages>) -> Self {
        Laps {
            stages,
            since: Instant::now(),
        }
    }

    /// Adds the time since the last lap to the stage `pick` chooses.
    pub(crate) fn lap(&mut self, pick: impl FnOnce(&mut WriteStages) -> &mut Duration) {
        let now = Instant::now();
        if let Some(s) = self.stages.as_deref_mut() {
            *pick(s) += now - self.since;
        }
        self.since = now;
    }
}
