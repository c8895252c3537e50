//! Binary cataloger: executables that carry their own dependency list — Go build info
//! ([`golang`](super::golang)) and Rust `cargo auditable` data ([`auditable`](super::auditable)).
//! Only section headers are read unless one of those sections is present.

use super::elf::Elf;
use super::tree::{FileTree, TreeError};
use super::Found;

/// Catalogs one executable, visible in layer `layer` as the walk found it (anything that is
/// not ELF is ignored).
pub fn catalog_file(tree: &dyn FileTree, path: &str, layer: usize) -> Result<Found, TreeError> {
    let mut found = Found::default();
    let Some((file, len)) = tree.open_walked(path, layer)? else {
        return Ok(found);
    };
    let Some(elf) = Elf::parse_sized(file, len) else {
        return Ok(found);
    };
    let mut sub = super::golang::from_elf(&elf, path);
    sub.extend(super::auditable::from_elf(&elf, path));
    for p in &mut sub.packages {
        p.layer = Some(layer);
    }
    found.extend(sub);
    Ok(found)
}
