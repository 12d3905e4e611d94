//! The brain of the init: everything that decides, and nothing that acts.
//!
//! This crate does no I/O at all. It reads no files, spawns no processes,
//! opens no sockets, reads no clock and no environment. It takes text and
//! events in and hands values and commands out; `os-adapter` and `sim` carry
//! the commands out, one against the kernel and one in virtual time.
//!
//! Read it top-down:
//! - [`name`]: enabled service names such as `agetty@tty1`;
//! - [`service`]: the parsed form of one service file;
//! - [`commands`]: its `exec` lines, packed in one string;
//! - [`rawbytes`]: bytes that are not UTF-8, carried in a `String`;
//! - [`diag`]: `FILE:LINE: message` diagnostics;
//! - [`duration`]: `2s`, `150ms`: the text form of time;
//! - [`parse`]: the service-file language;
//! - [`resolve`]: dependency order per target;
//! - [`events`]: the inputs and outputs of the supervisor;
//! - [`supervisor`]: the state machine that runs the targets;
//! - [`drive`]: the one loop every driver runs: an input, its outputs in
//!   order, then the answers they called for;
//! - [`trace`]: the supervisor's inputs and outputs written down, the same
//!   for the simulator and the real init;
//! - [`protocol`]: the control protocol's requests and replies;
//! - [`sandbox`]: the namespaces, mounts and filters a service runs in;
//! - [`envfile`]: the `KEY=VALUE` environment file services get;
//! - [`analyze`]: the boot read as a table, a chain, a chart and a graph.
//!   Not the supervisor: pure functions over the core's types that the
//!   simulator and the service tool share, kept here because the core is
//!   the crate both depend on that does no I/O.

#![forbid(unsafe_code)]

pub mod analyze;
pub mod commands;
pub mod diag;
pub mod drive;
pub mod duration;
pub mod envfile;
pub mod events;
pub mod name;
pub mod parse;
pub mod protocol;
pub mod rawbytes;
pub mod resolve;
pub mod sandbox;
pub mod service;
pub mod supervisor;
pub mod trace;

pub use diag::{Diagnostic, Severity};
pub use name::{EnabledName, NameError};
pub use service::{ServiceDef, ServiceType, Target, Tty};
