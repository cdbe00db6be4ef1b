//! json: rules for values inside json/jsonb documents, by path: `$.bio`,
//! `$.contacts[*].email`, `$.items[0].name`, filters on a sibling
//! (`$.contacts[?(@.type == 'email')].value`) and recursive descent (`$..email`).

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
        summary: "JSON path ($, .key, [*], [N], [?(@.key == 'value')], ..key) = transformer name or inline rule table",
    }],
    accepts: &[TypeCategory::Json, TypeCategory::Text],
    unique_safe: false,
    example: "profile = { transform = \"json\", paths = { \"$.contacts[?(@.type == 'email')].value\" = \"email\", \"$..phone\" = \"phone\" } }",
    rewrites_parts: true,
    build: build_json,
}];

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
enum Step {
    /// `.key`
    Key(String),
    /// `[*]`
    Every,
    /// `[N]`
    Index(usize),
    /// `..`: this node and every node under it, at any depth.
    Descend,
    /// `[?(@.a.b == 'x')]`: the elements of an array (or the members of an object) for which
    /// the condition holds.
    Filter(Condition),
}

/// `@.path == value` or `@.path != value`, on an element.
#[derive(Debug, Clone, PartialEq)]
struct Condition {
    path: Vec<String>,
    equal: bool,
    value: Value,
}

impl Condition {
    fn holds(&self, element: &Value) -> bool {
        let found = self
            .path
            .iter()
            .try_fold(element, |node, key| node.get(key));
        found.is_some_and(|found| same(found, &self.value)) == self.equal
    }
}

/// JSON equality, numbers by value (`1` and `1.0` are the same).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => a == b,
    }
}

#[derive(Debug)]
struct JsonRules {
    paths: Vec<(Vec<Step>, CompiledRule)>,
    /// When every path names a key: each path's last key as JSON writes it (`"email"`). A
    /// document that holds none of them cannot be reached by any path, so it is not parsed.
    keys: Option<Vec<String>>,
}

impl JsonRules {
    /// Whether some path may reach a value of `document` (false only when it surely cannot).
    fn may_match(&self, document: &str) -> bool {
        // A key written with escapes (`"\u0065mail"`) does not show as itself: parse.
        let Some(keys) = self.keys.as_ref().filter(|_| !document.contains('\\')) else {
            return true;
        };
        keys.iter().any(|key| document.contains(key.as_str()))
    }
}

/// The last key a path names, as JSON writes it; `None` when it names none (`$[*]`).
fn last_key(steps: &[Step]) -> Option<String> {
    steps.iter().rev().find_map(|step| match step {
        Step::Key(key) => Some(Value::String(key.clone()).to_string()),
        _ => None,
    })
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
        let rule = CompiledRule::build_within(rule, &leaf, context)
            .map_err(|e| format!("path '{path}': {e}"))?;
        compiled.push((steps, rule));
    }
    let keys = compiled.iter().map(|(steps, _)| last_key(steps)).collect();
    Ok(Box::new(JsonRules {
        paths: compiled,
        keys,
    }))
}

fn parse_path(path: &str) -> Result<Vec<Step>, String> {
    let invalid = || {
        format!(
            "'{path}' is not a JSON path like $.a.b, $.list[*].email, \
             $.contacts[?(@.type == 'email')].value or $..email"
        )
    };
    let mut rest = path.strip_prefix('$').ok_or_else(invalid)?;
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("..") {
            steps.push(Step::Descend);
            let (key, after) = key_at(after).ok_or_else(invalid)?;
            steps.push(Step::Key(key));
            rest = after;
        } else if let Some(after) = rest.strip_prefix('.') {
            let (key, after) = key_at(after).ok_or_else(invalid)?;
            steps.push(Step::Key(key));
            rest = after;
        } else if let Some(after) = rest.strip_prefix("[?(") {
            let end = after.find(")]").ok_or_else(invalid)?;
            steps.push(Step::Filter(
                parse_condition(&after[..end]).ok_or_else(invalid)?,
            ));
            rest = &after[end + 2..];
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
    if steps.last() == Some(&Step::Descend) {
        return Err(invalid());
    }
    Ok(steps)
}

/// The key at the start of `text` (up to the next `.` or `[`) and what follows it.
fn key_at(text: &str) -> Option<(String, &str)> {
    let end = text.find(['.', '[']).unwrap_or(text.len());
    (end > 0).then(|| (text[..end].to_owned(), &text[end..]))
}

/// `@.a.b == 'x'`, `@.a != "x"`, `@.n == 3`, `@.ok == true`, `@.gone == null`.
fn parse_condition(text: &str) -> Option<Condition> {
    let (left, equal, right) = if let Some((left, right)) = text.split_once("==") {
        (left, true, right)
    } else {
        let (left, right) = text.split_once("!=")?;
        (left, false, right)
    };
    let path: Vec<String> = left
        .trim()
        .strip_prefix("@.")?
        .split('.')
        .map(str::to_owned)
        .collect();
    if path.iter().any(String::is_empty) {
        return None;
    }
    let right = right.trim();
    let quoted = right
        .strip_prefix('\'')
        .and_then(|inner| inner.strip_suffix('\''))
        .or_else(|| {
            right
                .strip_prefix('"')
                .and_then(|inner| inner.strip_suffix('"'))
        });
    let value = match quoted {
        Some(text) => Value::String(text.to_owned()),
        None => serde_json::from_str(right).ok()?,
    };
    Some(Condition { path, equal, value })
}

impl Transformer for JsonRules {
    fn transform(
        &self,
        value: &str,
        context: &ValueContext<'_>,
    ) -> Result<Option<String>, TransformError> {
        if !self.may_match(value) {
            return Ok(Some(value.to_owned()));
        }
        let mut document: Value = serde_json::from_str(value)?;
        let mut changed = false;
        for (steps, rule) in &self.paths {
            changed |= apply_at(&mut document, steps, rule, context)?;
        }
        // A document no rule changed goes through as it came: a `json` value keeps its
        // duplicate keys, key order and spacing.
        if changed {
            Ok(Some(serde_json::to_string(&document)?))
        } else {
            Ok(Some(value.to_owned()))
        }
    }
}

/// Applies `rule` to every scalar the path reaches (strings as they are, numbers and
/// booleans by their text; the result is a string, or null); whether any value changed.
fn apply_at(
    node: &mut Value,
    steps: &[Step],
    rule: &CompiledRule,
    context: &ValueContext<'_>,
) -> Result<bool, TransformError> {
    let Some((step, rest)) = steps.split_first() else {
        let input = match node {
            Value::String(text) => Some(text.clone()),
            Value::Number(number) => Some(number.to_string()),
            Value::Bool(flag) => Some(flag.to_string()),
            Value::Null => None,
            Value::Array(_) | Value::Object(_) => return Ok(false),
        };
        let output = rule
            .apply(input.as_deref(), context.keyer, context.row)?
            .map_or(Value::Null, Value::String);
        let changed = output != *node;
        *node = output;
        return Ok(changed);
    };
    let mut changed = false;
    match (step, node) {
        (Step::Key(key), Value::Object(object)) => {
            if let Some(child) = object.get_mut(key) {
                changed |= apply_at(child, rest, rule, context)?;
            }
        }
        (Step::Every, Value::Array(items)) => {
            for item in items {
                changed |= apply_at(item, rest, rule, context)?;
            }
        }
        (Step::Index(index), Value::Array(items)) => {
            if let Some(item) = items.get_mut(*index) {
                changed |= apply_at(item, rest, rule, context)?;
            }
        }
        (Step::Filter(condition), Value::Array(items)) => {
            for item in items.iter_mut().filter(|item| condition.holds(item)) {
                changed |= apply_at(item, rest, rule, context)?;
            }
        }
        (Step::Filter(condition), Value::Object(object)) => {
            for member in object.values_mut().filter(|member| condition.holds(member)) {
                changed |= apply_at(member, rest, rule, context)?;
            }
        }
        (Step::Descend, node) => {
            changed |= apply_at(node, rest, rule, context)?;
            match node {
                Value::Object(object) => {
                    for child in object.values_mut() {
                        changed |= apply_at(child, steps, rule, context)?;
                    }
                }
                Value::Array(items) => {
                    for child in items {
                        changed |= apply_at(child, steps, rule, context)?;
                    }
                }
                _ => {}
            }
        }
        _ => {}
    }
    Ok(changed)
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
    fn documents_without_any_ruled_key_are_not_parsed_but_escaped_keys_are() {
        let rule = "{ transform = \"json\", paths = { \"$..email\" = \"email\", \"$.owner.name\" = \"name\" } }";
        // Not JSON at all, yet no path can reach into it: it goes through as it came.
        for untouched in [r#"{"age": 40, "tags": ["a"]}"#, "{not json, no keys}"] {
            assert_eq!(apply(rule, Some(untouched)).as_deref(), Some(untouched));
        }
        for reached in [
            r#"{"deep": [{"email": "ann@mail.example"}]}"#,
            r#"{"owner": {"name": "Ann Lee"}}"#,
            r#"{"\u0065mail": "ann@mail.example"}"#,
        ] {
            let output = apply(rule, Some(reached)).expect("json");
            assert!(
                !output.contains("ann@mail.example") && !output.contains("Ann Lee"),
                "{output}"
            );
        }
        let any_key = "{ transform = \"json\", paths = { \"$[*]\" = \"email\" } }";
        assert!(
            apply(any_key, Some(r#"["ann@mail.example"]"#))
                .is_some_and(|out| !out.contains("ann@"))
        );
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
        assert_eq!(
            parse_path("$..email"),
            Ok(vec![Step::Descend, Step::Key("email".into())])
        );
        assert_eq!(
            parse_path("$.contacts[?(@.type == 'email')].value"),
            Ok(vec![
                Step::Key("contacts".into()),
                Step::Filter(Condition {
                    path: vec!["type".into()],
                    equal: true,
                    value: Value::String("email".into()),
                }),
                Step::Key("value".into()),
            ])
        );
        for bad in [
            "a.b",
            "$..",
            "$.a[?(type == 'x')]",
            "$.a[?(@.t = 'x')]",
            "$.a[?(@. == 1)]",
        ] {
            assert!(parse_path(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn filters_choose_elements_by_a_sibling() {
        let rule = "{ transform = \"json\", paths = { \"$.contacts[?(@.type == 'email')].value\" = \"email\", \"$.contacts[?(@.type == 'phone')].value\" = { transform = \"phone\", format = \"e164\" } } }";
        let input = r#"{"contacts":[{"type":"email","value":"mary@shop.example"},{"type":"phone","value":"+442079460958"},{"type":"note","value":"call after 6"}]}"#;
        let output: Value =
            serde_json::from_str(&apply(rule, Some(input)).expect("json")).expect("valid JSON");
        let contacts = output["contacts"].as_array().expect("array");
        let email = contacts[0]["value"].as_str().expect("email");
        assert!(email.ends_with("@example.com"), "{email}");
        let phone = contacts[1]["value"].as_str().expect("phone");
        assert!(
            phone.starts_with('+') && phone != "+442079460958",
            "{phone}"
        );
        assert_eq!(contacts[2]["value"], "call after 6");
        let numbers = "{ transform = \"json\", paths = { \"$.items[?(@.secret == true)].v\" = { transform = \"constant\", value = \"x\" }, \"$.items[?(@.n != 2)].w\" = { transform = \"constant\", value = \"y\" } } }";
        let output: Value = serde_json::from_str(
            &apply(
                numbers,
                Some(r#"{"items":[{"secret":true,"v":"a","n":2.0,"w":"b"},{"secret":false,"v":"c","n":3,"w":"d"}]}"#),
            )
            .expect("json"),
        )
        .expect("valid JSON");
        assert_eq!(output["items"][0]["v"], "x");
        assert_eq!(output["items"][1]["v"], "c");
        assert_eq!(output["items"][0]["w"], "b");
        assert_eq!(output["items"][1]["w"], "y");
    }

    #[test]
    fn recursive_descent_reaches_every_depth() {
        let rule = "{ transform = \"json\", paths = { \"$..email\" = \"email\" } }";
        let input = r#"{"email":"a@x.example","a":{"b":[{"email":"b@x.example"},{"c":{"email":"c@x.example","note":"keep"}}]},"list":["email"]}"#;
        let text = apply(rule, Some(input)).expect("json");
        for original in ["a@x.example", "b@x.example", "c@x.example"] {
            assert!(!text.contains(original), "{text}");
        }
        let output: Value = serde_json::from_str(&text).expect("valid JSON");
        assert_eq!(output["a"]["b"][1]["c"]["note"], "keep");
        assert_eq!(output["list"][0], "email");
    }

    #[test]
    fn a_document_no_rule_changes_stays_byte_identical() {
        let rule = "{ transform = \"json\", paths = { \"$..email\" = \"email\", \"$.contacts[?(@.type == 'email')].value\" = \"email\" } }";
        for input in [
            r#"{"b": 1,  "a": {"x": [1, 2.50, "y"]}, "b": 2}"#,
            "{}",
            "[]",
            r#"{"contacts": [{"type": "note", "value": "hello"}]}"#,
            r#"{"email": null}"#,
        ] {
            assert_eq!(apply(rule, Some(input)).as_deref(), Some(input));
        }
    }
}
