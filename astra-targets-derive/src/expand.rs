//! Code generation: the trait implementations, the static metadata and the registration.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use syn::DeriveInput;

use crate::ast::{ParamEnum, Results, Task};
use crate::ctxt::Ctxt;
use crate::fallback;
use crate::template::Align;
use crate::valid::{self, Segment, Source};

/// `#[derive(AstraTask)]`.
pub fn task(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let model = Task::from_syn(&mut cx, input);
    let checked = model.as_ref().map(|t| valid::task(&mut cx, t));
    match (cx.check(), model, checked) {
        (Ok(()), Some(model), Some(checked)) => task_impl(&model, &checked),
        (Err(errors), _, _) => fallback::task(&input.ident, errors),
        (Ok(()), _, _) => fallback::task(&input.ident, no_model(input)),
    }
}

/// `#[derive(AstraResults)]`.
pub fn results(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let model = Results::from_syn(&mut cx, input);
    let checked = model.as_ref().map(|r| valid::results(&mut cx, r));
    match (cx.check(), model, checked) {
        (Ok(()), Some(model), Some(checked)) => results_impl(&model, &checked),
        (Err(errors), model, _) => {
            let stubs = model.as_ref().map(fallback::flag_constants).unwrap_or_default();
            fallback::results(&input.ident, errors, stubs)
        }
        (Ok(()), _, _) => fallback::results(&input.ident, no_model(input), TokenStream::new()),
    }
}

/// `#[derive(AstraParamEnum)]`.
pub fn param_enum(input: &DeriveInput) -> TokenStream {
    let mut cx = Ctxt::default();
    let model = ParamEnum::from_syn(&mut cx, input);
    let checked = model.as_ref().map(|e| valid::param_enum(&mut cx, e));
    match (cx.check(), model, checked) {
        (Ok(()), Some(model), Some(checked)) => param_enum_impl(&model, &checked),
        (Err(errors), _, _) => fallback::param_enum(&input.ident, errors),
        (Ok(()), _, _) => fallback::param_enum(&input.ident, no_model(input)),
    }
}

/// A model is only missing after an error was recorded; this error is never seen.
fn no_model(input: &DeriveInput) -> syn::Error {
    syn::Error::new_spanned(&input.ident, "the declaration could not be read")
}

fn param_enum_impl(e: &ParamEnum, v: &valid::ValidEnum) -> TokenStream {
    let ident = e.ident;
    let names = &v.names;
    let variants: Vec<_> = e.variants.iter().map(|v| v.ident).collect();
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::astra_targets::ParamEnum for #ident {
                const NAMES: &'static [&'static str] = &[#(#names),*];

                fn name(&self) -> &'static str {
                    match *self {
                        #(#ident::#variants => #names,)*
                    }
                }

                fn from_name(name: &str) -> ::core::option::Option<Self> {
                    match name {
                        #(#names => ::core::option::Option::Some(#ident::#variants),)*
                        _ => ::core::option::Option::None,
                    }
                }
            }
        };
    }
}

fn task_impl(task: &Task, v: &valid::ValidTask) -> TokenStream {
    let ident = task.ident;
    let family = &v.family;
    let namespace = &v.namespace;
    let table = &v.table;
    let description = &task.doc;
    let version = match &task.attrs.version {
        Some(lit) => quote!(#lit),
        None => quote!(::core::env!("CARGO_PKG_VERSION")),
    };
    let results_ty = match &task.attrs.results {
        Some(t) => quote!(#t),
        None => quote!(()),
    };
    let results_name = match &task.attrs.results {
        Some(t) => quote!(#t).to_string().replace(' ', ""),
        None => "()".to_string(),
    };
    let params_meta = task.params.iter().map(|p| {
        let name = p.ident.to_string();
        let ty = &p.ty;
        let rust_type = quote!(#ty).to_string().replace(' ', "");
        // The kind comes from the same trait as the value, so the two always agree.
        let kind = if p.attrs.is_enum {
            quote!(::astra_targets::ParamKind::Enum)
        } else {
            quote!(<#ty as ::astra_targets::__private::ParamField>::KIND)
        };
        let significant = !p.attrs.insignificant;
        let doc = &p.doc;
        quote! {
            ::astra_targets::ParamMeta {
                name: #name, rust_type: #rust_type, kind: #kind,
                significant: #significant, description: #doc,
            }
        }
    });
    let n_params = task.params.len();
    // One conversion per enum parameter, its `ParamEnum` bound checked here alone, so
    // that an enum without the derive gives one error, at the field's type.
    let enum_convs = task.params.iter().filter(|p| p.attrs.is_enum).map(|p| {
        let conv = enum_conv_ident(p.ident);
        let ty = p.ty;
        quote::quote_spanned! {syn::spanned::Spanned::span(ty)=>
            const #conv: ::astra_targets::__private::EnumConv<#ty> = ::astra_targets::__private::enum_conv::<#ty>();
        }
    });
    let values = task.params.iter().map(|p| {
        let field = p.ident;
        if p.attrs.is_enum {
            let conv = enum_conv_ident(field);
            quote!(::astra_targets::__private::enum_param(&#conv, &self.#field))
        } else {
            quote!(::astra_targets::__private::ParamField::to_param(&self.#field))
        }
    });
    let takes = task.params.iter().map(|p| {
        let field = p.ident;
        let name = field.to_string();
        let ty = p.ty;
        let take = if p.attrs.is_enum {
            let conv = enum_conv_ident(field);
            quote!(take_enum(&#conv, #family, values, #name))
        } else {
            quote!(take::<#ty>(#family, values, #name))
        };
        let absent = if p.attrs.default {
            quote!(<#ty as ::core::default::Default>::default())
        } else {
            quote!(return ::core::result::Result::Err(::astra_targets::__private::missing(#family, #name)))
        };
        quote! {
            #field: match ::astra_targets::__private::#take? {
                ::core::option::Option::Some(v) => v,
                ::core::option::Option::None => #absent,
            }
        }
    });
    let (path_static, path_field) = match &v.path {
        Some((text, segments)) => {
            let segs = segments.iter().map(segment_tokens);
            (
                quote! {
                    static SEGMENTS: &[::astra_targets::__private::Segment] = &[#(#segs),*];
                    static TEMPLATE: ::astra_targets::__private::PathTemplate =
                        ::astra_targets::__private::PathTemplate { text: #text, segments: SEGMENTS };
                },
                quote!(::core::option::Option::Some(&TEMPLATE)),
            )
        }
        None => (quote!(), quote!(::core::option::Option::None)),
    };
    let clash_span = task
        .attrs
        .results
        .as_ref()
        .map(|t| quote!(#t))
        .unwrap_or_else(|| quote!(#ident));
    let significant_names: Vec<String> = task
        .params
        .iter()
        .filter(|p| !p.attrs.insignificant)
        .map(|p| p.ident.to_string())
        .chain(["astra_version_major".to_string(), "astra_version_minor".to_string()])
        .collect();
    let clash_checks = significant_names.iter().map(|name| {
        let message = format!(
            "`{name}` is both a significant parameter of {ident} and a result column of {results_name}: the RESULTS table would hold two `{}` columns",
            name.to_ascii_uppercase()
        );
        quote::quote_spanned! {syn::spanned::Spanned::span(&clash_span)=>
            if ::astra_targets::__private::find_column(<#results_ty as ::astra_targets::AstraResults>::COLUMNS, #name).is_some() {
                ::core::panic!(#message);
            }
        }
    });
    let rust_name = ident.to_string();
    quote! {
        const _: () = {
            static PARAMETERS: [::astra_targets::ParamMeta; #n_params] = [#(#params_meta),*];
            #(#enum_convs)*
            #path_static
            static META: ::astra_targets::TaskMeta = ::astra_targets::TaskMeta {
                family: #family,
                namespace: #namespace,
                version: #version,
                description: #description,
                rust_name: ::core::concat!(::core::module_path!(), "::", #rust_name),
                parameters: &PARAMETERS,
                path: #path_field,
                table: #table,
                results_type: #results_name,
                results: <#results_ty as ::astra_targets::AstraResults>::COLUMNS,
            };
            const _: () = { #(#clash_checks)* };

            #[automatically_derived]
            impl ::astra_targets::AstraTask for #ident {
                type Results = #results_ty;
                const META: &'static ::astra_targets::TaskMeta = &META;

                fn parameters(&self) -> ::astra_targets::Params {
                    ::astra_targets::__private::params(&META, ::std::vec![#(#values),*])
                }

                fn from_parameters(
                    values: &::std::collections::BTreeMap<::std::string::String, ::astra_targets::ParamValue>,
                ) -> ::astra_targets::Result<Self> {
                    ::core::result::Result::Ok(Self { #(#takes),* })
                }
            }

            ::astra_targets::inventory::submit! {
                ::astra_targets::__private::TaskRegistration(&META)
            }
        };
    }
}

/// The name of the conversion constant of an enum parameter.
fn enum_conv_ident(field: &syn::Ident) -> syn::Ident {
    format_ident!(
        "ENUM_{}",
        field.to_string().trim_start_matches("r#").to_ascii_uppercase()
    )
}

fn segment_tokens(segment: &Segment) -> TokenStream {
    match segment {
        Segment::Literal(text) => quote!(::astra_targets::__private::Segment::Literal(#text)),
        Segment::Field { source, func, spec } => {
            let source = match source {
                Source::Param(i) => quote!(::astra_targets::__private::Source::Param(#i)),
                Source::Builtin(name) => {
                    let variant = match *name {
                        "task_id" => "TaskId",
                        "task_short_id" => "TaskShortId",
                        "family" => "Family",
                        "namespace" => "Namespace",
                        _ => "AstraVersion",
                    };
                    let variant = format_ident!("{variant}");
                    quote!(::astra_targets::__private::Source::#variant)
                }
            };
            let func = match func.as_deref() {
                Some("grp") => quote!(::core::option::Option::Some(::astra_targets::__private::PathFunc::Grp)),
                Some(_) => quote!(::core::option::Option::Some(
                    ::astra_targets::__private::PathFunc::SdssIdGroups
                )),
                None => quote!(::core::option::Option::None),
            };
            let fill = spec.fill;
            let align = format_ident!(
                "{}",
                match spec.align {
                    Align::Default => "Default",
                    Align::Left => "Left",
                    Align::Right => "Right",
                    Align::Center => "Center",
                }
            );
            let (plus, zero, width) = (spec.plus, spec.zero, spec.width);
            let precision = match spec.precision {
                Some(p) => quote!(::core::option::Option::Some(#p)),
                None => quote!(::core::option::Option::None),
            };
            quote! {
                ::astra_targets::__private::Segment::Field {
                    source: #source,
                    func: #func,
                    spec: ::astra_targets::__private::Spec {
                        fill: #fill, align: ::astra_targets::__private::Align::#align,
                        plus: #plus, zero: #zero, width: #width, precision: #precision,
                    },
                }
            }
        }
    }
}

fn results_impl(results: &Results, v: &valid::ValidResults) -> TokenStream {
    let ident = results.ident;
    let metas = results
        .columns
        .iter()
        .zip(&v.columns)
        .zip(&v.flags)
        .map(|((c, (name, ctype)), flags)| {
            let scalar = format_ident!("{}", ctype.scalar.variant());
            let shape = &ctype.shape;
            let nullable = ctype.nullable;
            let width = c.attrs.width.as_ref().map(|w| w.value).unwrap_or(0);
            let unit = c.attrs.unit.as_ref().map(|u| u.value()).unwrap_or_default();
            let doc = &c.doc;
            let bits = flags.iter().map(|f| {
                let (name, bit, description) = (&f.name, f.bit, &f.description);
                quote!(::astra_targets::FlagBit { name: #name, bit: #bit, description: #description })
            });
            quote! {
                ::astra_targets::ColumnMeta {
                    name: #name, ty: ::astra_targets::ScalarType::#scalar, shape: &[#(#shape),*],
                    nullable: #nullable, width: #width, unit: #unit, description: #doc,
                    flags: &[#(#bits),*],
                }
            }
        });
    let fields: Vec<_> = results.columns.iter().map(|c| c.ident).collect();
    let names: Vec<&String> = v.columns.iter().map(|(n, _)| n).collect();
    let masks = flag_constants(results, v);
    quote! {
        const _: () = {
            #[automatically_derived]
            impl ::astra_targets::AstraResults for #ident {
                const COLUMNS: &'static [::astra_targets::ColumnMeta] = &[#(#metas),*];

                fn to_values(&self) -> ::std::vec::Vec<::astra_targets::Value> {
                    ::std::vec![#(::astra_targets::value::ColumnValue::to_value(&self.#fields)),*]
                }

                fn from_values(values: ::std::vec::Vec<::astra_targets::Value>) -> ::astra_targets::Result<Self> {
                    let mut values = values.into_iter();
                    ::core::result::Result::Ok(Self {
                        #(#fields: ::astra_targets::__private::column(&mut values, #names)?),*
                    })
                }
            }
            #masks
        };
    }
}

/// The mask of every named bit as an associated constant `{COLUMN}_{NAME}` of the result
/// struct, of the column's integer type, with the field's visibility and the bit's
/// description as its doc.
fn flag_constants(results: &Results, v: &valid::ValidResults) -> TokenStream {
    let ident = results.ident;
    let consts: Vec<TokenStream> = results
        .columns
        .iter()
        .zip(&v.columns)
        .zip(&v.flags)
        .flat_map(|((c, (_, ctype)), flags)| {
            let ty = format_ident!("{}", ty_name(ctype.scalar));
            let vis = c.vis;
            flags.iter().map(move |f| {
                let (constant, bit) = (&f.constant, f.bit);
                let doc = format!("Bit {bit} of `{}`: {}.", c.name(), f.description);
                quote! {
                    #[doc = #doc]
                    #vis const #constant: #ty = 1 << #bit;
                }
            })
        })
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

/// The Rust name of an integer scalar.
fn ty_name(scalar: crate::ty::Scalar) -> &'static str {
    use crate::ty::Scalar;
    match scalar {
        Scalar::U8 => "u8",
        Scalar::I16 => "i16",
        Scalar::I32 => "i32",
        _ => "i64",
    }
}
