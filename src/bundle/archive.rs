//! Reading zip and tar (plain or gzipped) archives without trusting them: no member is written
//! outside the case, unsafe paths and links are refused, and sizes and ratios are bounded.

use std::fs::File;
use std::io::{self, Cursor, Read, Seek, Write};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::limits::{Bounded, Counting, ReadFault};
use super::{hex, open_raw, Content, Entry, Leaf, Sink, TempFile, Walk};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Zip,
    Tar,
    TarGz,
}

pub(super) fn expand(
    walk: &Walk,
    leaf: &Leaf,
    kind: Kind,
    depth: u32,
    sink: &mut Sink,
) -> crate::Result<()> {
    match kind {
        Kind::Zip => expand_zip(walk, leaf, depth, sink),
        Kind::Tar | Kind::TarGz => expand_tar(walk, leaf, kind, depth, sink),
    }
}

/// Why a member name is unsafe to use as a path, if it is.
pub fn unsafe_path(name: &str) -> Option<&'static str> {
    let bytes = name.as_bytes();
    if name.starts_with('/') || name.starts_with('\\') || (bytes.len() >= 2 && bytes[1] == b':') {
        return Some("absolute path in archive refused");
    }
    if name.split(['/', '\\']).any(|c| c == "..") {
        return Some("path escaping the archive (..) refused");
    }
    None
}

struct Budget {
    entries: u64,
    bytes: u64,
}

impl Budget {
    fn exceeded(&self, walk: &Walk) -> Option<String> {
        let l = walk.limits;
        if self.entries > l.max_entries {
            return Some(format!(
                "archive has more than {} entries; the rest is refused",
                l.max_entries
            ));
        }
        if self.bytes > l.max_archive_bytes {
            return Some(format!(
                "refused as a possible decompression bomb: archive holds more than {} bytes; the rest is refused",
                l.max_archive_bytes
            ));
        }
        None
    }
}

fn expand_tar(
    walk: &Walk,
    leaf: &Leaf,
    kind: Kind,
    depth: u32,
    sink: &mut Sink,
) -> crate::Result<()> {
    let raw = open_raw(&leaf.content).map_err(|e| crate::Error::io(&leaf.path, e))?;
    let stream: Box<dyn Read> = if kind == Kind::TarGz {
        let (counting, consumed) = Counting::new(raw);
        // Nothing the tar reader needs follows its end-of-archive blocks; a tail is not read.
        let (members, _tail) = super::gzip::GzMembers::new(std::io::BufReader::new(counting));
        Box::new(Bounded::new(
            members,
            consumed,
            walk.limits.max_archive_bytes,
            walk.limits,
            leaf.budget.clone(),
        ))
    } else {
        raw
    };
    let mut archive = tar::Archive::new(stream);
    let entries = match archive.entries() {
        Ok(e) => e,
        Err(e) => return sink(damaged(leaf, &e)),
    };
    let mut budget = Budget {
        entries: 0,
        bytes: 0,
    };
    for entry in entries {
        if walk.cancelled() {
            return Ok(());
        }
        let mut entry = match entry {
            Ok(e) => e,
            Err(e) => return sink(damaged(leaf, &e)),
        };
        budget.entries += 1;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let shown = format!("{}!/{}", leaf.path, name);
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            continue;
        }
        if let Some(reason) = budget.exceeded(walk) {
            return sink(Entry::Refused {
                path: shown,
                sha256: None,
                reason,
            });
        }
        if kind.is_symlink() || kind.is_hard_link() {
            sink(Entry::Refused {
                path: shown,
                sha256: None,
                reason: "link in archive refused".to_string(),
            })?;
            continue;
        }
        if !kind.is_file() {
            sink(Entry::Refused {
                path: shown,
                sha256: None,
                reason: "special file in archive refused".to_string(),
            })?;
            continue;
        }
        if let Some(reason) = unsafe_path(&name) {
            sink(Entry::Refused {
                path: shown,
                sha256: None,
                reason: reason.to_string(),
            })?;
            continue;
        }
        let declared = entry.header().size().unwrap_or(0);
        // Tar stores members uncompressed, so only the size bound applies to one member.
        let consumed = Arc::new(AtomicU64::new(declared.max(1)));
        let mut bounded = Bounded::new(
            &mut entry,
            consumed,
            walk.limits.max_file_bytes,
            walk.limits,
            leaf.budget.clone(),
        );
        match read_member(walk, &mut bounded) {
            Ok((content, sha256, size)) => {
                budget.bytes += size;
                walk.leaf_or_archive(
                    Leaf {
                        path: shown,
                        sha256,
                        size,
                        content,
                        budget: leaf.budget.clone(),
                    },
                    depth + 1,
                    sink,
                )?;
            }
            Err(e) if ReadFault::is_bomb(&e) => {
                // A tar has no index: what follows can only be reached by decompressing the
                // refused member, so the rest is listed as not read rather than dropped.
                sink(Entry::Refused {
                    path: shown,
                    sha256: None,
                    reason: e.to_string(),
                })?;
                return sink(Entry::Refused {
                    path: format!("{}!/*", leaf.path),
                    sha256: None,
                    reason: format!(
                        "members after {name} were not read: reaching them needs decompressing the refused member"
                    ),
                });
            }
            Err(e) => return sink(damaged(leaf, &e)),
        }
    }
    Ok(())
}

fn expand_zip(walk: &Walk, leaf: &Leaf, depth: u32, sink: &mut Sink) -> crate::Result<()> {
    let result = match &leaf.content {
        Content::Disk(p) => File::open(p)
            .map_err(zip::result::ZipError::Io)
            .and_then(|f| zip_members(walk, leaf, f, depth, sink)),
        Content::Temp(t) => File::open(&t.0)
            .map_err(zip::result::ZipError::Io)
            .and_then(|f| zip_members(walk, leaf, f, depth, sink)),
        Content::Memory(bytes) => zip_members(walk, leaf, Cursor::new(bytes.clone()), depth, sink),
    };
    match result {
        Ok(inner) => inner,
        Err(e) => sink(Entry::Refused {
            path: leaf.path.clone(),
            sha256: Some(leaf.sha256.clone()),
            reason: format!("damaged zip archive: {e}"),
        }),
    }
}

/// Outer result: the zip could not be read; inner result: the sink's own failure.
fn zip_members<R: Read + Seek>(
    walk: &Walk,
    leaf: &Leaf,
    reader: R,
    depth: u32,
    sink: &mut Sink,
) -> zip::result::ZipResult<crate::Result<()>> {
    let mut archive = zip::ZipArchive::new(reader)?;
    let mut budget = Budget {
        entries: 0,
        bytes: 0,
    };
    for i in 0..archive.len() {
        if walk.cancelled() {
            break;
        }
        budget.entries += 1;
        let mut member = match archive.by_index(i) {
            Ok(m) => m,
            Err(e) => {
                let reason = format!("unreadable zip member #{i}: {e}");
                if let Err(e) = sink(Entry::Refused {
                    path: format!("{}!/#{i}", leaf.path),
                    sha256: None,
                    reason,
                }) {
                    return Ok(Err(e));
                }
                continue;
            }
        };
        let name = member.name().to_string();
        let shown = format!("{}!/{}", leaf.path, name);
        if member.is_dir() {
            continue;
        }
        let refusal = if let Some(reason) = budget.exceeded(walk) {
            Some((reason, true))
        } else if member.is_symlink() {
            Some(("link in archive refused".to_string(), false))
        } else if let Some(reason) = unsafe_path(&name) {
            Some((reason.to_string(), false))
        } else if member.encrypted() {
            Some(("encrypted zip member cannot be read".to_string(), false))
        } else {
            None
        };
        if let Some((reason, stop)) = refusal {
            if let Err(e) = sink(Entry::Refused {
                path: shown,
                sha256: None,
                reason,
            }) {
                return Ok(Err(e));
            }
            if stop {
                break;
            }
            continue;
        }
        let consumed = Arc::new(AtomicU64::new(member.compressed_size().max(1)));
        let mut bounded = Bounded::new(
            &mut member,
            consumed,
            walk.limits.max_file_bytes,
            walk.limits,
            leaf.budget.clone(),
        );
        let entry = match read_member(walk, &mut bounded) {
            Ok((content, sha256, size)) => {
                budget.bytes += size;
                drop(member);
                if let Err(e) = walk.leaf_or_archive(
                    Leaf {
                        path: shown,
                        sha256,
                        size,
                        content,
                        budget: leaf.budget.clone(),
                    },
                    depth + 1,
                    sink,
                ) {
                    return Ok(Err(e));
                }
                continue;
            }
            Err(e) if ReadFault::is_bomb(&e) => Entry::Refused {
                path: shown,
                sha256: None,
                reason: e.to_string(),
            },
            Err(e) => Entry::Refused {
                path: shown,
                sha256: None,
                reason: format!("damaged zip member: {e}"),
            },
        };
        if let Err(e) = sink(entry) {
            return Ok(Err(e));
        }
    }
    Ok(Ok(()))
}

fn damaged(leaf: &Leaf, e: &io::Error) -> Entry {
    let reason = if ReadFault::is_bomb(e) {
        e.to_string()
    } else {
        format!("damaged or truncated archive, members after this point were not read: {e}")
    };
    Entry::Refused {
        path: leaf.path.clone(),
        sha256: Some(leaf.sha256.clone()),
        reason,
    }
}

/// Reads a member, hashing it, into memory or, past the in-memory limit, into the case tmp dir.
fn read_member(walk: &Walk, r: &mut dyn Read) -> io::Result<(Content, String, u64)> {
    let mut hasher = Sha256::new();
    let mut memory = Vec::new();
    let mut spill: Option<(File, TempFile)> = None;
    let mut size = 0u64;
    let mut buf = vec![0u8; 256 << 10];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            break;
        }
        let chunk = &buf[..n];
        hasher.update(chunk);
        size += n as u64;
        if let Some((file, _)) = spill.as_mut() {
            file.write_all(chunk)?;
        } else if memory.len() + n > walk.limits.max_in_memory {
            let path = walk.next_temp_path();
            let mut file = File::create(&path)?;
            let guard = TempFile(path);
            file.write_all(&memory)?;
            file.write_all(chunk)?;
            memory = Vec::new();
            spill = Some((file, guard));
        } else {
            memory.extend_from_slice(chunk);
        }
    }
    let sha = hex(&hasher.finalize());
    let content = match spill {
        Some((file, guard)) => {
            file.sync_all()?;
            Content::Temp(Arc::new(guard))
        }
        None => Content::Memory(memory.into()),
    };
    Ok((content, sha, size))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_paths_are_named() {
        assert!(unsafe_path("../../etc/passwd").is_some());
        assert!(unsafe_path("a/../../b").is_some());
        assert!(unsafe_path("/etc/passwd").is_some());
        assert!(unsafe_path("C:\\x").is_some());
        assert!(unsafe_path("logs/..hidden/x.json").is_none());
        assert!(unsafe_path("logs/2024/x.json").is_none());
    }
}
