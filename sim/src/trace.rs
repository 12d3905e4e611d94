//! The trace of a run: one line per input (`>`) and output (`<`) of the
//! core, plus `#` notes from the simulator, virtual time first.
//!
//! Owns the two renderings, fixed-column text and JSON lines. Every value
//! is deterministic, so traces are compared byte for byte.

use std::fmt::Write as _;

use init_core::events::Millis;
use serde_json::{Map, Value};

/// Which way a line goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// An input to the core (`>`).
    In,
    /// An output of the core (`<`).
    Out,
    /// A remark of the simulator (`#`): resolver findings, scenario steps
    /// that found nothing to act on.
    Note,
}

impl Direction {
    fn symbol(self) -> &'static str {
        match self {
            Direction::In => ">",
            Direction::Out => "<",
            Direction::Note => "#",
        }
    }

    fn json_name(self) -> &'static str {
        match self {
            Direction::In => "in",
            Direction::Out => "out",
            Direction::Note => "note",
        }
    }
}

/// One line of a trace.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceLine {
    pub t: Millis,
    pub direction: Direction,
    /// The enabled name, for lines about one service.
    pub service: Option<String>,
    /// `spawn`, `spawned`, `exit`, ... (the JSON `event`).
    pub event: &'static str,
    /// The rest of the text line.
    pub detail: String,
    /// The JSON fields beyond `t_ms`, `dir`, `service` and `event`.
    pub fields: Vec<(&'static str, Value)>,
}

/// The text name of an event where it differs from the JSON one: the text
/// trace reads as a story (`exited status=0`), JSON as data (`exit`).
fn text_event(event: &str) -> &str {
    match event {
        "exit" => "exited",
        other => other,
    }
}

/// The width of the service column: the longest name, at least 10.
pub fn service_column_width(lines: &[TraceLine]) -> usize {
    lines
        .iter()
        .filter_map(|l| l.service.as_ref().map(|s| s.chars().count()))
        .max()
        .unwrap_or(0)
        .max(10)
}

impl TraceLine {
    /// `   1.250s < web        spawn   [httpd -f]`: time right-aligned in 8
    /// columns, then the direction, the service padded to `width`, the
    /// event padded to 7 and the detail. Lines not about one service put
    /// their event where the service would be.
    pub fn render_text(&self, width: usize) -> String {
        let mut text = String::new();
        let time = self.t.to_string();
        let _ = write!(text, "{time:>8} {} ", self.direction.symbol());
        match (&self.direction, &self.service) {
            (Direction::Note, _) => text.push_str(&self.detail),
            (_, Some(service)) => {
                let _ = write!(
                    text,
                    "{service:<width$} {:<7} {}",
                    text_event(self.event),
                    self.detail
                );
            }
            (_, None) => {
                let _ = write!(text, "{:<width$} {}", text_event(self.event), self.detail);
            }
        }
        text.trim_end().to_string()
    }

    /// One JSON object: `t_ms`, `dir`, `service`, `event`, then the fields.
    pub fn render_json(&self) -> String {
        let mut object = Map::new();
        object.insert("t_ms".into(), Value::from(self.t.0));
        object.insert("dir".into(), Value::from(self.direction.json_name()));
        object.insert(
            "service".into(),
            self.service.clone().map_or(Value::Null, Value::from),
        );
        object.insert("event".into(), Value::from(self.event));
        if self.direction == Direction::Note {
            object.insert("text".into(), Value::from(self.detail.clone()));
        }
        for (key, value) in &self.fields {
            object.insert((*key).to_string(), value.clone());
        }
        Value::Object(object).to_string()
    }
}

/// The whole trace as text, one line each, ending in a newline.
pub fn render_text(lines: &[TraceLine]) -> String {
    let width = service_column_width(lines);
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.render_text(width));
        text.push('\n');
    }
    text
}

/// The whole trace as JSON lines.
pub fn render_json(lines: &[TraceLine]) -> String {
    let mut text = String::new();
    for line in lines {
        text.push_str(&line.render_json());
        text.push('\n');
    }
    text
}

/// An argv as the trace shows it: words joined by spaces, a word with
/// spaces, quotes or nothing in it double-quoted.
pub fn show_argv(argv: &[String]) -> String {
    let words: Vec<String> = argv
        .iter()
        .map(|w| {
            if w.is_empty()
                || w.chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == '\\')
            {
                format!("{w:?}")
            } else {
                w.clone()
            }
        })
        .collect();
    format!("[{}]", words.join(" "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_lines_have_fixed_columns() {
        let lines = vec![
            TraceLine {
                t: Millis(0),
                direction: Direction::In,
                service: None,
                event: "boot",
                detail: String::new(),
                fields: vec![],
            },
            TraceLine {
                t: Millis(12),
                direction: Direction::In,
                service: Some("mounts".into()),
                event: "exit",
                detail: "status=0".into(),
                fields: vec![("status", Value::from(0))],
            },
        ];
        assert_eq!(
            render_text(&lines),
            "  0.000s > boot\n  0.012s > mounts     exited  status=0\n"
        );
        assert_eq!(
            lines[1].render_json(),
            r#"{"dir":"in","event":"exit","service":"mounts","status":0,"t_ms":12}"#
        );
    }

    #[test]
    fn argv_quotes_only_what_needs_it() {
        let argv = vec!["echo".to_string(), "a b".to_string(), String::new()];
        assert_eq!(show_argv(&argv), r#"[echo "a b" ""]"#);
    }
}
