//! The whole case's counts: asked at every opening and every cleared search, and the base a
//! search that only leaves things out subtracts from. They change only with the index, so they
//! are made once per index state and request shape, and kept on disk when they took long.

use std::time::Duration;

use tantivy::query::AllQuery;
use tantivy::Searcher;

use super::collect::{CountCollector, Counts};
use super::index_state;
use crate::case::Store;
use crate::error::Result;
use crate::index::FACETS;

/// Whole-case counts that took this long are kept on disk for the next opening of the case:
/// at 10M events they take 0.25–0.5 s (a pass over every event's facet columns); a small
/// case's are made again each time, which is quicker than reading a file.
const KEEP_ON_DISK_AFTER: Duration = Duration::from_millis(100);

/// The counts `counter` makes over every event `searcher` holds.
pub(super) fn counts(
    store: &Store,
    searcher: &Searcher,
    counter: &CountCollector,
) -> Result<Counts> {
    kept_counts(store, searcher, counter, KEEP_ON_DISK_AFTER)
}

fn kept_counts(
    store: &Store,
    searcher: &Searcher,
    counter: &CountCollector,
    keep_after: Duration,
) -> Result<Counts> {
    // The version names the layout of `Counts` on disk: change it with the struct.
    let key = format!(
        "whole-case counts v1 {:?} {} {:?} {}",
        counter.layout,
        counter.facets,
        counter.page,
        index_state(searcher)
    );
    let valid = |counts: &Counts| fits(counts, searcher, counter);
    store.memo_kept(&key, keep_after, valid, || {
        Ok(searcher.search(&AllQuery, counter)?)
    })
}

/// Whether counts read back from disk have the shape `counter` makes, count every event
/// `searcher` holds, and name only documents it holds (a page's rows are loaded by address).
fn fits(counts: &Counts, searcher: &Searcher, counter: &CountCollector) -> bool {
    let facets = if counter.facets { FACETS.len() } else { 0 };
    let buckets = counter.layout.map_or(0, |l| l.buckets);
    let readers = searcher.segment_readers();
    let keep = counter.page.map_or(0, |p| p.keep);
    let page_fits = counts.top.as_ref().is_none_or(|top| {
        top.fits(keep)
            && top.docs().all(|d| {
                readers
                    .get(d.segment_ord as usize)
                    .is_some_and(|r| d.doc_id < r.max_doc())
            })
    });
    // One value per event and facet (none counted for an empty one), one bucket or none per
    // event: sums above the total cannot come from this index.
    let facet_sums_fit = counts.facets.iter().all(|values| {
        values
            .values()
            .try_fold(0u64, |a, n| a.checked_add(*n))
            .is_some_and(|sum| sum <= counts.total)
    });
    let timeline_fits = counts
        .histogram
        .iter()
        .flatten()
        .try_fold(counts.untimed, |a, n| a.checked_add(*n))
        .is_some_and(|sum| sum <= counts.total);
    counts.failed.is_none()
        && facet_sums_fit
        && timeline_fits
        && counts.facets.len() == facets
        && counts.histogram.len() == buckets
        && counts.top.is_some() == counter.page.is_some()
        && counts.total == searcher.num_docs()
        && page_fits
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::model::SortOrder;
    use crate::search::collect::{Layout, Page};
    use std::sync::Arc;

    fn clock() -> Arc<FixedClock> {
        Arc::new(FixedClock(
            chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
        ))
    }

    fn counter() -> CountCollector {
        CountCollector {
            layout: Some(Layout {
                start: 1_700_000_000_000_000_000,
                width: 10_000_000_000,
                buckets: 64,
            }),
            facets: true,
            page: Some(Page {
                order: SortOrder::NewestFirst,
                keep: 50,
            }),
        }
    }

    fn action_count(counts: &Counts, action: &str) -> u64 {
        let at = FACETS.iter().position(|f| *f == "action").expect("facet");
        counts.facets[at].get(action).copied().unwrap_or(0)
    }

    fn page(counts: &Counts) -> Vec<tantivy::DocAddress> {
        counts
            .top
            .clone()
            .map(|t| t.into_page(0))
            .unwrap_or_default()
    }

    /// Counts kept by one opening of a case are read back by the next in the same index state;
    /// a file naming a document the index lacks, or counting another number of events, is
    /// refused and the counts are made again.
    #[test]
    fn a_case_opened_again_reads_its_counts_back_and_refuses_a_wrong_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let case = dir.path().join("case");
        let made = {
            let store = Store::open_or_create(&case, clock()).expect("store");
            let mut writer: tantivy::IndexWriter<tantivy::TantivyDocument> =
                store.index.writer(50 << 20).expect("writer");
            for i in 0..600u64 {
                let mut doc = tantivy::TantivyDocument::new();
                doc.add_i64(
                    store.fields.time,
                    1_700_000_000_000_000_000 + (i as i64 * 1_000_000_000),
                );
                doc.add_u64(store.fields.seq, (1 << 32) | i);
                doc.add_text(
                    store.fields.action,
                    ["Get", "Put", "Delete"][i as usize % 3],
                );
                writer.add_document(doc).expect("add");
            }
            writer.commit().expect("commit");
            store.reader.reload().expect("reload");
            let searcher = store.reader.searcher();
            let made = kept_counts(&store, &searcher, &counter(), Duration::ZERO).expect("made");
            assert_eq!((made.total, action_count(&made, "Delete")), (600, 200));
            made
        };
        let files: Vec<_> = std::fs::read_dir(case.join("cache"))
            .expect("cache dir")
            .map(|e| e.expect("entry").path())
            .collect();
        assert_eq!(files.len(), 1, "{files:?}");
        let file = &files[0];
        let original = std::fs::read(file).expect("read");

        // What the file says is what the next opening shows: changed here to tell it apart.
        let mut kept: serde_json::Value = serde_json::from_slice(&original).expect("json");
        let at = FACETS.iter().position(|f| *f == "action").expect("facet");
        kept["value"]["facets"][at]["Delete"] = 7.into();
        std::fs::write(file, serde_json::to_vec(&kept).expect("json")).expect("write");
        let store = Store::open(&case, clock()).expect("open");
        let searcher = store.reader.searcher();
        let read = kept_counts(&store, &searcher, &counter(), Duration::ZERO).expect("read");
        assert_eq!(action_count(&read, "Delete"), 7);
        assert_eq!(page(&read), page(&made));
        drop(store);

        let wrong: [(&str, serde_json::Value); 5] = [
            ("/value/total", 599.into()),
            ("/value/top/keep", 1_000_000.into()),
            ("/value/untimed", 601.into()),
            ("/value/facets/1/Delete", 601.into()),
            (
                "/value/top/items/0/1",
                serde_json::json!({"segment_ord": 5, "doc_id": 0}),
            ),
        ];
        for (pointer, value) in wrong {
            let mut kept: serde_json::Value = serde_json::from_slice(&original).expect("json");
            *kept.pointer_mut(pointer).expect(pointer) = value;
            std::fs::write(file, serde_json::to_vec(&kept).expect("json")).expect("write");
            let store = Store::open(&case, clock()).expect("open");
            let searcher = store.reader.searcher();
            let again = kept_counts(&store, &searcher, &counter(), Duration::ZERO).expect("again");
            assert_eq!(again.total, 600, "{pointer}");
            assert_eq!(action_count(&again, "Delete"), 200, "{pointer}");
            assert_eq!(page(&again), page(&made), "{pointer}");
        }
    }
}
