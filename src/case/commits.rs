//! What the index's last commit says about import runs, in its payload: the last run it made
//! visible (`run:N`), and a running import whose events a checkpoint made visible before the
//! run completed (`checkpoint:R:F`, run R's files having ids from F). A run is visible exactly
//! when a commit names it; what a checkpoint showed of a run that never completed is removed
//! when the case is next opened for writing.

use std::ops::Bound;

use tantivy::query::RangeQuery;
use tantivy::{Index, Term};

use crate::error::Result;
use crate::index::Fields;

/// The payload of the index's last commit.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    /// The last import run the index made visible.
    pub run: Option<u64>,
    /// A running import whose first events a checkpoint made visible: (run, first file id).
    pub checkpoint: Option<(u64, u64)>,
}

impl Committed {
    pub fn of(index: &Index) -> Result<Committed> {
        let metas = index.load_metas()?;
        Ok(metas
            .payload
            .as_deref()
            .map(Committed::parse)
            .unwrap_or_default())
    }

    fn parse(payload: &str) -> Committed {
        let mut out = Committed::default();
        for part in payload.split_whitespace() {
            if let Some(id) = part.strip_prefix("run:") {
                out.run = id.parse().ok();
            } else if let Some(rest) = part.strip_prefix("checkpoint:") {
                out.checkpoint = rest
                    .split_once(':')
                    .and_then(|(r, f)| Some((r.parse().ok()?, f.parse().ok()?)));
            }
        }
        out
    }

    /// The payload of a commit saying this.
    pub fn payload(&self) -> String {
        let run = self.run.map(|r| format!("run:{r}"));
        let checkpoint = self.checkpoint.map(|(r, f)| format!("checkpoint:{r}:{f}"));
        [run, checkpoint]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Deletes the events a checkpoint of a run that did not complete made visible (every event of
/// a file from its first file id on: files get their ids in order, and the run was the last),
/// in a commit that names only the last complete run.
pub fn drop_checkpointed(
    writer: &mut tantivy::IndexWriter<tantivy::TantivyDocument>,
    fields: &Fields,
    committed: Committed,
) -> Result<()> {
    let Some((_, first_file)) = committed.checkpoint else {
        return Ok(());
    };
    writer.delete_query(Box::new(RangeQuery::new(
        Bound::Included(Term::from_field_u64(fields.file_id, first_file)),
        Bound::Unbounded,
    )))?;
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(
        &Committed {
            run: committed.run,
            checkpoint: None,
        }
        .payload(),
    );
    prepared.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_read_back_as_written() {
        for c in [
            Committed::default(),
            Committed {
                run: Some(7),
                checkpoint: None,
            },
            Committed {
                run: Some(7),
                checkpoint: Some((8, 120)),
            },
            Committed {
                run: None,
                checkpoint: Some((1, 1)),
            },
        ] {
            assert_eq!(Committed::parse(&c.payload()), c);
        }
        assert_eq!(Committed::parse("run:12").run, Some(12));
    }
}
