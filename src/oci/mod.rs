//! OCI core (work in progress).
