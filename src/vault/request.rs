//! What an edge asks of the vault, once it has read its transport, and what the vault answers.
//! Every edge translates into a [`Request`] and out of an [`Answer`]; nothing else crosses.

use super::credential_requests::{LinkBase, RequestView, RequestedLink};
use super::links::Fulfilment;
use super::platform::{IdentityPage, IdentityQuery, IdentityView, MintedIdentity};
use super::platform_changes::RotatedKey;
use super::platform_keys::AddedKey;
use super::{
    BackupAnswer, BrokeredAnswer, CredentialPage, ListQuery, LogQuery, Revealed, TotpAnswer,
    VaultError, Whoami,
};
use crate::domain::{
    Action, ActivityStats, BrokerRequest, CredentialName, CredentialRequestSpec, IdentityId,
    IdentityUpdate, LogPage, NewCredential, NewIdentitySpec, NewKeySpec, RequestId, Target,
};
use crate::store::{CredentialInfo, IdentityRecord, KeySummary};

/// One use case with its input, parsed.
#[derive(Debug)]
pub enum Request {
    Store {
        name: CredentialName,
        credential: NewCredential,
    },
    Read(CredentialName),
    List(ListQuery),
    Delete(CredentialName),
    Totp(CredentialName),
    UseBackupCode(CredentialName),
    /// A request the vault makes with the credential.
    Broker(CredentialName, BrokerRequest),
    /// A request for a credential that a person fills in through a link starting `base`.
    CreateLink(CredentialRequestSpec, LinkBase),
    LinkStatus(RequestId),
    CancelLink(RequestId),
    /// A link's form, filled in: stored as a `PUT` is (so its action is `vault_store`).
    Fulfil(Box<Fulfilment>),
    Whoami,
    Logs(LogQuery),
    Stats,
    /// A platform key's requests on its organisation's identities.
    CreateIdentity(NewIdentitySpec),
    ListIdentities(IdentityQuery),
    GetIdentity(IdentityId),
    UpdateIdentity(IdentityId, IdentityUpdate),
    DeleteIdentity(IdentityId),
    RotateKey(IdentityId),
    AddKey(IdentityId, NewKeySpec),
    ListKeys(IdentityId),
    RevokeKey(IdentityId, String),
}

impl Request {
    pub fn action(&self) -> Action {
        match self {
            Self::Store { .. } | Self::Fulfil(_) => Action::VaultStore,
            Self::Read(_) => Action::VaultGet,
            Self::List(_) => Action::VaultList,
            Self::Delete(_) => Action::VaultDelete,
            Self::Totp(_) => Action::VaultTotp,
            Self::UseBackupCode(_) => Action::VaultTotpUseBackup,
            Self::Broker(..) => Action::VaultHttp,
            Self::CreateLink(..) => Action::VaultRequest,
            Self::LinkStatus(_) => Action::VaultRequestStatus,
            Self::CancelLink(_) => Action::VaultRequestCancel,
            Self::Whoami => Action::IdentityWhoami,
            Self::Logs(_) => Action::LogsList,
            Self::Stats => Action::LogsStats,
            Self::CreateIdentity(_) => Action::IdentitiesCreate,
            Self::ListIdentities(_) => Action::IdentitiesList,
            Self::GetIdentity(_) => Action::IdentitiesGet,
            Self::UpdateIdentity(..) => Action::IdentitiesUpdate,
            Self::DeleteIdentity(_) => Action::IdentitiesDelete,
            Self::RotateKey(_) => Action::IdentitiesRotateKey,
            Self::AddKey(..) => Action::IdentitiesAddKey,
            Self::ListKeys(_) => Action::IdentitiesListKeys,
            Self::RevokeKey(..) => Action::IdentitiesRevokeKey,
        }
    }

    /// The credential or the identity it names, if any.
    pub fn target(&self) -> Option<Target> {
        match self {
            Self::Store { name, .. }
            | Self::Read(name)
            | Self::Delete(name)
            | Self::Totp(name)
            | Self::UseBackupCode(name)
            | Self::Broker(name, _) => Some(Target::Credential(name.clone())),
            Self::CreateLink(spec, _) => Some(Target::Credential(spec.name.clone())),
            Self::Fulfil(fulfilment) => {
                Some(Target::Credential(fulfilment.request.spec.name.clone()))
            }
            Self::GetIdentity(identity)
            | Self::UpdateIdentity(identity, _)
            | Self::DeleteIdentity(identity)
            | Self::RotateKey(identity)
            | Self::AddKey(identity, _)
            | Self::ListKeys(identity)
            | Self::RevokeKey(identity, _) => Some(Target::Identity(identity.clone())),
            // By id: what it names is known once it is read.
            Self::List(_)
            | Self::LinkStatus(_)
            | Self::CancelLink(_)
            | Self::Whoami
            | Self::Logs(_)
            | Self::Stats
            | Self::CreateIdentity(_)
            | Self::ListIdentities(_) => None,
        }
    }
}

/// What the edge knows of a request before its input is read: the use case it asks for, and
/// what it names when that is valid (for the record of a refusal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub action: Action,
    pub target: Option<Target>,
}

impl Intent {
    pub fn new(action: Action, target: Option<Target>) -> Self {
        Self { action, target }
    }

    /// A request on the credential `name` (when valid).
    pub fn on_credential(action: Action, name: Option<CredentialName>) -> Self {
        Self::new(action, name.map(Target::Credential))
    }
}

/// Reads the request's input; called only once the key is known to be allowed the action,
/// so a key that may not write never has its body parsed. Refusals are `BadInput` or
/// `TooLarge`.
pub type Input<'a> = Box<dyn FnOnce() -> Result<Request, VaultError> + Send + 'a>;

/// A use case's answer.
#[derive(Debug)]
pub enum Answer {
    Stored(CredentialInfo),
    Read(Revealed),
    Listed(CredentialPage),
    Deleted(CredentialName),
    Totp(TotpAnswer),
    BackupCode(BackupAnswer),
    Brokered(BrokeredAnswer),
    LinkCreated(RequestedLink),
    /// A credential request as it stands (after a cancel too).
    LinkStatus(RequestView),
    Whoami(Whoami),
    Logs(LogPage),
    Stats(ActivityStats),
    IdentityCreated(MintedIdentity),
    Identities(IdentityPage),
    Identity(IdentityView),
    IdentityUpdated(IdentityRecord),
    IdentityDeleted(IdentityId),
    KeyRotated(RotatedKey),
    KeyAdded(AddedKey),
    Keys(Vec<KeySummary>),
    KeyRevoked,
}
