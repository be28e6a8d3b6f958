//! Two plugins with one name are refused, naming both.

mod plugin_support;

use plugin_support::{CountA, CountB};

counting_plugin!(First, "twin", CountA);
counting_plugin!(Second, "twin", CountB);
astra_targets::register_plugin!(First);
astra_targets::register_plugin!(Second);

#[test]
fn two_plugins_with_one_name_are_refused() {
    let err = astra_targets::plugin::plugins().unwrap_err().to_string();
    assert_eq!(
        err,
        "plugins twin (crate astra-targets-tests) and twin (crate astra-targets-tests) both have the name \"twin\": \
         a name belongs to one plugin"
    );
    let err = astra_targets::plugin::find("twin").unwrap_err().to_string();
    assert!(err.contains("both have the name \"twin\""), "{err}");
}
