use std::fs;
use std::time::Instant;
use hoist::oci::layer::write_dir;
use hoist::oci::{unpack, Compression, LayerOptions, UnpackOptions, WalkOptions};
#[test]
fn perf() {
    let t = tempfile::tempdir().unwrap();
    let src = t.path().join("src");
    for a in 0..20 { for b in 0..10 { let d = src.join(format!("usr/share/a{a}/b{b}")); fs::create_dir_all(&d).unwrap();
        for c in 0..100 { fs::write(d.join(format!("f{c}")), format!("{a}{b}{c}").repeat(50)).unwrap(); } } }
    fs::write(src.join("big"), vec![7u8; 200<<20]).unwrap();
    for comp in [Compression::None, Compression::Gzip{level:6}, Compression::Zstd{level:3}] {
        let opts = LayerOptions { compression: comp, ..Default::default() };
        let s = Instant::now();
        let (blob, info) = write_dir(&src, Vec::new(), &opts, &WalkOptions::default()).unwrap();
        let w = s.elapsed();
        let dst = t.path().join(format!("dst{:?}", comp.kind()));
        fs::create_dir(&dst).unwrap();
        let s = Instant::now();
        let st = unpack::unpack_layer(&blob[..], &dst, &UnpackOptions::default()).unwrap();
        eprintln!("{comp:?}: size {} write {:?} unpack {:?} entries {}", info.size, w, s.elapsed(), st.entries);
    }
}
