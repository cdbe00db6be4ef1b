//! json: rules for values inside json/jsonb documents, by path (`$.bio`,
//! `$.contacts[*].email`, `$.items[0].name`).

use serde_json::Value;

use crate::anonymize::{
    BuildContext, CompiledRule, Definition, OptionKind, OptionSpec, Options, TransformError,
    Transformer, ValueContext,
};
use crate::catalog::{Column, TypeCategory};

/// The definitions of this file.
pub const DEFINITIONS: &[Definition] = &[Definition {
    name: "json",
    summary: "apply transformers inside a JSON document: paths = { \"$.a[*].email\" = \"email\" }",
    options: &[OptionSpec {
        name: "paths",
        kind: OptionKind::Table,
        summary: "JSON path ($, .key, [*], [N]) = transformer name or inline rule table",
    }],
    accepts: &[TypeCategory::Json, TypeCategory::Text],
    unique_safe: false,
    build: build_json,
}];

#[derive(Debug, Clone, PartialEq)]
enum Step {
    Key(String),
    Every,
    Index(usize),
}

#[derive(Debug)]
struct JsonRules {
    paths: Vec<(Vec<Step>, CompiledRule)>,
}

fn build_json(
    _: &str,
    options: &Options,
    context: &BuildContext<'_>,
) -> Result<Box<dyn Transformer>, String> {
    let paths = options.table("paths").ok_or("option 'paths' is required")?;
    let mut compiled = Vec::new();
    for (path, rule) in paths {
        let steps = parse_path(path)?;
        let leaf = Column::text(path);
        let leaf_context = BuildContext {
            column: &leaf,
            table_columns: context.table_columns,
            test_cards: context.test_cards,
            registry: context.registry,
        };
        let rule =
            CompiledRule::build(rule, &leaf_context).map_err(|e| format!("path '{path}': {e}"))?;
        compiled.push((steps, rule));
    }
    Ok(Box::new(JsonRules { paths: compiled }))
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let invalid = || format!("'{path}' is not a JSON path like $.a.b or $.list[*].email");
    let mut rest = path.strip_prefix('$').ok_or_else(invalid)?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            if end == 0 {
                return Err(invalid());
            }
            steps.push(Step::Key(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or_else(invalid)?;
            let inside = &after[..end];
            steps.push(if inside == "*" {
                Step::Every
            } else {
                Step::Index(inside.parse().map_err(|_| invalid())?)
            });
            rest = &after[end + 1..];
        } else {
            return Err(invalid());
        }
    }
    Ok(steps)
}

impl Transformer for JsonRules {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        let mut document: Value = serde_json::from_str(value)?;
        for (steps, rule) in &self.paths {
            apply_at(&mut document, steps, rule, context)?;
        }
        Ok(Some(document.to_string()))
    }
}

/// Applies `rule` to every scalar the path reaches (strings as they are, numbers and
/// booleans by their text; the result is a string, or null).
fn apply_at(
    node: &mut Value,
    steps: &[Step],
    rule: &CompiledRule,
    context: &ValueContext<'_>,
) -> Result<(), TransformError> {
    let Some((step, rest)) = steps.split_first() else {
        let input = match node {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            Value::Null => None,
            Value::Array(_) | Value::Object(_) => return Ok(()),
        };
        *node = rule
            .apply(input.as_deref(), context.keyer, context.row)?
            .map_or(Value::Null, Value::String);
        return Ok(());
    };
    match (step, node) {
        (Step::Key(key), Value::Object(object)) => {
            if let Some(child) = object.get_mut(key) {
                apply_at(child, rest, rule, context)?;
            }
        }
        (Step::Every, Value::Array(items)) => {
            for item in items {
                apply_at(item, rest, rule, context)?;
            }
        }
        (Step::Index(index), Value::Array(items)) => {
            if let Some(item) = items.get_mut(*index) {
                apply_at(item, rest, rule, context)?;
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::anonymize::testing::apply;

    #[test]
    fn rewrites_values_at_paths_inside_arrays() {
        let rule = "{ transform = \"json\", paths = { \"$.contacts[*].email\" = \"email\", \"$.bio\" = { transform = \"constant\", value = \"x\" } } }";
        let input = r#"{"bio":"I am Mary","age":40,"contacts":[{"email":"a@b.c"},{"email":"d@e.f","kind":"work"}]}"#;
        let output: Value =
            serde_json::from_str(&apply(rule, Some(input)).expect("json")).expect("valid JSON");
        assert_eq!(output["bio"], "x");
        assert_eq!(output["age"], 40);
        assert_eq!(output["contacts"][1]["kind"], "work");
        for contact in output["contacts"].as_array().expect("array") {
            let email = contact["email"].as_str().expect("email");
            assert!(
                email.ends_with("@example.com") && !["a@b.c", "d@e.f"].contains(&email),
                "{email}"
            );
        }
    }

    #[test]
    fn paths_parse_or_say_why_not() {
        assert_eq!(
            parse_path("$.a[*].b[2]"),
            Ok(vec![
                Step::Key("a".into()),
                Step::Every,
                Step::Key("b".into()),
                Step::Index(2)
            ])
        );
        assert!(parse_path("a.b").is_err());
        assert!(parse_path("$..a").is_err());
    }
}
