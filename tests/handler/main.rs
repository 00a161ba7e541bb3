//! Handler-level tests: API Gateway events through `credvault::http::handle`, on the
//! in-memory store and local keys (`fixtures`, `vault`) or on the real SDK clients with
//! injected faults (`faults`, `transactions`). No network.

mod activity;
mod backup_scope;
mod conformance;
mod deadline;
mod exactness;
mod faults;
mod fixtures;
mod list_pages;
mod mcp;
mod transactions;
mod vault;
