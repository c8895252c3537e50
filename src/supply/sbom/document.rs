//! What every SBOM document carries besides the packages: its creation time
//! (`SOURCE_DATE_EPOCH` when set, so output is reproducible; else now) and a UUID naming it,
//! derived (UUID v5) from the inventory and the creation time — unique per subject content and
//! time, identical for identical inputs.

use uuid::Uuid;

use super::model::Sbom;

/// `SOURCE_DATE_EPOCH` is set but not a whole number of seconds.
#[derive(Debug, thiserror::Error)]
#[error("SOURCE_DATE_EPOCH={0:?} is not a non-negative whole number of seconds; unset it or set e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)")]
pub struct EpochError(pub String);

/// Document metadata.
#[derive(Clone, Debug)]
pub struct DocMeta {
    /// Creation time, RFC 3339 UTC (`2024-05-01T12:00:00Z`).
    pub created: String,
    /// Document UUID.
    pub uuid: Uuid,
    /// `hoist-<version>`.
    pub tool: String,
}

impl DocMeta {
    /// Metadata for `sbom`, with the time from `SOURCE_DATE_EPOCH` or the clock.
    pub fn new(sbom: &Sbom) -> Result<DocMeta, EpochError> {
        let secs = match std::env::var("SOURCE_DATE_EPOCH") {
            Ok(v) if !v.trim().is_empty() => v.trim().parse::<u64>().map_err(|_| EpochError(v))?,
            _ => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
        };
        Ok(DocMeta::at(sbom, secs))
    }

    /// Metadata for `sbom` created at `secs` since the epoch.
    pub fn at(sbom: &Sbom, secs: u64) -> DocMeta {
        let created = rfc3339(secs);
        let mut name = serde_json::to_vec(sbom).unwrap_or_default();
        name.extend_from_slice(created.as_bytes());
        DocMeta {
            created,
            uuid: Uuid::new_v5(&Uuid::NAMESPACE_URL, &name),
            tool: format!("hoist-{}", env!("CARGO_PKG_VERSION")),
        }
    }
}

/// Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ` (the OCI model's formatter).
pub fn rfc3339(secs: u64) -> String {
    crate::oci::assemble::rfc3339(i64::try_from(secs).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
