//! Two plugins on one task family are refused, naming both; an unknown name is answered
//! with the known names and the closest.

mod plugin_support;

use plugin_support::CountA;

counting_plugin!(First, "counta", CountA);
counting_plugin!(Second, "countb", CountA);
astra_targets::register_plugin!(First);
astra_targets::register_plugin!(Second);

#[test]
fn two_plugins_on_one_family_are_refused() {
    let err = astra_targets::plugin::plugins().unwrap_err().to_string();
    assert_eq!(
        err,
        "plugins counta (crate astra-targets-tests) and countb (crate astra-targets-tests) both have the task family \
         \"CountA\": a task family belongs to one plugin"
    );
}
