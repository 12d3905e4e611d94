//! The commands that talk to a running init over its control socket:
//! status, start, stop, restart, reload, and the reload that follows
//! enable/disable.
//!
//! Owns turning replies into text for people (or JSON). It decides nothing:
//! init answers, this only shows the answer.

use std::path::Path;

use init_core::protocol::{Command, Outcome, ServiceEntry};
use init_os_adapter::client::{self, ClientError};

use super::report::{self, one_line, print_note, print_stdout};
use super::style::{format_uptime, uptime_ms, Colour};
use crate::cli::service::Cli;

/// Sends one command; init's own refusal ("only root may ...", "no service
/// matches ...") comes back as the error text.
pub fn ask(socket: &Path, command: Command) -> Result<Outcome, String> {
    client::send(socket, command, client::DEFAULT_TIMEOUT)
        .map(|reply| reply.outcome)
        .map_err(|e| e.to_string())
}

pub fn status(cli: &Cli, patterns: &[String], json: bool, details: bool) -> Result<(), String> {
    let (services, now_ms) = match ask(
        &cli.socket,
        Command::Status {
            patterns: patterns.to_vec(),
        },
    )? {
        Outcome::Ok {
            services, now_ms, ..
        } => (services, now_ms),
        Outcome::Error { message } => return Err(message),
    };
    let text = if json {
        let mut text = serde_json::to_string_pretty(&services)
            .map_err(|e| format!("cannot write JSON: {e}"))?;
        text.push('\n');
        text
    } else if details {
        status_details(&services, now_ms, Colour::for_stdout())
    } else {
        status_table(&services, now_ms, Colour::for_stdout())
    };
    print_stdout(&text);
    Ok(())
}

fn dash_or<T: ToString>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_string(), |v| v.to_string())
}

fn uptime_text(service: &ServiceEntry, now_ms: Option<u64>) -> String {
    dash_or(uptime_ms(service, now_ms).map(format_uptime))
}

const STATE_COLUMN: usize = 1;

/// One line a service: what an admin looks at first. The exit status and
/// the times are in the details.
fn status_table(services: &[ServiceEntry], now_ms: Option<u64>, colour: Colour) -> String {
    let rows: Vec<Vec<String>> = services
        .iter()
        .map(|s| {
            vec![
                s.name.clone(),
                s.state.as_str().to_string(),
                dash_or(s.pid),
                uptime_text(s, now_ms),
                s.runs.to_string(),
                one_line(&s.description),
            ]
        })
        .collect();
    report::table(
        &["NAME", "STATE", "PID", "UPTIME", "RUNS", "DESCRIPTION"],
        &rows,
        &[2, 3, 4],
        |row, column, cell| {
            if column == STATE_COLUMN {
                colour.state(&services[row], cell)
            } else {
                cell.to_string()
            }
        },
    )
}

/// Every field, one block a service.
fn status_details(services: &[ServiceEntry], now_ms: Option<u64>, colour: Colour) -> String {
    let ms = |t: Option<u64>| t.map_or_else(|| "-".to_string(), |t| format!("{t} ms"));
    let mut text = String::new();
    for (i, s) in services.iter().enumerate() {
        if i > 0 {
            text.push('\n');
        }
        text.push_str(&format!(
            "{name}\n  description: {desc}\n  type:        {kind}\n  target:      {target}\n  \
             state:       {state}\n  pid:         {pid}\n  uptime:      {uptime}\n  runs:        {runs}\n  \
             exit status: {exit}\n  queued at:   {queued}\n  spawned at:  {spawned}\n  \
             exited at:   {exited}\n  error:       {error}\n  ready:       {ready}\n  stop scope:  {scope}\n  processes:   {processes}\n",
            name = s.name,
            desc = one_line(&s.description),
            kind = s.kind,
            target = s.target,
            state = colour.state(s, s.state.as_str()),
            pid = dash_or(s.pid),
            uptime = uptime_text(s, now_ms),
            runs = s.runs,
            exit = dash_or(s.exit_status),
            queued = ms(s.queued_at_ms),
            spawned = ms(s.spawned_at_ms),
            exited = ms(s.exited_at_ms),
            error = s.error.as_deref().map_or_else(|| "-".to_string(), one_line),
            ready = match s.ready {
                None => "-",
                Some(true) => "yes",
                Some(false) => "not yet",
            },
            scope = s.stop_scope.as_deref().unwrap_or("-"),
            processes = dash_or(s.processes),
        ));
    }
    text
}

/// start, stop, restart: init names what it acted on.
pub fn act(cli: &Cli, verb: &str, patterns: &[String]) -> Result<(), String> {
    let patterns = patterns.to_vec();
    let command = match verb {
        "start" => Command::Start { patterns },
        "stop" => Command::Stop { patterns },
        _ => Command::Restart { patterns },
    };
    match ask(&cli.socket, command)? {
        Outcome::Ok { affected, .. } => {
            let mut text = String::new();
            for name in affected {
                text.push_str(&format!("{verb}: {name}\n"));
            }
            print_stdout(&text);
            Ok(())
        }
        Outcome::Error { message } => Err(message),
    }
}

/// reload, reexec: nothing to print but a refusal.
pub fn ask_quietly(cli: &Cli, command: Command) -> Result<(), String> {
    match ask(&cli.socket, command)? {
        Outcome::Ok { .. } => Ok(()),
        Outcome::Error { message } => Err(message),
    }
}

/// After enable/disable: a running init takes the change at once. No init
/// listening is normal (an image being prepared, a chroot): the change then
/// takes effect at the next boot, and that is said, not treated as failure.
pub fn reload_after_change(cli: &Cli) {
    match client::send(&cli.socket, Command::Reload, client::DEFAULT_TIMEOUT) {
        Ok(reply) => match reply.outcome {
            Outcome::Ok { .. } => {}
            Outcome::Error { message } => {
                print_note(&format!("service: init did not reload: {message}"))
            }
        },
        Err(ClientError::Connect { .. }) => {}
        Err(e) => print_note(&format!("service: init did not reload: {e}")),
    }
}
