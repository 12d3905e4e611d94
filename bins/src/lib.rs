//! The shipped programs and their command lines.
//!
//! - `cli`: the clap definitions of every program, shared by the programs
//!   and by the generator of their man pages and shell completions;
//! - `manual`: rendering them as manuals and completions;
//! - `programs`: the programs themselves, and the dispatch that makes
//!   them one binary (`init`, with the others as links to it). Each binary
//!   in `src/bin/` only calls into here.

pub mod cli;
pub mod manual;
pub mod programs;
