//! The bundle: directories, files and archives as given, walked read-only into leaf files.
//!
//! Every leaf is hashed (SHA-256 of its bytes as stored, before its own gzip layer is undone) and
//! named by the path given plus `!/member` for each archive level. Anything refused (links,
//! unsafe archive paths, bombs, unreadable files) becomes an [`Entry::Refused`] with a reason.

mod archive;
pub use archive::unsafe_path as unsafe_member;
pub mod gzip;
pub mod limits;
pub mod span;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use limits::{magic, read_head, Bounded, Counting, Magic};
pub use limits::{Budget, Limits};

/// The bytes of one leaf file.
#[derive(Clone)]
pub enum Content {
    Disk(PathBuf),
    Memory(Arc<[u8]>),
    /// A large archive member spilled into the case's tmp dir; removed when the last clone drops.
    Temp(Arc<TempFile>),
}

/// A file in the case's tmp dir that is removed on drop.
pub struct TempFile(pub PathBuf);

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// A file found in the bundle, ready to be read for records.
#[derive(Clone)]
pub struct Leaf {
    /// Path as given, with `!/member` appended per archive level.
    pub path: String,
    pub sha256: String,
    /// Size as stored (compressed size for a gzip file).
    pub size: u64,
    pub content: Content,
    /// The decompression allowance of the file on disk this leaf is, or came out of.
    pub budget: Arc<Budget>,
}

impl Leaf {
    /// Opens the leaf's decompressed bytes. A gzip layer is undone here, bounded by `limits`.
    pub fn open(&self, limits: &Limits) -> io::Result<Box<dyn BufRead + Send>> {
        Ok(self.open_noting(limits)?.0)
    }

    /// [`Leaf::open`], and where a gzip layer tells what followed its last member.
    pub fn open_noting(
        &self,
        limits: &Limits,
    ) -> io::Result<(Box<dyn BufRead + Send>, Option<gzip::GzTail>)> {
        let mut raw = BufReader::with_capacity(64 << 10, open_raw(&self.content)?);
        if magic(raw.fill_buf()?) != Magic::Gzip {
            return Ok((Box::new(raw), None));
        }
        let (counting, consumed) = Counting::new(raw);
        let (members, tail) = gzip::GzMembers::new(BufReader::with_capacity(64 << 10, counting));
        let decoder = Bounded::new(
            members,
            consumed,
            limits.max_file_bytes,
            limits,
            self.budget.clone(),
        );
        Ok((
            Box::new(BufReader::with_capacity(64 << 10, decoder)),
            Some(tail),
        ))
    }
}

/// One thing the walk found.
pub enum Entry {
    Leaf(Leaf),
    Refused {
        path: String,
        sha256: Option<String>,
        reason: String,
    },
}

/// Walks `inputs` in order (directory entries sorted by name), calling `sink` for each entry.
/// Stops early, without error, when `cancel` is set.
pub struct Walk<'a> {
    pub limits: &'a Limits,
    pub tmp_dir: &'a Path,
    pub cancel: &'a AtomicBool,
    pub temp_counter: AtomicU64,
    /// A folder never read as evidence: the case's own, should it sit inside the bundle.
    pub skip: Option<&'a Path>,
}

type Sink<'s> = dyn FnMut(Entry) -> crate::Result<()> + 's;

impl Walk<'_> {
    pub fn run(&self, inputs: &[PathBuf], sink: &mut Sink) -> crate::Result<()> {
        for input in inputs {
            let meta = std::fs::metadata(input).map_err(|e| crate::Error::io(input, e))?;
            let shown = path_text(input);
            if self.is_skipped(input) {
                sink(skipped_case(shown))?;
            } else if meta.is_dir() {
                self.dir(input, &shown, sink)?;
            } else if meta.is_file() {
                self.file(input, shown, sink)?;
            } else {
                // A pipe or a device would block or never end: only regular files are read,
                // whether given by name or found in a folder.
                sink(Entry::Refused {
                    path: shown,
                    sha256: None,
                    reason: "not a regular file (a pipe, socket or device): not read".to_string(),
                })?;
            }
        }
        Ok(())
    }

    fn is_skipped(&self, path: &Path) -> bool {
        let Some(skip) = self.skip else {
            return false;
        };
        match (path.canonicalize(), skip.canonicalize()) {
            (Ok(p), Ok(s)) => p == s,
            _ => false,
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    fn dir(&self, dir: &Path, shown: &str, sink: &mut Sink) -> crate::Result<()> {
        let mut children: Vec<_> = match std::fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok()).collect(),
            Err(e) => {
                return sink(Entry::Refused {
                    path: shown.to_string(),
                    sha256: None,
                    reason: format!("cannot read directory: {e}"),
                })
            }
        };
        children.sort_by_key(|e| e.file_name());
        for child in children {
            if self.cancelled() {
                return Ok(());
            }
            let path = child.path();
            let child_shown = format!(
                "{}/{}",
                shown.trim_end_matches('/'),
                name_text(&child.file_name())
            );
            let Ok(kind) = child.file_type() else {
                continue;
            };
            if kind.is_dir() && self.is_skipped(&path) {
                sink(skipped_case(child_shown))?;
            } else if kind.is_symlink() {
                sink(Entry::Refused {
                    path: child_shown,
                    sha256: None,
                    reason: "symbolic link not followed".to_string(),
                })?;
            } else if kind.is_dir() {
                self.dir(&path, &child_shown, sink)?;
            } else if kind.is_file() {
                self.file(&path, child_shown, sink)?;
            } else {
                sink(Entry::Refused {
                    path: child_shown,
                    sha256: None,
                    reason: "not a regular file".to_string(),
                })?;
            }
        }
        Ok(())
    }

    fn file(&self, path: &Path, shown: String, sink: &mut Sink) -> crate::Result<()> {
        let (sha256, size) = match hash_file(path) {
            Ok(h) => h,
            Err(e) => {
                return sink(Entry::Refused {
                    path: shown,
                    sha256: None,
                    reason: format!("cannot read file: {e}"),
                })
            }
        };
        let leaf = Leaf {
            path: shown,
            sha256,
            size,
            content: Content::Disk(path.to_path_buf()),
            budget: Arc::new(Budget::new(size, self.limits)),
        };
        self.leaf_or_archive(leaf, 0, sink)
    }

    /// Expands archives (recursively, up to the depth limit); passes other files to `sink`.
    fn leaf_or_archive(&self, leaf: Leaf, depth: u32, sink: &mut Sink) -> crate::Result<()> {
        let kind = match sniff_archive(&leaf, self.limits) {
            Ok(kind) => kind,
            Err(e) => return sink(refused(&leaf, format!("cannot read file: {e}"))),
        };
        let Some(kind) = kind else {
            return sink(Entry::Leaf(leaf));
        };
        if depth >= self.limits.max_depth {
            return sink(refused(
                &leaf,
                format!(
                    "archive nested deeper than {} levels",
                    self.limits.max_depth
                ),
            ));
        }
        // The archive itself is recorded so the report accounts for it; its members follow.
        archive::expand(self, &leaf, kind, depth, sink)
    }

    fn next_temp_path(&self) -> PathBuf {
        let n = self.temp_counter.fetch_add(1, Ordering::Relaxed);
        self.tmp_dir.join(format!("member-{n}"))
    }
}

fn skipped_case(path: String) -> Entry {
    Entry::Refused {
        path,
        sha256: None,
        reason: "the case's own folder: not evidence, not read".to_string(),
    }
}

/// A path as text, losslessly: bytes that are not UTF-8 are written `\xHH`, so that the name
/// shown and stored leads back to the file ([`path_of`]). Valid names are unchanged.
pub fn path_text(path: &Path) -> String {
    name_text(path.as_os_str())
}

fn name_text(name: &std::ffi::OsStr) -> String {
    if let Some(text) = name.to_str() {
        return text.to_string();
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let mut out = String::new();
        for chunk in name.as_bytes().utf8_chunks() {
            out.push_str(chunk.valid());
            for b in chunk.invalid() {
                out.push_str(&format!("\\x{b:02X}"));
            }
        }
        out
    }
    #[cfg(not(unix))]
    {
        name.to_string_lossy().into_owned()
    }
}

/// The path a text made by [`path_text`] names: as written when that exists, else with its
/// `\xHH` escapes turned back into bytes.
pub fn path_of(text: &str) -> PathBuf {
    let plain = PathBuf::from(text);
    if !text.contains("\\x") || plain.exists() {
        return plain;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStringExt;
        let bytes = text.as_bytes();
        let mut out = Vec::with_capacity(bytes.len());
        let mut i = 0;
        while i < bytes.len() {
            let escaped = bytes.get(i..i + 4).filter(|b| b.starts_with(b"\\x"));
            match escaped.and_then(|b| std::str::from_utf8(&b[2..]).ok()) {
                Some(hex) if u8::from_str_radix(hex, 16).is_ok() => {
                    out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                    i += 4;
                }
                _ => {
                    out.push(bytes[i]);
                    i += 1;
                }
            }
        }
        PathBuf::from(std::ffi::OsString::from_vec(out))
    }
    #[cfg(not(unix))]
    {
        plain
    }
}

fn refused(leaf: &Leaf, reason: String) -> Entry {
    Entry::Refused {
        path: leaf.path.clone(),
        sha256: Some(leaf.sha256.clone()),
        reason,
    }
}

/// Which archive container a leaf is, looking through one gzip layer for tar.
fn sniff_archive(leaf: &Leaf, limits: &Limits) -> io::Result<Option<archive::Kind>> {
    let mut raw = open_raw(&leaf.content)?;
    let head = read_head(&mut raw, 512)?;
    Ok(match magic(&head) {
        Magic::Zip => Some(archive::Kind::Zip),
        Magic::Tar => Some(archive::Kind::Tar),
        Magic::Gzip => {
            let mut inner = leaf.open(limits)?;
            match read_head(&mut inner, 512) {
                Ok(h) if magic(&h) == Magic::Tar => Some(archive::Kind::TarGz),
                _ => None,
            }
        }
        Magic::Other => None,
    })
}

fn open_raw(content: &Content) -> io::Result<Box<dyn Read + Send>> {
    Ok(match content {
        Content::Disk(p) => Box::new(File::open(p)?),
        Content::Temp(t) => Box::new(File::open(&t.0)?),
        Content::Memory(bytes) => Box::new(Cursor::new(bytes.clone())),
    })
}

fn hash_file(path: &Path) -> io::Result<(String, u64)> {
    let mut file = File::open(path)?;
    let mut hasher = Sha256::new();
    let size = io::copy(&mut file, &mut hasher)?;
    Ok((hex(&hasher.finalize()), size))
}

/// Lowercase hex of bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Lower- or upper-case hex to bytes; `None` for odd lengths or other characters.
pub fn unhex(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// SHA-256 of bytes as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}
