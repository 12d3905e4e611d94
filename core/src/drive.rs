//! The one loop every driver runs around the supervisor: feed an input,
//! carry out every output in order, then feed the answers those outputs
//! called for, in the order of the outputs.
//!
//! Owns that order and nothing else. The real init (`os-adapter`), the
//! simulator (`sim`) and the core's test driver each implement [`Body`]:
//! what an output means against the kernel or in virtual time, and what
//! they watch around each input (a trace, the invariant checker). So the
//! same inputs reach the core in the same order in all of them, and the
//! real init's trace can be compared with the simulator's line by line.
//!
//! The order:
//! 1. the input goes in at [`Body::now`];
//! 2. its outputs are carried out, in order, each at the body's time then;
//!    an output that calls for an answer (`Spawn`: `Spawned` or
//!    `SpawnFailed`; `SignalLeftovers` with nothing left: `LeftoversGone`)
//!    returns it from [`Body::carry_out`], and it waits;
//! 3. the waiting answers are fed the same way, first come first, their
//!    own answers behind them, until none is left.
//!
//! An answer is never fed in the middle of a drain: the core sees every
//! output of one input carried out before the next input.
//!
//! Nothing is fed once the core has output `Power` (it would ignore it),
//! nor once the body says it has [`Body::stopped`] (the simulator, on a
//! broken invariant).

use std::collections::VecDeque;

use crate::events::{Event, Millis, Output};
use crate::supervisor::Supervisor;

/// A driver of the supervisor: it owns the core and acts on its outputs.
pub trait Body {
    /// The supervisor this body drives.
    fn core(&mut self) -> &mut Supervisor;

    /// The time now: a real clock, or virtual time.
    fn now(&mut self) -> Millis;

    /// Carries out one output at `now`; returns the input it calls for,
    /// if any, to be fed after the drain.
    fn carry_out(&mut self, now: Millis, output: Output) -> Option<Event>;

    /// Just before the core takes `event` (a trace line, a checker's look).
    fn before_input(&mut self, _now: Millis, _event: &Event) {}

    /// Just after the core took the input, before its outputs.
    fn after_input(&mut self, _now: Millis) {}

    /// After the outputs of one input (or of one firing of timers) were
    /// carried out.
    fn after_outputs(&mut self, _now: Millis) {}

    /// Just before the timers due at `now` fire.
    fn before_timers(&mut self, _now: Millis) {}

    /// Whether to stop feeding (the simulator after a broken invariant).
    fn stopped(&self) -> bool {
        false
    }
}

/// Feeds `event`, carries out what follows, and feeds the answers.
pub fn feed<B: Body + ?Sized>(body: &mut B, event: Event) {
    feed_all(body, VecDeque::from([event]));
}

/// Fires the timers due at the body's time, carries out what follows and
/// feeds the answers.
pub fn fire_timers<B: Body + ?Sized>(body: &mut B) {
    if body.stopped() || body.core().is_finished() {
        return;
    }
    let now = body.now();
    body.before_timers(now);
    body.core().handle_timeout(now);
    let mut answers = VecDeque::new();
    drain(body, &mut answers);
    body.after_outputs(now);
    feed_all(body, answers);
}

/// Carries out the outputs the core holds (a core restored from a saved
/// state, or one a request left outputs in) and feeds their answers.
pub fn carry_out_pending<B: Body + ?Sized>(body: &mut B) {
    let mut answers = VecDeque::new();
    drain(body, &mut answers);
    let now = body.now();
    body.after_outputs(now);
    feed_all(body, answers);
}

fn feed_all<B: Body + ?Sized>(body: &mut B, mut inputs: VecDeque<Event>) {
    while let Some(event) = inputs.pop_front() {
        if body.stopped() || body.core().is_finished() {
            return;
        }
        let now = body.now();
        body.before_input(now, &event);
        body.core().handle_event(now, event);
        body.after_input(now);
        drain(body, &mut inputs);
        body.after_outputs(now);
    }
}

/// Carries out every output, in order; answers go to the back of `answers`.
fn drain<B: Body + ?Sized>(body: &mut B, answers: &mut VecDeque<Event>) {
    while let Some(output) = body.core().poll_output() {
        let now = body.now();
        if let Some(answer) = body.carry_out(now, output) {
            answers.push_back(answer);
        }
        if body.stopped() {
            return;
        }
    }
}
