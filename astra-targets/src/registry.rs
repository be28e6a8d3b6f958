//! Every task linked into a program, found at run time through `inventory`.

use crate::task::TaskMeta;
use crate::{Error, Result};

/// The registration of one task; `#[derive(AstraTask)]` submits one per task.
#[derive(Debug)]
pub struct TaskRegistration(pub &'static TaskMeta);

inventory::collect!(TaskRegistration);

/// Every task linked into this program, sorted by family.
pub fn tasks() -> Vec<&'static TaskMeta> {
    let mut all: Vec<&'static TaskMeta> = inventory::iter::<TaskRegistration>.into_iter().map(|r| r.0).collect();
    all.sort_by(|a, b| a.family.cmp(b.family).then(a.rust_name.cmp(b.rust_name)));
    all
}

/// The task of family `family`.
pub fn task(family: &str) -> Result<&'static TaskMeta> {
    let all = tasks();
    all.iter()
        .copied()
        .find(|t| t.family == family)
        .ok_or_else(|| Error::NotRegistered {
            kind: "task",
            name: family.to_string(),
            known: all.iter().map(|t| t.family).collect::<Vec<_>>().join(", "),
        })
}
