//! What an edge asks of the vault, once it has read its transport, and what the vault answers.
//! Every edge translates into a [`Request`] and out of an [`Answer`]; nothing else crosses.

use super::{
    BackupAnswer, CredentialPage, ListQuery, LogQuery, Revealed, TotpAnswer, VaultError, Whoami,
};
use crate::domain::{Action, ActivityStats, CredentialName, LogPage, NewCredential};
use crate::store::CredentialInfo;

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
    Whoami,
    Logs(LogQuery),
    Stats,
}

impl Request {
    pub fn action(&self) -> Action {
        match self {
            Self::Store { .. } => Action::VaultStore,
            Self::Read(_) => Action::VaultGet,
            Self::List(_) => Action::VaultList,
            Self::Delete(_) => Action::VaultDelete,
            Self::Totp(_) => Action::VaultTotp,
            Self::UseBackupCode(_) => Action::VaultTotpUseBackup,
            Self::Whoami => Action::IdentityWhoami,
            Self::Logs(_) => Action::LogsList,
            Self::Stats => Action::LogsStats,
        }
    }

    /// The credential it names, if any.
    pub fn target(&self) -> Option<&CredentialName> {
        match self {
            Self::Store { name, .. }
            | Self::Read(name)
            | Self::Delete(name)
            | Self::Totp(name)
            | Self::UseBackupCode(name) => Some(name),
            Self::List(_) | Self::Whoami | Self::Logs(_) | Self::Stats => None,
        }
    }
}

/// What the edge knows of a request before its input is read: the use case it asks for, and
/// the credential it names when that name is valid (for the record of a refusal).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Intent {
    pub action: Action,
    pub target: Option<CredentialName>,
}

impl Intent {
    pub fn new(action: Action, target: Option<CredentialName>) -> Self {
        Self { action, target }
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
    Whoami(Whoami),
    Logs(LogPage),
    Stats(ActivityStats),
}
