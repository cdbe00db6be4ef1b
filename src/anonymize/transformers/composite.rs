//! fields: rules for the fields of a composite value — `(street,city,zip)` in PostgreSQL's
//! text form — by field name; fields without a rule pass through, NULL fields stay NULL.

use crate::anonymize::{
    BuildContext, CompiledRule, Definition, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext,
};
use crate::catalog::TypeCategory;

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[Definition {
    name: "fields",
    summary: "apply rules to fields of a composite value by name; other fields pass through, NULL stays NULL; written without `transform`: { fields = { street = \"street_address\" } }",
    options: &[OptionSpec {
        name: "fields",
        kind: OptionKind::Table,
        summary: "field name = transformer name or inline rule table",
    }],
    accepts: &[TypeCategory::Composite],
    unique_safe: false,
    example: "home_address = { fields = { street = \"street_address\", city = \"city\", zip = \"postcode\" } }",
    rewrites_parts: true,
    build: build_fields,
}];

#[derive(Debug)]
struct Fields {
    /// A rule for each field position; `None` passes the field through.
    rules: Vec<Option<CompiledRule>>,
}

fn build_fields(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let wanted = options
        .table("fields")
        .ok_or("option 'fields' is required")?;
    let fields = &context.column.fields;
    let mut rules: Vec<Option<CompiledRule>> = fields.iter().map(|_| None).collect();
    for (name, rule) in wanted {
        let Some(position) = fields.iter().position(|field| &field.name == name) else {
            let known: Vec<&str> = fields.iter().map(|field| field.name.as_str()).collect();
            return Err(format!(
                "no field '{name}' in {}; its fields: {}",
                context.column.type_name,
                known.join(", ")
            ));
        };
        let compiled = CompiledRule::build_within(rule, &fields[position], context)
            .map_err(|e| format!("field '{name}': {e}"))?;
        rules[position] = Some(compiled);
    }
    Ok(Box::new(Fields { rules }))
}

impl Transformer for Fields {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let fields = parse_record(value).ok_or(TransformError::NotARecord)?;
        if fields.len() != self.rules.len() {
            return Err(TransformError::NotARecord);
        }
        let mut out = String::with_capacity(value.len() + 16);
        out.push('(');
        for (position, (field, rule)) in fields.iter().zip(&self.rules).enumerate() {
            if position > 0 {
                out.push(',');
            }
            let rewritten = match rule {
                Some(rule) => rule.apply(field.as_deref(), context.keyer, context.row)?,
                None => field.clone(),
            };
            write_field(rewritten.as_deref(), &mut out);
        }
        out.push(')');
        Ok(Some(out))
    }
}

/// The fields of a record literal, `None` for NULL (nothing between the commas).
fn parse_record(text: &str) -> Option<Vec<Option<String>>> {
    let inner = text.trim().strip_prefix('(')?.strip_suffix(')')?;
    let mut fields = Vec::new();
    let mut chars = inner.chars().peekable();
    loop {
        let mut field = String::new();
        let mut present = false;
        while let Some(&c) = chars.peek() {
            match c {
                ',' => break,
                '"' => {
                    present = true;
                    chars.next();
                    loop {
                        match chars.next()? {
                            '"' if chars.peek() == Some(&'"') => {
                                chars.next();
                                field.push('"');
                            }
                            '"' => break,
                            '\\' => field.push(chars.next()?),
                            c => field.push(c),
                        }
                    }
                }
                '\\' => {
                    present = true;
                    chars.next();
                    field.push(chars.next()?);
                }
                c => {
                    present = true;
                    chars.next();
                    field.push(c);
                }
            }
        }
        fields.push(present.then_some(field));
        if chars.next().is_none() {
            return Some(fields);
        }
    }
}

/// Writes a field as PostgreSQL's record output does: NULL as nothing, quoted where needed,
/// `"` and `\` doubled inside quotes.
fn write_field(value: Option<&str>, out: &mut String) {
    let Some(value) = value else {
        return;
    };
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| matches!(c, '(' | ')' | ',' | '"' | '\\') || c.is_whitespace());
    if !needs_quotes {
        out.push_str(value);
        return;
    }
    out.push('"');
    for c in value.chars() {
        if matches!(c, '"' | '\\') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::parse_record;
    use crate::anonymize::testing::{apply_to, column};
    use crate::catalog::{Column, TypeCategory};

    fn address() -> Column {
        Column {
            fields: ["street", "city", "zip", "country"]
                .iter()
                .map(|name| column(name, "text", TypeCategory::Text))
                .collect(),
            ..column("home", "postal_address", TypeCategory::Composite)
        }
    }

    #[test]
    fn records_parse_with_quotes_escapes_and_nulls() {
        assert_eq!(
            parse_record(r#"("1 Main St","New ""York""",,NL)"#),
            Some(vec![
                Some("1 Main St".into()),
                Some("New \"York\"".into()),
                None,
                Some("NL".into())
            ])
        );
        assert_eq!(
            parse_record(r#"("",x)"#),
            Some(vec![Some(String::new()), Some("x".into())])
        );
        assert_eq!(parse_record("not a record"), None);
    }

    #[test]
    fn ruled_fields_change_the_others_pass_through() {
        let rule = "{ fields = { street = \"street_address\", zip = { transform = \"constant\", value = \"0000 AA\" } } }";
        let output = apply_to(
            rule,
            &address(),
            Some(r#"("1 Main St",Utrecht,"3511 AB",NL)"#),
            &[],
        )
        .expect("ok")
        .expect("record");
        let fields = parse_record(&output).expect("a record");
        assert_eq!(fields.len(), 4);
        assert_ne!(fields[0].as_deref(), Some("1 Main St"));
        assert_eq!(fields[1].as_deref(), Some("Utrecht"));
        assert_eq!(fields[2].as_deref(), Some("0000 AA"));
        assert_eq!(fields[3].as_deref(), Some("NL"));
        let nulls = apply_to(rule, &address(), Some("(,Utrecht,,)"), &[])
            .expect("ok")
            .expect("record");
        assert_eq!(nulls, "(,Utrecht,,)");
    }

    #[test]
    fn an_unknown_field_names_the_fields() {
        let error = apply_to(
            "{ fields = { stret = \"city\" } }",
            &address(),
            Some("(a,b,c,d)"),
            &[],
        )
        .expect_err("unknown field");
        assert!(
            error.contains("no field 'stret'") && error.contains("street, city, zip, country"),
            "{error}"
        );
    }
}
