//! One pass over the hits that counts them, counts facet values, fills the time histogram and
//! keeps the page.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, SegmentOrdinal, SegmentReader};

use super::top::{sort_key, Top};
use crate::index::FACETS;
use crate::model::SortOrder;

/// Histogram layout: `buckets` buckets of `width` nanoseconds from `start`.
#[derive(Debug, Clone, Copy)]
pub struct Layout {
    pub start: i64,
    pub width: i64,
    pub buckets: usize,
}

/// FNV-1a: facet values are merged across segments on every search, and SipHash's protection
/// against crafted keys buys nothing for counts computed over the case's own terms.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

pub type ValueCounts = HashMap<String, u64, BuildHasherDefault<Fnv>>;

/// Per bucket: events by outcome (success, failure, unknown).
pub type BucketCounts = [u64; 3];

/// Serializable so the whole case's counts can be kept on disk (`Store::memo_kept`).
#[derive(Debug, Default, Clone, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub total: u64,
    /// Per facet field (in [`FACETS`] order): value → count.
    pub facets: Vec<ValueCounts>,
    pub histogram: Vec<BucketCounts>,
    /// Hits without a time, so outside the histogram.
    pub untimed: u64,
    pub top: Option<Top>,
    /// A segment whose columns could not be opened (surfaced by the merge).
    pub failed: Option<String>,
}

#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub order: SortOrder,
    pub keep: usize,
}

pub struct CountCollector {
    pub layout: Option<Layout>,
    /// Count facet values; page loads while scrolling only need the total.
    pub facets: bool,
    /// Keep the best `keep` hits in this order.
    pub page: Option<Page>,
}

pub struct SegmentCounts {
    /// The segment's columns, opened at its first hit: a search with few hits then reads the
    /// column headers of the segments that hold them only (cold, opening nine facet columns in
    /// each of twelve segments for a 1-hit lookup took 450 ms; the row itself 3 ms).
    ff: Option<tantivy::fastfield::FastFieldReaders>,
    facets: bool,
    paged: bool,
    /// Why the columns could not be opened; the merge turns it into the search's error.
    failed: Option<String>,
    layout: Option<Layout>,
    total: u64,
    columns: Vec<Option<StrColumn>>,
    counts: Vec<Vec<u32>>,
    time: Option<Column<i64>>,
    outcome: Option<StrColumn>,
    /// Outcome term ordinal → stack index.
    outcome_slot: Vec<usize>,
    histogram: Vec<BucketCounts>,
    untimed: u64,
    /// Scratch buffers for block collection.
    ords: Vec<Option<u64>>,
    times: Vec<Option<i64>>,
    outcomes: Vec<Option<u64>>,
    segment: SegmentOrdinal,
    order: SortOrder,
    top: Option<Top>,
    seq: Option<Column<u64>>,
    seqs: Vec<Option<u64>>,
}

impl Collector for CountCollector {
    type Fruit = Counts;
    type Child = SegmentCounts;

    fn for_segment(
        &self,
        segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentCounts> {
        Ok(SegmentCounts {
            ff: Some(reader.fast_fields().clone()),
            facets: self.facets,
            paged: self.page.is_some(),
            failed: None,
            layout: self.layout,
            total: 0,
            columns: Vec::new(),
            counts: Vec::new(),
            time: None,
            outcome: None,
            outcome_slot: Vec::new(),
            histogram: Vec::new(),
            untimed: 0,
            ords: Vec::new(),
            times: Vec::new(),
            outcomes: Vec::new(),
            segment,
            order: self.page.map_or(SortOrder::NewestFirst, |p| p.order),
            top: self.page.map(|p| Top::new(p.keep)),
            seq: None,
            seqs: Vec::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut merged = Counts {
            facets: vec![ValueCounts::default(); if self.facets { FACETS.len() } else { 0 }],
            histogram: vec![[0; 3]; self.layout.map_or(0, |l| l.buckets)],
            top: self.page.map(|p| Top::new(p.keep)),
            ..Counts::default()
        };
        for fruit in fruits {
            if let Some(why) = fruit.failed {
                return Err(tantivy::TantivyError::InternalError(why));
            }
            merged.total += fruit.total;
            merged.untimed += fruit.untimed;
            if let (Some(into), Some(from)) = (merged.top.as_mut(), fruit.top) {
                into.merge(from);
            }
            for (into, from) in merged.facets.iter_mut().zip(fruit.facets) {
                // The first segment's map is taken whole (segments share most values, so a
                // reserve for the next would only force a rehash).
                if into.is_empty() {
                    *into = from;
                    continue;
                }
                for (value, n) in from {
                    *into.entry(value).or_default() += n;
                }
            }
            for (into, from) in merged.histogram.iter_mut().zip(fruit.histogram) {
                for k in 0..3 {
                    into[k] += from[k];
                }
            }
        }
        Ok(merged)
    }
}

impl SegmentCounts {
    fn open(&mut self, ff: &tantivy::fastfield::FastFieldReaders) -> tantivy::Result<()> {
        for name in FACETS.iter().filter(|_| self.facets) {
            let column = ff.str(name)?;
            self.counts
                .push(vec![0u32; column.as_ref().map_or(0, |c| c.num_terms())]);
            self.columns.push(column);
        }
        if self.layout.is_some() {
            let outcome = ff.str("outcome")?;
            if let Some(col) = &outcome {
                let mut text = String::new();
                for ord in 0..col.num_terms() as u64 {
                    text.clear();
                    col.ord_to_str(ord, &mut text)?;
                    self.outcome_slot.push(match text.as_str() {
                        "success" => 0,
                        "failure" => 1,
                        _ => 2,
                    });
                }
            }
            self.outcome = outcome;
            self.histogram = vec![[0; 3]; self.layout.map_or(0, |l| l.buckets)];
        }
        if self.layout.is_some() || self.paged {
            self.time = ff.column_opt::<i64>("time")?;
        }
        if self.paged {
            self.seq = ff.column_opt::<u64>("seq")?;
        }
        Ok(())
    }
}

impl SegmentCollector for SegmentCounts {
    type Fruit = Counts;

    /// Facet fields hold one value per document, so a block is counted with batched column
    /// reads; this is the hot loop of every search over many hits.
    fn collect_block(&mut self, docs: &[DocId]) {
        if let Some(ff) = self.ff.take() {
            if let Err(e) = self.open(&ff) {
                self.failed = Some(format!("opening the index's columns: {e}"));
            }
        }
        self.total += docs.len() as u64;
        let n = docs.len();
        self.ords.resize(n, None);
        for (column, counts) in self.columns.iter().zip(self.counts.iter_mut()) {
            let Some(column) = column else { continue };
            column.ords().first_vals(docs, &mut self.ords[..n]);
            for ord in self.ords[..n].iter().flatten() {
                counts[*ord as usize] += 1;
            }
        }
        if self.layout.is_none() && self.top.is_none() {
            return;
        }
        self.times.resize(n, None);
        match &self.time {
            Some(col) => col.first_vals(docs, &mut self.times[..n]),
            None => self.times[..n].fill(None),
        }
        if let Some(top) = &mut self.top {
            self.seqs.resize(n, None);
            match &self.seq {
                Some(col) => col.first_vals(docs, &mut self.seqs[..n]),
                None => self.seqs[..n].fill(None),
            }
            for ((doc, time), seq) in docs.iter().zip(&self.times[..n]).zip(&self.seqs[..n]) {
                top.push(
                    sort_key(self.order, *time, seq.unwrap_or(0)),
                    DocAddress::new(self.segment, *doc),
                );
            }
        }
        let Some(layout) = self.layout else { return };
        self.outcomes.resize(n, None);
        match &self.outcome {
            Some(col) => col.ords().first_vals(docs, &mut self.outcomes[..n]),
            None => self.outcomes[..n].fill(None),
        }
        for (time, outcome) in self.times[..n].iter().zip(&self.outcomes[..n]) {
            let Some(t) = *time else {
                self.untimed += 1;
                continue;
            };
            if t < layout.start {
                continue;
            }
            let bucket = ((t - layout.start) / layout.width) as usize;
            if bucket >= layout.buckets {
                continue;
            }
            let slot = outcome
                .and_then(|o| self.outcome_slot.get(o as usize).copied())
                .unwrap_or(2);
            self.histogram[bucket][slot] += 1;
        }
    }

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.collect_block(&[doc]);
    }

    fn harvest(self) -> Counts {
        let mut facets = Vec::with_capacity(self.columns.len());
        for (column, counts) in self.columns.iter().zip(self.counts) {
            let mut values = ValueCounts::default();
            if let Some(column) = column {
                // Resolving sorted ordinals in one sweep of the dictionary is far cheaper than
                // one lookup per ordinal.
                let ords: Vec<u64> = counts
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| **n > 0)
                    .map(|(o, _)| o as u64)
                    .collect();
                let mut hits = ords.iter().map(|&o| counts[o as usize] as u64);
                let _ = column.dictionary().sorted_ords_to_term_cb(&ords, |bytes| {
                    let n = hits.next().unwrap_or(0);
                    if !bytes.is_empty() {
                        values.insert(String::from_utf8_lossy(bytes).into_owned(), n);
                    }
                });
            }
            facets.push(values);
        }
        let histogram = if self.histogram.is_empty() {
            vec![[0; 3]; self.layout.map_or(0, |l| l.buckets)]
        } else {
            self.histogram
        };
        Counts {
            total: self.total,
            facets,
            histogram,
            untimed: self.untimed,
            top: self.top,
            failed: self.failed,
        }
    }
}
