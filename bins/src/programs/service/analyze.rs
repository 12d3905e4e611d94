//! `service analyze`: the boot of the running init as a table, a chain, a
//! chart or a graph.
//!
//! Owns fetching the statuses (or, for `dot --offline`, reading the config
//! dir) and choosing the view. Every view is drawn by `init_core::analyze`,
//! the same code `init-sim` draws predicted boots with.

use init_core::analyze::{render, DependencyGraph, Timeline, View};
use init_core::events::Millis;
use init_core::protocol::{Command, Outcome};
use init_os_adapter::loader::{available_threads, load_dir_on_threads};

use super::online::ask;
use super::report::{print_diagnostics, print_stdout};
use crate::cli::service::{AnalyzeView, Cli};

pub fn analyze(cli: &Cli, view: &AnalyzeView) -> Result<(), String> {
    let (view, json) = match *view {
        AnalyzeView::Blame { json } => (View::Blame, json),
        AnalyzeView::CriticalChain { json } => (View::CriticalChain, json),
        AnalyzeView::Plot { json } => (View::Plot, json),
        AnalyzeView::Dot {
            offline: true,
            json,
        } => {
            let loaded = load_dir_on_threads(&cli.config_dir, available_threads());
            print_diagnostics(&loaded.diagnostics);
            let timeline = Timeline {
                services: Vec::new(),
                graph: DependencyGraph::from_defs(&loaded.services),
                now: None,
                sequential: false,
            };
            print_stdout(&render(View::Dot, &timeline, json)?);
            return Ok(());
        }
        AnalyzeView::Dot {
            offline: false,
            json,
        } => (View::Dot, json),
    };
    let (services, now_ms) = match ask(&cli.socket, Command::Status { patterns: vec![] })
        .map_err(|e| format!("{e} (`service analyze dot --offline` reads --config-dir instead)"))?
    {
        Outcome::Ok {
            services, now_ms, ..
        } => (services, now_ms),
        Outcome::Error { message } => return Err(message),
    };
    let timeline = Timeline::from_entries(&services).at(now_ms.map(Millis));
    print_stdout(&render(view, &timeline, json)?);
    Ok(())
}
