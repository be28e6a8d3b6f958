//! Dynamically typed result values: what flows between result structs, the database and
//! the FITS RESULTS table.

/// One result value (one cell of a result row).
///
/// Scalars widen to the largest type of their family (`i16` → `Int(i64)`, `f32` →
/// `Float(f64)`, both exact); the column's [`ScalarType`](crate::ScalarType) says what
/// they narrow back to. Fixed-size array columns hold their elements flattened in row-major
/// order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value: `None` of an `Option` column (SQL NULL).
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Text(String),
    /// The elements of a boolean array column.
    Bools(Vec<bool>),
    /// The elements of an integer array column.
    Ints(Vec<i64>),
    /// The elements of a float array column.
    Floats(Vec<f64>),
}

impl Value {
    /// A short name of the variant, for error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "bool",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Text(_) => "text",
            Value::Bools(_) => "bool array",
            Value::Ints(_) => "integer array",
            Value::Floats(_) => "float array",
        }
    }
}

/// Conversion of a result field to and from a [`Value`]; implemented for every type a
/// result column may have. The derive's generated code calls these.
pub trait ColumnValue: Sized {
    /// The value of the field.
    fn to_value(&self) -> Value;
    /// The field from a value; `None` when the value does not fit the type.
    fn from_value(value: Value) -> Option<Self>;
}

macro_rules! int_value {
    ($($t:ty),*) => {$(
        impl ColumnValue for $t {
            fn to_value(&self) -> Value { Value::Int(i64::from(*self)) }
            fn from_value(value: Value) -> Option<Self> {
                match value { Value::Int(i) => <$t>::try_from(i).ok(), _ => None }
            }
        }
    )*};
}
int_value!(u8, i16, i32, i64);

impl ColumnValue for f64 {
    fn to_value(&self) -> Value {
        Value::Float(*self)
    }
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Float(x) => Some(x),
            Value::Null => Some(f64::NAN),
            _ => None,
        }
    }
}

impl ColumnValue for f32 {
    fn to_value(&self) -> Value {
        Value::Float(f64::from(*self))
    }
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Float(x) => Some(x as f32),
            Value::Null => Some(f32::NAN),
            _ => None,
        }
    }
}

impl ColumnValue for bool {
    fn to_value(&self) -> Value {
        Value::Bool(*self)
    }
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Bool(b) => Some(b),
            Value::Int(i) => Some(i != 0),
            _ => None,
        }
    }
}

impl ColumnValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl<T: ColumnValue> ColumnValue for Option<T> {
    fn to_value(&self) -> Value {
        match self {
            Some(v) => v.to_value(),
            None => Value::Null,
        }
    }
    fn from_value(value: Value) -> Option<Self> {
        match value {
            Value::Null => Some(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// Element types of fixed-size array columns.
pub trait ArrayElement: Copy + Default {
    /// Flattened elements into a value.
    fn pack(items: Vec<Self>) -> Value;
    /// A value back into flattened elements.
    fn unpack(value: Value) -> Option<Vec<Self>>;
}

macro_rules! array_element {
    ($variant:ident, $wide:ty, [$($t:ty),*]) => {$(
        impl ArrayElement for $t {
            fn pack(items: Vec<Self>) -> Value { Value::$variant(items.into_iter().map(<$wide>::from).collect()) }
            fn unpack(value: Value) -> Option<Vec<Self>> {
                match value {
                    Value::$variant(v) => v.into_iter().map(|x| array_element!(@narrow $variant, $t, x)).collect(),
                    _ => None,
                }
            }
        }
    )*};
    (@narrow Floats, $t:ty, $x:ident) => { Some($x as $t) };
    (@narrow Ints, $t:ty, $x:ident) => { <$t>::try_from($x).ok() };
    (@narrow Bools, $t:ty, $x:ident) => { Some($x) };
}
array_element!(Floats, f64, [f32, f64]);
array_element!(Ints, i64, [u8, i16, i32, i64]);
array_element!(Bools, bool, [bool]);

impl<T: ArrayElement, const L: usize> ColumnValue for [T; L] {
    fn to_value(&self) -> Value {
        T::pack(self.to_vec())
    }
    fn from_value(value: Value) -> Option<Self> {
        T::unpack(value)?.try_into().ok()
    }
}

impl<T: ArrayElement, const L: usize, const M: usize> ColumnValue for [[T; L]; M] {
    fn to_value(&self) -> Value {
        T::pack(self.iter().flatten().copied().collect())
    }
    fn from_value(value: Value) -> Option<Self> {
        let flat = T::unpack(value)?;
        if flat.len() != L * M {
            return None;
        }
        let mut out = [[T::default(); L]; M];
        for (i, x) in flat.into_iter().enumerate() {
            out[i / L][i % L] = x;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_round_trip() {
        let m = [[1.0f32, 2.0], [3.0, 4.0], [5.0, 6.0]];
        let v = m.to_value();
        assert_eq!(v, Value::Floats(vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0]));
        assert_eq!(<[[f32; 2]; 3]>::from_value(v), Some(m));
        assert_eq!(<[i16; 2]>::from_value(Value::Ints(vec![1, 70000])), None);
        assert_eq!(<Option<i32>>::from_value(Value::Null), Some(None));
    }
}
