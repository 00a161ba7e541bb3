//! What a person reads: the API's JSON as aligned columns, as the hosted product's CLI
//! prints it. `--json` prints the JSON itself instead.

use serde_json::Value;

/// Columns padded to their widest cell, a rule under the header.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let widths: Vec<usize> = (0..header.len())
        .map(|i| {
            rows.iter()
                .map(|r| r.get(i).map_or(0, |c| c.chars().count()))
                .chain([header[i].chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!(" {c:<w$} "))
            .collect();
        padded.join("│").trim_end().to_owned()
    };
    let mut out = vec![line(header.to_vec())];
    out.push(
        widths
            .iter()
            .map(|w| "─".repeat(w + 2))
            .collect::<Vec<_>>()
            .join("┼"),
    );
    for row in rows {
        out.push(line(row.iter().map(String::as_str).collect()));
    }
    out.join("\n")
}

/// A field as a cell: strings bare, a list of strings comma-separated (scopes, as the hosted
/// product's CLI shows them), null or missing as an em dash, anything else as JSON.
pub fn cell(value: &Value, field: &str) -> String {
    match value.get(field) {
        None | Some(Value::Null) => "—".to_owned(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join(", "),
        Some(other) => other.to_string(),
    }
}

/// `Field │ Value` rows of an object.
pub fn fields(value: &Value, rows: &[(&str, &str)]) -> String {
    let rows: Vec<Vec<String>> = rows
        .iter()
        .map(|(label, field)| vec![(*label).to_owned(), cell(value, field)])
        .collect();
    render(&["Field", "Value"], &rows)
}

/// One row per element of `value[list]`, `columns` as (header, field).
pub fn list(value: &Value, list: &str, columns: &[(&str, &str)], empty: &str) -> String {
    let items = value
        .get(list)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if items.is_empty() {
        return empty.to_owned();
    }
    let header: Vec<&str> = columns.iter().map(|(h, _)| *h).collect();
    let rows: Vec<Vec<String>> = items
        .iter()
        .map(|item| columns.iter().map(|(_, f)| cell(item, f)).collect())
        .collect();
    render(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_of_strings_read_as_words_and_other_values_as_json() {
        let value = json!({"scopes": ["vault:read", "vault:write"], "n": [1, 2], "none": []});
        assert_eq!(cell(&value, "scopes"), "vault:read, vault:write");
        assert_eq!(cell(&value, "n"), "[1,2]");
        assert_eq!(cell(&value, "none"), "");
    }

    #[test]
    fn columns_line_up_and_missing_fields_are_dashes() {
        let value = json!({"credentials": [
            {"name": "stripe", "type": "API_KEY", "expiresAt": null},
            {"name": "gh", "type": "LOGIN", "expiresAt": "2030-01-01T00:00:00Z"},
        ]});
        let shown = list(
            &value,
            "credentials",
            &[("Name", "name"), ("Type", "type"), ("Expires", "expiresAt")],
            "none",
        );
        let lines: Vec<&str> = shown.lines().collect();
        assert_eq!(lines[0], " Name   │ Type    │ Expires");
        assert!(lines[1].starts_with("────────┼"));
        assert_eq!(lines[2], " stripe │ API_KEY │ —");
        assert_eq!(
            list(&json!({"credentials": []}), "credentials", &[], "none"),
            "none"
        );
    }
}
