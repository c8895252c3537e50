use super::*;
use crate::dockerfile::parse;

fn model(src: &str) -> Model {
    model_with(src, &[])
}

fn model_with(src: &str, args: &[(&str, &str)]) -> Model {
    let df = parse(src);
    assert!(df.errors.is_empty(), "{:?}", df.errors);
    let mut options = ModelOptions::default();
    for (k, v) in args {
        options.build_args.insert(k.to_string(), v.to_string());
    }
    Model::new(&df, &options)
}

#[test]
fn stages_origins_and_edges() {
    let m = model(
        "ARG IMG=alpine:3.20\nFROM $IMG AS Base\nRUN x\nFROM base AS build\n\
         COPY --from=tools /t /t\nRUN --mount=type=bind,from=golang:1.22,target=/g \
         --mount=type=cache,target=/c make\nFROM scratch\nCOPY --from=BUILD /out /\n\
         COPY --from=0 /a /a\nFROM busybox AS tools\n",
    );
    let st = m.stages();
    assert_eq!(st.len(), 4);
    assert_eq!(st[0].origin, Origin::Image("alpine:3.20".into()));
    assert_eq!(st[0].name.as_deref(), Some("base"));
    assert_eq!((st[0].from, st[0].end), (1, 3));
    assert_eq!(st[0].body(), 2..3);
    assert_eq!(st[1].origin, Origin::Stage(0));
    assert_eq!(st[1].base, Some(0));
    assert_eq!(st[2].origin, Origin::Scratch);
    assert_eq!(st[3].origin, Origin::Image("busybox".into()));
    let deps: Vec<(Via, &Source)> = st[1].deps.iter().map(|d| (d.via, &d.source)).collect();
    assert_eq!(
        deps,
        vec![
            (Via::CopyFrom, &Source::Stage(3)),
            (Via::MountFrom, &Source::Image("golang:1.22".into())),
        ]
    );
    assert_eq!((st[1].deps[0].instr, st[1].deps[0].line), (4, 5));
    assert_eq!(st[3].line, 10);
    assert_eq!(st[2].stage_deps().collect::<Vec<_>>(), vec![1, 0]);
    assert_eq!(m.stage_of(0), None);
    assert_eq!(m.stage_of(4), Some(1));
    assert_eq!(m.stage_at(9).map(|s| s.index), Some(3));
}

#[test]
fn from_expands_build_args_and_platform() {
    let src = "ARG V=1\nFROM --platform=$BUILDPLATFORM img:$V\nFROM ${MISSING:?unset}\n";
    let m = model_with(src, &[("V", "2"), ("BUILDPLATFORM", "linux/arm64")]);
    assert_eq!(m.stages()[0].origin, Origin::Image("img:2".into()));
    assert_eq!(m.stages()[0].platform.as_deref(), Some("linux/arm64"));
    assert_eq!(m.stages()[1].origin, Origin::Unresolved);
    assert_eq!(m.global_vars().get("V"), Some("2"));
    assert_eq!(m.global_arg_names(), ["V"]);
    let err = m.plan(1).unwrap_err();
    assert!(
        matches!(
            err,
            ModelError::Unresolved {
                stage: 1,
                line: 3,
                ..
            }
        ),
        "{err}"
    );
    assert_eq!(m.plan(0), Ok(vec![0]));
}

#[test]
fn target_resolution() {
    let m = model("FROM a AS One\nFROM b AS two\nFROM c\n");
    assert_eq!(m.resolve_target(None), Ok(2));
    assert_eq!(m.resolve_target(Some("ONE")), Ok(0));
    assert_eq!(m.resolve_target(Some("two")), Ok(1));
    let err = m.resolve_target(Some("three")).unwrap_err();
    assert_eq!(
        err,
        ModelError::UnknownTarget {
            target: "three".into(),
            known: "one, two".into()
        }
    );
    assert!(err.to_string().contains("--target"));
    assert_eq!(
        model("ARG A\n").resolve_target(None),
        Err(ModelError::NoStages)
    );
}

#[test]
fn plan_orders_dependencies_and_skips_unneeded() {
    let m = model(
        "FROM a AS base\nFROM b AS unused\nFROM c AS lib\nCOPY --from=base / /\n\
         FROM base AS app\nRUN --mount=from=lib,target=/l x\nCOPY --from=2 / /\n",
    );
    assert_eq!(m.plan(3), Ok(vec![0, 2, 3]));
    assert_eq!(m.plan(1), Ok(vec![1]));
    assert_eq!(m.plan(2), Ok(vec![0, 2]));
}

#[test]
fn cycles_are_errors() {
    let m = model("FROM a AS x\nCOPY --from=y / /\nFROM b AS y\nCOPY --from=x / /\n");
    match m.plan(1) {
        Err(ModelError::Cycle { cycle }) => assert_eq!(cycle, vec!["y", "x", "y"]),
        other => panic!("expected a cycle, got {other:?}"),
    }
    let m = model("FROM a AS self\nCOPY --from=self / /\n");
    let err = m.plan(0).unwrap_err();
    assert_eq!(
        err,
        ModelError::Cycle {
            cycle: vec!["self".into(), "self".into()]
        }
    );
    assert!(err.to_string().contains("self -> self"));
}

#[test]
fn unknown_stage_number_and_unresolved_from() {
    let m = model("FROM a\nCOPY --from=7 / /\nFROM b\nCOPY --from=$NOPE / /\n");
    assert_eq!(m.stages()[0].deps[0].source, Source::MissingStage(7));
    let err = m.plan(0).unwrap_err();
    assert!(matches!(
        err,
        ModelError::UnknownStage {
            number: 7,
            count: 2,
            ..
        }
    ));
    assert_eq!(
        err.to_string(),
        "line 2 (stage 0): --from=7 names no stage (the file has 2 stages, numbered from 0)"
    );
    // An unset variable expands to nothing: nothing to copy from.
    assert_eq!(
        m.stages()[1].deps[0].source,
        Source::Unresolved("$NOPE".into())
    );
    assert!(matches!(m.plan(1), Err(ModelError::Unresolved { .. })));
}

#[test]
fn shell_per_instruction() {
    let m = model(
        "FROM a AS one\nRUN x\nSHELL [\"/bin/bash\", \"-c\"]\nRUN y\nFROM one\nRUN z\n\
         SHELL [\"pwsh\", \"-c\"]\nRUN w\nFROM b\nRUN v\n",
    );
    let sh = |i: usize| m.shell_at(i).map(|s| s.join(" "));
    assert_eq!(sh(1).as_deref(), Some("/bin/sh -c"));
    assert_eq!(
        sh(2).as_deref(),
        Some("/bin/sh -c"),
        "SHELL applies after itself"
    );
    assert_eq!(sh(3).as_deref(), Some("/bin/bash -c"));
    assert_eq!(
        sh(5).as_deref(),
        Some("/bin/bash -c"),
        "inherited from stage one"
    );
    assert_eq!(sh(7).as_deref(), Some("pwsh -c"));
    assert_eq!(
        sh(9).as_deref(),
        Some("/bin/sh -c"),
        "a new image starts afresh"
    );
    assert_eq!(sh(10), None);
}

#[test]
fn scopes_per_instruction() {
    let m = model_with(
        "ARG G=g\nFROM img\nARG G\nENV E=$G-e\nRUN x\nFROM 0\nRUN y\n",
        &[("TARGETARCH", "riscv64")],
    );
    let get = |i: usize, k: &str| m.vars_at(i).and_then(|v| v.get(k)).map(str::to_string);
    assert_eq!(get(1, "G").as_deref(), Some("g"), "FROM sees global ARGs");
    assert_eq!(get(2, "G"), None, "not before the stage redeclares it");
    assert_eq!(get(4, "E").as_deref(), Some("g-e"));
    assert_eq!(
        get(6, "E").as_deref(),
        Some("g-e"),
        "ENV inherited by FROM 0"
    );
    assert_eq!(get(6, "G"), None, "ARG is not inherited");
    assert_eq!(get(1, "TARGETARCH").as_deref(), Some("riscv64"));
    assert_eq!(m.expand(4, "${E}!").as_deref(), Some("g-e!"));
}

/// 20,000 ARG/ENV lines: with a copied map per instruction this needed ~200 million map entries
/// (gigabytes); the shared scopes keep it to a few entries per line.
#[test]
fn scopes_are_shared_for_many_variables() {
    const N: usize = 10_000;
    let mut src = String::from("FROM img\n");
    for i in 0..N {
        src.push_str(&format!("ARG A{i}={i}\nENV E{i}=${{A{i}}}x\n"));
    }
    src.push_str("RUN done\n");
    let m = model(&src);
    let last = 2 * N + 1;
    let vars = m.vars_at(last).expect("scope of the last RUN");
    assert_eq!(vars.values.size(), 2 * N);
    assert_eq!(vars.get("E9999"), Some("9999x"));
    assert_eq!(vars.get("A0"), Some("0"));
    // Halfway, only what came before is visible.
    let mid = m.vars_at(N + 1).expect("scope of a middle line");
    assert_eq!(mid.values.size(), N);
    assert!(mid.get(&format!("A{}", N / 2)).is_none());
    assert_eq!(mid.get(&format!("E{}", N / 2 - 1)), Some("4999x"));
}

/// BuildKit's buildMetaArgs starts from the automatic platform ARGs (overridable by build
/// args) and lets a global `ARG` replace a value only when it has one: a bare `ARG TARGETARCH`
/// before FROM keeps the automatic value, and FROM sees it with or without that declaration.
#[test]
fn bare_global_platform_args_keep_their_automatic_value() {
    let df = parse(
        "ARG TARGETARCH\nARG TARGETOS\nFROM img:$TARGETOS-$TARGETARCH\n\
         FROM other:$TARGETVARIANT-$BUILDARCH\n",
    );
    let options = ModelOptions {
        target_platform: "linux/arm/v7".parse().unwrap(),
        build_platform: "linux/amd64".parse().unwrap(),
        ..ModelOptions::default()
    };
    let m = Model::new(&df, &options);
    assert_eq!(m.stages()[0].origin, Origin::Image("img:linux-arm".into()));
    assert_eq!(m.stages()[1].origin, Origin::Image("other:v7-amd64".into()));
    // A value replaces the automatic one; a build arg wins over both.
    let m = model_with("ARG TARGETARCH=mine\nFROM img:$TARGETARCH\n", &[]);
    assert_eq!(m.stages()[0].origin, Origin::Image("img:mine".into()));
    let m = model_with(
        "ARG TARGETARCH=mine\nFROM img:$TARGETARCH\n",
        &[("TARGETARCH", "cli")],
    );
    assert_eq!(m.stages()[0].origin, Origin::Image("img:cli".into()));
    let m = model_with(
        "ARG TARGETARCH\nFROM img:$TARGETARCH\n",
        &[("TARGETARCH", "cli")],
    );
    assert_eq!(m.stages()[0].origin, Origin::Image("img:cli".into()));
    // The same for any global: a later bare declaration keeps the earlier value.
    let m = model("ARG V=1\nARG V\nFROM img:$V\n");
    assert_eq!(m.stages()[0].origin, Origin::Image("img:1".into()));
    // A stage's bare ARG takes the global (automatic) value.
    let m = Model::new(
        &parse("ARG TARGETARCH\nFROM img\nARG TARGETARCH\nRUN x\n"),
        &options,
    );
    let v = m
        .vars_at(3)
        .and_then(|v| v.get("TARGETARCH"))
        .map(str::to_string);
    assert_eq!(v.as_deref(), Some("arm"));
}

/// Instructions other than ARG before the first FROM form the prelude; an ENV there is seen by
/// the prelude instructions after it but never by a FROM or a stage.
#[test]
fn prelude_before_the_first_from() {
    assert_eq!(model("ARG V=1\nFROM a:$V\nRUN x\n").prelude(), None);
    assert_eq!(model("FROM a\nENV E=1\n").prelude(), None);
    assert_eq!(
        Model::new(&parse(""), &ModelOptions::default()).prelude(),
        None
    );
    let m = model("RUN x\nCOPY a b\n");
    assert_eq!((m.prelude(), m.stages().len()), (Some(0..2), 0));

    let m = model("ARG V=1\nENV E=$V-e V=env\nARG V=2 W\nRUN x\nFROM img:$V$E\nRUN y\n");
    assert_eq!(m.prelude(), Some(0..4));
    assert_eq!(m.stage_of(3), None);
    let get = |i: usize, k: &str| m.vars_at(i).and_then(|v| v.get(k)).map(str::to_string);
    assert_eq!(get(1, "E"), None, "not before the ENV");
    assert_eq!(get(3, "E").as_deref(), Some("1-e"));
    assert_eq!(
        get(3, "V").as_deref(),
        Some("env"),
        "ENV wins over a later ARG"
    );
    assert!(m.vars_at(3).is_some_and(|v| v.is_declared("W")));
    assert_eq!(m.stages()[0].origin, Origin::Image("img:2".into()));
    assert_eq!(get(5, "E"), None, "a stage does not inherit the prelude");
    assert_eq!(m.global_arg_names(), ["V", "V", "W"]);
}

#[test]
fn target_stage_and_os_version_args_are_buildkits() {
    // dockerfile2llb defaultArgs: TARGETSTAGE is --target, else the last stage's name, else
    // "default"; the OS versions are empty for Linux platforms.
    let src = "FROM img:$TARGETSTAGE AS Base\nFROM img:x$BUILDOSVERSION$TARGETOSVERSION AS Final\n";
    let m = model_with(src, &[]);
    assert_eq!(m.stages()[0].origin, Origin::Image("img:final".into()));
    assert_eq!(m.stages()[1].origin, Origin::Image("img:x".into()));
    let options = ModelOptions {
        target: Some("base".into()),
        ..ModelOptions::default()
    };
    let m = Model::new(&parse(src), &options);
    assert_eq!(m.stages()[0].origin, Origin::Image("img:base".into()));
    let m = model_with("FROM img:$TARGETSTAGE\n", &[]);
    assert_eq!(m.stages()[0].origin, Origin::Image("img:default".into()));
    // A build arg overrides it, like every automatic ARG.
    let m = model_with("FROM img:$TARGETSTAGE\n", &[("TARGETSTAGE", "mine")]);
    assert_eq!(m.stages()[0].origin, Origin::Image("img:mine".into()));
    // Inside a stage it needs an ARG, like the platform ARGs.
    let m = model_with("FROM scratch AS s\nARG TARGETSTAGE\nRUN x\n", &[]);
    let vars = m.vars_at(2).expect("vars of RUN");
    assert_eq!(
        vars.values.get("TARGETSTAGE").map(String::as_str),
        Some("s")
    );
}
