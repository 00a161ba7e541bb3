//! From a routed request to a response: authenticate, parse, call the vault, shape the answer.

use super::access_log::AccessLog;
use super::views::{BackupView, ListView, ReadView, StoredView, TotpView};
use super::{ApiError, MAX_BODY_BYTES, Route, json_response};
use crate::auth::{KeyDirectory, Principal};
use crate::crypto::KeyProvider;
use crate::domain::{CredentialName, NewCredential};
use crate::store::{CredentialStore, PutOutcome};
use crate::vault::Vault;
use lambda_http::http::{Method, StatusCode, header, request::Parts};
use lambda_http::{Body, RequestExt, Response};

type Answer = Result<Response<Body>, ApiError>;

pub async fn dispatch<S, K>(
    vault: &Vault<S, K>,
    parts: &Parts,
    body: &[u8],
    log: &mut AccessLog,
) -> Answer
where
    S: CredentialStore + KeyDirectory,
    K: KeyProvider,
{
    let path = match parts.extensions.raw_http_path() {
        "" => parts.uri.path(),
        raw => raw,
    };
    let route = Route::parse(path).ok_or_else(ApiError::not_found)?;
    log.route = route.template();
    let method = &parts.method;
    if !route.allowed_methods().contains(method) {
        return Err(ApiError::method_not_allowed(route.allowed_methods()));
    }

    // Authentication comes before anything about the request is looked at.
    let authorization = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let principal = vault
        .authenticate(authorization, Route::scope(method))
        .await?;
    log.identity = Some(principal.identity.to_string());

    let name = match route.name_segment() {
        None => None,
        Some(segment) => Some(CredentialName::from_path_segment(segment)?),
    };
    log.credential = name.as_ref().map(ToString::to_string);
    match (route, method, name) {
        (Route::List, _, _) => list(vault, &principal).await,
        (Route::Credential(_), &Method::PUT, Some(name)) => {
            store(vault, &principal, name, body).await
        }
        (Route::Credential(_), &Method::GET, Some(name)) => read(vault, &principal, &name).await,
        (Route::Credential(_), &Method::DELETE, Some(name)) => {
            vault.delete(&principal, &name).await?;
            let mut response = Response::new(Body::Empty);
            *response.status_mut() = StatusCode::NO_CONTENT;
            Ok(response)
        }
        (Route::Totp(_), _, Some(name)) => {
            let answer = vault.totp(&principal, &name).await?;
            Ok(json_response(StatusCode::OK, &TotpView::of(&answer)))
        }
        (Route::TotpBackup(_), _, Some(name)) => {
            let answer = vault.use_backup_code(&principal, &name).await?;
            Ok(json_response(StatusCode::OK, &BackupView::of(&answer)))
        }
        _ => Err(ApiError::method_not_allowed(route.allowed_methods())),
    }
}

async fn list<S, K>(vault: &Vault<S, K>, principal: &Principal) -> Answer
where
    S: CredentialStore + KeyDirectory,
    K: KeyProvider,
{
    let credentials = vault.list(principal).await?;
    Ok(json_response(StatusCode::OK, &ListView::of(&credentials)))
}

async fn store<S, K>(
    vault: &Vault<S, K>,
    principal: &Principal,
    name: CredentialName,
    body: &[u8],
) -> Answer
where
    S: CredentialStore + KeyDirectory,
    K: KeyProvider,
{
    if body.len() > MAX_BODY_BYTES {
        return Err(ApiError::payload_too_large(format!(
            "Request body is over {MAX_BODY_BYTES} bytes"
        )));
    }
    let credential = NewCredential::from_json(body)?;
    let stored = vault.store(principal, name, credential).await?;
    let status = match stored.outcome {
        PutOutcome::Created => StatusCode::CREATED,
        PutOutcome::Replaced => StatusCode::OK,
    };
    Ok(json_response(status, &StoredView::of(&stored.info)))
}

async fn read<S, K>(vault: &Vault<S, K>, principal: &Principal, name: &CredentialName) -> Answer
where
    S: CredentialStore + KeyDirectory,
    K: KeyProvider,
{
    let revealed = vault.read(principal, name).await?;
    let view = ReadView::of(&revealed.info, &revealed.data, revealed.has_totp);
    Ok(json_response(StatusCode::OK, &view))
}
