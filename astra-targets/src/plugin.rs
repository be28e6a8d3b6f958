//! Plugins: analysis-specific astraSource writers registered through `inventory`.
