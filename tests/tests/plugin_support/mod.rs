//! Small plugins for the registration tests: each test file is its own program, with its
//! own registrations.

#![allow(dead_code)]

use astra_targets::plugin::{Analysis, Input, ModelSource, Outputs, Plugin, PluginResult};
use astra_targets::{AstraResults, AstraTask};

/// Rows counted
#[derive(Debug, Clone, PartialEq, AstraResults)]
pub struct CountResults {
    /// Number of spectrum rows
    pub rows: i64,
}

/// Counts spectra.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(family = "CountA", version = "0.1.0", results = CountResults, table = "count_a")]
pub struct CountA {
    /// Object identifier
    pub obj: String,
}

/// Counts spectra too.
#[derive(Debug, Clone, PartialEq, AstraTask)]
#[astra(family = "CountB", version = "0.1.0", results = CountResults, table = "count_b")]
pub struct CountB {
    /// Object identifier
    pub obj: String,
}

/// Declares a counting plugin type `$plugin` named `$name` on task `$task`.
#[macro_export]
macro_rules! counting_plugin {
    ($plugin:ident, $name:literal, $task:ident) => {
        pub struct $plugin;
        impl astra_targets::plugin::Plugin for $plugin {
            type Task = $task;
            type Model = ();
            const NAME: &'static str = $name;
            const VERSION: &'static str = "0.1.0";
            const DESCRIPTION: &'static str = "Counts spectra";
            const OUTPUTS: astra_targets::plugin::Outputs = astra_targets::plugin::Outputs::Rows;
            fn task(_: &(), input: &astra_targets::plugin::Input<'_>) -> astra_targets::plugin::PluginResult<$task> {
                Ok($task {
                    obj: input.card_str("OBJID")?,
                })
            }
            fn load_model(_: astra_targets::plugin::ModelSource<'_>) -> astra_targets::plugin::PluginResult<()> {
                Ok(())
            }
            fn analyse(
                _: &(),
                _: &$task,
                input: &astra_targets::plugin::Input<'_>,
            ) -> astra_targets::plugin::PluginResult<
                astra_targets::plugin::Analysis<$crate::plugin_support::CountResults>,
            > {
                Ok(astra_targets::plugin::Analysis::rows(vec![
                    $crate::plugin_support::CountResults {
                        rows: input.spectrum().shape().0 as i64,
                    },
                ]))
            }
        }
    };
}

/// A plugin to keep the imports above used in every test file.
pub struct Unregistered;

impl Plugin for Unregistered {
    type Task = CountA;
    type Model = ();
    const NAME: &'static str = "unregistered";
    const VERSION: &'static str = "0.1.0";
    const DESCRIPTION: &'static str = "Never registered";
    const OUTPUTS: Outputs = Outputs::Rows;
    fn task(_: &(), input: &Input<'_>) -> PluginResult<CountA> {
        Ok(CountA {
            obj: input.card_str("OBJID")?,
        })
    }
    fn load_model(_: ModelSource<'_>) -> PluginResult<()> {
        Ok(())
    }
    fn analyse(_: &(), _: &CountA, _: &Input<'_>) -> PluginResult<Analysis<CountResults>> {
        Ok(Analysis::rows(Vec::new()))
    }
}
