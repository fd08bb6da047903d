//! The journal's anchors: a chain of hashes proves entries were not edited, not that none were
//! cut from its end. Three things outside the chain say where it reached: the head the case
//! records at every append, the entry each run and each output (verify report, export, report)
//! names in its own table, and a head a reviewer wrote down earlier (`--expect-head`).

use super::{Finding, FindingKind, Severity};
use crate::case::db::{self, JournalRef};
use crate::case::journal::{JournalCheck, JournalEntry, JournalHead};
use crate::case::Store;
use crate::error::Result;

/// What the journal checks found, and the notes on what they could not prove.
pub(super) struct JournalFindings {
    pub check: JournalCheck,
    pub findings: Vec<Finding>,
    pub notes: Vec<String>,
}

fn broken(detail: String) -> Finding {
    Finding {
        kind: FindingKind::JournalBroken,
        severity: Severity::Critical,
        file: None,
        detail,
        ..Finding::default()
    }
}

pub(super) fn check(store: &Store, expect: Option<&JournalHead>) -> Result<JournalFindings> {
    let check = store.journal()?;
    let mut findings = Vec::new();
    let mut notes = Vec::new();
    if let Some(seq) = check.first_bad {
        findings.push(broken(format!(
            "journal entry {seq}: {}",
            check.reason.clone().unwrap_or_default()
        )));
    }
    let (refs, unjournaled) = {
        let conn = store.db();
        (db::journal_refs(&conn)?, db::unjournaled_runs(&conn)?)
    };
    findings.extend(dangling(&check.entries, &refs));
    if unjournaled > 0 {
        notes.push(format!(
            "{unjournaled} import runs were made by an earlier version that journaled them apart from their files; the journal cannot be checked against them"
        ));
    }
    if let Some(detail) = expect.and_then(|e| expected(&check.entries, e)) {
        findings.push(broken(detail));
    }
    Ok(JournalFindings {
        check,
        findings,
        notes,
    })
}

/// Rows that name an entry the journal no longer holds, or one about something else.
fn dangling(entries: &[JournalEntry], refs: &[JournalRef]) -> Vec<Finding> {
    let mut out = Vec::new();
    for r in refs {
        let entry = entries.iter().find(|e| e.seq == r.seq);
        let detail = match entry {
            None => format!(
                "{} was journaled as entry {}, which the journal no longer holds (entries were removed)",
                r.what, r.seq
            ),
            Some(e) if e.action != r.action || !names_run(e, r.run) => format!(
                "{} was journaled as entry {}, which now records a {} instead (the journal was rewritten)",
                r.what, r.seq, e.action
            ),
            Some(_) => continue,
        };
        out.push(broken(detail));
    }
    out
}

fn names_run(entry: &JournalEntry, run: Option<u64>) -> bool {
    let Some(run) = run else { return true };
    serde_json::from_str::<serde_json::Value>(&entry.detail)
        .ok()
        .and_then(|d| d["run"].as_u64())
        == Some(run)
}

/// Why the journal does not hold `expect`, if it does not.
fn expected(entries: &[JournalEntry], expect: &JournalHead) -> Option<String> {
    let last = entries.last().map_or(0, |e| e.seq);
    match entries.iter().find(|e| e.seq == expect.seq) {
        None => Some(format!(
            "the journal ends at entry {last}, before the entry {} you expected: entries were removed since you recorded it",
            expect.seq
        )),
        Some(e) if e.hash != expect.hash => Some(format!(
            "journal entry {} has hash {}, not the {} you recorded: the journal was rewritten since",
            expect.seq, e.hash, expect.hash
        )),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(seq: u64, action: &str, detail: &str) -> JournalEntry {
        JournalEntry {
            seq,
            at: String::new(),
            action: action.to_string(),
            detail: detail.to_string(),
            prev_hash: String::new(),
            hash: format!("{seq:064x}"),
        }
    }

    #[test]
    fn rows_naming_removed_or_other_entries_are_found() {
        let entries = [entry(1, "import", r#"{"run":1}"#), entry(2, "verify", "{}")];
        let refs = [
            JournalRef {
                what: "import run 1".into(),
                seq: 1,
                action: "import".into(),
                run: Some(1),
            },
            JournalRef {
                what: "import run 2".into(),
                seq: 2,
                action: "import".into(),
                run: Some(2),
            },
            JournalRef {
                what: "export 1".into(),
                seq: 3,
                action: "export".into(),
                run: None,
            },
        ];
        let found = dangling(&entries, &refs);
        assert_eq!(found.len(), 2);
        assert!(
            found[0].detail.contains("now records a verify"),
            "{}",
            found[0].detail
        );
        assert!(
            found[1].detail.contains("no longer holds"),
            "{}",
            found[1].detail
        );
    }

    #[test]
    fn an_expected_head_must_be_held_with_its_hash() {
        let entries = [entry(1, "import", "{}"), entry(2, "verify", "{}")];
        let held = JournalHead {
            seq: 2,
            hash: format!("{:064x}", 2),
        };
        assert_eq!(expected(&entries, &held), None);
        let rewritten = JournalHead {
            seq: 2,
            hash: format!("{:064x}", 9),
        };
        assert!(expected(&entries, &rewritten)
            .unwrap()
            .contains("rewritten"));
        let cut = JournalHead {
            seq: 5,
            hash: format!("{:064x}", 5),
        };
        assert!(expected(&entries, &cut).unwrap().contains("removed"));
    }
}
