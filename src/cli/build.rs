//! `hoist build [OPTIONS] CONTEXT`: build an image from a Dockerfile (buildx's flags, same
//! meaning). The image lands in the local store under each `-t` name; `-o type=oci,dest=DIR`
//! also writes an OCI layout. Prints the manifest digest on stdout; progress on stderr.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use hoist::build::output::{self, metadata, write_file_atomic};
use hoist::build::progress::{Event, Mode, Printer, Progress};
use hoist::build::{BuildOptions, IsolationChoice, Network, SecretSource};
use hoist::dockerfile::scope::Platform;
use hoist::lint::config::{self, ConfigLayer, LintOptions, Resolver};
use hoist::lint::engine::lint_source;
use hoist::oci::layer::Compression;
use hoist::oci::reference::parse_normalized;
use hoist::oci::Store;

use super::{report_error, EXIT_FINDINGS, EXIT_OK, EXIT_USAGE};

/// `--progress`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressArg {
    /// `tty` on a terminal, else `plain`
    Auto,
    /// Steps and the last lines of each RUN's output
    Tty,
    /// Everything, line by line
    Plain,
    /// One JSON object per event
    Rawjson,
    /// Nothing
    Quiet,
}

/// `--isolation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum IsolationArg {
    /// The best that works here (and say which)
    Auto,
    /// Root with mount/pid/ipc/uts namespaces and overlayfs
    Namespaces,
    /// An unprivileged user namespace
    Rootless,
    /// Plain chroot into a copied root
    Chroot,
}

/// `--network`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum NetworkArg {
    /// The host's network
    Default,
    /// No network
    None,
    /// The host's network
    Host,
}

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist build -t app:dev .\n  hoist build --build-arg BASE=oci:./busybox -f Dockerfile --output type=oci,dest=out -t app:1 .\n  hoist build --secret id=npm,src=$HOME/.npmrc --ssh default -q ."
)]
pub struct BuildArgs {
    /// The build context directory
    pub context: PathBuf,
    /// The Dockerfile (`-` reads it from stdin; default: CONTEXT/Dockerfile)
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,
    /// Name the image in the local store (repeatable)
    #[arg(short = 't', long = "tag", value_name = "NAME")]
    pub tags: Vec<String>,
    /// Build-time variable (`K=V`, or `K` to take it from the environment)
    #[arg(long = "build-arg", value_name = "K[=V]")]
    pub build_args: Vec<String>,
    /// Build this stage and what it needs
    #[arg(long)]
    pub target: Option<String>,
    /// Extra named context (repeatable): `NAME=DIR`, `NAME=docker-image://REF` or
    /// `NAME=oci-layout://PATH[:TAG][@DIGEST]`; replaces `FROM NAME`, `COPY --from=NAME` and
    /// `RUN --mount=from=NAME` (and a stage named NAME)
    #[arg(long = "build-context", value_name = "NAME=VALUE")]
    pub build_contexts: Vec<String>,
    /// Platforms to build for (OS/ARCH[/VARIANT], comma-separated: several give an image
    /// index; default: the host's)
    #[arg(long, value_name = "OS/ARCH[/VARIANT]")]
    pub platform: Option<String>,
    /// Also write the image elsewhere (repeatable): `type=oci,dest=DIR|F.tar`,
    /// `type=oci-archive,dest=F`, `type=docker,dest=F[,name=N]`, `type=local,dest=DIR` (the root
    /// filesystem), `type=image[,name=N][,push=true]`, `type=registry[,name=N]`
    #[arg(short = 'o', long = "output", value_name = "type=TYPE,dest=PATH")]
    pub output: Vec<String>,
    /// Push the image to every `-t` name (shorthand for `--output type=registry`)
    #[arg(long)]
    pub push: bool,
    /// Import a shared build cache (repeatable): `type=registry,ref=R` or `type=local,src=DIR`
    #[arg(
        long = "cache-from",
        value_name = "type=registry,ref=R|type=local,src=DIR"
    )]
    pub cache_from: Vec<String>,
    /// Export the build cache (repeatable): `type=registry,ref=R[,mode=min|max]` or
    /// `type=local,dest=DIR[,mode=min|max]` (min: the final image's steps; max: every stage's);
    /// `mounts=true` also exports `RUN --mount=type=cache` directories
    #[arg(long = "cache-to", value_name = "type=registry,ref=R[,mode=max]")]
    pub cache_to: Vec<String>,
    /// Do not use the cache
    #[arg(long)]
    pub no_cache: bool,
    /// Do not use the cache for these stages (repeatable)
    #[arg(long = "no-cache-filter", value_name = "STAGE")]
    pub no_cache_filter: Vec<String>,
    /// Secret for RUN --mount=type=secret: `id=X,src=FILE` or `id=X,env=VAR`
    #[arg(long = "secret", value_name = "id=X,src=F|env=V")]
    pub secrets: Vec<String>,
    /// SSH agent for RUN --mount=type=ssh: `default` ($SSH_AUTH_SOCK) or `ID=SOCKET`
    #[arg(long = "ssh", value_name = "default|ID=SOCKET")]
    pub ssh: Vec<String>,
    /// Network of RUN steps
    #[arg(long, value_enum, default_value = "default")]
    pub network: NetworkArg,
    /// Set a label on the image (`K=V`, repeatable)
    #[arg(long = "label", value_name = "K=V")]
    pub labels: Vec<String>,
    /// Set an annotation on the manifest (`K=V`, repeatable)
    #[arg(long = "annotation", value_name = "K=V")]
    pub annotations: Vec<String>,
    /// Write the image ID (config digest) to this file
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,
    /// Write the manifest digest to this file
    #[arg(long = "digest-file", value_name = "FILE")]
    pub digest_file: Option<PathBuf>,
    /// Write build result metadata (JSON, like buildx) to this file
    #[arg(long = "metadata-file", value_name = "FILE")]
    pub metadata_file: Option<PathBuf>,
    /// Progress output
    #[arg(long, value_enum, default_value = "auto")]
    pub progress: ProgressArg,
    /// Print only the image digest
    #[arg(short, long)]
    pub quiet: bool,
    /// Layer compression: gzip|zstd|uncompressed[,level=N]
    #[arg(long, default_value = "gzip", value_name = "TYPE[,level=N]")]
    pub compression: String,
    /// Timestamp for layers and config (seconds since the epoch; `now` for the current time;
    /// default: $SOURCE_DATE_EPOCH, else 0)
    #[arg(long = "source-date-epoch", value_name = "SECONDS|now")]
    pub source_date_epoch: Option<String>,
    /// Stages built at the same time (default: the number of cores)
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
    /// How RUN steps are isolated
    #[arg(long, value_enum, default_value = "auto")]
    pub isolation: IsolationArg,
    /// Only lint the Dockerfile (with the build's args): `--check` with the project's lint
    /// configuration, exiting like `hoist lint`; `--check=buildkit` runs exactly BuildKit's build
    /// checks and fails only as BuildKit does (`error=true` with a finding, or a Dockerfile
    /// BuildKit refuses)
    #[arg(long, value_enum, num_args = 0..=1, require_equals = true, default_missing_value = "lint", value_name = "MODE")]
    pub check: Option<CheckMode>,
    /// Reach this registry over plain HTTP (repeatable; loopback registries always are)
    #[arg(long = "insecure-registry", value_name = "HOST")]
    pub insecure_registry: Vec<String>,
    #[command(flatten)]
    pub supply: super::build_supply::SupplyArgs,
}

/// What `--check` runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckMode {
    /// Every lint rule, with the project's lint configuration
    Lint,
    /// BuildKit's build checks, as `docker build --check` runs them
    Buildkit,
}

fn usage(msg: &str, hint: Option<&str>) -> i32 {
    report_error(msg, hint);
    EXIT_USAGE
}

fn key_values(list: &[String], what: &str) -> Result<BTreeMap<String, String>, i32> {
    let mut out = BTreeMap::new();
    for kv in list {
        match kv.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                out.insert(k.to_string(), v.to_string());
            }
            _ => return Err(usage(&format!("{what} {kv:?}: expected KEY=VALUE"), None)),
        }
    }
    Ok(out)
}

/// `gzip|zstd|uncompressed[,level=N]`.
pub fn parse_compression(s: &str) -> Result<Compression, String> {
    let mut parts = s.split(',');
    let kind = parts.next().unwrap_or_default();
    let mut level: Option<i32> = None;
    for p in parts {
        match p.split_once('=') {
            Some(("level", v)) => {
                level = Some(v.parse().map_err(|_| format!("invalid level {v:?}"))?);
            }
            _ => return Err(format!("unknown compression option {p:?}")),
        }
    }
    match kind {
        "gzip" => {
            let l = level.unwrap_or(6);
            u32::try_from(l)
                .ok()
                .filter(|l| *l <= 9)
                .map(|level| Compression::Gzip { level })
                .ok_or_else(|| format!("gzip level {l} is not in 0-9"))
        }
        "zstd" => {
            let l = level.unwrap_or(3);
            if (-7..=22).contains(&l) {
                Ok(Compression::Zstd { level: l })
            } else {
                Err(format!("zstd level {l} is not in -7..22"))
            }
        }
        "uncompressed" if level.is_none() => Ok(Compression::None),
        "uncompressed" => Err("uncompressed takes no level".to_string()),
        other => Err(format!(
            "unknown compression {other:?} (gzip, zstd or uncompressed)"
        )),
    }
}

fn parse_epoch(flag: Option<&str>) -> Result<Option<i64>, String> {
    let v = match flag {
        Some(v) => v.to_string(),
        None => match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if !v.trim().is_empty() => v,
            _ => return Ok(Some(0)),
        },
    };
    if v.trim() == "now" {
        return Ok(None);
    }
    v.trim()
        .parse()
        .map(Some)
        .map_err(|_| format!("source date epoch {v:?}: expected seconds since 1970 or `now`"))
}

fn parse_secret(s: &str) -> Result<(String, SecretSource), String> {
    let mut id = None;
    let mut src = None;
    for field in s.split(',') {
        match field.split_once('=') {
            Some(("id", v)) => id = Some(v.to_string()),
            Some(("src" | "source", v)) => src = Some(SecretSource::File(PathBuf::from(v))),
            Some(("env", v)) => src = Some(SecretSource::Env(v.to_string())),
            Some(("type", "file" | "env")) => {}
            _ => return Err(format!("--secret {s:?}: unknown field {field:?}")),
        }
    }
    let id = id.ok_or_else(|| format!("--secret {s:?}: missing id="))?;
    let src = src.unwrap_or_else(|| SecretSource::Env(id.clone()));
    Ok((id, src))
}

/// The lint options of the Dockerfile at `path` (stdin: none), as `hoist lint` finds them:
/// the nearest `.hoist.toml` or `.hadolint.yaml` at or above its directory (stdin: the current
/// directory), then the `HADOLINT_*`/`HOIST_*` environment; with the build's args and context.
/// Warnings of the config files come back with the options.
fn lint_options(
    a: &BuildArgs,
    path: Option<&Path>,
    args: &BTreeMap<String, String>,
) -> Result<(LintOptions, Vec<String>), String> {
    let env = config::env_layer(&|k| std::env::var(k).ok()).map_err(|e| e.to_string())?;
    let resolver = Resolver::new(None, env, ConfigLayer::default()).map_err(|e| e.to_string())?;
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
    let mut options = resolver
        .options_for(path, &cwd)
        .map_err(|e| e.to_string())?;
    options.build_args = Some(args.clone());
    options.context_dir = Some(a.context.clone());
    Ok((options, resolver.take_warnings()))
}

fn lint_check(
    a: &BuildArgs,
    name: &str,
    path: Option<&Path>,
    text: &str,
    args: &BTreeMap<String, String>,
) -> i32 {
    let options = match lint_options(a, path, args) {
        Ok((o, warnings)) => {
            for w in warnings {
                eprintln!("hoist: warning: {w}");
            }
            o
        }
        Err(e) => {
            report_error(
                &e,
                Some("fix the lint configuration (see `hoist lint --help`)"),
            );
            return EXIT_USAGE;
        }
    };
    let report = lint_source(Path::new(name), text, &options);
    print_findings(name, &report.findings);
    if report.fails(options.failure_threshold) && !options.no_fail {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// One line per finding: `FILE:LINE:COLUMN LEVEL CODE: MESSAGE`.
fn print_findings(name: &str, findings: &[hoist::lint::Finding]) {
    for f in findings {
        println!(
            "{name}:{}:{} {} {}: {}",
            f.span.start.line,
            f.span.start.column,
            f.level.as_str(),
            f.code,
            f.message
        );
    }
}

/// `--check=buildkit`: BuildKit's checks with BuildKit's defaults (no project lint
/// configuration, which BuildKit does not read); exit 1 only for what fails a BuildKit build.
fn buildkit_check(a: &BuildArgs, name: &str, text: &str, args: &BTreeMap<String, String>) -> i32 {
    let options = hoist::lint::config::LintOptions {
        build_args: Some(args.clone()),
        context_dir: Some(a.context.clone()),
        buildkit: true,
        failure_threshold: hoist::lint::Severity::Error,
        ..Default::default()
    };
    let report = lint_source(Path::new(name), text, &options);
    print_findings(name, &report.findings);
    if report.fails(options.failure_threshold) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}

/// Summarise lint findings before a build, like BuildKit's build checks, with the project's
/// lint configuration (ignored rules, level overrides, pragmas); a broken configuration is a
/// warning, not a failed build.
fn lint_summary(
    a: &BuildArgs,
    name: &str,
    path: Option<&Path>,
    text: &str,
    args: &BTreeMap<String, String>,
    p: &dyn Progress,
) {
    let options = match lint_options(a, path, args) {
        Ok((o, warnings)) => {
            for w in warnings {
                p.event(Event::Warning { text: w });
            }
            o
        }
        Err(e) => {
            p.event(Event::Warning {
                text: format!("no lint summary: {e}"),
            });
            return;
        }
    };
    let report = lint_source(Path::new(name), text, &options);
    let warnings: Vec<_> = report
        .findings
        .iter()
        .filter(|f| f.level <= hoist::lint::Severity::Warning)
        .collect();
    if warnings.is_empty() {
        return;
    }
    p.event(Event::Warning {
        text: format!(
            "{} lint warning(s) in {name} (see `hoist build --check`):",
            warnings.len()
        ),
    });
    for f in warnings {
        p.event(Event::Warning {
            text: format!("  {name}:{} {}: {}", f.span.start.line, f.code, f.message),
        });
    }
}

/// Run `hoist build`.
pub fn run(a: BuildArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &BuildArgs) -> Result<i32, i32> {
    if !a.context.is_dir() {
        return Err(usage(
            &format!("build context {}: not a directory", a.context.display()),
            None,
        ));
    }
    let (text, name, path) = match a.file.as_deref() {
        Some(p) if p == Path::new("-") => {
            let mut s = String::new();
            std::io::stdin()
                .read_to_string(&mut s)
                .map_err(|e| usage(&format!("cannot read the Dockerfile from stdin: {e}"), None))?;
            (s, "Dockerfile".to_string(), None)
        }
        other => {
            let p = other
                .map(Path::to_path_buf)
                .unwrap_or_else(|| a.context.join("Dockerfile"));
            let s = std::fs::read_to_string(&p).map_err(|e| {
                usage(
                    &format!("cannot read {}: {e}", p.display()),
                    Some("pass the Dockerfile with -f PATH"),
                )
            })?;
            (s, p.display().to_string(), Some(p))
        }
    };
    let mut build_args = BTreeMap::new();
    for ba in &a.build_args {
        match ba.split_once('=') {
            Some((k, v)) if !k.is_empty() => {
                build_args.insert(k.to_string(), v.to_string());
            }
            Some(_) => return Err(usage(&format!("--build-arg {ba:?}: empty name"), None)),
            None => {
                if let Ok(v) = std::env::var(ba) {
                    build_args.insert(ba.clone(), v);
                }
            }
        }
    }
    match a.check {
        Some(CheckMode::Lint) => {
            return Ok(lint_check(a, &name, path.as_deref(), &text, &build_args))
        }
        Some(CheckMode::Buildkit) => return Ok(buildkit_check(a, &name, &text, &build_args)),
        None => {}
    }
    let mut platforms = Vec::new();
    for p in a.platform.as_deref().unwrap_or_default().split(',') {
        if p.trim().is_empty() {
            continue;
        }
        let parsed = hoist::dockerfile::flags::parse_platform(p.trim()).map_err(|e| {
            usage(
                &e.to_string(),
                Some("examples: linux/amd64, linux/arm64,linux/arm/v7"),
            )
        })?;
        if !platforms.contains(&parsed) {
            platforms.push(parsed);
        }
    }
    if platforms.is_empty() {
        platforms.push(Platform::host());
    }
    let compression = parse_compression(&a.compression)
        .map_err(|e| usage(&format!("--compression: {e}"), None))?;
    let epoch = parse_epoch(a.source_date_epoch.as_deref()).map_err(|e| usage(&e, None))?;
    let mut outputs = a
        .output
        .iter()
        .map(|o| hoist::build::outputs::parse_output(o))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(&e, None))?;
    if a.push {
        outputs.push(hoist::build::outputs::Output::Image {
            names: Vec::new(),
            push: true,
        });
    }
    let pushes = outputs
        .iter()
        .any(|o| matches!(o, hoist::build::outputs::Output::Image { push: true, names } if names.is_empty()));
    if pushes && a.tags.is_empty() {
        return Err(usage(
            "--push needs a -t HOST/REPO:TAG name to push to",
            Some("e.g. hoist build --push -t registry.example.com/team/app:1 ."),
        ));
    }
    let supply = super::build_supply::Supply::from_args(&a.supply, &a.context, &outputs)?;
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut secrets = BTreeMap::new();
    for s in &a.secrets {
        let (id, src) = parse_secret(s).map_err(|e| usage(&e, None))?;
        secrets.insert(id, src);
    }
    let mut named_contexts = BTreeMap::new();
    for c in &a.build_contexts {
        let (name, ctx) = hoist::build::contexts::parse_build_context(c)
            .map_err(|e| usage(&e.to_string(), None))?;
        named_contexts.insert(name, ctx);
    }
    let mut ssh = BTreeMap::new();
    for s in &a.ssh {
        let (id, sock) = match s.split_once('=') {
            Some((id, path)) => (id.to_string(), PathBuf::from(path)),
            None => match std::env::var_os("SSH_AUTH_SOCK") {
                Some(p) => (s.clone(), PathBuf::from(p)),
                None => {
                    return Err(usage(
                        &format!("--ssh {s}: SSH_AUTH_SOCK is not set"),
                        Some("start an agent (eval $(ssh-agent)) or pass --ssh ID=SOCKET"),
                    ))
                }
            },
        };
        ssh.insert(id, sock);
    }
    let mut tags = Vec::new();
    for t in &a.tags {
        let r = parse_normalized(t).map_err(|e| usage(&format!("-t {t}: {e}"), None))?;
        tags.push(r.to_string());
    }
    let mode = if a.quiet {
        Mode::Quiet
    } else {
        match a.progress {
            ProgressArg::Auto if std::io::stderr().is_terminal() => Mode::Tty,
            ProgressArg::Auto | ProgressArg::Plain => Mode::Plain,
            ProgressArg::Tty => Mode::Tty,
            ProgressArg::Rawjson => Mode::RawJson,
            ProgressArg::Quiet => Mode::Quiet,
        }
    };
    let printer = Printer::new(mode);
    lint_summary(a, &name, path.as_deref(), &text, &build_args, &printer);
    let mut opts = BuildOptions::new(a.context.clone(), text);
    opts.dockerfile_name = name;
    opts.dockerfile_path = path;
    opts.build_args = build_args;
    opts.target = a.target.clone();
    opts.platform = platforms.first().cloned().unwrap_or_else(Platform::host);
    opts.no_cache = a.no_cache;
    opts.no_cache_filter = a.no_cache_filter.clone();
    opts.secrets = secrets;
    opts.ssh = ssh;
    opts.named_contexts = named_contexts;
    opts.network = match a.network {
        NetworkArg::Default => Network::Default,
        NetworkArg::None => Network::None,
        NetworkArg::Host => Network::Host,
    };
    opts.labels = key_values(&a.labels, "--label")?;
    opts.annotations = key_values(&a.annotations, "--annotation")?;
    opts.compression = compression;
    opts.source_date_epoch = epoch;
    if let Some(j) = a.jobs {
        opts.jobs = j.max(1);
    }
    opts.isolation = match a.isolation {
        IsolationArg::Auto => IsolationChoice::Auto,
        IsolationArg::Namespaces => IsolationChoice::Namespaces,
        IsolationArg::Rootless => IsolationChoice::Rootless,
        IsolationArg::Chroot => IsolationChoice::Chroot,
    };
    opts.remote = super::network::NetworkArgs::from_env().remote(&a.insecure_registry);
    opts.tags = tags.clone();
    let cache_from = a
        .cache_from
        .iter()
        .map(|c| hoist::build::cache_export::parse_cache_from(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(&e, None))?;
    let cache_to = a
        .cache_to
        .iter()
        .map(|c| hoist::build::cache_export::parse_cache_to(c))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| usage(&e, None))?;
    if !cache_from.is_empty() || !cache_to.is_empty() {
        opts.cache_hook = Some(hoist::build::cache_export::CacheHook::new(
            opts.remote.clone(),
        ));
    }
    // Like buildx: a failed build leaves no stale image ID (or digest) from an earlier one.
    for f in a.iidfile.iter().chain(&a.digest_file) {
        match std::fs::remove_file(f) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                report_error(
                    &format!("cannot remove the old {}: {e}", f.display()),
                    Some("give a writable path"),
                );
                return Err(EXIT_FINDINGS);
            }
            _ => {}
        }
    }
    let store = Store::open_default().map_err(|e| {
        report_error(&e.to_string(), None);
        EXIT_FINDINGS
    })?;
    let fail = |e: hoist::build::BuildError| {
        report_error(&e.to_string(), e.hint());
        EXIT_FINDINGS
    };
    if let Some(hook) = &opts.cache_hook {
        for c in &cache_from {
            // A missing cache (first run) is not an error.
            hook.import(&store, c).map_err(fail)?;
        }
    }
    let built = hoist::build::build_platforms(&store, &opts, &platforms, &printer).map_err(fail)?;
    supply.scan(&store, &built)?;
    let (result, attested) = supply.attest(
        &store,
        &built,
        &opts,
        &platforms,
        started,
        matches!(mode, Mode::Quiet | Mode::RawJson),
    )?;
    if let Some(hook) = &opts.cache_hook {
        for c in &cache_to {
            hook.export(&store, &result, c).map_err(fail)?;
        }
    }
    output::tag(&store, &result, &tags).map_err(fail)?;
    let mut pushed = Vec::new();
    let mut written = Vec::new();
    for o in &outputs {
        // The root filesystem has no place for attestations: it is the image's alone.
        let image = match o {
            hoist::build::outputs::Output::Local(_) => &built,
            _ => &result,
        };
        let w = hoist::build::outputs::write_output(&store, image, o, &tags, &opts.remote)
            .map_err(fail)?;
        match &w {
            hoist::build::outputs::Written::Pushed(refs) => pushed.extend(refs.iter().cloned()),
            // Through the printer: in rawjson mode stderr stays one JSON object per line.
            hoist::build::outputs::Written::Path(p) => printer.event(Event::Note {
                text: format!("wrote {}", p.display()),
            }),
            _ => {}
        }
        written.push((o.clone(), w));
    }
    supply.sign(
        &written,
        &result,
        &attested,
        &opts.remote,
        matches!(mode, Mode::Quiet | Mode::RawJson),
    )?;
    if let Some(f) = &a.iidfile {
        // The image ID: the config digest, or the index digest for several platforms.
        let id = built.config_digest.as_ref().unwrap_or(&result.digest);
        write_file_atomic(f, id.to_string().as_bytes()).map_err(fail)?;
    }
    if let Some(f) = &a.digest_file {
        write_file_atomic(f, result.digest.to_string().as_bytes()).map_err(fail)?;
    }
    if let Some(f) = &a.metadata_file {
        let bytes = serde_json::to_vec_pretty(&metadata(&result, &tags)).unwrap_or_default();
        write_file_atomic(f, &bytes).map_err(fail)?;
    }
    if mode != Mode::Quiet && mode != Mode::RawJson {
        if !tags.is_empty() {
            eprintln!("naming to {} done", tags.join(", "));
        }
        eprintln!(
            "built {} in {:.1}s",
            result.digest,
            printer.elapsed().as_secs_f64()
        );
    }
    if pushed.is_empty() || a.quiet {
        println!("{}", result.digest);
    } else {
        for r in &pushed {
            println!("{r}");
        }
    }
    Ok(EXIT_OK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flag_values() {
        assert_eq!(
            parse_compression("gzip").unwrap(),
            Compression::Gzip { level: 6 }
        );
        assert_eq!(
            parse_compression("zstd,level=9").unwrap(),
            Compression::Zstd { level: 9 }
        );
        assert_eq!(
            parse_compression("uncompressed").unwrap(),
            Compression::None
        );
        assert!(parse_compression("gzip,level=12").is_err());
        assert!(parse_compression("lz4").is_err());
        assert_eq!(parse_epoch(Some("now")).unwrap(), None);
        assert_eq!(parse_epoch(Some("5")).unwrap(), Some(5));
        assert!(parse_epoch(Some("x")).is_err());
        assert_eq!(
            parse_secret("id=a,src=/f").unwrap(),
            ("a".to_string(), SecretSource::File(PathBuf::from("/f")))
        );
        assert!(parse_secret("src=/f").is_err());
    }
}
