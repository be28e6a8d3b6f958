//! A plugin name that is not lower-case ASCII (here submitted by hand, past the macro's
//! compile-time check) is refused at lookup, naming its crate. (Lookup by name with the
//! closest name suggested is tested through the program, in `runner.rs`.)

mod plugin_support;

use astra_targets::Error;
use astra_targets::plugin::{Outputs, PluginDescriptor, PluginRegistration, find, plugins};
use plugin_support::{CountA, CountB};

counting_plugin!(Alpha, "alpha", CountA);
astra_targets::register_plugin!(Alpha);

#[test]
fn lookup_and_bad_names() {
    // The hand-made registration below spoils the whole list, as a clash does.
    let err = plugins().unwrap_err();
    assert!(
        matches!(
            err,
            Error::PluginName {
                name: "Bad-Name",
                crate_name: "hand-made"
            }
        ),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "plugin \"Bad-Name\" of crate hand-made: a plugin name is lower-case ASCII letters, digits and `_`, \
         starting with a letter"
    );
    assert!(find("alpha").is_err());
}

counting_plugin!(BadName, "Bad-Name", CountB);
const BAD: PluginDescriptor = PluginDescriptor::of::<BadName>("hand-made");
astra_targets::inventory::submit! { PluginRegistration(&BAD) }

#[test]
fn descriptors_carry_the_registration() {
    assert_eq!(BAD.name, "Bad-Name");
    assert_eq!(BAD.crate_name, "hand-made");
    assert_eq!(BAD.task.family, "CountB");
    assert_eq!(BAD.outputs, Outputs::Rows);
}
