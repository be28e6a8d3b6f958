//! What a derive emits when the declaration has errors: the errors as `compile_error!`,
//! plus a placeholder implementation so that code using the type does not add errors of
//! its own (one mistake, one message). The placeholders are never run: the crate does not
//! compile.

use proc_macro2::TokenStream;
use quote::quote;
use syn::Ident;

/// `#[derive(AstraTask)]` on a declaration with errors.
pub fn task(ident: &Ident, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    quote! {
        #errors
        const _: () = {
            #[automatically_derived]
            impl ::astra_targets::AstraTask for #ident {
                type Results = ();
                const META: &'static ::astra_targets::TaskMeta = ::core::unreachable!();
                fn parameters(&self) -> ::astra_targets::Params { ::core::unreachable!() }
                fn from_parameters(
                    _: &::std::collections::BTreeMap<::std::string::String, ::astra_targets::ParamValue>,
                ) -> ::astra_targets::Result<Self> {
                    ::core::unreachable!()
                }
            }
        };
    }
}

/// `#[derive(AstraResults)]` on a declaration with errors.
pub fn results(ident: &Ident, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    quote! {
        #errors
        const _: () = {
            #[automatically_derived]
            impl ::astra_targets::AstraResults for #ident {
                const COLUMNS: &'static [::astra_targets::ColumnMeta] = &[];
                fn to_values(&self) -> ::std::vec::Vec<::astra_targets::Value> { ::core::unreachable!() }
                fn from_values(_: ::std::vec::Vec<::astra_targets::Value>) -> ::astra_targets::Result<Self> {
                    ::core::unreachable!()
                }
            }
        };
    }
}

/// `#[derive(AstraParamEnum)]` on a declaration with errors.
pub fn param_enum(ident: &Ident, errors: syn::Error) -> TokenStream {
    let errors = errors.to_compile_error();
    quote! {
        #errors
        const _: () = {
            #[automatically_derived]
            impl ::astra_targets::ParamEnum for #ident {
                const NAMES: &'static [&'static str] = &[];
                fn name(&self) -> &'static str { ::core::unreachable!() }
                fn from_name(_: &str) -> ::core::option::Option<Self> { ::core::unreachable!() }
            }
        };
    }
}
