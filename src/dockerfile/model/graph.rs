//! `--target` resolution and the build order of the stages a target needs.

use super::{Model, Origin, Source, Stage};

/// Why a model cannot be planned.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ModelError {
    /// The Dockerfile has no FROM.
    #[error("the Dockerfile has no FROM instruction, so there is no stage to build")]
    NoStages,
    /// `--target` names no stage.
    #[error("target stage {target:?} not found (stages: {known}); check --target")]
    UnknownTarget {
        target: String,
        /// The stage names of the file, comma-separated.
        known: String,
    },
    /// A `--from` names a stage number the file does not have.
    #[error("line {line} (stage {name}): --from={number} names no stage (the file has {count} stages, numbered from 0)")]
    UnknownStage {
        stage: usize,
        name: String,
        /// 1-based line of the instruction.
        line: u32,
        number: usize,
        count: usize,
    },
    /// A needed stage's FROM or `--from` did not expand to a value.
    #[error("line {line} (stage {name}): {what} did not expand to an image or stage; set the build arg it uses")]
    Unresolved {
        stage: usize,
        name: String,
        /// 1-based line of the instruction.
        line: u32,
        /// `FROM` or the raw `--from` value.
        what: String,
    },
    /// Stages depend on each other in a loop.
    #[error("circular dependency between stages: {}", cycle.join(" -> "))]
    Cycle {
        /// The stages of the loop, by name (or number), the first repeated at the end.
        cycle: Vec<String>,
    },
}

/// How a stage is named in messages: its name, else its number.
fn label(st: &Stage) -> String {
    st.name.clone().unwrap_or_else(|| st.index.to_string())
}

impl Model {
    /// The stage `--target` selects: by name (any case), or the last stage when `None`.
    pub fn resolve_target(&self, target: Option<&str>) -> Result<usize, ModelError> {
        let last = self
            .stages
            .len()
            .checked_sub(1)
            .ok_or(ModelError::NoStages)?;
        let Some(t) = target else { return Ok(last) };
        let lower = t.to_lowercase();
        self.stages
            .iter()
            .rev()
            .find(|s| s.name.as_deref() == Some(lower.as_str()))
            .map(|s| s.index)
            .ok_or_else(|| ModelError::UnknownTarget {
                target: t.to_string(),
                known: self
                    .stages
                    .iter()
                    .filter_map(|s| s.name.clone())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }

    /// The stages `target` needs (itself included), each after the stages it depends on.
    /// Fails on a dependency cycle, a `--from` stage number out of range, or a FROM / `--from`
    /// that did not expand.
    pub fn plan(&self, target: usize) -> Result<Vec<usize>, ModelError> {
        if target >= self.stages.len() {
            return Err(ModelError::NoStages);
        }
        self.check_refs(target)?;
        // Iterative depth-first search; `state`: 0 unvisited, 1 on the path, 2 done.
        let mut state = vec![0u8; self.stages.len()];
        let mut order = Vec::new();
        let mut path: Vec<(usize, Vec<usize>)> = vec![(target, self.deps_of(target))];
        state[target] = 1;
        while let Some((s, pending)) = path.last_mut() {
            let s = *s;
            match pending.pop() {
                Some(d) if state[d] == 0 => {
                    self.check_refs(d)?;
                    state[d] = 1;
                    path.push((d, self.deps_of(d)));
                }
                Some(d) if state[d] == 1 => {
                    let start = path.iter().position(|(p, _)| *p == d).unwrap_or(0);
                    let mut cycle: Vec<String> = path[start..]
                        .iter()
                        .map(|(p, _)| label(&self.stages[*p]))
                        .collect();
                    cycle.push(label(&self.stages[d]));
                    return Err(ModelError::Cycle { cycle });
                }
                Some(_) => {}
                None => {
                    state[s] = 2;
                    order.push(s);
                    path.pop();
                }
            }
        }
        Ok(order)
    }

    /// The stages `s` needs, reversed so that popping yields them in file order.
    fn deps_of(&self, s: usize) -> Vec<usize> {
        let mut deps: Vec<usize> = self.stages[s].stage_deps().collect();
        deps.dedup();
        deps.reverse();
        deps
    }

    /// Errors for references of stage `s` that name nothing buildable.
    fn check_refs(&self, s: usize) -> Result<(), ModelError> {
        let st = &self.stages[s];
        if st.origin == Origin::Unresolved {
            return Err(ModelError::Unresolved {
                stage: s,
                name: label(st),
                line: st.line,
                what: "FROM".to_string(),
            });
        }
        for d in &st.deps {
            match &d.source {
                Source::MissingStage(n) => {
                    return Err(ModelError::UnknownStage {
                        stage: s,
                        name: label(st),
                        line: d.line,
                        number: *n,
                        count: self.stages.len(),
                    })
                }
                Source::Unresolved(raw) => {
                    return Err(ModelError::Unresolved {
                        stage: s,
                        name: label(st),
                        line: d.line,
                        what: format!("--from={raw}"),
                    })
                }
                Source::Stage(_) | Source::Image(_) => {}
            }
        }
        Ok(())
    }
}
