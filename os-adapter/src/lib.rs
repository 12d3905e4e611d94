//! The body that acts against the kernel: it carries out what `init-core`
//! decides. No policy lives here: no timeout values, no restart rules, no
//! ordering decisions.
//!
//! - [`bounded_read`]: reading a file init is given, never blocking, within a cap;
//! - [`loader`]: reads a configuration directory into parsed services;
//! - [`config`]: loads the services and the env file, at start and on reload;
//! - [`driver`]: the event loop of the `init` binary;
//! - [`signals`]: the signalfd of the signals init acts on;
//! - [`reap`]: collecting every exited child, orphans included;
//! - [`spawn`]: fork, child setup and exec of a service;
//! - [`fs_identity`]: opening a file with a service's rights, not init's;
//! - [`clone`]: the fork itself, into the service's cgroup where it can;
//! - [`console`]: status lines that never block init;
//! - [`progress`]: the boot progress line on a terminal console;
//! - [`control`]: the control socket's server side;
//! - [`client`]: the control socket's client side, for `service`;
//! - [`power`]: reboot(2), exit and kill-all for each way init runs;
//! - [`handover`]: re-exec, the state a new init binary goes on from;
//! - [`switch_root`]: leaving the initramfs for the real root;
//! - [`container`]: whether init is a container's init, and its exit status;
//! - [`clock`]: monotonic milliseconds since start;
//! - [`trace_file`]: `--trace FILE`, the core's inputs and outputs as JSON lines;
//! - [`allocator`]: large blocks kept out of the brk heap.

pub mod allocator;
pub mod bounded_read;
pub mod cgroup;
pub mod client;
pub mod clock;
pub mod clone;
pub mod config;
pub mod console;
pub mod console_watch;
pub mod container;
pub mod control;
pub mod driver;
pub mod exec_settings;
pub mod fs_identity;
pub mod handover;
pub mod loader;
pub mod power;
pub mod progress;
pub mod readiness;
pub mod reap;
pub mod sandbox;
#[cfg(test)]
mod scratch;
pub mod signals;
pub mod spawn;
pub mod switch_root;
pub mod trace_file;
