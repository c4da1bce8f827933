//! Build script. For Windows targets it compiles `installers/windows/credtray.rc.in` (the
//! icon, the version information from Cargo.toml, the manifest) with mingw-w64's `windres`
//! and links the result into the `credtray` executable. For every other target it does
//! nothing (no build dependency either: `windres` is called directly).
//!
//! `WINDRES` names another `windres`; by default `<arch>-w64-mingw32-windres`.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=WINDRES");
    let dir = Path::new("installers/windows");
    for file in ["credtray.rc.in", "credtray.ico", "credtray.manifest"] {
        println!("cargo:rerun-if-changed={}", dir.join(file).display());
    }
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if target_os != "windows" {
        return;
    }
    if env::var("CARGO_CFG_TARGET_ENV").as_deref() != Ok("gnu") {
        println!(
            "cargo:warning=the Windows resources (icon, version) are built for the GNU target only"
        );
        return;
    }
    let root = PathBuf::from(env::var_os("CARGO_MANIFEST_DIR").expect("CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    let arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_else(|_| "x86_64".into());
    let windres = env::var("WINDRES").unwrap_or_else(|_| format!("{arch}-w64-mingw32-windres"));

    let path = |file: &str| {
        // windres reads forward slashes on every host; quotes and backslashes would need
        // escaping in the .rc string.
        let p = root.join(dir).join(file).display().to_string();
        assert!(!p.contains('"'), "a quote in the source path: {p}");
        p.replace('\\', "/")
    };
    let template = std::fs::read_to_string(root.join(dir).join("credtray.rc.in"))
        .expect("installers/windows/credtray.rc.in");
    let version = env::var("CARGO_PKG_VERSION").expect("CARGO_PKG_VERSION");
    let number = |v: &str| {
        env::var(v)
            .ok()
            .and_then(|n| n.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let rc = template
        .replace("@ICON@", &path("credtray.ico"))
        .replace("@MANIFEST@", &path("credtray.manifest"))
        .replace("@VERSION@", &version)
        .replace("@MAJOR@", &number("CARGO_PKG_VERSION_MAJOR").to_string())
        .replace("@MINOR@", &number("CARGO_PKG_VERSION_MINOR").to_string())
        .replace("@PATCH@", &number("CARGO_PKG_VERSION_PATCH").to_string());
    let rc_path = out.join("credtray.rc");
    std::fs::write(&rc_path, rc).expect("writing credtray.rc");
    let object = out.join("credtray-resources.o");
    let status = Command::new(&windres)
        .arg("--input")
        .arg(&rc_path)
        .arg("--output")
        .arg(&object)
        .arg("--output-format=coff")
        .status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!("{windres} failed ({s}) on {}", rc_path.display()),
        Err(e) => panic!(
            "cannot run {windres} ({e}): install mingw-w64 (Debian: gcc-mingw-w64-x86-64) or set WINDRES"
        ),
    }
    // Only the executable gets the icon and version (not tests or examples).
    println!("cargo:rustc-link-arg-bins={}", object.display());
}
