//! EVTX checksums. The import reads every record it can without checking them (a damaged CRC
//! must not cost records); this says which chunks fail their CRC32, because a chunk edited by hand
//! (a record removed or changed) fails them unless the editor also fixed them.
//!
//! Layout (libyal's EVTX documentation): a 4 KiB file header whose CRC32 of bytes 0..120 is at
//! 124; then 64 KiB chunks, each with a header CRC32 at 124 over bytes 0..120 and 128..512, and a
//! CRC32 of the event records (512 up to the free-space offset at 48) at 52.

use super::{Finding, FindingKind, Severity};

const FILE_HEADER: usize = 4096;
const CHUNK: usize = 65_536;
const CHUNK_MAGIC: &[u8] = b"ElfChnk\0";
/// Chunk failures listed one by one; beyond it they are counted.
const MAX_LISTED: usize = 50;

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn crc(parts: &[&[u8]]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    for p in parts {
        h.update(p);
    }
    h.finalize()
}

/// What is wrong with one chunk's checksums, if anything.
fn chunk_problem(c: &[u8]) -> Option<String> {
    let stored_header = u32_at(c, 124)?;
    let header = crc(&[&c[..120], &c[128..512]]);
    let free = u32_at(c, 48)? as usize;
    let stored_data = u32_at(c, 52)?;
    let mut wrong = Vec::new();
    if header != stored_header {
        wrong.push(format!(
            "header CRC32 is {stored_header:08x}, the bytes give {header:08x}"
        ));
    }
    if (512..=CHUNK).contains(&free) {
        let data = crc(&[&c[512..free]]);
        if data != stored_data {
            wrong.push(format!(
                "records CRC32 is {stored_data:08x}, the records give {data:08x}"
            ));
        }
    } else {
        wrong.push(format!("free-space offset {free} lies outside the chunk"));
    }
    (!wrong.is_empty()).then(|| wrong.join("; "))
}

/// `checksum_error` findings for the file header and every whole chunk whose CRC32s do not match.
/// Chunks without the chunk signature are left to the parser's report (they are not read).
pub(crate) fn checksum_findings(bytes: &[u8], file: &str) -> Vec<Finding> {
    let mut problems = Vec::new();
    if let (Some(stored), Some(head)) = (u32_at(bytes, 124), bytes.get(..120)) {
        let actual = crc(&[head]);
        if stored != actual {
            problems.push(format!(
                "file header CRC32 is {stored:08x}, the bytes give {actual:08x}"
            ));
        }
    }
    let chunks = bytes.get(FILE_HEADER..).unwrap_or_default();
    for (i, c) in chunks.chunks_exact(CHUNK).enumerate() {
        if !c.starts_with(CHUNK_MAGIC) {
            continue;
        }
        if let Some(p) = chunk_problem(c) {
            problems.push(format!("chunk {i} (byte {}): {p}", FILE_HEADER + i * CHUNK));
        }
    }
    // Flag 1 ("dirty"): copied while the log was open. Windows refreshes checksums as it writes,
    // so a dirty copy usually still passes; when it does not, the reviewer should know both.
    if u32_at(bytes, 120).is_some_and(|flags| flags & 1 == 1) {
        for p in &mut problems {
            p.push_str(" (the file is marked dirty: copied while the log was open)");
        }
    }
    let extra = problems.len().saturating_sub(MAX_LISTED);
    let mut out: Vec<Finding> = problems
        .into_iter()
        .take(MAX_LISTED)
        .map(|detail| Finding {
            kind: FindingKind::ChecksumError,
            severity: Severity::Critical,
            file: Some(file.to_string()),
            detail,
            ..Finding::default()
        })
        .collect();
    if extra > 0 {
        out.push(Finding {
            kind: FindingKind::ChecksumError,
            severity: Severity::Critical,
            file: Some(file.to_string()),
            detail: format!("and {extra} more chunks whose checksums do not match"),
            ..Finding::default()
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chunk() -> Vec<u8> {
        let mut c = vec![0u8; CHUNK];
        c[..8].copy_from_slice(CHUNK_MAGIC);
        c[48..52].copy_from_slice(&600u32.to_le_bytes());
        c[512..600].fill(7);
        let data = crc(&[&c[512..600]]);
        c[52..56].copy_from_slice(&data.to_le_bytes());
        let header = crc(&[&c[..120], &c[128..512]]);
        c[124..128].copy_from_slice(&header.to_le_bytes());
        c
    }

    #[test]
    fn a_consistent_chunk_passes_and_a_changed_record_byte_fails() {
        let mut file = vec![0u8; FILE_HEADER];
        let head = crc(&[&file[..120]]);
        file[124..128].copy_from_slice(&head.to_le_bytes());
        file.extend(chunk());
        assert!(checksum_findings(&file, "f").is_empty());
        file[FILE_HEADER + 550] ^= 1;
        let found = checksum_findings(&file, "f");
        assert_eq!(found.len(), 1);
        assert!(
            found[0]
                .detail
                .starts_with("chunk 0 (byte 4096): records CRC32"),
            "{found:?}"
        );
    }
}
