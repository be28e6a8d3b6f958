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
pub fn results(ident: &Ident, errors: syn::Error, flag_constants: TokenStream) -> TokenStream {
    let errors = errors.to_compile_error();
    quote! {
        #errors
        const _: () = {
            #flag_constants
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

/// Placeholders of the bit-mask constants of a result struct with errors: one per bit
/// whose name reads as a constant, so that code naming them adds no error of its own.
pub fn flag_constants(results: &crate::ast::Results) -> TokenStream {
    let ident = results.ident;
    let mut seen: Vec<String> = Vec::new();
    let consts: Vec<TokenStream> = results
        .columns
        .iter()
        .filter_map(|c| c.attrs.flags.as_ref().map(|(_, bits)| (c, bits)))
        .flat_map(|(c, bits)| {
            let ty = match crate::ty::column_type(c.ty).map(|t| t.scalar) {
                Ok(crate::ty::Scalar::U8) => quote!(u8),
                Ok(crate::ty::Scalar::I16) => quote!(i16),
                Ok(crate::ty::Scalar::I32) => quote!(i32),
                _ => quote!(i64),
            };
            let vis = c.vis;
            let column = c.name().to_ascii_uppercase();
            bits.iter().filter_map(move |b| {
                let name = b.name.get_ident()?.to_string();
                let constant = syn::parse_str::<Ident>(&format!("{column}_{name}")).ok()?;
                Some((constant, quote!(#vis), ty.clone()))
            })
        })
        .filter(|(constant, _, _)| {
            let fresh = !seen.contains(&constant.to_string());
            seen.push(constant.to_string());
            fresh
        })
        .map(|(constant, vis, ty)| quote!(#[allow(dead_code)] #vis const #constant: #ty = 0;))
        .collect();
    if consts.is_empty() {
        return TokenStream::new();
    }
    quote! {
        #[automatically_derived]
        impl #ident {
            #(#consts)*
        }
    }
}
