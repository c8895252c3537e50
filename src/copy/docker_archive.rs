//! `docker-archive:FILE[:NAME]` (`docker save` / `docker load` tars) as copy source and
//! destination. Not content-addressed like the other file transports: the source presents
//! `manifest.json` as a Docker schema 2 manifest (canonical JSON, so one archive always gives
//! one digest), and the destination stores layers as uncompressed tars checked against the
//! config's diffIDs.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use oci_spec::image::Descriptor;
use serde_json::json;

use super::cas::transport_name;
use super::engine::{BlobKind, DestCaps, ImageDest, ImageSource};
use super::error::CopyError;
use crate::oci::archive::{self, ArchiveError, DockerArchiveWriter, TarIndex};
use crate::oci::digest::{digest_bytes, Digest, Sha256Writer};
use crate::oci::image::{diff_ids, media_type_str, parse_config, RawManifest};
use crate::oci::json::to_canonical_vec;
use crate::oci::layout::{LayoutError, MAX_CONFIG_SIZE};
use crate::oci::media::{self, layer_compression, LayerCompression};

/// A `docker save` archive as a source. The image is presented as a Docker schema 2 manifest
/// built from `manifest.json` (written with the canonical JSON writer, so the same archive
/// always gives the same manifest digest); its config keeps its bytes and digest.
pub struct DockerArchiveSource {
    file: PathBuf,
    name: Option<String>,
    tar: TarIndex,
    manifest: RawManifest,
    /// Blob digest -> member name.
    members: Vec<(Digest, String)>,
}

impl DockerArchiveSource {
    /// Open `file` and select the image named `names` (any spelling of one `repo:tag`), or the
    /// only image when `names` is empty.
    pub fn open(file: &Path, names: &[String]) -> Result<DockerArchiveSource, CopyError> {
        let tar = TarIndex::open(file)?;
        let entries = archive::read_docker_manifest(&tar, file)?;
        let entry = archive::select_docker_entry(&entries, names, file)?.clone();
        let config_bytes = tar.read_member(&entry.config, MAX_CONFIG_SIZE)?;
        let config_digest = digest_bytes(&config_bytes);
        let ids = diff_ids(&parse_config(&config_bytes)?)?;
        if ids.len() != entry.layers.len() {
            return Err(ArchiveError::Manifest {
                path: file.to_path_buf(),
                reason: format!(
                    "the config lists {} diffIDs but manifest.json {} layers",
                    ids.len(),
                    entry.layers.len()
                ),
            }
            .into());
        }
        let mut members = vec![(config_digest.clone(), entry.config.clone())];
        let mut layers = Vec::new();
        for (member, diff_id) in entry.layers.iter().zip(ids) {
            let size = tar
                .size(member)
                .ok_or_else(|| ArchiveError::MissingMember {
                    path: file.to_path_buf(),
                    member: member.clone(),
                })?;
            let compression = archive::sniff_member(&tar, member)?;
            let digest = if compression == LayerCompression::None {
                // An uncompressed layer's digest is its diffID (verified when streamed).
                diff_id
            } else {
                let mut w = Sha256Writer::sink();
                io::copy(&mut tar.open_member(member)?, &mut w).map_err(|source| {
                    ArchiveError::Io {
                        path: file.to_path_buf(),
                        source,
                    }
                })?;
                w.finish().1
            };
            layers.push(json!({
                "mediaType": archive::docker_layer_media_type(compression),
                "digest": digest.to_string(),
                "size": size,
            }));
            members.push((digest, member.clone()));
        }
        let manifest = json!({
            "schemaVersion": 2,
            "mediaType": media::DOCKER_MANIFEST,
            "config": {
                "mediaType": media::DOCKER_CONFIG,
                "digest": config_digest.to_string(),
                "size": config_bytes.len(),
            },
            "layers": layers,
        });
        let manifest = RawManifest::new(to_canonical_vec(&manifest)?, None)?;
        Ok(DockerArchiveSource {
            file: file.to_path_buf(),
            name: names.first().cloned(),
            tar,
            manifest,
            members,
        })
    }

    /// The `RepoTags` of every image in an archive.
    pub fn list_tags(file: &Path) -> Result<Vec<String>, CopyError> {
        let tar = TarIndex::open(file)?;
        Ok(archive::read_docker_manifest(&tar, file)?
            .into_iter()
            .flat_map(|e| e.repo_tags)
            .collect())
    }
}

impl ImageSource for DockerArchiveSource {
    fn describe(&self) -> String {
        transport_name("docker-archive", &self.file, self.name.as_deref())
    }

    fn root(&mut self) -> Result<RawManifest, CopyError> {
        Ok(self.manifest.clone())
    }

    fn manifest(&mut self, desc: &Descriptor) -> Result<RawManifest, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        if d == self.manifest.digest {
            return Ok(self.manifest.clone());
        }
        Err(LayoutError::MissingBlob {
            where_: self.describe(),
            digest: d,
        }
        .into())
    }

    fn blob(&mut self, desc: &Descriptor) -> Result<Box<dyn Read + '_>, CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let Some((_, member)) = self.members.iter().find(|(m, _)| *m == d) else {
            return Err(LayoutError::MissingBlob {
                where_: self.describe(),
                digest: d,
            }
            .into());
        };
        Ok(Box::new(self.tar.open_member(member)?))
    }
}

/// A `docker load`-able archive as a destination (one image; an existing file is replaced).
pub struct DockerArchiveDest {
    file: PathBuf,
    tags: Vec<String>,
    writer: Option<DockerArchiveWriter>,
    config_seen: bool,
}

impl DockerArchiveDest {
    /// Start writing `file`; `tags` go to `RepoTags` (`repo:tag`, Docker's short form).
    pub fn create(file: &Path, tags: Vec<String>) -> Result<DockerArchiveDest, CopyError> {
        Ok(DockerArchiveDest {
            file: file.to_path_buf(),
            tags,
            writer: Some(DockerArchiveWriter::create(file)?),
            config_seen: false,
        })
    }

    fn writer(&mut self) -> Result<&mut DockerArchiveWriter, CopyError> {
        let reference = self.describe();
        self.writer.as_mut().ok_or(CopyError::Unsupported {
            reference,
            reason: "archive already committed".to_string(),
        })
    }
}

impl ImageDest for DockerArchiveDest {
    fn describe(&self) -> String {
        transport_name(
            "docker-archive",
            &self.file,
            self.tags.first().map(String::as_str),
        )
    }

    fn scratch_dir(&self) -> Option<PathBuf> {
        match self.file.parent() {
            Some(p) if !p.as_os_str().is_empty() => Some(p.to_path_buf()),
            _ => Some(PathBuf::from(".")),
        }
    }

    fn caps(&self) -> DestCaps {
        DestCaps {
            index: false,
            artifacts: false,
        }
    }

    fn has_blob(&mut self, _desc: &Descriptor) -> Result<bool, CopyError> {
        Ok(false)
    }

    fn put_blob(
        &mut self,
        desc: &Descriptor,
        kind: &BlobKind,
        data: &mut dyn Read,
        _source_path: Option<&Path>,
    ) -> Result<(), CopyError> {
        let d = Digest::from_oci(desc.digest())?;
        let reference = self.describe();
        match kind {
            BlobKind::Config => {
                let mut bytes = Vec::new();
                data.take(MAX_CONFIG_SIZE)
                    .read_to_end(&mut bytes)
                    .map_err(|source| CopyError::Blob {
                        reference,
                        digest: d.clone(),
                        source,
                    })?;
                let ids = diff_ids(&parse_config(&bytes)?)?;
                self.writer()?.put_config(&d, &bytes, ids)?;
                self.config_seen = true;
                Ok(())
            }
            BlobKind::Layer if self.config_seen => {
                let mt = media_type_str(desc);
                let compression = layer_compression(&mt).ok_or_else(|| CopyError::Unsupported {
                    reference: reference.clone(),
                    reason: format!("layer {d} has media type {mt}, which docker load cannot read"),
                })?;
                if compression == LayerCompression::None {
                    self.writer()?.put_tar_layer_sized(&d, desc.size(), data)?;
                } else {
                    self.writer()?.put_layer(&d, compression, data)?;
                }
                Ok(())
            }
            _ => Err(CopyError::Unsupported {
                reference,
                reason: format!("blob {d} is not part of a container image"),
            }),
        }
    }

    fn put_manifest(&mut self, m: &RawManifest) -> Result<(), CopyError> {
        Err(CopyError::Unsupported {
            reference: self.describe(),
            reason: format!("cannot hold index child manifest {}", m.digest),
        })
    }

    fn commit(&mut self, _root: &RawManifest) -> Result<(), CopyError> {
        let reference = self.describe();
        let w = self.writer.take().ok_or(CopyError::Unsupported {
            reference,
            reason: "archive already committed".to_string(),
        })?;
        w.finish(&self.tags)?;
        Ok(())
    }
}
