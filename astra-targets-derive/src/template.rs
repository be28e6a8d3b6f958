//! Parsing of output-path templates: `{name}`, `{name:spec}`, `{name|func}`,
//! `{name|func:spec}`, with `{{` and `}}` for literal braces.

/// One parsed piece of a template.
#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Literal(String),
    Field(Field),
}

/// A placeholder.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The placeholder as written, `{healpix|grp:05}`, for messages.
    pub raw: String,
    pub name: String,
    pub func: Option<String>,
    pub spec: Spec,
    /// Whether a spec was written at all.
    pub has_spec: bool,
}

/// Alignment of a padded value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Align {
    Default,
    Left,
    Right,
    Center,
}

/// A format spec, `[[fill]align][+][0][width][.precision]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub fill: char,
    pub align: Align,
    pub plus: bool,
    pub zero: bool,
    pub width: usize,
    pub precision: Option<usize>,
}

impl Default for Spec {
    fn default() -> Self {
        Spec {
            fill: ' ',
            align: Align::Default,
            plus: false,
            zero: false,
            width: 0,
            precision: None,
        }
    }
}

/// Parses a template into pieces, or says what is wrong with it.
pub fn parse(text: &str) -> Result<Vec<Piece>, String> {
    let mut pieces = Vec::new();
    let mut literal = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' if chars.peek().map(|p| p.1) == Some('{') => {
                chars.next();
                literal.push('{');
            }
            '}' if chars.peek().map(|p| p.1) == Some('}') => {
                chars.next();
                literal.push('}');
            }
            '}' => {
                return Err(format!(
                    "unmatched `}}` at byte {i} of the path template (write `}}}}` for a literal brace)"
                ));
            }
            '{' => {
                let close = text[i..]
                    .find('}')
                    .ok_or_else(|| format!("unclosed `{{` at byte {i} of the path template"))?;
                let inner = &text[i + 1..i + close];
                while chars.peek().is_some_and(|(j, _)| *j <= i + close) {
                    chars.next();
                }
                if !literal.is_empty() {
                    pieces.push(Piece::Literal(std::mem::take(&mut literal)));
                }
                if matches!(pieces.last(), Some(Piece::Field(_))) {
                    return Err(format!(
                        "placeholders `{}` and `{{{inner}}}` touch: put a separator between them so the path can be read back",
                        match pieces.last() {
                            Some(Piece::Field(f)) => f.raw.clone(),
                            _ => String::new(),
                        }
                    ));
                }
                pieces.push(Piece::Field(field(inner)?));
            }
            _ => literal.push(c),
        }
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

fn field(inner: &str) -> Result<Field, String> {
    let raw = format!("{{{inner}}}");
    let (head, spec_text) = match inner.split_once(':') {
        Some((h, s)) => (h, Some(s)),
        None => (inner, None),
    };
    let (name, func) = match head.split_once('|') {
        Some((n, f)) => (n.trim(), Some(f.trim().to_string())),
        None => (head.trim(), None),
    };
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(format!("`{raw}`: `{name}` is not a parameter name"));
    }
    let spec = match spec_text {
        Some(s) => parse_spec(s).map_err(|e| format!("`{raw}`: {e}"))?,
        None => Spec::default(),
    };
    Ok(Field {
        raw,
        name: name.to_string(),
        func,
        spec,
        has_spec: spec_text.is_some(),
    })
}

fn parse_spec(text: &str) -> Result<Spec, String> {
    let mut spec = Spec::default();
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let align_of = |c: char| match c {
        '<' => Some(Align::Left),
        '>' => Some(Align::Right),
        '^' => Some(Align::Center),
        _ => None,
    };
    if chars.len() >= 2 && align_of(chars[1]).is_some() {
        spec.fill = chars[0];
        spec.align = align_of(chars[1]).unwrap();
        i = 2;
    } else if let Some(a) = chars.first().and_then(|c| align_of(*c)) {
        spec.align = a;
        i = 1;
    }
    if chars.get(i) == Some(&'+') {
        spec.plus = true;
        i += 1;
    }
    if chars.get(i) == Some(&'0') {
        spec.zero = true;
        i += 1;
    }
    let digits = |i: &mut usize| {
        let start = *i;
        while chars.get(*i).is_some_and(|c| c.is_ascii_digit()) {
            *i += 1;
        }
        chars[start..*i].iter().collect::<String>()
    };
    let width = digits(&mut i);
    if !width.is_empty() {
        spec.width = width.parse().map_err(|_| format!("width `{width}` is too large"))?;
        if spec.width > 255 {
            return Err(format!("width {} is longer than a path segment may be", spec.width));
        }
    }
    if chars.get(i) == Some(&'.') {
        i += 1;
        let p = digits(&mut i);
        if p.is_empty() {
            return Err("`.` must be followed by a precision".into());
        }
        spec.precision = Some(p.parse().map_err(|_| format!("precision `{p}` is too large"))?);
    }
    if i < chars.len() {
        let rest: String = chars[i..].iter().collect();
        return Err(format!(
            "unsupported format spec `{text}` (at `{rest}`): paths take `[[fill]align][+][0][width][.precision]`"
        ));
    }
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_fields_specs_and_functions() {
        let p = parse("{a}/{h|grp}/x-{b:0>5}_{c:+08.2}{{}}").unwrap();
        assert_eq!(p.len(), 8);
        let Piece::Field(f) = &p[2] else { panic!() };
        assert_eq!(f.func.as_deref(), Some("grp"));
        let Piece::Field(f) = &p[4] else { panic!() };
        assert_eq!((f.spec.fill, f.spec.align, f.spec.width), ('0', Align::Right, 5));
        let Piece::Field(f) = &p[6] else { panic!() };
        assert!(f.spec.plus && f.spec.zero && f.spec.width == 8 && f.spec.precision == Some(2));
        assert_eq!(p[7], Piece::Literal("{}".into()));
        assert!(parse("{a").is_err());
        assert!(parse("{a:x}").is_err());
        assert!(parse("{a}{b}").is_err());
    }
}
