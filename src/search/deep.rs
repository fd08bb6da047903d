//! Pages far from the start of a long result, and where an event stands in one, without sorting
//! (or keeping) every hit: memory stays flat however deep the page is.
//!
//! Results are ordered by (has a time, time, import order). A page at offset `o` is found in
//! passes over the hits' time column: the first counts hits per time bucket (4,096 buckets
//! over the span), which says which buckets hold ranks `o .. o + limit` and how many hits
//! come before them; when those buckets still hold many hits, the next pass splits just their
//! span the same way; the last pass keeps, among the hits inside the span, only the
//! `o - before + limit` best. Hits without a time come after all others, in import order.
//! Before this, the first deep page sorted the whole hit list and kept it (2.8 s and 1.1 GB at
//! 10M events).

use std::ops::Bound;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{BooleanQuery, Occur, Query, RangeQuery};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader, Term};

use super::top::{sort_key, Key, Top};
use crate::case::Store;
use crate::error::Result;
use crate::model::SortOrder;

const BUCKETS: usize = 4096;
/// A span holding more hits than this is split again before its hits are kept.
const SPLIT_ABOVE: u64 = 4_096;
/// Splits at most; then the span's hits are kept whatever their number (all at one instant).
const MAX_SPLITS: usize = 6;

/// The hits of `query` at ranks `offset .. offset + limit` in `order`, and the total. With
/// `memo`, the key naming this result and index state, the spread of all its hits is kept in
/// the store for the next page.
pub fn page(
    store: &Store,
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    memo: Option<&str>,
    order: SortOrder,
    offset: usize,
    limit: usize,
) -> Result<(u64, Vec<DocAddress>)> {
    let Some((mut lo, mut hi)) = crate::index::time_bounds(searcher)? else {
        return untimed_page(searcher, query, order, offset, limit);
    };
    let spread_all = || Ok(searcher.search(query, &Spread { lo, hi })?);
    let mut spread = match memo {
        Some(key) => store.memo(&format!("{key} {lo} {hi}"), spread_all)?,
        None => spread_all()?,
    };
    let (total, timed) = (spread.total, spread.timed());
    let offset = offset as u64;
    let end = offset.saturating_add(limit as u64);
    if offset >= timed {
        let (_, page) = untimed_page(searcher, query, order, (offset - timed) as usize, limit)?;
        return Ok((total, page));
    }
    // Rank of the first hit in [lo, hi] (0 while nothing is cut off).
    let mut before = 0u64;
    for split in 0..=MAX_SPLITS {
        let (skip, chosen, first, last) = spread.choose(order, offset - before, end - before);
        before += skip;
        let (a, b) = (
            spread.start(first),
            spread.start(last + 1).saturating_sub(1),
        );
        (lo, hi) = (a.max(lo), b.min(hi));
        if chosen <= SPLIT_ABOVE || lo >= hi || split == MAX_SPLITS {
            break;
        }
        let within = in_span(store, query, lo, hi);
        spread = searcher.search(&within, &Spread { lo, hi })?;
    }
    let keep = (end - before) as usize;
    let within = in_span(store, query, lo, hi);
    let kept = searcher.search(&within, &Keep { order, keep })?;
    let mut docs = kept.top.into_page((offset - before) as usize);
    if docs.len() < limit && end > timed {
        let (_, rest) = untimed_page(searcher, query, order, 0, limit - docs.len())?;
        docs.extend(rest);
    }
    Ok((total, docs))
}

/// Hits per chunk of [`in_order`]: the memory of walking a result is this, not the result.
const CHUNK: u64 = 65_536;

/// Every hit of `query` in `order`, handed to `visit` a sorted chunk at a time (time spans of
/// about [`CHUNK`] hits, then the untimed hits): exports and detection runs read a result of any
/// size in its order without holding it. Returns the number of hits; `total` is told first.
pub fn in_order(
    store: &Store,
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    order: SortOrder,
    total: &mut dyn FnMut(u64),
    visit: &mut dyn FnMut(Vec<DocAddress>) -> Result<()>,
) -> Result<u64> {
    in_chunks(store, searcher, query, order, CHUNK, total, visit)
}

fn in_chunks(
    store: &Store,
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    order: SortOrder,
    chunk: u64,
    total: &mut dyn FnMut(u64),
    visit: &mut dyn FnMut(Vec<DocAddress>) -> Result<()>,
) -> Result<u64> {
    let Some((lo, hi)) = crate::index::time_bounds(searcher)? else {
        let (n, docs) = untimed_page(searcher, query, order, 0, usize::MAX)?;
        total(n);
        visit(docs)?;
        return Ok(n);
    };
    let spread = searcher.search(query, &Spread { lo, hi })?;
    total(spread.total);
    let walk = Walk {
        store,
        searcher,
        query,
        order,
        chunk,
    };
    walk.spans(&spread, (lo, hi), visit)?;
    if spread.untimed > 0 {
        let (_, docs) = untimed_page(searcher, query, order, 0, usize::MAX)?;
        visit(docs)?;
    }
    Ok(spread.total)
}

/// One walk through a result in order.
struct Walk<'a> {
    store: &'a Store,
    searcher: &'a tantivy::Searcher,
    query: &'a dyn Query,
    order: SortOrder,
    chunk: u64,
}

impl Walk<'_> {
    /// The timed hits of `spread`'s buckets in order, a chunk of buckets at a time; a bucket
    /// far larger than a chunk (many hits at nearly one instant) is split again.
    fn spans(
        &self,
        spread: &SpreadFruit,
        (lo, hi): (i64, i64),
        visit: &mut dyn FnMut(Vec<DocAddress>) -> Result<()>,
    ) -> Result<()> {
        let n = spread.counts.len();
        let at = |i: usize| match self.order {
            SortOrder::NewestFirst => n - 1 - i,
            SortOrder::OldestFirst => i,
        };
        let mut i = 0;
        while i < n {
            // A group starts at a bucket with hits (leading empty ones would widen its span, and
            // a split of it would then meet the same span again).
            if spread.counts[at(i)] == 0 {
                i += 1;
                continue;
            }
            let (first, mut count) = (i, spread.counts[at(i)]);
            i += 1;
            while i < n && count + spread.counts[at(i)] <= self.chunk {
                count += spread.counts[at(i)];
                i += 1;
            }
            let (a, b) = (at(first).min(at(i - 1)), at(first).max(at(i - 1)));
            let (from, to) = (
                spread.start(a).max(lo),
                spread.start(b + 1).saturating_sub(1).min(hi),
            );
            let within = in_span(self.store, self.query, from, to);
            if count > 4 * self.chunk && from < to {
                let finer = self
                    .searcher
                    .search(&within, &Spread { lo: from, hi: to })?;
                self.spans(&finer, (from, to), visit)?;
                continue;
            }
            let keep = Keep {
                order: self.order,
                keep: count as usize,
            };
            visit(self.searcher.search(&within, &keep)?.top.into_page(0))?;
        }
        Ok(())
    }
}

/// `query`'s hits with a time in `lo ..= hi`.
fn in_span(store: &Store, query: &dyn Query, lo: i64, hi: i64) -> BooleanQuery {
    let t = |n| Term::from_field_i64(store.fields.time, n);
    BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (
            Occur::Must,
            Box::new(RangeQuery::new(
                Bound::Included(t(lo)),
                Bound::Included(t(hi)),
            )),
        ),
    ])
}

/// Ranks among the hits without a time (they follow every timed hit, in import order), and how
/// many there are. Memory grows with the offset among them: cases hold few untimed events.
fn untimed_page(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    order: SortOrder,
    offset: usize,
    limit: usize,
) -> Result<(u64, Vec<DocAddress>)> {
    let untimed = BooleanQuery::new(vec![
        (Occur::Must, query.box_clone()),
        (
            Occur::MustNot,
            Box::new(tantivy::query::ExistsQuery::new("time".to_string(), false)),
        ),
    ]);
    let keep = offset.saturating_add(limit);
    let kept = searcher.search(&untimed, &Keep { order, keep })?;
    Ok((kept.total, kept.top.into_page(offset)))
}

/// Where the hit at `anchor` stands in `query`'s result: the number of hits ranked before it,
/// or `None` when it is not a hit.
pub fn rank_of(
    searcher: &tantivy::Searcher,
    query: &dyn Query,
    order: SortOrder,
    anchor: DocAddress,
) -> Result<Option<u64>> {
    let reader = searcher.segment_reader(anchor.segment_ord);
    let key = SortKeys::open(reader, order)?.key(anchor.doc_id);
    let counted = searcher.search(query, &Above { order, key, anchor })?;
    Ok(counted.1.then_some(counted.0))
}

/// Counts hits per time bucket over `lo ..= hi`.
struct Spread {
    lo: i64,
    hi: i64,
}

#[derive(Clone)]
struct SpreadFruit {
    lo: i64,
    width: i64,
    counts: Vec<u64>,
    untimed: u64,
    total: u64,
}

impl SpreadFruit {
    fn timed(&self) -> u64 {
        self.total - self.untimed
    }

    fn start(&self, bucket: usize) -> i64 {
        self.lo
            .saturating_add((bucket as i64).saturating_mul(self.width))
    }

    /// Walking the buckets in `order`: the hits in buckets before the ones holding ranks
    /// `from .. to`, how many those hold, and their first and last bucket (ascending).
    fn choose(&self, order: SortOrder, from: u64, to: u64) -> (u64, u64, usize, usize) {
        let n = self.counts.len();
        let at = |i: usize| match order {
            SortOrder::NewestFirst => n - 1 - i,
            SortOrder::OldestFirst => i,
        };
        let (mut seen, mut skip, mut chosen) = (0u64, 0u64, 0u64);
        let (mut first, mut last) = (None, None);
        for i in 0..n {
            let c = self.counts[at(i)];
            if c == 0 {
                continue;
            }
            if seen + c <= from {
                seen += c;
                skip = seen;
                continue;
            }
            first.get_or_insert(i);
            last = Some(i);
            chosen += c;
            seen += c;
            if seen >= to {
                break;
            }
        }
        let (first, last) = (first.unwrap_or(0), last.unwrap_or(0));
        let (a, b) = (at(first), at(last));
        (skip, chosen, a.min(b), a.max(b))
    }
}

struct SegmentSpread {
    lo: i64,
    hi: i64,
    width: i64,
    time: Option<Column<i64>>,
    counts: Vec<u64>,
    untimed: u64,
    total: u64,
    times: Vec<Option<i64>>,
}

fn width(lo: i64, hi: i64) -> i64 {
    ((hi as i128 - lo as i128) / BUCKETS as i128 + 1).clamp(1, i64::MAX as i128) as i64
}

impl Collector for Spread {
    type Fruit = SpreadFruit;
    type Child = SegmentSpread;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentSpread> {
        Ok(SegmentSpread {
            lo: self.lo,
            hi: self.hi,
            width: width(self.lo, self.hi),
            time: reader.fast_fields().column_opt::<i64>("time")?,
            counts: vec![0; BUCKETS],
            untimed: 0,
            total: 0,
            times: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<SpreadFruit>) -> tantivy::Result<SpreadFruit> {
        let mut out = SpreadFruit {
            lo: self.lo,
            width: width(self.lo, self.hi),
            counts: vec![0; BUCKETS],
            untimed: 0,
            total: 0,
        };
        for f in fruits {
            out.total += f.total;
            out.untimed += f.untimed;
            for (into, n) in out.counts.iter_mut().zip(f.counts) {
                *into += n;
            }
        }
        Ok(out)
    }
}

impl SegmentCollector for SegmentSpread {
    type Fruit = SpreadFruit;

    fn collect_block(&mut self, docs: &[DocId]) {
        self.total += docs.len() as u64;
        self.times.resize(docs.len(), None);
        match &self.time {
            Some(c) => c.first_vals(docs, &mut self.times),
            None => self.times.fill(None),
        }
        for t in &self.times {
            match *t {
                None => self.untimed += 1,
                Some(t) if t >= self.lo && t <= self.hi => {
                    // `t - lo` fits in u64 when lo <= t (128-bit division was 4% of the bench).
                    let b = (t.wrapping_sub(self.lo) as u64 / self.width as u64) as usize;
                    self.counts[b.min(BUCKETS - 1)] += 1;
                }
                // Outside the span (a narrowing pass's query holds the range already).
                Some(_) => {}
            }
        }
    }

    fn collect(&mut self, doc: DocId, _: Score) {
        self.collect_block(&[doc]);
    }

    fn harvest(self) -> SpreadFruit {
        SpreadFruit {
            lo: self.lo,
            width: self.width,
            counts: self.counts,
            untimed: self.untimed,
            total: self.total,
        }
    }
}

/// A segment's time and sequence columns, read as sort keys (one block read per column).
struct SortKeys {
    order: SortOrder,
    time: Option<Column<i64>>,
    seq: Option<Column<u64>>,
    times: Vec<Option<i64>>,
    seqs: Vec<Option<u64>>,
}

impl SortKeys {
    fn open(reader: &SegmentReader, order: SortOrder) -> tantivy::Result<SortKeys> {
        let ff = reader.fast_fields();
        Ok(SortKeys {
            order,
            time: ff.column_opt::<i64>("time")?,
            seq: ff.column_opt::<u64>("seq")?,
            times: Vec::new(),
            seqs: Vec::new(),
        })
    }

    fn key(&self, doc: DocId) -> Key {
        let t = self.time.as_ref().and_then(|c| c.first(doc));
        let s = self.seq.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        sort_key(self.order, t, s)
    }

    /// Each of `docs` with its key.
    fn each(&mut self, docs: &[DocId], mut f: impl FnMut(DocId, Key)) {
        let n = docs.len();
        self.times.resize(n, None);
        self.seqs.resize(n, None);
        match &self.time {
            Some(c) => c.first_vals(docs, &mut self.times),
            None => self.times.fill(None),
        }
        match &self.seq {
            Some(c) => c.first_vals(docs, &mut self.seqs),
            None => self.seqs.fill(None),
        }
        for ((doc, t), s) in docs.iter().zip(&self.times).zip(&self.seqs) {
            f(*doc, sort_key(self.order, *t, s.unwrap_or(0)));
        }
    }
}

/// Keeps the best `keep` hits in `order` (bounded by the caller to a span's hits).
struct Keep {
    order: SortOrder,
    keep: usize,
}

struct Kept {
    top: Top,
    total: u64,
}

struct SegmentKeep {
    segment: SegmentOrdinal,
    top: Top,
    total: u64,
    keys: SortKeys,
}

impl Collector for Keep {
    type Fruit = Kept;
    type Child = SegmentKeep;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentKeep> {
        Ok(SegmentKeep {
            segment,
            top: Top::new(self.keep),
            total: 0,
            keys: SortKeys::open(reader, self.order)?,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Kept>) -> tantivy::Result<Kept> {
        let mut out = Kept {
            top: Top::new(self.keep),
            total: 0,
        };
        for f in fruits {
            out.total += f.total;
            out.top.merge(f.top);
        }
        Ok(out)
    }
}

impl SegmentCollector for SegmentKeep {
    type Fruit = Kept;

    fn collect_block(&mut self, docs: &[DocId]) {
        self.total += docs.len() as u64;
        let (top, segment) = (&mut self.top, self.segment);
        self.keys.each(docs, |doc, key| {
            top.push(key, DocAddress::new(segment, doc))
        });
    }

    fn collect(&mut self, doc: DocId, _: Score) {
        self.collect_block(&[doc]);
    }

    fn harvest(self) -> Kept {
        Kept {
            top: self.top,
            total: self.total,
        }
    }
}

/// Counts hits ranked before `key`, and whether `anchor` is a hit.
struct Above {
    order: SortOrder,
    key: Key,
    anchor: DocAddress,
}

struct SegmentAbove {
    segment: SegmentOrdinal,
    key: Key,
    anchor: DocAddress,
    keys: SortKeys,
    above: u64,
    found: bool,
}

impl Collector for Above {
    type Fruit = (u64, bool);
    type Child = SegmentAbove;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentAbove> {
        Ok(SegmentAbove {
            segment,
            key: self.key,
            anchor: self.anchor,
            keys: SortKeys::open(reader, self.order)?,
            above: 0,
            found: false,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<(u64, bool)>) -> tantivy::Result<(u64, bool)> {
        Ok(fruits
            .into_iter()
            .fold((0, false), |(n, f), (m, g)| (n + m, f || g)))
    }
}

impl SegmentCollector for SegmentAbove {
    type Fruit = (u64, bool);

    fn collect(&mut self, doc: DocId, _: Score) {
        if DocAddress::new(self.segment, doc) == self.anchor {
            self.found = true;
            return;
        }
        if self.keys.key(doc) > self.key {
            self.above += 1;
        }
    }

    fn harvest(self) -> (u64, bool) {
        (self.above, self.found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use std::sync::Arc;

    /// Chunks of 50 over 3,000 documents (2,000 in 30 distinct seconds, so buckets split, and
    /// 100 without a time) come out in exactly the order one page of every hit has. Only the
    /// time and sequence columns decide the order, so the documents hold nothing else.
    #[test]
    fn a_walk_in_small_chunks_keeps_the_full_order() {
        let dir = tempfile::tempdir().expect("tempdir");
        let clock = Arc::new(FixedClock(
            chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("time"),
        ));
        let store = Store::open_or_create(&dir.path().join("case"), clock).expect("store");
        let mut writer: tantivy::IndexWriter<tantivy::TantivyDocument> =
            store.index.writer(50 << 20).expect("writer");
        for i in 0..3000u64 {
            let mut doc = tantivy::TantivyDocument::new();
            let seconds = match i {
                0..2000 => Some(1_700_000_000 + (i * 7) % 30),
                2000..2900 => Some(1_600_000_000 + i * 7919 % 90_000_000),
                _ => None,
            };
            if let Some(s) = seconds {
                doc.add_i64(store.fields.time, s as i64 * 1_000_000_000);
            }
            doc.add_u64(store.fields.seq, (1 << 32) | i);
            writer.add_document(doc).expect("add");
        }
        writer.commit().expect("commit");
        store.reader.reload().expect("reload");
        let searcher = store.reader.searcher();
        let all = tantivy::query::AllQuery;
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            let (_, full) =
                super::super::listing::first_hits(&searcher, &all, order, usize::MAX).expect("all");
            let mut walked = Vec::new();
            let mut told = 0;
            let n = in_chunks(
                &store,
                &searcher,
                &all,
                order,
                50,
                &mut |t| told = t,
                &mut |docs| {
                    walked.extend(docs);
                    Ok(())
                },
            )
            .expect("walk");
            assert_eq!((n, told), (3000, 3000));
            assert_eq!(walked, full, "{order:?}");
        }
    }
}
