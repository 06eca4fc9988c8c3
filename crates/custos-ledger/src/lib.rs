#![doc = include_str!("../README.md")]

pub mod event;
pub mod log;

pub use event::{Action, Event};
pub use log::{LedgerError, Log, generate_key, verifier_key, verify};
