//! The supervisor: the state machine that runs targets and keeps services
//! alive.
//!
//! Owns every policy decision: what starts when, what restarts, what stops,
//! and how the machine ends. It performs nothing itself; it queues
//! [`Output`]s for a driver. It never reads a clock and never panics,
//! whatever events arrive.
//!
//! STUB: the real supervisor is being written; this only keeps the API
//! stable for the drivers.

use std::collections::VecDeque;

use crate::events::{Event, Millis, Output, ServiceId, ServiceStatus};
use crate::service::ServiceDef;

/// Settings that shape policy. All times in milliseconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// Reproduce the original: one service at a time in resolved order,
    /// with `wait` blocking everything behind it.
    pub sequential: bool,
    /// A respawn never happens sooner than this after the last start.
    pub respawn_delay_ms: u64,
    /// At the end of shutdown or reboot: time between TERM and KILL to
    /// every remaining process.
    pub kill_grace_ms: u64,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            sequential: false,
            respawn_delay_ms: 100,
            kill_grace_ms: 5000,
        }
    }
}

pub struct Supervisor {
    options: Options,
    services: Vec<ServiceStatus>,
    outputs: VecDeque<Output>,
}

impl Supervisor {
    pub fn new(services: Vec<ServiceDef>, options: Options) -> Supervisor {
        let _ = services;
        Supervisor {
            options,
            services: Vec::new(),
            outputs: VecDeque::new(),
        }
    }

    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Every known service, in id order.
    pub fn services(&self) -> impl Iterator<Item = &ServiceStatus> {
        self.services.iter()
    }

    pub fn service(&self, id: ServiceId) -> Option<&ServiceStatus> {
        self.services.iter().find(|s| s.id == id)
    }

    pub fn handle_event(&mut self, now: Millis, event: Event) {
        let _ = (now, event);
    }

    pub fn handle_timeout(&mut self, now: Millis) {
        let _ = now;
    }

    pub fn poll_timeout(&self) -> Option<Millis> {
        None
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.outputs.pop_front()
    }
}
