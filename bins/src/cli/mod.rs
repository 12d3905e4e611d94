//! One module per shipped program, each holding that program's clap
//! definition and nothing else, so that the manual generator sees every
//! command line the programs parse.

pub mod init;
pub mod init_sim;
pub mod killall5;
pub mod service;
pub mod shutdown;
pub mod waitfile;
