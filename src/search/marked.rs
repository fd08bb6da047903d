//! Where what the case database says about events meets search: the tag facet (tags live in the
//! case database, so their counts come from the tagged hits) and the detection facets (rule and
//! level of the detections on the hits). Both count in one pass over the query's hits, reading
//! each hit's `seq` from its segment's column (opened once per segment).

use std::collections::HashMap;
use std::sync::Arc;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::Column;
use tantivy::query::{AllQuery, Query};
use tantivy::{DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use super::{Facet, FacetValue};
use crate::case::labels::DetectionLabels;
use crate::case::Store;
use crate::error::Result;

/// Labels the database keeps per event, as counters: `count` adds one to each counter event
/// `seq` (document `doc` of the segment `prepare` was last given) counts for.
trait SeqLabels: Send + Sync + 'static {
    fn counters(&self) -> usize;
    fn count(&self, seq: u64, doc: DocId, segment: &Segment, counts: &mut [u64]);
    /// What `count` needs of a segment, made once per segment.
    fn prepare(&self, _reader: &SegmentReader) -> tantivy::Result<Segment> {
        Ok(Segment::default())
    }
}

/// A segment's documents' rule ranges, when the labels keep them (`DetectionLabels::for_segment`).
#[derive(Default)]
struct Segment(Option<Arc<Vec<(u32, u32)>>>);

/// Tags by event.
struct Tags(HashMap<u64, Vec<u32>>);

impl SeqLabels for Tags {
    fn counters(&self) -> usize {
        self.0
            .values()
            .flatten()
            .map(|&t| t as usize + 1)
            .max()
            .unwrap_or(0)
    }
    fn count(&self, seq: u64, _: DocId, _: &Segment, counts: &mut [u64]) {
        for &t in self.0.get(&seq).into_iter().flatten() {
            counts[t as usize] += 1;
        }
    }
}

/// Counters: one per listed rule, then one per level; an event counts once per level however
/// many of its rules have it.
struct RulesAndLevels {
    labels: Arc<DetectionLabels>,
    level_of: Vec<usize>,
    levels: Vec<String>,
}

impl SeqLabels for RulesAndLevels {
    fn counters(&self) -> usize {
        self.labels.rules.len() + self.levels.len()
    }
    fn prepare(&self, reader: &SegmentReader) -> tantivy::Result<Segment> {
        Ok(Segment(Some(self.labels.for_segment(reader)?)))
    }
    fn count(&self, seq: u64, doc: DocId, segment: &Segment, counts: &mut [u64]) {
        let rules = self.labels.rules.len();
        let mut seen = [false; 8];
        let on = match &segment.0 {
            Some(ranges) => self.labels.range(ranges[doc as usize]),
            None => self.labels.of(seq),
        };
        for &r in on {
            counts[r as usize] += 1;
            let level = self.level_of[r as usize];
            if level >= seen.len() || !seen[level] {
                counts[rules + level] += 1;
                if level < seen.len() {
                    seen[level] = true;
                }
            }
        }
    }
}

struct Counting(Arc<dyn SeqLabels>);

struct SegmentCounting {
    labels: Arc<dyn SeqLabels>,
    reader: SegmentReader,
    /// Opened at the segment's first hit: a search with few hits touches only their segments.
    seq: Option<Option<Column<u64>>>,
    segment: Segment,
    counts: Vec<u64>,
    hits: u64,
    failed: Option<String>,
}

/// Hits in a segment from which its per-document label ranges are worth building (a pass over
/// the segment's `seq` column); fewer are looked up by sequence key one by one.
const RANGES_FROM: u64 = 256;

impl Collector for Counting {
    type Fruit = (Vec<u64>, Option<String>);
    type Child = SegmentCounting;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<Self::Child> {
        Ok(SegmentCounting {
            labels: self.0.clone(),
            reader: reader.clone(),
            seq: None,
            segment: Segment::default(),
            counts: vec![0; self.0.counters()],
            hits: 0,
            failed: None,
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<(Vec<u64>, Option<String>)>,
    ) -> tantivy::Result<(Vec<u64>, Option<String>)> {
        let mut total = vec![0; self.0.counters()];
        for (fruit, failed) in fruits {
            if let Some(why) = failed {
                return Err(tantivy::TantivyError::InternalError(why));
            }
            for (t, c) in total.iter_mut().zip(fruit) {
                *t += c;
            }
        }
        Ok((total, None))
    }
}

impl SegmentCollector for SegmentCounting {
    type Fruit = (Vec<u64>, Option<String>);

    fn collect(&mut self, doc: DocId, _: Score) {
        if self.seq.is_none() {
            match self.reader.fast_fields().column_opt::<u64>("seq") {
                Ok(col) => self.seq = Some(col),
                Err(e) => {
                    self.failed = Some(format!("reading sequence keys: {e}"));
                    self.seq = Some(None);
                }
            }
        }
        self.hits += 1;
        if self.hits == RANGES_FROM {
            match self.labels.prepare(&self.reader) {
                Ok(segment) => self.segment = segment,
                Err(e) => self.failed = Some(format!("reading detection labels: {e}")),
            }
        }
        // With the segment's ranges, labels are found by document; the key is not read, and
        // a document without labels (most of them) costs no call.
        let seq = match &self.segment.0 {
            Some(ranges) if ranges.get(doc as usize).is_none_or(|r| r.1 == 0) => return,
            Some(_) => 0,
            None => match self
                .seq
                .as_ref()
                .and_then(|c| c.as_ref())
                .and_then(|c| c.first(doc))
            {
                Some(seq) => seq,
                None => return,
            },
        };
        self.labels.count(seq, doc, &self.segment, &mut self.counts);
    }

    fn harvest(self) -> (Vec<u64>, Option<String>) {
        (self.counts, self.failed)
    }
}

/// Hits per tag, when the case has tags.
pub(super) fn tag_facet(
    store: &Store,
    searcher: &Searcher,
    query: &dyn Query,
    limit: usize,
) -> Result<Option<Facet>> {
    let by_seq = store.tags_by_seq()?;
    if by_seq.is_empty() {
        return Ok(None);
    }
    let mut names: Vec<String> = Vec::new();
    let mut ids: HashMap<String, u32> = HashMap::new();
    let mut tags = HashMap::new();
    for (seq, list) in by_seq {
        let list: Vec<u32> = list
            .into_iter()
            .map(|t| {
                *ids.entry(t.clone()).or_insert_with(|| {
                    names.push(t);
                    names.len() as u32 - 1
                })
            })
            .collect();
        tags.insert(seq, list);
    }
    let (counts, _) = searcher.search(query, &Counting(Arc::new(Tags(tags))))?;
    Ok(Some(facet(
        "tag",
        names.iter().map(String::as_str).zip(counts),
        limit,
    )))
}

/// Which hits detection facets count, and how.
pub(super) enum Hits<'a> {
    /// The query's hits, one by one.
    Of(&'a dyn Query),
    /// Every event but the query's: the whole case's counts (kept per index state and version
    /// of the detections) less the query's hits' counts. A search that leaves out the busiest
    /// action keeps 8.5M of 10M events, and a pass over them took ~50 ms.
    AllBut(&'a dyn Query),
}

/// Hits per rule and per level of the detections on `hits`, when the case has detections;
/// `state` names the index state the searcher reads.
pub(super) fn detection_facets(
    store: &Store,
    searcher: &Searcher,
    hits: Hits<'_>,
    state: &str,
    limit: usize,
) -> Result<Vec<Facet>> {
    let labels = store.detection_labels()?;
    if labels.is_empty() {
        return Ok(Vec::new());
    }
    let mut levels: Vec<String> = Vec::new();
    let level_of = labels
        .rules
        .iter()
        .map(|r| match levels.iter().position(|l| *l == r.level) {
            Some(i) => i,
            None => {
                levels.push(r.level.clone());
                levels.len() - 1
            }
        })
        .collect();
    let counting = RulesAndLevels {
        labels: labels.clone(),
        level_of,
        levels,
    };
    let levels = counting.levels.clone();
    let counting = Counting(Arc::new(counting));
    let counts = match hits {
        Hits::Of(query) => searcher.search(query, &counting)?.0,
        Hits::AllBut(left_out) => {
            let key = format!("detection counts {} {state}", labels.version);
            let mut counts = store.memo(&key, || Ok(searcher.search(&AllQuery, &counting)?.0))?;
            let (minus, _) = searcher.search(left_out, &counting)?;
            for (n, m) in counts.iter_mut().zip(minus) {
                *n = n.saturating_sub(m);
            }
            counts
        }
    };
    let (rule_counts, level_counts) = counts.split_at(labels.rules.len());
    // Two rules may share a title: their hits count under it together.
    let mut by_title: Vec<(&str, u64)> = Vec::new();
    for (r, &n) in labels.rules.iter().zip(rule_counts) {
        match by_title.iter_mut().find(|(t, _)| *t == r.title) {
            Some(slot) => slot.1 += n,
            None => by_title.push((&r.title, n)),
        }
    }
    Ok(vec![
        facet("rule", by_title.into_iter(), limit),
        facet(
            "level",
            levels
                .iter()
                .map(String::as_str)
                .zip(level_counts.iter().copied()),
            limit,
        ),
    ])
}

/// The labels with hits, most first.
fn facet<'a>(field: &str, counts: impl Iterator<Item = (&'a str, u64)>, limit: usize) -> Facet {
    let mut values: Vec<FacetValue> = counts
        .filter(|(_, n)| *n > 0)
        .map(|(value, count)| FacetValue {
            value: value.to_string(),
            count,
        })
        .collect();
    values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    let distinct = values.len() as u64;
    values.truncate(limit);
    Facet {
        field: field.to_string(),
        values,
        distinct,
    }
}
