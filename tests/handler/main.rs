//! Handler-level tests: API Gateway events through `credvault::http::handle`, on the
//! in-memory store and local keys (`fixtures`, `vault`) or on the real SDK clients with
//! injected faults (`faults`, `transactions`). No network.

mod activity;
mod backup_scope;
mod broker;
mod broker_answers;
mod conformance;
mod deadline;
mod exactness;
mod faults;
mod fixture_cases;
mod fixtures;
mod grant_limits;
mod grants;
mod link_safety;
mod links;
mod list_pages;
mod mcp;
mod mcp_records;
mod platform;
mod platform_keys;
mod platform_refusals;
mod platform_scopes;
mod rate_limit;
mod totp;
mod transactions;
mod vault;
