//! The human table: one row per package (name, version, type, layer index), aligned columns,
//! followed by a one-line summary.

use unicode_width::UnicodeWidthStr;

use super::model::Sbom;

/// Renders the table as text.
pub fn render(sbom: &Sbom) -> String {
    let header = ["NAME", "VERSION", "TYPE", "LAYER"];
    let rows: Vec<[String; 4]> = sbom
        .packages
        .iter()
        .map(|p| {
            [
                p.name.clone(),
                p.version.clone(),
                p.ecosystem.as_str().to_string(),
                p.layer.map(|l| l.to_string()).unwrap_or_else(|| "-".into()),
            ]
        })
        .collect();
    let mut widths = header.map(UnicodeWidthStr::width);
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.width());
        }
    }
    let line = |cells: [&str; 4]| {
        let mut s = String::new();
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            s.push_str(c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(w - c.width() + 2));
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(header);
    for r in &rows {
        out.push_str(&line([&r[0], &r[1], &r[2], &r[3]]));
    }
    let distro = sbom
        .distro
        .as_ref()
        .map(|d| {
            format!(
                " on {}",
                d.pretty_name.clone().unwrap_or_else(|| d.qualifier())
            )
        })
        .unwrap_or_default();
    out.push_str(&format!(
        "{} packages in {}{distro}\n",
        rows.len(),
        sbom.subject.name
    ));
    out
}
