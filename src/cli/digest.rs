//! `hoist digest REF`: print the digest of the manifest or index a reference names (with
//! `--platform`, of that platform's manifest).

use clap::Args;

use super::image_common::{fail, open_source, parse_ref, CommonArgs};
use hoist::copy::resolve_platform;

#[derive(Args, Debug)]
pub struct DigestArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Image reference
    pub image: String,
}

pub fn run(a: DigestArgs) -> i32 {
    match inner(&a) {
        Ok(c) | Err(c) => c,
    }
}

fn inner(a: &DigestArgs) -> Result<i32, i32> {
    let platform = a.common.platform()?;
    let r = parse_ref(&a.image, "image")?;
    let mut s = open_source(&r, &a.common).map_err(|e| fail(&e))?;
    let mut m = s.root().map_err(|e| fail(&e))?;
    if platform.is_some() {
        m = resolve_platform(s.as_mut(), m, platform.as_ref()).map_err(|e| fail(&e))?;
    }
    println!("{}", m.digest);
    Ok(super::EXIT_OK)
}
