//! A bare client of the control protocol, for the demo and for poking at a
//! running init by hand: `initctl SOCKET status|start|stop|restart|reload|
//! shutdown|reboot [PATTERN...]`. The `service` tool is the real client;
//! this one only shows the protocol at work.

use std::path::Path;
use std::process::ExitCode;

use init_core::protocol::{Command, Outcome};
use init_os_adapter::client;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(socket), Some(verb)) = (args.first(), args.get(1)) else {
        eprintln!(
            "usage: initctl SOCKET status|start|stop|restart|reload|shutdown|reboot [PATTERN...]"
        );
        return ExitCode::from(2);
    };
    let patterns = args[2..].to_vec();
    let command = match verb.as_str() {
        "status" => Command::Status { patterns },
        "start" => Command::Start { patterns },
        "stop" => Command::Stop { patterns },
        "restart" => Command::Restart { patterns },
        "reload" => Command::Reload,
        "shutdown" => Command::Shutdown,
        "reboot" => Command::Reboot,
        other => {
            eprintln!("initctl: unknown command {other:?}");
            return ExitCode::from(2);
        }
    };
    match client::send(Path::new(socket), command, client::DEFAULT_TIMEOUT) {
        Err(e) => {
            eprintln!("initctl: {e}");
            ExitCode::FAILURE
        }
        Ok(reply) => match reply.outcome {
            Outcome::Error { message } => {
                eprintln!("initctl: {message}");
                ExitCode::FAILURE
            }
            Outcome::Ok {
                affected, services, ..
            } => {
                for name in affected {
                    println!("{verb}: {name}");
                }
                if !services.is_empty() {
                    println!(
                        "{:<20} {:<9} {:<8} {:>7} {:>4}  DESCRIPTION",
                        "NAME", "TARGET", "STATE", "PID", "RUNS"
                    );
                }
                for s in services {
                    let pid = s
                        .pid
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".to_string());
                    println!(
                        "{:<20} {:<9} {:<8} {:>7} {:>4}  {}",
                        s.name,
                        s.target.as_str(),
                        s.state.as_str(),
                        pid,
                        s.runs,
                        s.description
                    );
                }
                ExitCode::SUCCESS
            }
        },
    }
}
