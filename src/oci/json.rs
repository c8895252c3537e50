//! Canonical JSON for manifests, indexes and configs.
//!
//! `oci-spec` serializes its `HashMap` fields (annotations, labels, exposed ports…) in a random
//! order, so serializing the same manifest twice can give different bytes and different
//! digests. Everything hoist writes or pushes goes through [`to_canonical_vec`]: the value is
//! turned into a `serde_json::Value` and written here with object keys sorted (by their UTF-8
//! bytes) at every level and no insignificant whitespace. Strings and numbers use serde_json's
//! own formatting. The walk is hand-written (a few lines) so the order does not depend on
//! whether some other crate turned on serde_json's `preserve_order` feature.
//!
//! The bytes hashed are the bytes written: never re-serialize a document that came from
//! elsewhere, keep its raw bytes.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use super::digest::{digest_bytes, Digest};

/// A value could not be turned into JSON.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    /// serde_json failed (e.g. a map with non-string keys).
    #[error("cannot serialize to JSON: {0}")]
    Serialize(#[from] serde_json::Error),
    /// Writing the output failed.
    #[error("cannot write JSON: {0}")]
    Io(#[from] std::io::Error),
}

/// Serialize `value` canonically: sorted keys, compact.
pub fn to_canonical_vec<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>, JsonError> {
    let v = serde_json::to_value(value)?;
    let mut out = Vec::with_capacity(256);
    write_value(&mut out, &v)?;
    Ok(out)
}

/// Serialize canonically and return the bytes together with their sha256 digest.
pub fn to_canonical_with_digest<T: Serialize + ?Sized>(
    value: &T,
) -> Result<(Vec<u8>, Digest), JsonError> {
    let bytes = to_canonical_vec(value)?;
    let d = digest_bytes(&bytes);
    Ok((bytes, d))
}

fn write_value(out: &mut Vec<u8>, v: &Value) -> Result<(), JsonError> {
    match v {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
            out.push(b'{');
            for (i, (k, val)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                serde_json::to_writer(&mut *out, k)?;
                out.push(b':');
                write_value(out, val)?;
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item)?;
            }
            out.push(b']');
        }
        other => {
            serde_json::to_writer(&mut *out, other)?;
        }
    }
    Ok(())
}

/// Write canonical JSON to any writer.
pub fn to_canonical_writer<W: Write, T: Serialize + ?Sized>(
    mut w: W,
    value: &T,
) -> Result<(), JsonError> {
    let bytes = to_canonical_vec(value)?;
    w.write_all(&bytes)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn keys_sorted_at_every_level_and_compact() {
        let mut inner = HashMap::new();
        for k in ["zeta", "alpha", "Mid", "beta"] {
            inner.insert(k.to_string(), k.len());
        }
        let v = serde_json::json!({"b": [ {"y": 1, "x": "é\"\n"} ], "a": inner, "c": null});
        let s = String::from_utf8(to_canonical_vec(&v).unwrap()).unwrap();
        assert_eq!(
            s,
            r#"{"a":{"Mid":3,"alpha":5,"beta":4,"zeta":4},"b":[{"x":"é\"\n","y":1}],"c":null}"#
        );
    }

    #[test]
    fn hashmap_fields_serialize_identically() {
        // Many insertion orders: random-order HashMaps must still give one byte string.
        let mut outputs = std::collections::BTreeSet::new();
        for n in 0..20 {
            let mut m = HashMap::new();
            for i in 0..30 {
                let k = (i * 7 + n) % 30;
                m.insert(format!("org.example.label{k}"), format!("v{k}"));
            }
            outputs.insert(to_canonical_vec(&m).unwrap());
        }
        assert_eq!(outputs.len(), 1);
    }

    #[test]
    fn oci_manifest_is_stable() {
        use oci_spec::image::{DescriptorBuilder, ImageManifestBuilder, MediaType};
        let d = super::super::digest::digest_bytes(b"{}");
        let cfg = DescriptorBuilder::default()
            .media_type(MediaType::ImageConfig)
            .size(2u64)
            .digest(d.to_oci().unwrap())
            .build()
            .unwrap();
        let mut ann = HashMap::new();
        for i in 0..16 {
            ann.insert(format!("k{i}"), format!("v{i}"));
        }
        let m = ImageManifestBuilder::default()
            .schema_version(2u32)
            .media_type(MediaType::ImageManifest)
            .config(cfg)
            .layers(vec![])
            .annotations(ann)
            .build()
            .unwrap();
        let (a, da) = to_canonical_with_digest(&m).unwrap();
        let (b, db) = to_canonical_with_digest(&m.clone()).unwrap();
        assert_eq!(a, b);
        assert_eq!(da, db);
        let text = String::from_utf8(a).unwrap();
        assert!(text.starts_with(r#"{"annotations":{"k0":"v0","k1":"v1","k10":"v10""#));
        assert!(!text.contains(' '));
    }
}
