//! The query string of `GET /v0/logs`, parsed into a [`LogQuery`]. Messages name the
//! parameter and the values it takes, never the value sent.

use crate::domain::{Action, Category, ListCursor, LogCursor, LogFilter, Outcome, Severity};
use crate::vault::{ListQuery, LogQuery, MAX_LIST_PAGE, MAX_LOG_PAGE};
use lambda_http::RequestExt;
use lambda_http::aws_lambda_events::query_map::QueryMap;
use lambda_http::http::request::Parts;

const PARAMETERS: [&str; 6] = [
    "limit",
    "category",
    "status",
    "severity",
    "action",
    "pageToken",
];

/// `GET /v0/vault`: `limit` and `pageToken`, both optional (none asks for the whole list).
pub fn list_query(parts: &Parts) -> Result<ListQuery, String> {
    let (limit, token) = page_query(parts, MAX_LIST_PAGE)?;
    let after = match token {
        None => None,
        Some(token) => Some(ListCursor::from_token(&token).ok_or(NOT_OUR_TOKEN)?),
    };
    Ok(ListQuery { limit, after })
}

pub const NOT_OUR_TOKEN: &str = "Query parameter `pageToken` is not a token this API gave out";

/// A list's `limit` (1 to `max`) and `pageToken` (as sent), both optional.
pub fn page_query(parts: &Parts, max: usize) -> Result<(Option<usize>, Option<String>), String> {
    let Some(params) = parts.extensions.query_string_parameters_ref() else {
        return Ok((None, None));
    };
    known(params, &["limit", "pageToken"])?;
    let limit = one(params, "limit")?
        .map(|raw| limit(raw, max))
        .transpose()?;
    Ok((limit, one(params, "pageToken")?.map(str::to_owned)))
}

/// Refuses a parameter not in `names`, naming the known ones (never the one sent).
fn known(params: &QueryMap, names: &[&str]) -> Result<(), String> {
    match params.iter().any(|(name, _)| !names.contains(&name)) {
        true => Err(format!(
            "Unknown query parameter; known: {}",
            names.join(", ")
        )),
        false => Ok(()),
    }
}

fn limit(raw: &str, max: usize) -> Result<usize, String> {
    raw.parse::<usize>()
        .ok()
        .filter(|l| (1..=max).contains(l))
        .ok_or_else(|| format!("Query parameter `limit` must be a whole number from 1 to {max}"))
}

pub fn log_query(parts: &Parts) -> Result<LogQuery, String> {
    let params = parts.extensions.query_string_parameters_ref();
    let mut query = LogQuery::default();
    let Some(params) = params else {
        return Ok(query);
    };
    known(params, &PARAMETERS)?;
    let one = |name: &str| one(params, name);
    if let Some(raw) = one("limit")? {
        query.limit = Some(limit(raw, MAX_LOG_PAGE)?);
    }
    query.filter = filter(&one)?;
    if let Some(token) = one("pageToken")? {
        query.after = Some(LogCursor::from_token(token).ok_or(NOT_OUR_TOKEN)?);
    }
    Ok(query)
}

/// The parameter's one value; `None` when absent, an error when repeated.
fn one<'p>(params: &'p QueryMap, name: &str) -> Result<Option<&'p str>, String> {
    match params.all(name).as_deref() {
        None | Some([]) => Ok(None),
        Some([value]) => Ok(Some(value)),
        Some(_) => Err(format!("Query parameter `{name}` is given more than once")),
    }
}

fn filter<'p>(one: &dyn Fn(&str) -> Result<Option<&'p str>, String>) -> Result<LogFilter, String> {
    Ok(LogFilter {
        category: parsed(
            one("category")?,
            "category",
            Category::parse,
            Category::ALL.iter().map(|c| c.as_str()),
        )?,
        outcome: parsed(
            one("status")?,
            "status",
            Outcome::parse,
            Outcome::ALL.iter().map(|o| o.as_str()),
        )?,
        severity: parsed(
            one("severity")?,
            "severity",
            Severity::parse,
            Severity::ALL.iter().map(|s| s.as_str()),
        )?,
        action: parsed(
            one("action")?,
            "action",
            Action::parse,
            Action::ALL.iter().map(|a| a.as_str()),
        )?,
    })
}

fn parsed<T>(
    raw: Option<&str>,
    name: &str,
    parse: impl Fn(&str) -> Option<T>,
    known: impl Iterator<Item = &'static str>,
) -> Result<Option<T>, String> {
    match raw {
        None => Ok(None),
        Some(raw) => parse(raw).map(Some).ok_or_else(|| {
            let known: Vec<&str> = known.collect();
            format!(
                "Query parameter `{name}` must be one of: {}",
                known.join(", ")
            )
        }),
    }
}
