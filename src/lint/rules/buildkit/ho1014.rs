//! HO1014 (BuildKit InvalidDefinitionDescription, experimental, opt-in): the comment right above
//! a named stage or an ARG does not start with its name, so `--call=outline` misreads it.
use crate::dockerfile::{Comment, InstructionKind};
use crate::lint::{Category, Context, Diagnostics, Rule, RuleMeta, Severity};

pub static RULE: Rule = Rule {
    meta: RuleMeta {
        code: "HO1014",
        name: "invalid-definition-description",
        severity: Severity::Warning,
        category: Category::Style,
        summary: "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`",
        aliases: &["InvalidDefinitionDescription"],
        opt_in: true,
    },
    check,
};

/// The contiguous comment lines ending on the line just above `line`.
fn comment_block<'a>(cx: &Context<'a>, line: u32) -> Vec<&'a Comment> {
    let directive_lines: Vec<u32> = cx.df.directives.iter().map(|d| d.span.start.line).collect();
    let mut block = Vec::new();
    let mut want = line.saturating_sub(1);
    for c in cx.df.comments.iter().rev() {
        if c.span.start.line > want {
            continue;
        }
        if c.span.start.line != want || want == 0 || directive_lines.contains(&c.span.start.line) {
            break;
        }
        block.push(c);
        want -= 1;
    }
    block.reverse();
    block
}

fn check(cx: &Context, d: &mut Diagnostics) {
    for (_, ins) in cx.instructions() {
        let (what, names): (&str, Vec<&str>) = match &ins.kind {
            InstructionKind::From { alias: Some(a), .. } => ("FROM", vec![a.value.as_str()]),
            InstructionKind::Arg(decls) if !decls.is_empty() => {
                ("ARG", decls.iter().map(|a| a.name.value.as_str()).collect())
            }
            _ => continue,
        };
        let block = comment_block(cx, ins.span.start.line);
        // BuildKit reads the comment line right above the instruction.
        let Some(first) = block.last() else {
            continue;
        };
        // An empty `#` line ends a description (BuildKit starts its comment list afresh).
        if first.text.trim().is_empty() {
            continue;
        }
        let word = first.text.split_whitespace().next().unwrap_or("");
        if names.contains(&word) {
            continue;
        }
        let example = if names.len() == 1 {
            names[0]
        } else {
            "<arg_key>"
        };
        // Reported on the instruction, as BuildKit does.
        d.report(ins.span, format!("Comment for {what} should follow the format: `# {example} <description>`"))
            .with_help("start the comment with the name, or separate it from the instruction with an empty line");
    }
}

#[cfg(test)]
mod tests {
    use crate::lint::testing::positions;

    #[test]
    fn flags_non_descriptive_comments() {
        let src =
            "# a non-descriptive comment\nFROM scratch AS base\n\n# another one\nARG VERSION=1\n";
        assert_eq!(positions("HO1014", src), vec![(2, 1), (5, 1)]);
        let block = "# base is a stage\n# built nightly\nFROM scratch AS base\n";
        assert_eq!(positions("HO1014", block), vec![(3, 1)]);
        let reset = "# VERSION the version\n#\nARG VERSION=1\n";
        assert!(positions("HO1014", reset).is_empty());
    }

    #[test]
    fn accepts_descriptions_and_separated_comments() {
        let src = "# base is a stage\nFROM scratch AS base\n# VERSION This is the version.\nARG VERSION=1\n\
                   # unrelated\n\nARG OTHER\nFROM base\n";
        assert!(positions("HO1014", src).is_empty());
    }
}
