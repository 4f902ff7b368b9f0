//! Embeds, for reports' provenance and `nerve bench`'s cell keys:
//! - `NERVE_GIT_COMMIT`: the git commit the binary is built from (`-dirty` with uncommitted
//!   changes to tracked files, `unknown` outside a checkout);
//! - `NERVE_SOURCE_HASH`: blake3 of every source file that goes into the binary (the crates'
//!   `src/` trees and manifests, `Cargo.lock`, this file; not tests, benches or Markdown), the
//!   enabled features, the profile and the compiler version. A commit that only touches docs or
//!   tests keeps the hash, so a bench's finished cells stay valid; any code change makes a new one.

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

/// Every file under `dir`, skipping tests, benches, build outputs and Markdown.
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !matches!(name.as_str(), "tests" | "benches" | "target" | "examples") && !name.starts_with('.') {
                sources(&path, out);
            }
        } else if !name.ends_with(".md") {
            out.push(path);
        }
    }
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let dirty = git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    println!("cargo:rustc-env=NERVE_GIT_COMMIT={commit}{}", if dirty { "-dirty" } else { "" });
    if let Some(dir) = git(&["rev-parse", "--git-dir"]) {
        for f in ["HEAD", "index"] {
            println!("cargo:rerun-if-changed={dir}/{f}");
        }
        if let Some(head_ref) = git(&["symbolic-ref", "-q", "HEAD"]) {
            println!("cargo:rerun-if-changed={dir}/{head_ref}");
        }
    }

    let root = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let mut files = Vec::new();
    for dir in ["src", "bodies", "envs", "controllers", "agents", "bench", "viewer"] {
        sources(&root.join(dir), &mut files);
        println!("cargo:rerun-if-changed={dir}");
    }
    for f in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        files.push(root.join(f));
        println!("cargo:rerun-if-changed={f}");
    }
    files.sort();
    let mut hasher = blake3::Hasher::new();
    for f in &files {
        let rel = f.strip_prefix(&root).unwrap_or(f);
        hasher.update(rel.to_string_lossy().as_bytes());
        hasher.update(&[0]);
        hasher.update(&std::fs::read(f).unwrap_or_default());
        hasher.update(&[0]);
    }
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let version = Command::new(rustc).arg("-V").output().map(|o| String::from_utf8_lossy(&o.stdout).into_owned()).unwrap_or_default();
    let mut features: Vec<String> = std::env::vars().filter(|(k, _)| k.starts_with("CARGO_FEATURE_")).map(|(k, _)| k).collect();
    features.sort();
    hasher.update(format!("{version}|{}|{}", std::env::var("PROFILE").unwrap_or_default(), features.join(",")).as_bytes());
    println!("cargo:rustc-env=NERVE_SOURCE_HASH={}", hasher.finalize().to_hex());
    println!("cargo:rerun-if-changed=build.rs");
}
