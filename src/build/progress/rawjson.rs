//! `--progress rawjson`: each build event rendered as one line of JSON in the shape of
//! BuildKit's `client.SolveStatus` (what `buildx build --progress rawjson` prints), so tools
//! that read buildx's stream read hoist's: `vertexes` (`digest`, `name`, `started`,
//! `completed`, `cached`, `error`), `logs` (`vertex`, `stream`, base64 `data`, `timestamp`)
//! and `warnings` (`level`, base64 `short`). A step's vertex digest is the SHA-256 of its
//! number and title, stable for the whole build. Notes (no step of their own) are logs without
//! a vertex on stream 2, as BuildKit logs messages that belong to no vertex.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde::Serialize;

use super::Event;

/// `client.Vertex`.
#[derive(Debug, Clone, Serialize)]
pub struct Vertex {
    /// The step's digest.
    pub digest: String,
    /// `[stage k/n] INSTRUCTION`.
    pub name: String,
    /// When the step started (RFC 3339).
    pub started: String,
    /// When it finished.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub completed: Option<String>,
    /// Served from the cache.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cached: bool,
    /// Why it failed.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// `client.VertexLog`.
#[derive(Debug, Clone, Serialize)]
pub struct Log {
    /// The step it belongs to (none for a note).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub vertex: String,
    /// 1 stdout, 2 stderr.
    pub stream: u8,
    /// The bytes, base64 (Go's `[]byte` in JSON).
    pub data: String,
    /// When it was written.
    pub timestamp: String,
}

/// `client.VertexWarning`.
#[derive(Debug, Clone, Serialize)]
pub struct Warning {
    /// Severity (BuildKit uses 1 for warnings).
    pub level: u8,
    /// The message, base64.
    pub short: String,
}

/// `client.SolveStatus`: the JSON object of one line.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SolveStatus {
    /// Steps that changed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub vertexes: Vec<Vertex>,
    /// Output.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logs: Vec<Log>,
    /// Warnings.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Warning>,
}

/// The vertex of every step seen so far, to complete it on `Done`/`Cached`/`Error`.
#[derive(Default)]
pub struct State {
    vertexes: BTreeMap<usize, Vertex>,
}

/// Now as RFC 3339 with nanoseconds (Go's `time.Time` JSON form).
fn now() -> String {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = crate::oci::assemble::rfc3339(i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    let date = secs.strip_suffix('Z').unwrap_or(&secs);
    format!("{date}.{:09}Z", d.subsec_nanos())
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl State {
    fn vertex(&mut self, id: usize) -> Vertex {
        self.vertexes
            .entry(id)
            .or_insert_with(|| Vertex {
                digest: step_digest(id, ""),
                name: format!("#{id}"),
                started: now(),
                completed: None,
                cached: false,
                error: String::new(),
            })
            .clone()
    }

    fn update(&mut self, id: usize, f: impl FnOnce(&mut Vertex)) -> Vertex {
        let mut v = self.vertex(id);
        f(&mut v);
        self.vertexes.insert(id, v.clone());
        v
    }

    /// The status update of one event.
    pub fn status(&mut self, e: Event) -> SolveStatus {
        let mut s = SolveStatus::default();
        match e {
            Event::Note { text } => s.logs.push(Log {
                vertex: String::new(),
                stream: 2,
                data: b64(format!("{text}\n").as_bytes()),
                timestamp: now(),
            }),
            Event::Warning { text } => s.warnings.push(Warning {
                level: 1,
                short: b64(text.as_bytes()),
            }),
            Event::Start {
                id,
                stage,
                index,
                total,
                text,
            } => {
                let name = format!("[{stage} {index}/{total}] {text}");
                let v = Vertex {
                    digest: step_digest(id, &name),
                    name,
                    started: now(),
                    completed: None,
                    cached: false,
                    error: String::new(),
                };
                self.vertexes.insert(id, v.clone());
                s.vertexes.push(v);
            }
            Event::Cached { id } => s.vertexes.push(self.update(id, |v| {
                v.cached = true;
                v.completed = Some(now());
            })),
            Event::Output { id, line } => {
                let vertex = self.vertex(id).digest;
                s.logs.push(Log {
                    vertex,
                    stream: 1,
                    data: b64(format!("{line}\n").as_bytes()),
                    timestamp: now(),
                });
            }
            Event::Done { id, .. } => s.vertexes.push(self.update(id, |v| {
                if v.completed.is_none() {
                    v.completed = Some(now());
                }
            })),
            Event::Error { id, message } => s.vertexes.push(self.update(id, |v| {
                v.completed = Some(now());
                v.error = message;
            })),
        }
        s
    }
}

/// `sha256:` of the step's number and title.
fn step_digest(id: usize, name: &str) -> String {
    crate::oci::digest::digest_bytes(format!("hoist-step\0{id}\0{name}").as_bytes()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn solve_status_shape() {
        let mut st = State::default();
        let start = serde_json::to_value(st.status(Event::Start {
            id: 3,
            stage: "stage-0".into(),
            index: 2,
            total: 2,
            text: "RUN echo hi".into(),
        }))
        .unwrap();
        let v = &start["vertexes"][0];
        assert_eq!(v["name"], "[stage-0 2/2] RUN echo hi");
        assert!(v["digest"].as_str().unwrap().starts_with("sha256:"));
        assert!(v.get("completed").is_none() && v.get("cached").is_none());
        let log = serde_json::to_value(st.status(Event::Output {
            id: 3,
            line: "hi".into(),
        }))
        .unwrap();
        assert_eq!(log["logs"][0]["vertex"], v["digest"]);
        assert_eq!(log["logs"][0]["data"], "aGkK");
        let done = serde_json::to_value(st.status(Event::Done {
            id: 3,
            seconds: 0.1,
        }))
        .unwrap();
        assert_eq!(done["vertexes"][0]["digest"], v["digest"]);
        assert!(done["vertexes"][0]["completed"]
            .as_str()
            .unwrap()
            .ends_with('Z'));
    }
}
