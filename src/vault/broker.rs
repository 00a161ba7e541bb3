//! Brokered use: the vault makes an HTTPS request with a credential, toward a destination
//! its usePolicy allows, so the agent (and the model behind it) never holds the secret. The
//! values go in at the last moment and come back out of the answer, scrubbed.

use super::{Call, Vault, VaultError};
use crate::crypto::KeyProvider;
use crate::domain::{
    Action, BrokerRequest, CredentialName, FillError, MAX_BROKERED_BODY, MAX_HEADER_VALUE_BYTES,
    MAX_URL_BYTES, PolicyRefusal, Scrubber, Slot, Values,
};
use crate::egress::{self, EgressError, Outbound};
use crate::store::VaultStore;
use std::time::Duration;
use tokio::time::Instant;

/// Time kept back from the request's deadline to record the outcome.
const RECORD_RESERVE: Duration = Duration::from_millis(300);
/// The most of one answer header passed back, scrubbed.
const MAX_ANSWER_HEADER_BYTES: usize = 16 * 1024;
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
        // Where the literal text alone sends the request, checked before any value is read
        // into it: a refusal here says nothing of the credential's values.
        let bad = |e: String| VaultError::BadInput(format!("Refused: {e}"));
        let refused = |r: PolicyRefusal| VaultError::Forbidden(format!("Refused: {r}"));
        let (_, planned) = egress::parse_url(&request.url.with_markers()).map_err(bad)?;
        policy
            .permits_destination(request.method, &planned.host, planned.port)
            .map_err(refused)?;
        let values = Values {
            data: &data,
            metadata: record.info.metadata.as_ref(),
        };
        let fill_error = |e: FillError| match e {
            FillError::TooLarge(..) => VaultError::TooLarge(format!("Refused: {e}")),
            other => VaultError::BadInput(format!("Refused: {other}")),
        };
        let url = request
            .url
            .fill(&values, Slot::Url, ("URL", MAX_URL_BYTES))
            .map_err(fill_error)?;
        let (url, destination) = egress::parse_url(&url).map_err(bad)?;
        // A value may fill the path and query, never move the request elsewhere.
        if (destination.https, &destination.host, destination.port)
            != (planned.https, &planned.host, planned.port)
        {
            return Err(bad("placeholders may not change the URL's host".into()));
        }
        policy.permits_path(&destination.path).map_err(refused)?;
        let mut headers = Vec::with_capacity(request.headers.len());
        for (header, template) in &request.headers {
            let limit = ("header value", MAX_HEADER_VALUE_BYTES);
            let value = template.fill(&values, Slot::Header, limit);
            headers.push((header.clone(), value.map_err(fill_error)?));
        }
        let body = match &request.body {
            Some(template) => Some(
                template
                    .fill(&values, Slot::Body, ("body", MAX_BROKERED_BODY))
                    .map_err(fill_error)?,
            ),
            None => None,
        };
        // Every value of the credential is scrubbed from the answer, sent this time or not.
        // Built before anything is sent: a credential too large to scrub is not brokered.
        let scrubber = Scrubber::new(&data).map_err(|_| {
            VaultError::Unsuitable(
                "This credential's data is too large to be scrubbed from answers, so it cannot \
                 be used through the vault"
                    .into(),
            )
        })?;
        drop(data);
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
        // Read past the limit by the longest form scrubbed, and cut before scrubbing: a value
        // read at the very end is then either whole (and replaced) or left out.
        let inbound = self
            .egress
            .send(outbound, MAX_BROKERED_BODY + scrubber.longest(), deadline)
            .await
            .map_err(|err| match err {
                EgressError::Refused(why) => VaultError::Forbidden(format!("Refused: {why}")),
                EgressError::Failed(why) => VaultError::Upstream(why),
                EgressError::TimedOut => VaultError::UpstreamTimeout,
            })?;
        let (body, truncated) =
            scrubber.scrub_within(&inbound.body, MAX_BROKERED_BODY, MAX_BROKERED_BODY);
        let truncated = inbound.truncated || truncated;
        let mut headers: Vec<(String, String)> = Vec::new();
        for (header, value) in &inbound.headers {
            // Bounded like the body: placeholders may be longer than what they replace.
            let (header, _) = scrubber.scrub_within(header.as_bytes(), usize::MAX, 256);
            let (value, _) = scrubber.scrub_within(value, usize::MAX, MAX_ANSWER_HEADER_BYTES);
            let header = String::from_utf8_lossy(&header).into_owned();
            let value = String::from_utf8_lossy(&value).into_owned();
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
