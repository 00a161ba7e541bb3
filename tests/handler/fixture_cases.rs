//! The one registry of the fixtures in `events/`: each one's route and expected answer.

/// An error's code and, where the contract fixes it, its message ("" where it does not).
pub type ExpectedError = Option<(&'static str, &'static str)>;

/// (fixture, the route it must reach (`None`: no route), status, expected error): the one
/// registry of the fixtures in `events/`.
pub const CASES: &[(&str, Option<&str>, u16, ExpectedError)] = &[
    ("put-seed-api-key", Some("/v0/vault/{name}"), 200, None),
    ("put-seed-login", Some("/v0/vault/{name}"), 200, None),
    ("put-seed-totp", Some("/v0/vault/{name}"), 200, None),
    ("put-base64-body", Some("/v0/vault/{name}"), 200, None),
    // API Gateway base64-encodes a body its Content-Type does not mark as text; bytes that
    // are not UTF-8 are the envelope's 400, never a 500.
    (
        "put-non-utf8-body",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-no-auth",
        Some("/v0/vault/{name}"),
        401,
        Some(("unauthorized", "Missing or invalid Authorization header")),
    ),
    (
        "put-basic-auth",
        Some("/v0/vault/{name}"),
        401,
        Some(("unauthorized", "Missing or invalid Authorization header")),
    ),
    (
        "put-malformed-key",
        Some("/v0/vault/{name}"),
        401,
        Some(("unauthorized", "Invalid API key format")),
    ),
    (
        "put-unknown-key",
        Some("/v0/vault/{name}"),
        401,
        Some(("unauthorized", "Invalid API key")),
    ),
    (
        "put-read-only-key",
        Some("/v0/vault/{name}"),
        403,
        Some(("forbidden", "Missing required scope: vault:write")),
    ),
    (
        "put-invalid-name",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-encoded-slash-name",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-not-json",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-not-object",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-missing-type",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-unknown-type",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-empty-data",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-data-not-object",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-unknown-field",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-bad-expiry",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-totp-bad-secret",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-login-password-number",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-metadata-string",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "put-empty-body",
        Some("/v0/vault/{name}"),
        400,
        Some(("bad_request", "Request body is required")),
    ),
    (
        "patch-wrong-method",
        Some("/v0/vault/{name}"),
        405,
        Some(("method_not_allowed", "")),
    ),
    // Against an empty vault: nothing to find, an empty list.
    (
        "get-credential",
        Some("/v0/vault/{name}"),
        404,
        Some(("not_found", "Credential not found")),
    ),
    (
        "delete-credential",
        Some("/v0/vault/{name}"),
        404,
        Some(("not_found", "Credential not found")),
    ),
    (
        "get-totp",
        Some("/v0/vault/{name}/totp"),
        404,
        Some(("not_found", "Credential not found")),
    ),
    (
        "post-totp-backup",
        Some("/v0/vault/{name}/totp/backup"),
        404,
        Some(("not_found", "Credential not found")),
    ),
    ("get-list-credentials", Some("/v0/vault"), 200, None),
    (
        "get-credential-rest-v1",
        Some("/v0/vault/{name}"),
        404,
        Some(("not_found", "Credential not found")),
    ),
    (
        "get-credential-function-url",
        Some("/v0/vault/{name}"),
        404,
        Some(("not_found", "Credential not found")),
    ),
    ("put-unknown-route", None, 404, Some(("not_found", ""))),
    // Platform keys, against the fixture organisation (the fixture identity is in it).
    (
        "post-platform-identity",
        Some("/v0/platform/identities"),
        201,
        None,
    ),
    (
        "post-platform-identity-empty-body",
        Some("/v0/platform/identities"),
        201,
        None,
    ),
    (
        "get-platform-identities",
        Some("/v0/platform/identities"),
        200,
        None,
    ),
    (
        "get-platform-identity",
        Some("/v0/platform/identities/{identityId}"),
        200,
        None,
    ),
    (
        "patch-platform-identity",
        Some("/v0/platform/identities/{identityId}"),
        200,
        None,
    ),
    (
        "post-platform-rotate-key",
        Some("/v0/platform/identities/{identityId}/rotate-key"),
        200,
        None,
    ),
    (
        "delete-platform-identity",
        Some("/v0/platform/identities/{identityId}"),
        204,
        None,
    ),
    (
        "get-platform-identities-identity-key",
        Some("/v0/platform/identities"),
        403,
        Some(("forbidden", "")),
    ),
    (
        "get-platform-identity-other-organisation",
        Some("/v0/platform/identities/{identityId}"),
        404,
        Some(("not_found", "Identity not found")),
    ),
    (
        "post-platform-identity-above-ceiling",
        Some("/v0/platform/identities"),
        403,
        Some(("forbidden", "")),
    ),
    (
        "post-platform-identity-unserved-scope",
        Some("/v0/platform/identities"),
        400,
        Some(("bad_request", "")),
    ),
    (
        "get-list-with-platform-key",
        Some("/v0/vault"),
        403,
        Some(("forbidden", "")),
    ),
];
