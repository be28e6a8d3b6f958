//! Every task linked into a program, found at run time through `inventory`.
//!
//! Each task family and each result table belongs to one task: when two linked tasks
//! declare the same family or the same table, every lookup here is refused with an error
//! naming both Rust types ([`Error::RegistryClash`]).

use crate::meta::TaskMeta;
use crate::{Error, Result};

/// The registration of one task; `#[derive(AstraTask)]` submits one per task.
#[derive(Debug)]
pub struct TaskRegistration(pub &'static TaskMeta);

inventory::collect!(TaskRegistration);

/// Every task linked into this program, sorted by family; refused when two of them share a
/// family or a result table.
pub fn tasks() -> Result<Vec<&'static TaskMeta>> {
    let mut all: Vec<&'static TaskMeta> = inventory::iter::<TaskRegistration>.into_iter().map(|r| r.0).collect();
    all.sort_by(|a, b| a.family.cmp(b.family).then(a.rust_name.cmp(b.rust_name)));
    check(&all)?;
    Ok(all)
}

/// The task of family `family`.
pub fn task(family: &str) -> Result<&'static TaskMeta> {
    let all = tasks()?;
    all.iter()
        .copied()
        .find(|t| t.family == family)
        .ok_or_else(|| Error::NotRegistered {
            kind: "task",
            name: family.to_string(),
            known: all.iter().map(|t| t.family).collect::<Vec<_>>().join(", "),
        })
}

/// Refuses two registrations of one family or one result table.
fn check(all: &[&'static TaskMeta]) -> Result<()> {
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            let clash = if a.family == b.family {
                Some(("family", a.family))
            } else if a.table == b.table {
                Some(("result table", a.table))
            } else {
                None
            };
            if let Some((what, name)) = clash {
                return Err(Error::RegistryClash {
                    what,
                    name: name.to_string(),
                    first: a.rust_name,
                    second: b.rust_name,
                });
            }
        }
    }
    Ok(())
}
