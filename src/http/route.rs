use lambda_http::http::Method;

/// The vault's routes, matched on the request path itself so the same handler works behind
/// an HTTP API `$default` stage, a REST API stage, a Function URL and `cargo lambda watch`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    /// `/v0/vault/{name}`, with the raw (still percent-encoded) segment.
    Credential(&'a str),
}

impl<'a> Route<'a> {
    pub fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix("/v0/vault/")?;
        (!rest.contains('/')).then_some(Self::Credential(rest))
    }

    /// The route as a template, for logs: never a caller's raw segment.
    pub fn template(&self) -> &'static str {
        match self {
            Self::Credential(_) => "/v0/vault/{name}",
        }
    }

    pub fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Self::Credential(_) => &[Method::PUT],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_credential_paths_only() {
        assert_eq!(
            Route::parse("/v0/vault/stripe"),
            Some(Route::Credential("stripe"))
        );
        assert_eq!(Route::parse("/v0/vault/"), Some(Route::Credential("")));
        for other in [
            "/",
            "/v0/vault",
            "/v1/vault/x",
            "/v0/vault/a/b",
            "v0/vault/x",
            "/v0/vaults/x",
        ] {
            assert_eq!(Route::parse(other), None, "{other}");
        }
    }
}
