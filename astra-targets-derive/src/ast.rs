//! The typed model of a derive's input: a task with parameters, or a result row with
//! columns.

use syn::{Attribute, Data, DeriveInput, Fields, Ident, Type};

use crate::attr::{self, ColumnAttrs, EnumAttrs, ParamAttrs, SerdeAttrs, TaskAttrs, VariantAttrs};
use crate::ctxt::Ctxt;

/// A task struct.
pub struct Task<'a> {
    pub ident: &'a Ident,
    pub attrs: TaskAttrs,
    pub doc: String,
    pub params: Vec<Param<'a>>,
}

/// A task field: a parameter.
pub struct Param<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    pub attrs: ParamAttrs,
    pub doc: String,
    pub doc_attr: Option<&'a Attribute>,
}

/// A result-row struct.
pub struct Results<'a> {
    pub ident: &'a Ident,
    pub columns: Vec<Column<'a>>,
}

/// A result field: a column.
pub struct Column<'a> {
    pub ident: &'a Ident,
    pub vis: &'a syn::Visibility,
    pub ty: &'a Type,
    pub attrs: ColumnAttrs,
    pub doc: String,
    pub doc_attr: Option<&'a Attribute>,
}

/// A parameter enum.
pub struct ParamEnum<'a> {
    pub ident: &'a Ident,
    pub attrs: EnumAttrs,
    pub serde: SerdeAttrs,
    pub variants: Vec<Variant<'a>>,
}

/// A variant of a parameter enum.
pub struct Variant<'a> {
    pub ident: &'a Ident,
    pub fields: &'a Fields,
    pub attrs: VariantAttrs,
    pub serde: SerdeAttrs,
}

impl Column<'_> {
    /// The column name: `name = "..."`, or the field name.
    pub fn name(&self) -> String {
        match &self.attrs.name {
            Some(n) => n.value(),
            None => self.ident.to_string().trim_start_matches("r#").to_string(),
        }
    }
}

/// The named fields of a non-generic struct, or an error.
fn named_fields<'a>(cx: &mut Ctxt, input: &'a DeriveInput, what: &str) -> Option<Vec<&'a syn::Field>> {
    if !input.generics.params.is_empty() {
        cx.error_spanned_by(&input.generics, format!("{what} structs cannot be generic"));
    }
    match &input.data {
        Data::Struct(s) => match &s.fields {
            Fields::Named(named) => Some(named.named.iter().collect()),
            Fields::Unit => Some(Vec::new()),
            Fields::Unnamed(_) => {
                cx.error_spanned_by(&input.ident, format!("{what} structs need named fields"));
                None
            }
        },
        _ => {
            cx.error_spanned_by(&input.ident, format!("only structs can be {what}s"));
            None
        }
    }
}

impl<'a> Task<'a> {
    /// Reads a task declaration.
    pub fn from_syn(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let attrs = attr::task_attrs(cx, &input.attrs);
        let fields = named_fields(cx, input, "task")?;
        let params = fields
            .into_iter()
            .map(|f| {
                let (doc, doc_attr) = attr::doc(&f.attrs);
                Param {
                    ident: f.ident.as_ref().unwrap(),
                    ty: &f.ty,
                    attrs: attr::param_attrs(cx, &f.attrs),
                    doc,
                    doc_attr,
                }
            })
            .collect();
        Some(Task {
            ident: &input.ident,
            attrs,
            doc: attr::doc(&input.attrs).0,
            params,
        })
    }
}

impl<'a> Results<'a> {
    /// Reads a result-row declaration.
    pub fn from_syn(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        let fields = named_fields(cx, input, "result")?;
        let columns = fields
            .into_iter()
            .map(|f| {
                let (doc, doc_attr) = attr::doc(&f.attrs);
                Column {
                    ident: f.ident.as_ref().unwrap(),
                    vis: &f.vis,
                    ty: &f.ty,
                    attrs: attr::column_attrs(cx, &f.attrs),
                    doc,
                    doc_attr,
                }
            })
            .collect();
        Some(Results {
            ident: &input.ident,
            columns,
        })
    }
}

impl<'a> ParamEnum<'a> {
    /// Reads a parameter enum declaration.
    pub fn from_syn(cx: &mut Ctxt, input: &'a DeriveInput) -> Option<Self> {
        if !input.generics.params.is_empty() {
            cx.error_spanned_by(&input.generics, "parameter enums cannot be generic");
        }
        let Data::Enum(data) = &input.data else {
            cx.error_spanned_by(&input.ident, "only enums can be parameter enums");
            return None;
        };
        let variants = data
            .variants
            .iter()
            .map(|v| Variant {
                ident: &v.ident,
                fields: &v.fields,
                attrs: attr::variant_attrs(cx, &v.attrs),
                serde: attr::serde_attrs(&v.attrs, "rename", attr::SERDE_VARIANT_REFUSED),
            })
            .collect();
        Some(ParamEnum {
            ident: &input.ident,
            attrs: attr::enum_attrs(cx, &input.attrs),
            serde: attr::serde_attrs(&input.attrs, "rename_all", attr::SERDE_ENUM_REFUSED),
            variants,
        })
    }
}
