//! The command lines of the shipped programs, shared by the binaries and by
//! the generator of their man pages and shell completions.
//!
//! Owns only the clap definitions (`cli`) and rendering them as manuals and
//! completions (`manual`). It runs no program: each binary in `src/bin/`
//! parses its command line from here and does its work itself.

pub mod cli;
pub mod manual;
