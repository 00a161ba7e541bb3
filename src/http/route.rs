use crate::auth::Scope;
use lambda_http::http::Method;

/// The vault's routes, matched on the request path itself so the same handler works behind
/// an HTTP API `$default` stage, a REST API stage, a Function URL and `cargo lambda watch`.
/// Named routes carry the raw (still percent-encoded) name segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    List,
    Credential(&'a str),
    Totp(&'a str),
    TotpBackup(&'a str),
}

impl<'a> Route<'a> {
    pub fn parse(path: &'a str) -> Option<Self> {
        let rest = path.strip_prefix("/v0/vault")?;
        if rest.is_empty() {
            return Some(Self::List);
        }
        let mut segments = rest.strip_prefix('/')?.split('/');
        let name = segments.next()?;
        match (segments.next(), segments.next(), segments.next()) {
            (None, ..) => Some(Self::Credential(name)),
            (Some("totp"), None, _) => Some(Self::Totp(name)),
            (Some("totp"), Some("backup"), None) => Some(Self::TotpBackup(name)),
            _ => None,
        }
    }

    /// The route as a template, for logs: never a caller's raw segment.
    pub fn template(&self) -> &'static str {
        match self {
            Self::List => "/v0/vault",
            Self::Credential(_) => "/v0/vault/{name}",
            Self::Totp(_) => "/v0/vault/{name}/totp",
            Self::TotpBackup(_) => "/v0/vault/{name}/totp/backup",
        }
    }

    pub fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Self::List | Self::Totp(_) => &[Method::GET],
            Self::Credential(_) => &[Method::GET, Method::PUT, Method::DELETE],
            Self::TotpBackup(_) => &[Method::POST],
        }
    }

    /// The scope an allowed method needs: reads need `vault:read`, the rest `vault:write`.
    pub fn scope(method: &Method) -> Scope {
        if method == Method::GET {
            Scope::VaultRead
        } else {
            Scope::VaultWrite
        }
    }

    pub fn name_segment(&self) -> Option<&'a str> {
        match *self {
            Self::List => None,
            Self::Credential(name) | Self::Totp(name) | Self::TotpBackup(name) => Some(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_contracts_paths() {
        assert_eq!(Route::parse("/v0/vault"), Some(Route::List));
        assert_eq!(
            Route::parse("/v0/vault/stripe"),
            Some(Route::Credential("stripe"))
        );
        assert_eq!(Route::parse("/v0/vault/"), Some(Route::Credential("")));
        assert_eq!(
            Route::parse("/v0/vault/totp"),
            Some(Route::Credential("totp"))
        );
        assert_eq!(Route::parse("/v0/vault/gh/totp"), Some(Route::Totp("gh")));
        assert_eq!(
            Route::parse("/v0/vault/gh/totp/backup"),
            Some(Route::TotpBackup("gh"))
        );
    }

    #[test]
    fn anything_else_is_unknown() {
        for other in [
            "/",
            "/v0",
            "/v0/vaults",
            "/v1/vault/x",
            "/v0/vault/a/b",
            "v0/vault/x",
            "/v0/vault/gh/totp/",
            "/v0/vault/gh/totp/backup/x",
            "/v0/vault/gh/backup",
        ] {
            assert_eq!(Route::parse(other), None, "{other}");
        }
    }
}
