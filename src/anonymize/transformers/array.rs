//! each: a rule for every element of an array — `text[]`, `varchar(n)[]`, a domain over an
//! array — in PostgreSQL's text form (`{a,"b c",NULL,{d,e}}`); NULL elements stay NULL.

use crate::anonymize::{
    BuildContext, CompiledRule, Definition, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext,
};
use crate::catalog::{Column, TypeCategory};

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[Definition {
    name: "each",
    summary: "apply a rule to every element of an array (any depth); NULL elements stay NULL; written without `transform`: { each = \"phone\" }",
    options: &[OptionSpec {
        name: "each",
        kind: OptionKind::Rule,
        summary: "the elements' rule: a transformer name or an inline rule table",
    }],
    accepts: &[TypeCategory::Array],
    unique_safe: false,
    example: "phones = { each = { transform = \"phone\", format = \"e164\" } }",
    rewrites_parts: true,
    build: build_each,
}];

#[derive(Debug)]
struct Each {
    rule: CompiledRule,
}

fn build_each(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let rule = options.rule("each").ok_or("option 'each' is required")?;
    let element = context
        .column
        .element
        .as_deref()
        .cloned()
        .unwrap_or_else(|| Column::text(&context.column.name));
    let rule =
        CompiledRule::build_within(rule, &element, context).map_err(|e| format!("each: {e}"))?;
    Ok(Box::new(Each { rule }))
}

impl Transformer for Each {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let mut out = String::with_capacity(value.len() + 16);
        // Explicit bounds (`[0:1]={…}`) go through as they are.
        let literal = match value.find("={") {
            Some(at) if value.starts_with('[') => {
                out.push_str(&value[..=at]);
                &value[at + 1..]
            }
            _ => value,
        };
        let mut chars = literal.char_indices().peekable();
        rewrite(&mut chars, literal, &mut out, &mut |element| {
            self.rule.apply(element, context.keyer, context.row)
        })?;
        if chars.next().is_some() {
            return Err(TransformError::NotAnArray);
        }
        Ok(Some(out))
    }
}

type Chars<'a> = std::iter::Peekable<std::str::CharIndices<'a>>;

/// What an element becomes: its rule applied (`None` in, or out, is NULL).
type ApplyElement<'r> = dyn FnMut(Option<&str>) -> Result<Option<String>, TransformError> + 'r;

/// Rewrites one `{…}` level at `chars` into `out`, each element through `apply`.
fn rewrite(
    chars: &mut Chars<'_>,
    text: &str,
    out: &mut String,
    apply: &mut ApplyElement<'_>,
) -> Result<(), TransformError> {
    if chars.next().map(|(_, c)| c) != Some('{') {
        return Err(TransformError::NotAnArray);
    }
    out.push('{');
    if chars.peek().map(|(_, c)| *c) == Some('}') {
        chars.next();
        out.push('}');
        return Ok(());
    }
    loop {
        match chars.peek().map(|(_, c)| *c) {
            Some('{') => rewrite(chars, text, out, apply)?,
            Some(_) => {
                let element = read_element(chars, text)?;
                let rewritten = match &element {
                    Element::Null => apply(None)?,
                    Element::Value(value) => apply(Some(value))?,
                };
                write_element(rewritten.as_deref(), out);
            }
            None => return Err(TransformError::NotAnArray),
        }
        match chars.next().map(|(_, c)| c) {
            Some(',') => out.push(','),
            Some('}') => {
                out.push('}');
                return Ok(());
            }
            _ => return Err(TransformError::NotAnArray),
        }
    }
}

/// An element as the text form holds it.
enum Element {
    Null,
    Value(String),
}

/// One element: `"quoted \" text"`, an unquoted token, or NULL.
fn read_element(chars: &mut Chars<'_>, text: &str) -> Result<Element, TransformError> {
    if chars.peek().map(|(_, c)| *c) == Some('"') {
        chars.next();
        let mut value = String::new();
        loop {
            match chars.next().map(|(_, c)| c) {
                Some('\\') => value.push(chars.next().ok_or(TransformError::NotAnArray)?.1),
                Some('"') => return Ok(Element::Value(value)),
                Some(c) => value.push(c),
                None => return Err(TransformError::NotAnArray),
            }
        }
    }
    let start = chars.peek().map_or(text.len(), |(at, _)| *at);
    let mut end = start;
    while let Some((at, c)) = chars.peek().copied() {
        if c == ',' || c == '}' {
            break;
        }
        end = at + c.len_utf8();
        chars.next();
    }
    let token = text[start..end].trim();
    if token.eq_ignore_ascii_case("NULL") {
        Ok(Element::Null)
    } else {
        Ok(Element::Value(token.to_owned()))
    }
}

/// Writes an element as PostgreSQL would: NULL bare, quoted where the text form needs it.
fn write_element(value: Option<&str>, out: &mut String) {
    let Some(value) = value else {
        out.push_str("NULL");
        return;
    };
    let needs_quotes = value.is_empty()
        || value.eq_ignore_ascii_case("NULL")
        || value
            .chars()
            .any(|c| matches!(c, '{' | '}' | ',' | '"' | '\\') || c.is_whitespace());
    if !needs_quotes {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use crate::anonymize::testing::{apply_to, column};
    use crate::catalog::{Column, TypeCategory};

    fn text_array() -> Column {
        Column {
            element: Some(Box::new(column("element", "text", TypeCategory::Text))),
            ..column("values", "text[]", TypeCategory::Array)
        }
    }

    fn each(rule: &str, value: &str) -> String {
        apply_to(rule, &text_array(), Some(value), &[])
            .expect("ok")
            .expect("array")
    }

    #[test]
    fn rewrites_every_element_and_keeps_nulls_and_shape() {
        let constant = "{ each = { transform = \"constant\", value = \"x y\" } }";
        assert_eq!(each(constant, "{a,NULL,\"b c\"}"), "{\"x y\",NULL,\"x y\"}");
        assert_eq!(
            each(constant, "{{a,b},{NULL,d}}"),
            "{{\"x y\",\"x y\"},{NULL,\"x y\"}}"
        );
        assert_eq!(each(constant, "{}"), "{}");
        assert_eq!(each(constant, "[0:1]={a,b}"), "[0:1]={\"x y\",\"x y\"}");
        let quoting = "{ each = { transform = \"constant\", value = 'say \"hi\", \\o/' } }";
        assert_eq!(each(quoting, "{a}"), "{\"say \\\"hi\\\", \\\\o/\"}");
    }

    #[test]
    fn elements_get_the_fakes_of_their_rule() {
        let phones = "{ each = { transform = \"phone\", format = \"e164\" } }";
        let output = each(phones, "{\"+44 20 7946 0958\",+31612345678,NULL}");
        let parts: Vec<&str> = output
            .trim_matches(|c| c == '{' || c == '}')
            .split(',')
            .collect();
        assert_eq!(parts.len(), 3, "{output}");
        assert!(
            parts[0].starts_with('+') && parts[1].starts_with('+'),
            "{output}"
        );
        assert_eq!(parts[2], "NULL");
        let again = each(phones, "{+31612345678}");
        assert_eq!(again.trim_matches(|c| c == '{' || c == '}'), parts[1]);
    }

    #[test]
    fn a_broken_literal_is_an_error_without_the_value() {
        for broken in ["a,b", "{a,b", "{\"a}", "{a}x"] {
            let error = apply_to("{ each = \"city\" }", &text_array(), Some(broken), &[])
                .expect_err("broken");
            assert!(!error.contains(broken), "{error}");
        }
    }
}
