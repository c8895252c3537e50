//! Finding and loading config files: [`load_file`] by format, [`load_dir`] for one directory,
//! and [`Resolver`], which walks up from each linted file and layers file, environment and
//! command line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::merge::Accumulator;
use super::model::{parse_hadolint_yaml, parse_toml, ConfigLayer};
use super::{ConfigError, LintOptions, HADOLINT_FILES, HOIST_FILE};

/// Loads one config file, its format chosen by its name: `*.toml` is hoist's format,
/// `*.yaml`/`*.yml` hadolint's.
pub fn load_file(path: &Path) -> Result<ConfigLayer, ConfigError> {
    if !path.exists() {
        return Err(ConfigError::Missing {
            path: path.to_path_buf(),
        });
    }
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let is_toml = name.ends_with(".toml");
    let is_yaml = name.ends_with(".yaml") || name.ends_with(".yml");
    if !is_toml && !is_yaml {
        return Err(ConfigError::UnknownFormat {
            path: path.to_path_buf(),
        });
    }
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    if is_toml {
        parse_toml(path, &text)
    } else {
        parse_hadolint_yaml(path, &text)
    }
}

/// Loads the config files of one directory, in the order they apply: a hadolint file first,
/// then `.hoist.toml` on top. Empty when the directory has none.
pub fn load_dir(dir: &Path) -> Result<Vec<ConfigLayer>, ConfigError> {
    let hadolint = HADOLINT_FILES
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file());
    let hoist = Some(dir.join(HOIST_FILE)).filter(|p| p.is_file());
    hadolint
        .iter()
        .chain(hoist.iter())
        .map(|p| load_file(p))
        .collect()
}

/// The layers of the nearest directory with config files (empty: none up to the root).
type Discovered = Result<Arc<Vec<ConfigLayer>>, Arc<ConfigError>>;

/// Resolves the options of each linted file: discovered or explicit config file, environment,
/// then command line. Safe to share between threads; discovery results are cached per directory.
pub struct Resolver {
    explicit: Option<ConfigLayer>,
    env: ConfigLayer,
    cli: ConfigLayer,
    cache: Mutex<HashMap<PathBuf, Discovered>>,
    /// Warnings of the config files loaded so far, each file once.
    warnings: Mutex<Vec<String>>,
}

impl Resolver {
    /// `config_file` replaces discovery (`--config`); `env` and `cli` are applied on top.
    pub fn new(
        config_file: Option<&Path>,
        env: ConfigLayer,
        cli: ConfigLayer,
    ) -> Result<Resolver, ConfigError> {
        let explicit = config_file.map(load_file).transpose()?;
        let mut warnings: Vec<String> = explicit
            .iter()
            .chain([&env, &cli])
            .flat_map(|l| l.warnings.iter().cloned())
            .collect();
        warnings.extend(super::model::code_warnings(&env, "the environment"));
        warnings.extend(super::model::code_warnings(&cli, "the command line"));
        Ok(Resolver {
            explicit,
            env,
            cli,
            cache: Mutex::new(HashMap::new()),
            warnings: Mutex::new(warnings),
        })
    }

    /// Options for the file at `file`; `None` is stdin, for which discovery starts at `dir`
    /// (the current directory in practice) and there is no default build context.
    pub fn options_for(
        &self,
        file: Option<&Path>,
        dir: &Path,
    ) -> Result<LintOptions, Arc<ConfigError>> {
        let start = match file {
            Some(f) => absolute(f)
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_else(|| absolute(dir)),
            None => absolute(dir),
        };
        let mut acc = Accumulator::new();
        if file.is_some() {
            acc.options.context_dir = Some(start.clone());
        }
        match &self.explicit {
            Some(layer) => acc.apply(layer),
            None => {
                for layer in self.discover(&start)?.iter() {
                    acc.apply(layer);
                }
            }
        }
        acc.apply(&self.env);
        acc.apply(&self.cli);
        Ok(acc.finish())
    }

    /// Takes the warnings collected so far (unknown keys in `.hadolint.yaml` files), each
    /// naming its file and key; each loaded file's warnings are reported once.
    pub fn take_warnings(&self) -> Vec<String> {
        self.warnings
            .lock()
            .map(|mut w| std::mem::take(&mut *w))
            .unwrap_or_default()
    }

    /// The merged config of the nearest directory at or above `dir` that has a config file.
    fn discover(&self, dir: &Path) -> Discovered {
        if let Some(hit) = self.cache.lock().ok().and_then(|c| c.get(dir).cloned()) {
            return hit;
        }
        let (result, loaded_here) = match load_dir(dir) {
            Ok(layers) if !layers.is_empty() => (Ok(Arc::new(layers)), true),
            Ok(_) => match dir.parent() {
                Some(parent) => (self.discover(parent), false),
                None => (Ok(Arc::new(Vec::new())), false),
            },
            Err(e) => (Err(Arc::new(e)), false),
        };
        if let Ok(mut cache) = self.cache.lock() {
            // Another thread may have loaded the same directory meanwhile: the first to insert
            // records the files' warnings.
            if !cache.contains_key(dir) {
                if let (true, Ok(layers), Ok(mut w)) = (loaded_here, &result, self.warnings.lock())
                {
                    w.extend(layers.iter().flat_map(|l| l.warnings.iter().cloned()));
                }
                cache.insert(dir.to_path_buf(), result.clone());
            }
        }
        result
    }
}

fn absolute(p: &Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}
