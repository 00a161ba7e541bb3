use crate::domain::Action;
use lambda_http::http::Method;

/// The REST routes, matched on the request path itself so the same handler works behind
/// an HTTP API `$default` stage, a REST API stage, a Function URL and `cargo lambda watch`.
/// Named routes carry the raw (still percent-encoded) name segment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route<'a> {
    List,
    Credential(&'a str),
    Totp(&'a str),
    TotpBackup(&'a str),
    /// A request the vault makes with the credential.
    Broker(&'a str),
    /// Requests for credentials that a person fills in through a link, and one of them.
    CredentialRequests,
    CredentialRequest(&'a str),
    Whoami,
    Logs,
    LogStats,
    /// A platform key's: its organisation's identities, one of them, one's key rotation.
    PlatformIdentities,
    PlatformIdentity(&'a str),
    PlatformRotateKey(&'a str),
    /// One identity's keys, and one of them by its key id.
    PlatformKeys(&'a str),
    PlatformKey(&'a str, &'a str),
}

impl<'a> Route<'a> {
    pub fn parse(path: &'a str) -> Option<Self> {
        match path {
            "/v0/whoami" => return Some(Self::Whoami),
            "/v0/logs" => return Some(Self::Logs),
            "/v0/logs/stats" => return Some(Self::LogStats),
            "/v0/platform/identities" => return Some(Self::PlatformIdentities),
            "/v0/credential-requests" => return Some(Self::CredentialRequests),
            _ => {}
        }
        if let Some(id) = path.strip_prefix("/v0/credential-requests/") {
            return (!id.contains('/')).then_some(Self::CredentialRequest(id));
        }
        if let Some(rest) = path.strip_prefix("/v0/platform/identities/") {
            let mut segments = rest.split('/');
            let id = segments.next()?;
            return match (segments.next(), segments.next(), segments.next()) {
                (None, ..) => Some(Self::PlatformIdentity(id)),
                (Some("rotate-key"), None, _) => Some(Self::PlatformRotateKey(id)),
                (Some("keys"), None, _) => Some(Self::PlatformKeys(id)),
                (Some("keys"), Some(key), None) => Some(Self::PlatformKey(id, key)),
                _ => None,
            };
        }
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
            (Some("request"), None, _) => Some(Self::Broker(name)),
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
            Self::Broker(_) => "/v0/vault/{name}/request",
            Self::CredentialRequests => "/v0/credential-requests",
            Self::CredentialRequest(_) => "/v0/credential-requests/{requestId}",
            Self::Whoami => "/v0/whoami",
            Self::Logs => "/v0/logs",
            Self::LogStats => "/v0/logs/stats",
            Self::PlatformIdentities => "/v0/platform/identities",
            Self::PlatformIdentity(_) => "/v0/platform/identities/{identityId}",
            Self::PlatformRotateKey(_) => "/v0/platform/identities/{identityId}/rotate-key",
            Self::PlatformKeys(_) => "/v0/platform/identities/{identityId}/keys",
            Self::PlatformKey(..) => "/v0/platform/identities/{identityId}/keys/{keyId}",
        }
    }

    pub fn allowed_methods(&self) -> &'static [Method] {
        match self {
            Self::List | Self::Totp(_) | Self::Whoami | Self::Logs | Self::LogStats => {
                &[Method::GET]
            }
            Self::Credential(_) => &[Method::GET, Method::PUT, Method::DELETE],
            Self::TotpBackup(_)
            | Self::Broker(_)
            | Self::PlatformRotateKey(_)
            | Self::CredentialRequests => &[Method::POST],
            Self::CredentialRequest(_) => &[Method::GET, Method::DELETE],
            Self::PlatformIdentities => &[Method::GET, Method::POST],
            Self::PlatformIdentity(_) => &[Method::GET, Method::PATCH, Method::DELETE],
            Self::PlatformKeys(_) => &[Method::GET, Method::POST],
            Self::PlatformKey(..) => &[Method::DELETE],
        }
    }

    /// The use case an allowed method asks for.
    pub fn action(&self, method: &Method) -> Action {
        match (self, method) {
            (Self::List, _) => Action::VaultList,
            (Self::Credential(_), &Method::PUT) => Action::VaultStore,
            (Self::Credential(_), &Method::DELETE) => Action::VaultDelete,
            (Self::Credential(_), _) => Action::VaultGet,
            (Self::Totp(_), _) => Action::VaultTotp,
            (Self::TotpBackup(_), _) => Action::VaultTotpUseBackup,
            (Self::Broker(_), _) => Action::VaultHttp,
            (Self::CredentialRequests, _) => Action::VaultRequest,
            (Self::CredentialRequest(_), &Method::DELETE) => Action::VaultRequestCancel,
            (Self::CredentialRequest(_), _) => Action::VaultRequestStatus,
            (Self::Whoami, _) => Action::IdentityWhoami,
            (Self::Logs, _) => Action::LogsList,
            (Self::LogStats, _) => Action::LogsStats,
            (Self::PlatformIdentities, &Method::POST) => Action::IdentitiesCreate,
            (Self::PlatformIdentities, _) => Action::IdentitiesList,
            (Self::PlatformIdentity(_), &Method::PATCH) => Action::IdentitiesUpdate,
            (Self::PlatformIdentity(_), &Method::DELETE) => Action::IdentitiesDelete,
            (Self::PlatformIdentity(_), _) => Action::IdentitiesGet,
            (Self::PlatformRotateKey(_), _) => Action::IdentitiesRotateKey,
            (Self::PlatformKeys(_), &Method::POST) => Action::IdentitiesAddKey,
            (Self::PlatformKeys(_), _) => Action::IdentitiesListKeys,
            (Self::PlatformKey(..), _) => Action::IdentitiesRevokeKey,
        }
    }

    pub fn name_segment(&self) -> Option<&'a str> {
        match *self {
            Self::Credential(name)
            | Self::Totp(name)
            | Self::TotpBackup(name)
            | Self::Broker(name) => Some(name),
            _ => None,
        }
    }

    /// The raw (still percent-encoded) identity id segment of a platform route.
    pub fn identity_segment(&self) -> Option<&'a str> {
        match *self {
            Self::PlatformIdentity(id)
            | Self::PlatformRotateKey(id)
            | Self::PlatformKeys(id)
            | Self::PlatformKey(id, _) => Some(id),
            _ => None,
        }
    }

    /// The raw request id segment of `/v0/credential-requests/{requestId}`.
    pub fn request_segment(&self) -> Option<&'a str> {
        match *self {
            Self::CredentialRequest(id) => Some(id),
            _ => None,
        }
    }

    /// The raw key id segment of `DELETE .../keys/{keyId}`.
    pub fn key_segment(&self) -> Option<&'a str> {
        match *self {
            Self::PlatformKey(_, key) => Some(key),
            _ => None,
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
        assert_eq!(
            Route::parse("/v0/vault/stripe/request"),
            Some(Route::Broker("stripe"))
        );
        assert_eq!(
            Route::parse("/v0/vault/request"),
            Some(Route::Credential("request"))
        );
        assert_eq!(
            Route::parse("/v0/credential-requests"),
            Some(Route::CredentialRequests)
        );
        assert_eq!(
            Route::parse("/v0/credential-requests/creq_1"),
            Some(Route::CredentialRequest("creq_1"))
        );
        assert_eq!(Route::parse("/v0/whoami"), Some(Route::Whoami));
        assert_eq!(Route::parse("/v0/logs"), Some(Route::Logs));
        assert_eq!(Route::parse("/v0/logs/stats"), Some(Route::LogStats));
        assert_eq!(
            Route::parse("/v0/platform/identities"),
            Some(Route::PlatformIdentities)
        );
        assert_eq!(
            Route::parse("/v0/platform/identities/idt_1"),
            Some(Route::PlatformIdentity("idt_1"))
        );
        assert_eq!(
            Route::parse("/v0/platform/identities/idt_1/rotate-key"),
            Some(Route::PlatformRotateKey("idt_1"))
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
            "/v0/vault/gh/request/x",
            "/v0/vault/gh/request/",
            "/v0/whoami/",
            "/v0/logs/x",
            "/v0/platform",
            "/v0/platform/identities/a/keys/b/c",
            "/v0/platform/identities/a/rotate",
            "/v0/credential-requests/a/b",
            "/v0/credential-request",
            "/mcp",
            "/mcp/",
            "/v0/mcp",
        ] {
            assert_eq!(Route::parse(other), None, "{other}");
        }
    }
}
