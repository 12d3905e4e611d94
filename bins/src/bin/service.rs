//! `service`: enable, disable, list, show, dumpscript, verify (offline), and
//! talking to a running init.
//!
//! STUB: being written.

fn main() {}
