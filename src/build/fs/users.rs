//! User and group lookup in an image's `/etc/passwd` and `/etc/group`, with Docker's rules:
//! for `USER`, a numeric uid need not exist (gid then defaults to 0 unless the passwd entry
//! exists), a name must exist, and without an explicit group the user's supplementary groups
//! come from `/etc/group` (runc's `GetExecUser`); for `COPY --chown`, BuildKit's rules: a name
//! takes its primary gid from passwd, a bare uid doubles as the gid, a group name must exist.

use super::{FsError, LayerStack};

/// Resolved ids for USER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ids {
    /// User id.
    pub uid: u32,
    /// Primary group id.
    pub gid: u32,
    /// Supplementary groups (from /etc/group when no group was given).
    pub additional_gids: Vec<u32>,
}

/// /etc/passwd and /etc/group are read up to this size.
const MAX_DB: u64 = 16 << 20;

struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
}

struct GroupEntry {
    name: String,
    gid: u32,
    members: Vec<String>,
}

fn read_db(view: &LayerStack, path: &str) -> Result<String, FsError> {
    Ok(view
        .read_file(path, MAX_DB)?
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default())
}

fn passwd(view: &LayerStack) -> Result<Vec<PasswdEntry>, FsError> {
    let text = read_db(view, "/etc/passwd")?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(PasswdEntry {
                name: f.first()?.to_string(),
                uid: f.get(2)?.trim().parse().ok()?,
                gid: f.get(3)?.trim().parse().ok()?,
            })
        })
        .collect())
}

fn groups(view: &LayerStack) -> Result<Vec<GroupEntry>, FsError> {
    let text = read_db(view, "/etc/group")?;
    Ok(text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(GroupEntry {
                name: f.first()?.to_string(),
                gid: f.get(2)?.trim().parse().ok()?,
                members: f
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .map(|s| s.trim().to_string())
                            .filter(|s| !s.is_empty())
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect())
}

fn split_spec(spec: &str) -> Result<(&str, Option<&str>), FsError> {
    let spec_t = spec.trim();
    let (u, g) = match spec_t.split_once(':') {
        Some((u, g)) => (u, Some(g)),
        None => (spec_t, None),
    };
    if u.is_empty() || g == Some("") {
        return Err(FsError::BadUser {
            spec: spec.to_string(),
            reason: "expected user, user:group, uid or uid:gid".to_string(),
        });
    }
    Ok((u, g))
}

fn numeric(s: &str) -> Option<u32> {
    if s.bytes().all(|b| b.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

fn group_id(view: &LayerStack, g: &str) -> Result<u32, FsError> {
    if let Some(n) = numeric(g) {
        return Ok(n);
    }
    groups(view)?
        .into_iter()
        .find(|e| e.name == g)
        .map(|e| e.gid)
        .ok_or_else(|| FsError::UnknownId {
            what: "group",
            name: g.to_string(),
            file: "group",
            stage: view.name().to_string(),
        })
}

/// Ids for `USER spec` ("name", "uid", "name:group", "uid:gid") in `view`.
pub fn lookup_user(view: &LayerStack, spec: &str) -> Result<Ids, FsError> {
    let (u, g) = split_spec(spec)?;
    let users = passwd(view)?;
    let entry = match numeric(u) {
        Some(n) => users.into_iter().find(|e| e.uid == n),
        None => {
            Some(
                users
                    .into_iter()
                    .find(|e| e.name == u)
                    .ok_or_else(|| FsError::UnknownId {
                        what: "user",
                        name: u.to_string(),
                        file: "passwd",
                        stage: view.name().to_string(),
                    })?,
            )
        }
    };
    let uid = match (&entry, numeric(u)) {
        (_, Some(n)) => n,
        (Some(e), None) => e.uid,
        (None, None) => 0,
    };
    if let Some(g) = g {
        return Ok(Ids {
            uid,
            gid: group_id(view, g)?,
            additional_gids: Vec::new(),
        });
    }
    let gid = entry.as_ref().map(|e| e.gid).unwrap_or(0);
    let mut additional_gids = Vec::new();
    if let Some(e) = &entry {
        for grp in groups(view)? {
            if grp.members.contains(&e.name) && !additional_gids.contains(&grp.gid) {
                additional_gids.push(grp.gid);
            }
        }
    }
    Ok(Ids {
        uid,
        gid,
        additional_gids,
    })
}

/// A `--chown` spec that names no user or group (`uid`, `uid:gid`): its ids without looking
/// at the image. `Ok(None)` when a name must be looked up with [`lookup_chown`].
pub fn numeric_chown(spec: &str) -> Result<Option<(u32, u32)>, FsError> {
    let (u, g) = split_spec(spec)?;
    Ok(match (numeric(u), g.map(numeric)) {
        (Some(uid), None) => Some((uid, uid)),
        (Some(uid), Some(Some(gid))) => Some((uid, gid)),
        _ => None,
    })
}

/// (uid, gid) for `--chown=spec` in `view`: "user", "user:group", numeric forms.
pub fn lookup_chown(view: &LayerStack, spec: &str) -> Result<(u32, u32), FsError> {
    let (u, g) = split_spec(spec)?;
    let (uid, default_gid) = match numeric(u) {
        Some(n) => (n, n),
        None => {
            let e = passwd(view)?
                .into_iter()
                .find(|e| e.name == u)
                .ok_or_else(|| FsError::UnknownId {
                    what: "user",
                    name: u.to_string(),
                    file: "passwd",
                    stage: view.name().to_string(),
                })?;
            (e.uid, e.gid)
        }
    };
    let gid = match g {
        Some(g) => group_id(view, g)?,
        None => default_gid,
    };
    Ok((uid, gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view() -> (tempfile::TempDir, LayerStack) {
        let t = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let etc = t.path().join("l/etc");
        std::fs::create_dir_all(&etc).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            etc.join("passwd"),
            "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(
            etc.join("group"),
            "root:x:0:\napp:x:1001:\nwheel:x:10:root,app\naudio:x:29:app\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let v = LayerStack::new(vec![t.path().join("l")]).named("stage base");
        (t, v)
    }

    #[test]
    fn user_rules() {
        let (_t, v) = view();
        let ids = lookup_user(&v, "app").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (ids.uid, ids.gid, ids.additional_gids),
            (1000, 1001, vec![10, 29])
        );
        let ids = lookup_user(&v, "1000").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (ids.uid, ids.gid),
            (1000, 1001),
            "numeric uid found in passwd"
        );
        let ids = lookup_user(&v, "4242").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ids.uid, ids.gid, ids.additional_gids), (4242, 0, vec![]));
        let ids = lookup_user(&v, "app:wheel").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ids.uid, ids.gid, ids.additional_gids), (1000, 10, vec![]));
        let ids = lookup_user(&v, "5:77").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((ids.uid, ids.gid), (5, 77));
        let e = lookup_user(&v, "nobody")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("\"nobody\"") && e.contains("stage base"), "{e}");
        let e = lookup_user(&v, "app:staff")
            .map(|_| ())
            .unwrap_err()
            .to_string();
        assert!(e.contains("group \"staff\""), "{e}");
        assert!(lookup_user(&v, ":1").is_err());
    }

    #[test]
    fn chown_rules() {
        let (_t, v) = view();
        assert_eq!(lookup_chown(&v, "app").ok(), Some((1000, 1001)));
        assert_eq!(lookup_chown(&v, "42").ok(), Some((42, 42)));
        assert_eq!(lookup_chown(&v, "42:7").ok(), Some((42, 7)));
        assert_eq!(lookup_chown(&v, "app:audio").ok(), Some((1000, 29)));
        assert_eq!(lookup_chown(&v, "0:wheel").ok(), Some((0, 10)));
        assert!(lookup_chown(&v, "ghost").is_err());
        assert!(lookup_chown(&v, "1:ghost").is_err());
        // Scratch: numeric works, names do not.
        let scratch = LayerStack::new(vec![]);
        assert_eq!(lookup_chown(&scratch, "1:2").ok(), Some((1, 2)));
        assert!(lookup_user(&scratch, "root").is_err());
    }
}
