#![doc = include_str!("../README.md")]

pub mod bundle;
mod columns;
pub mod event;
pub mod index;
pub mod ledger;
pub mod log;
pub mod query;

pub use event::{Action, Event};
pub use ledger::{Ledger, Which};
pub use log::{LedgerError, Log, generate_key, verifier_key, verify};
