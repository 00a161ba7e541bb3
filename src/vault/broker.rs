//! Brokered use: the vault makes an HTTPS request with a credential, toward a destination
//! its usePolicy allows, so the agent (and the model behind it) never holds the secret. The
//! values go in at the last moment and come back out of the answer, scrubbed.

use super::{Call, Vault, VaultError};
use crate::crypto::KeyProvider;
use crate::domain::{
    Action, BrokerRequest, CredentialName, MAX_BROKERED_BODY, Scrubber, Slot, Substituted, Values,
};
use crate::egress::{self, EgressError, Outbound};
use crate::store::VaultStore;
use std::time::Duration;
use tokio::time::Instant;

/// Time kept back from the request's deadline to record the outcome.
const RECORD_RESERVE: Duration = Duration::from_millis(300);
/// The longest a brokered request waits when the call has no deadline of its own.
const DEFAULT_UPSTREAM_WAIT: Duration = Duration::from_secs(30);

/// An upstream's answer, scrubbed of every value the vault put in the request.
#[derive(Debug, PartialEq, Eq)]
pub struct BrokeredAnswer {
    pub status: u16,
    /// Lowercase names; repeated headers joined with `, `.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// The body was over [`MAX_BROKERED_BODY`] and is cut there.
    pub truncated: bool,
}

impl<S: VaultStore, K: KeyProvider> Vault<S, K> {
    pub(super) async fn broker(
        &self,
        call: &Call,
        name: &CredentialName,
        request: &BrokerRequest,
    ) -> Result<BrokeredAnswer, VaultError> {
        let (record, data) = self.open_live(call, name).await?;
        let policy = record.info.use_policy.as_ref().ok_or_else(|| {
            VaultError::Forbidden(
                "This credential has no usePolicy: store it with one to use it through the vault"
                    .into(),
            )
        })?;
        let values = Values {
            data: &data,
            metadata: record.info.metadata.as_ref(),
        };
        let mut used = Substituted::default();
        let fill_error =
            |e: crate::domain::FillError| VaultError::BadInput(format!("Refused: {e}"));
        let url = request
            .url
            .fill(&values, Slot::Url, &mut used)
            .map_err(fill_error)?;
        let (url, destination) =
            egress::parse_url(&url).map_err(|e| VaultError::BadInput(format!("Refused: {e}")))?;
        policy
            .permits(
                request.method,
                &destination.host,
                destination.port,
                &destination.path,
            )
            .map_err(|refusal| VaultError::Forbidden(format!("Refused: {refusal}")))?;
        let mut headers = Vec::with_capacity(request.headers.len());
        for (header, template) in &request.headers {
            headers.push((
                header.clone(),
                template
                    .fill(&values, Slot::Header, &mut used)
                    .map_err(fill_error)?,
            ));
        }
        let body = match &request.body {
            Some(template) => Some(
                template
                    .fill(&values, Slot::Body, &mut used)
                    .map_err(fill_error)?,
            ),
            None => None,
        };
        drop(data);
        let scrubber = Scrubber::new(&used);
        drop(used);
        let outbound = Outbound {
            method: request.method,
            url,
            headers,
            body,
        };
        let deadline = match call.deadline {
            Some(deadline) => deadline.checked_sub(RECORD_RESERVE).unwrap_or(deadline),
            None => Instant::now() + DEFAULT_UPSTREAM_WAIT,
        };
        // Read past the limit by the longest form scrubbed: a value cut at the limit would
        // otherwise leave its first part unscrubbed.
        let inbound = self
            .egress
            .send(outbound, MAX_BROKERED_BODY + scrubber.longest(), deadline)
            .await
            .map_err(|err| match err {
                EgressError::Refused(why) => VaultError::Forbidden(format!("Refused: {why}")),
                EgressError::Failed(why) => VaultError::Upstream(why),
                EgressError::TimedOut => VaultError::UpstreamTimeout,
            })?;
        let mut body = scrubber.scrub(&inbound.body);
        let truncated = inbound.truncated || body.len() > MAX_BROKERED_BODY;
        body.truncate(MAX_BROKERED_BODY);
        let mut headers: Vec<(String, String)> = Vec::new();
        for (header, value) in &inbound.headers {
            let header = String::from_utf8_lossy(&scrubber.scrub(header.as_bytes())).into_owned();
            let value = String::from_utf8_lossy(&scrubber.scrub(value)).into_owned();
            match headers.iter_mut().find(|(seen, _)| *seen == header) {
                Some((_, joined)) => {
                    joined.push_str(", ");
                    joined.push_str(&value);
                }
                None => headers.push((header, value)),
            }
        }
        let note = format!(
            "{} to {}, upstream answered {}",
            request.method, destination.host, inbound.status
        );
        self.record_use_noting(call, Action::VaultHttp, &record, Some(&note))
            .await?;
        Ok(BrokeredAnswer {
            status: inbound.status,
            headers,
            body,
            truncated,
        })
    }
}
