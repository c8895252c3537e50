//! `hoist tag REF NEWTAG`: give an image another tag in the same place: a new
//! `org.opencontainers.image.ref.name` entry in an OCI layout's `index.json`, or the same
//! manifest bytes pushed under the new tag in a registry repository, or a second name for the
//! same image in the local store (`hoist:NAME`).

use clap::Args;

use super::image_common::{fail, parse_ref, CommonArgs};
use hoist::copy::{CopyError, ImageDest, ImageSource};
use hoist::copy::{RegistryDest, RegistrySource};
use hoist::oci::layout::OciLayout;
use hoist::oci::reference::{is_valid_layout_tag, is_valid_tag, ImageRef};

#[derive(Args, Debug)]
#[command(
    after_help = "Examples:\n  hoist tag oci:./layout:v1 latest\n  hoist tag localhost:5000/app:v1 stable\n  hoist tag hoist:app:dev v2"
)]
pub struct TagArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Image reference (an OCI layout, a registry image or a local-store `hoist:NAME`)
    pub image: String,
    /// The new tag (just the tag, e.g. `v1.2`)
    pub new_tag: String,
}

pub fn run(a: TagArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn bad_tag(tag: &str) -> i32 {
    super::report_error(
        &format!("invalid tag {tag:?}"),
        Some("a tag is letters, digits, '_', '.' and '-', at most 128 characters"),
    );
    super::EXIT_USAGE
}

fn inner(a: &TagArgs) -> Result<i32, i32> {
    let r = parse_ref(&a.image, "image")?;
    match &r {
        ImageRef::OciLayout { dir, tag } => {
            if !is_valid_layout_tag(&a.new_tag) {
                return Err(bad_tag(&a.new_tag));
            }
            let run = || -> Result<(), CopyError> {
                let layout = OciLayout::open(dir)?;
                let desc = layout.resolve(tag.as_deref())?;
                layout.set_ref(&desc, Some(&a.new_tag))?;
                Ok(())
            };
            run().map_err(|e| fail(&e))?;
            println!("oci:{}:{}", dir.display(), a.new_tag);
        }
        ImageRef::Registry(reference) => {
            if !is_valid_tag(&a.new_tag) {
                return Err(bad_tag(&a.new_tag));
            }
            let target = reference.with_tag(&a.new_tag).map_err(|e| {
                super::report_error(&e.to_string(), None);
                super::EXIT_USAGE
            })?;
            let run = || -> Result<String, CopyError> {
                let mut src = RegistrySource::open(reference, &a.common.remote())?;
                let root = src.root()?;
                let mut dst = RegistryDest::open(&target, &a.common.remote())?;
                dst.commit(&root)?;
                Ok(format!("{target}@{}", root.digest))
            };
            println!("{}", run().map_err(|e| fail(&e))?);
        }
        ImageRef::Store(name) => {
            if !is_valid_tag(&a.new_tag) {
                return Err(bad_tag(&a.new_tag));
            }
            let target = name.with_tag(&a.new_tag).map_err(|e| {
                super::report_error(&e.to_string(), None);
                super::EXIT_USAGE
            })?;
            let run = || -> Result<(), CopyError> {
                let store = hoist::oci::Store::open_default()?;
                let root = hoist::copy::open::store_source(&store, name)?.root()?;
                store.set_ref(&target.to_string(), &root.digest)?;
                Ok(())
            };
            run().map_err(|e| fail(&e))?;
            println!("hoist:{target}");
        }
        other => {
            super::report_error(
                &format!("cannot tag {other}: archives hold their names in the file"),
                Some("copy the image with the new name instead: hoist copy SRC docker-archive:FILE:NAME"),
            );
            return Err(super::EXIT_USAGE);
        }
    }
    Ok(super::EXIT_OK)
}
