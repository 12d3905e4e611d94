//! `init-sim`: replays scenarios, simulates the boot of a real directory and
//! fuzzes the core from seeds.
//!
//! STUB: being written.

fn main() {}
