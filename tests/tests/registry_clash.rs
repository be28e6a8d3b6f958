//! Two tasks linked into one program that declare the same family are refused by every
//! registry lookup, naming both Rust types, rather than one of them silently winning.
//! (The same result table: `registry_table_clash.rs`.)

use astra_targets::{AstraTask, Error, registry};

/// A task.
#[derive(AstraTask)]
#[astra(family = "Alpha")]
struct Alpha {
    /// A parameter
    n: i64,
}

/// Another task, declaring the same family.
#[derive(AstraTask)]
#[astra(family = "Alpha", table = "alpha_again")]
struct AlphaAgain {
    /// A parameter
    m: i64,
}

#[test]
fn a_family_declared_twice_is_refused_naming_both_tasks() {
    let err = registry::tasks().unwrap_err();
    match &err {
        Error::RegistryClash {
            what,
            name,
            first,
            second,
            ..
        } => {
            assert_eq!(*what, "family");
            assert_eq!(name, "Alpha");
            let mut both = [*first, *second];
            both.sort();
            assert_eq!(both, ["registry_clash::Alpha", "registry_clash::AlphaAgain"]);
        }
        other => panic!("expected a registry clash, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("registry_clash::Alpha ")
            && text.contains("registry_clash::AlphaAgain")
            && text.contains("\"Alpha\""),
        "{text}"
    );
    // Lookups go through the same check: no silent first-wins answer.
    assert!(matches!(registry::task("Alpha"), Err(Error::RegistryClash { .. })));
    assert!(matches!(registry::task("Anything"), Err(Error::RegistryClash { .. })));
    // The tasks themselves still work: only the registry refuses to choose.
    assert_eq!(Alpha { n: 1 }.task_id().len(), "Alpha_".len() + 8);
    assert_eq!(AlphaAgain { m: 1 }.task_id().len(), "Alpha_".len() + 8);
}
