//! Typed views of instruction flags: `--mount`, `--network`, `--security`, `--from`, `--chown`,
//! `--chmod`, `--link`, `--parents`, `--exclude`, `--checksum`, `--keep-git-dir`, `--platform`,
//! and HEALTHCHECK durations. (Being written.)
