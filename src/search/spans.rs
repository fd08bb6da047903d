//! When each source has events: per format, the hours that hold events of a selection, with the
//! first and last event time in each hour. Retention reports (compliance) read this to say what
//! period a source covers and where it fell silent.
//!
//! Hours rather than every time keep the memory bounded by the period (a year is 8,760 hours per
//! source, whatever the events), and the first and last time of each hour still give the exact
//! silences longer than an hour: two events in one hour are never further apart than that.

use std::collections::{BTreeMap, HashMap};

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocId, Score, SegmentOrdinal, SegmentReader};

use crate::case::Store;
use crate::error::Result;
use crate::model::SearchRequest;

const HOUR: i64 = 3_600_000_000_000;

/// The events of one hour: how many, the first and the last time (UTC nanoseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HourSpan {
    pub events: u64,
    pub first: i64,
    pub last: i64,
}

impl HourSpan {
    fn add(&mut self, other: HourSpan) {
        self.events += other.events;
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
    }
}

/// One format's events of the selection by hour (hour start → span), and those without a time.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SourceHours {
    pub hours: BTreeMap<i64, HourSpan>,
    pub untimed: u64,
}

/// The selection's events per format, by hour. Reads only the time and format columns.
pub fn hours_by_format(
    store: &Store,
    req: &SearchRequest,
) -> Result<BTreeMap<String, SourceHours>> {
    store.reader.reload()?;
    let searcher = store.reader.searcher();
    let query = super::compile(store, &searcher, req)?;
    let per_segment = searcher.search(&query, &HoursCollector)?;
    let mut out: BTreeMap<String, SourceHours> = BTreeMap::new();
    for by_format in per_segment {
        for (format, hours) in by_format {
            let into = out.entry(format).or_default();
            into.untimed += hours.untimed;
            for (hour, span) in hours.hours {
                into.hours
                    .entry(hour)
                    .and_modify(|s| s.add(span))
                    .or_insert(span);
            }
        }
    }
    Ok(out)
}

/// The selection's events per format: the same pass, summed (two columns read, where a search's
/// facets read every facet column and the detection labels).
pub fn events_by_format(store: &Store, req: &SearchRequest) -> Result<BTreeMap<String, u64>> {
    Ok(hours_by_format(store, req)?
        .into_iter()
        .map(|(format, h)| {
            let n = h.hours.values().map(|s| s.events).sum::<u64>() + h.untimed;
            (format, n)
        })
        .filter(|(_, n)| *n > 0)
        .collect())
}

struct HoursCollector;

struct SegmentHours {
    time: Option<Column<i64>>,
    format: Option<StrColumn>,
    /// Format term ordinal → its hours, resolved to names once per segment at the end.
    by_ord: HashMap<u64, (HashMap<i64, HourSpan>, u64)>,
}

impl Collector for HoursCollector {
    type Fruit = Vec<Vec<(String, SourceHours)>>;
    type Child = SegmentHours;

    fn for_segment(
        &self,
        _: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<SegmentHours> {
        let ff = reader.fast_fields();
        Ok(SegmentHours {
            time: ff.column_opt::<i64>("time")?,
            format: ff.str("format")?,
            by_ord: HashMap::new(),
        })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(
        &self,
        fruits: Vec<Vec<(String, SourceHours)>>,
    ) -> tantivy::Result<Self::Fruit> {
        Ok(fruits)
    }
}

impl SegmentCollector for SegmentHours {
    type Fruit = Vec<(String, SourceHours)>;

    fn collect(&mut self, doc: DocId, _: Score) {
        let ord = self
            .format
            .as_ref()
            .and_then(|f| f.term_ords(doc).next())
            .unwrap_or(u64::MAX);
        let (hours, untimed) = self.by_ord.entry(ord).or_default();
        let Some(t) = self.time.as_ref().and_then(|c| c.first(doc)) else {
            *untimed += 1;
            return;
        };
        let span = HourSpan {
            events: 1,
            first: t,
            last: t,
        };
        hours
            .entry(t.div_euclid(HOUR) * HOUR)
            .and_modify(|s| s.add(span))
            .or_insert(span);
    }

    fn harvest(self) -> Self::Fruit {
        let mut out = Vec::with_capacity(self.by_ord.len());
        for (ord, (hours, untimed)) in self.by_ord {
            let mut name = String::new();
            if let Some(f) = &self.format {
                if ord != u64::MAX && f.ord_to_str(ord, &mut name).is_err() {
                    name.clear();
                }
            }
            out.push((
                name,
                SourceHours {
                    hours: hours.into_iter().collect(),
                    untimed,
                },
            ));
        }
        out
    }
}
