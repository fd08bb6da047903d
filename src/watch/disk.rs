//! What `watch` reads of the files it follows: which are there (by identity), what kind each is,
//! and byte spans of them, decompressed when a rotation gzipped one.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

pub use crate::bundle::span::{hash_spans, read_span};

/// How many of a file's first bytes identify it when it turns up under another name.
pub const HEAD_BYTES: u64 = 4096;

/// A regular file under a followed path, as `stat` sees it now.
#[derive(Debug, Clone)]
pub struct OnDisk {
    pub path: PathBuf,
    pub text: String,
    /// Device and inode: the same file after a rename.
    pub identity: Option<(u64, u64)>,
    pub size: u64,
    pub modified: Option<SystemTime>,
}

/// How a file is taken in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Line-oriented text that may grow: imported range by range.
    Growing,
    /// Compressed, binary or one JSON document or CSV table: imported whole once it stops changing.
    Whole,
    /// gzip: a whole file, unless it is a rotated copy of a followed file.
    Gzip,
}

#[cfg(unix)]
fn identity(meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.dev(), meta.ino()))
}

#[cfg(not(unix))]
fn identity(_meta: &std::fs::Metadata) -> Option<(u64, u64)> {
    None
}

/// The regular files `path` holds (itself if it is one; a folder's files at any depth, by name;
/// for a followed file also its rotated siblings: names that start with its name). Links, FIFOs
/// and devices are never read: a FIFO would block the follower, a link leads out of what was
/// given. `skip` (the case's folder) is never entered.
pub fn list(path: &Path, skip: &Path, out: &mut Vec<OnDisk>) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    if meta.is_file() {
        let name = path.file_name().map(|n| n.to_string_lossy().to_string());
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty());
        let siblings = dir.and_then(|d| std::fs::read_dir(d).ok());
        let mut found = Vec::new();
        for entry in siblings.into_iter().flatten().flatten() {
            let sibling = entry.file_name().to_string_lossy().to_string();
            if name.as_deref().is_some_and(|n| sibling.starts_with(n)) {
                found.push(entry.path());
            }
        }
        if found.is_empty() {
            found.push(path.to_path_buf());
        }
        found.sort();
        for p in found {
            if let Some(f) = on_disk(&p) {
                out.push(f);
            }
        }
        return;
    }
    if !meta.is_dir() || path == skip {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    // The entry's type comes with the listing (no symlink is followed): no second look.
    let mut paths: Vec<(PathBuf, bool)> = entries
        .flatten()
        .map(|e| (e.path(), e.file_type().is_ok_and(|t| t.is_file())))
        .collect();
    paths.sort();
    for (p, is_file) in paths {
        // A folder lists each of its files once: the siblings a followed file brings along
        // (its rotated copies) are its entries already, and were listed twice (a rotated log
        // in a followed folder was imported twice by the first batch).
        if is_file {
            out.extend(on_disk(&p));
        } else {
            list(&p, skip, out);
        }
    }
}

fn on_disk(path: &Path) -> Option<OnDisk> {
    let meta = std::fs::symlink_metadata(path).ok()?;
    if !meta.is_file() {
        return None;
    }
    Some(OnDisk {
        path: path.to_path_buf(),
        text: crate::bundle::path_text(path),
        identity: identity(&meta),
        size: meta.len(),
        modified: meta.modified().ok(),
    })
}

/// Judges a file's kind from its first bytes (`None` while it is empty).
pub fn kind(path: &Path) -> io::Result<Option<Kind>> {
    let mut head = Vec::new();
    std::fs::File::open(path)?
        .take(64 << 10)
        .read_to_end(&mut head)?;
    if head.is_empty() {
        return Ok(None);
    }
    if head.starts_with(&[0x1f, 0x8b]) {
        return Ok(Some(Kind::Gzip));
    }
    let binary = head.starts_with(b"PK\x03\x04")
        || head.starts_with(crate::formats::windows::EVTX_MAGIC)
        || head.starts_with(b"PAR1")
        || head.contains(&0);
    if binary {
        return Ok(Some(Kind::Whole));
    }
    Ok(Some(match crate::record::sniff_shape(&head) {
        crate::record::Shape::Json if !json_lines(&head) => Kind::Whole,
        crate::record::Shape::Delimited(d) if crate::record::looks_like_header(&head, d) => {
            Kind::Whole
        }
        _ => Kind::Growing,
    }))
}

/// Whether JSON text is one value per line (it can grow by lines) rather than one document that
/// spans lines (which a cut at a line end would break).
fn json_lines(head: &[u8]) -> bool {
    let first = head.split(|&b| b == b'\n').next().unwrap_or(head);
    serde_json::from_slice::<serde::de::IgnoredAny>(first).is_ok()
}

/// SHA-256 of `bytes`, hex.
pub fn sha(bytes: &[u8]) -> String {
    crate::bundle::sha256_hex(bytes)
}
