//! `#[derive(AstraTask)]` and `#[derive(AstraResults)]` for astra-targets.
use proc_macro::TokenStream;

#[proc_macro_derive(AstraTask, attributes(astra))]
pub fn derive_task(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}

#[proc_macro_derive(AstraResults, attributes(astra))]
pub fn derive_results(_input: TokenStream) -> TokenStream {
    TokenStream::new()
}
