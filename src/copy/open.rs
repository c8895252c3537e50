//! Opening any image reference ([`ImageRef`]: registry, `oci:`, `oci-archive:`,
//! `docker-archive:`, `hoist:` for the local content store at [`Store::default_root`]) as a copy
//! source or destination.

use super::docker_archive::{DockerArchiveDest, DockerArchiveSource};
use super::engine::{ImageDest, ImageSource};
use super::error::CopyError;
use super::layout::{LayoutDest, LayoutSource};
use super::oci_archive::{OciArchiveDest, OciArchiveSource};
use super::registry::{RegistryDest, RegistrySource, RemoteOptions};
use super::store::{StoreDest, StoreSource};
use crate::oci::reference::{ImageRef, Reference};
use crate::oci::Store;

/// Open any reference as a source (registries over HTTP with `opts`).
pub fn open_source(r: &ImageRef, opts: &RemoteOptions) -> Result<Box<dyn ImageSource>, CopyError> {
    match r {
        ImageRef::Registry(reference) => Ok(Box::new(RegistrySource::open(reference, opts)?)),
        ImageRef::OciLayout { dir, tag } => Ok(Box::new(LayoutSource::open(dir, tag.as_deref())?)),
        ImageRef::OciArchive { file, tag } => {
            Ok(Box::new(OciArchiveSource::open(file, tag.as_deref())?))
        }
        ImageRef::DockerArchive { file, name } => {
            let names = name
                .as_ref()
                .map(|n| vec![n.familiar(), n.to_string()])
                .unwrap_or_default();
            Ok(Box::new(DockerArchiveSource::open(file, &names)?))
        }
        ImageRef::Store(name) => Ok(Box::new(store_source(&Store::open_default()?, name)?)),
    }
}

/// The store image named `name` (a `hoist:` reference) as a source; an unknown name is an
/// error that says how to list the names.
pub fn store_source(store: &Store, name: &Reference) -> Result<StoreSource, CopyError> {
    let key = name.to_string();
    if store.get_ref(&key)?.is_none() {
        return Err(CopyError::Unsupported {
            reference: format!("hoist:{key}"),
            reason: format!(
                "no image of that name in the local store at {} (`hoist images` lists them)",
                store.root().display()
            ),
        });
    }
    Ok(StoreSource::new(store.clone(), &key))
}

/// Open any reference as a destination (registries over HTTP with `opts`).
pub fn open_dest(r: &ImageRef, opts: &RemoteOptions) -> Result<Box<dyn ImageDest>, CopyError> {
    if let ImageRef::OciLayout { tag: Some(t), .. } | ImageRef::OciArchive { tag: Some(t), .. } = r
    {
        if t.starts_with('@') {
            return Err(CopyError::Unsupported {
                reference: r.to_string(),
                reason: "a digest names an image to read; write a layout with :TAG or none"
                    .to_string(),
            });
        }
    }
    match r {
        ImageRef::Registry(reference) => Ok(Box::new(RegistryDest::open(reference, opts)?)),
        ImageRef::OciLayout { dir, tag } => Ok(Box::new(LayoutDest::create(dir, tag.as_deref())?)),
        ImageRef::OciArchive { file, tag } => {
            Ok(Box::new(OciArchiveDest::create(file, tag.as_deref())?))
        }
        ImageRef::DockerArchive { file, name } => {
            let tags = name
                .as_ref()
                .map(|n| vec![n.familiar()])
                .unwrap_or_default();
            Ok(Box::new(DockerArchiveDest::create(file, tags)?))
        }
        ImageRef::Store(name) => Ok(Box::new(StoreDest::new(
            Store::open_default()?,
            Some(&name.to_string()),
        ))),
    }
}
