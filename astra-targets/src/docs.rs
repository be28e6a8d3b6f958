//! Generated documentation of every linked task and plugin.
