//! Two tasks linked into one program that write the same result table are refused by
//! every registry lookup, naming both Rust types.

use astra_targets::{AstraTask, Error, registry};

/// A task.
#[derive(AstraTask)]
#[astra(table = "shared_results")]
struct Beta {
    /// A parameter
    n: i64,
}

/// Another task, of another family, writing the same table.
#[derive(AstraTask)]
#[astra(table = "shared_results")]
struct Gamma {
    /// A parameter
    n: i64,
}

#[test]
fn a_result_table_declared_twice_is_refused_naming_both_tasks() {
    let err = registry::task("Beta").unwrap_err();
    match &err {
        Error::RegistryClash {
            what,
            name,
            first,
            second,
            ..
        } => {
            assert_eq!(*what, "result table");
            assert_eq!(name, "shared_results");
            let mut both = [*first, *second];
            both.sort();
            assert_eq!(both, ["registry_table_clash::Beta", "registry_table_clash::Gamma"]);
        }
        other => panic!("expected a registry clash, got {other:?}"),
    }
    assert!(err.to_string().contains("result table \"shared_results\""), "{err}");
    assert_eq!(Beta { n: 1 }.task_short_id().len(), "beta-".len() + 8);
    assert_eq!(Gamma { n: 1 }.task_short_id().len(), "gamma-".len() + 8);
}
