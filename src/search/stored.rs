//! Events rebuilt from the store: the index keeps each record's raw bytes and locator, and the
//! event is normalized again from them, so what is shown and exported is what the import made.

use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};

use tantivy::collector::TopDocs;
use tantivy::query::RangeQuery;
use tantivy::schema::Value as _;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use super::{EventDetail, EventRow};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::model::event::{parse_event_id, sequence_key, AuditEvent, Provenance};
use crate::model::SearchRequest;

/// Told each hit of an export: the total, the event, its raw bytes and its parsed record.
pub(crate) type HitVisitor<'a> =
    dyn FnMut(u64, &AuditEvent, &[u8], &serde_json::Value) -> Result<()> + 'a;

/// One event with its raw record, by id (`FILE-ORDINAL`).
pub(crate) fn event(store: &Store, id: &str) -> Result<EventDetail> {
    let (file, ordinal) = parse_event_id(id).ok_or_else(|| Error::EventNotFound(id.to_string()))?;
    store.reader.reload()?;
    let searcher = store.reader.searcher();
    let key = Term::from_field_u64(store.fields.seq, sequence_key(file, ordinal));
    let query = RangeQuery::new(Bound::Included(key.clone()), Bound::Included(key));
    let hits = searcher.search(&query, &TopDocs::with_limit(1).order_by_score())?;
    let Some((_, addr)) = hits.first() else {
        return Err(Error::EventNotFound(id.to_string()));
    };
    let doc: TantivyDocument = searcher.doc(*addr)?;
    let (event, raw, record) = rebuild(store, &doc)?;
    Ok(EventDetail {
        marks: store.marks(id)?,
        record,
        row: EventRow::from(&event),
        event,
        raw_sha256: crate::bundle::sha256_hex(&raw),
        raw: String::from_utf8_lossy(&raw).into_owned(),
    })
}

/// Every hit of `req` (its query, range and filters) in its order, rebuilt with the raw and
/// parsed record, for exports. Returns the number of hits; `f` is told the total first.
pub(crate) fn for_each_hit(
    store: &Store,
    req: &SearchRequest,
    cancel: &AtomicBool,
    f: &mut HitVisitor<'_>,
) -> Result<u64> {
    store.reader.reload()?;
    let searcher = store.reader.searcher();
    let query = super::compile(store, &searcher, req)?;
    // A chunk of the result at a time, in order: memory stays flat however many hits.
    let total = std::cell::Cell::new(0u64);
    let mut seen = 0u64;
    super::deep::in_order(
        store,
        &searcher,
        query.as_ref(),
        req.order,
        &mut |n| total.set(n),
        &mut |docs| {
            for addr in docs {
                if seen.is_multiple_of(1024) && cancel.load(Ordering::Relaxed) {
                    return Err(Error::Cancelled);
                }
                seen += 1;
                let doc: TantivyDocument = searcher.doc(addr)?;
                let (event, raw, record) = rebuild(store, &doc)?;
                f(total.get(), &event, &raw, &record)?;
            }
            Ok(())
        },
    )
}

/// The events with these sequence keys, in store order, rebuilt with their raw and parsed
/// records: how detections read back the events a correlation counts.
pub(crate) fn for_each_of(
    store: &Store,
    seqs: std::collections::HashSet<u64>,
    cancel: &AtomicBool,
    f: &mut HitVisitor<'_>,
) -> Result<u64> {
    store.reader.reload()?;
    let searcher = store.reader.searcher();
    let query = super::seqset::SeqSetQuery::new(seqs);
    let mut docs: Vec<DocAddress> = searcher
        .search(&query, &tantivy::collector::DocSetCollector)?
        .into_iter()
        .collect();
    // In store order: each compressed block of the doc store is then decompressed once, not
    // once per event read from it.
    docs.sort_unstable();
    let total = docs.len() as u64;
    for (i, addr) in docs.into_iter().enumerate() {
        if i % 1024 == 0 && cancel.load(Ordering::Relaxed) {
            return Err(Error::Cancelled);
        }
        let doc: TantivyDocument = searcher.doc(addr)?;
        let (event, raw, record) = rebuild(store, &doc)?;
        f(total, &event, &raw, &record)?;
    }
    Ok(total)
}

pub(super) fn load(store: &Store, searcher: &Searcher, addr: DocAddress) -> Result<AuditEvent> {
    let doc: TantivyDocument = searcher.doc(addr)?;
    Ok(rebuild(store, &doc)?.0)
}

/// Rebuilds a stored document's event from its raw record, as the import normalized it.
pub(super) fn rebuild(
    store: &Store,
    doc: &TantivyDocument,
) -> Result<(AuditEvent, Vec<u8>, serde_json::Value)> {
    let raw = doc
        .get_first(store.fields.raw)
        .and_then(|v| v.as_bytes())
        .unwrap_or_default()
        .to_vec();
    let locator = doc
        .get_first(store.fields.locator)
        .and_then(|v| v.as_str())
        .unwrap_or_default();
    let mut parts = locator.split(' ').map(|p| p.parse::<u64>().unwrap_or(0));
    let (seq, line, offset) = (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    );
    let (file_id, ordinal) = (seq >> 32, seq & 0xffff_ffff);
    let file = store.imported_file(file_id)?;
    let (value, notes) = file.reader.parse(&raw).map_err(|e| {
        Error::Corrupt(format!(
            "stored record {file_id}-{ordinal} no longer parses: {e}"
        ))
    })?;
    let provenance = Provenance {
        file_id,
        path: file.path.clone(),
        sha256: file.sha256.clone(),
        ordinal,
        line: (line > 0).then_some(line),
        offset,
        wrapper: None,
    };
    Ok((file.reader.event(&value, &notes, provenance), raw, value))
}
