//! Search: one call returns the total, a page of events, facet counts and a time histogram.
//!
//! Query syntax (see README): `actor:alice`, `action:Delete*`, `"exact phrase"`, `AND`/`OR`/`NOT`,
//! `-term`, parentheses, `time:>=2024-05-01`; bare words match the words of every field. Any
//! field name outside [`build::FIELD_NAMES`] is an original key path (`userIdentity.type:Root`).

pub mod actors;
mod build;
mod collect;
mod complement;
mod deep;
mod listing;
mod marked;
pub mod query;
mod seqset;
pub mod spans;
pub mod stats;
mod stored;
mod suggest;
mod top;
mod whole;

use std::ops::Bound;

use serde::{Deserialize, Serialize};
use tantivy::query::{AllQuery, BooleanQuery, EmptyQuery, Occur, Query, RangeQuery, TermQuery};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Searcher, Term};

pub use build::FIELD_NAMES;
use collect::{CountCollector, Counts, Layout, Page};
pub use listing::position;
pub(crate) use stored::{event, for_each_hit, for_each_of};

/// Offsets from which pages come from the query's whole sorted hit list.
const DEEP_PAGE: usize = 10_000;

use crate::case::marks::{MarkQuery, Marks};
use crate::case::Store;
use crate::error::{Error, Result};
use crate::index::FACETS;
use crate::model::event::{AuditEvent, Identity};
use crate::model::SearchRequest;

/// One event as a result row. `actor` and `target` are objects.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventRow {
    pub id: String,
    /// RFC 3339 UTC, or `None` when the record had no readable time.
    pub time: Option<String>,
    pub time_original: Option<String>,
    pub actor: crate::model::event::Actor,
    pub action: String,
    pub activity: crate::model::Activity,
    pub code: Option<String>,
    pub target: Option<Identity>,
    pub outcome: String,
    pub category: String,
    pub ip: Option<String>,
    pub service: Option<String>,
    pub region: Option<String>,
    pub session: Option<String>,
    pub request: Option<String>,
    pub native_id: Option<String>,
    pub user_agent: Option<String>,
    pub message: String,
    pub format: String,
    pub file: String,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub line: Option<u64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub offset: u64,
    pub flags: Vec<String>,
    /// Tags, star and note the investigator added, if any.
    #[serde(default)]
    pub marks: Option<Marks>,
    /// The most serious level of the detections on it (`high`), if any.
    #[serde(default)]
    pub detection: Option<String>,
}

impl From<&AuditEvent> for EventRow {
    fn from(e: &AuditEvent) -> Self {
        EventRow {
            id: e.id(),
            time: e.time.utc_nanos.map(crate::time::format_rfc3339),
            time_original: e.time.original.clone(),
            actor: e.actor.clone(),
            action: e.action.clone(),
            activity: e.activity,
            code: e.code.clone(),
            target: e.target.clone(),
            outcome: e.outcome.as_str().to_string(),
            category: e.category.as_str().to_string(),
            ip: e.source_ip.clone(),
            service: e.service.clone(),
            region: e.region.clone(),
            session: e.session_id.clone(),
            request: e.request_id.clone(),
            native_id: e.native_id.clone(),
            user_agent: e.user_agent.clone(),
            message: e.message.clone(),
            format: e.format.clone(),
            file: e.provenance.path.clone(),
            line: e.provenance.line,
            offset: e.provenance.offset,
            flags: e.flags.clone(),
            marks: None,
            detection: None,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct FacetValue {
    pub value: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub count: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Facet {
    pub field: String,
    pub values: Vec<FacetValue>,
    /// Distinct values among the hits (only the top ones are listed).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub distinct: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Bucket {
    /// RFC 3339 UTC start of the bucket.
    pub start: String,
    #[serde(with = "crate::model::nanos")]
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub start_nanos: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub success: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub failure: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unknown: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct Histogram {
    pub bucket_seconds: f64,
    pub buckets: Vec<Bucket>,
    /// Hits without a time.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub untimed: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct SearchResult {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total: u64,
    pub events: Vec<EventRow>,
    pub facets: Vec<Facet>,
    pub histogram: Histogram,
}

/// Everything known about one event, for the detail view.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
pub struct EventDetail {
    pub row: EventRow,
    pub event: AuditEvent,
    /// The raw record as text (invalid UTF-8 shown as U+FFFD; `raw_sha256` is of the true bytes).
    pub raw: String,
    pub raw_sha256: String,
    /// The record as parsed (CSV rows as objects keyed by column), for the field tree.
    #[cfg_attr(feature = "ts", ts(type = "unknown"))]
    pub record: serde_json::Value,
    /// Tags, star and note the investigator added.
    pub marks: Marks,
}

/// Bucket widths the histogram chooses from, in seconds.
const WIDTHS: [i64; 20] = [
    1,
    5,
    10,
    30,
    60,
    300,
    600,
    1800,
    3600,
    3 * 3600,
    6 * 3600,
    12 * 3600,
    86_400,
    2 * 86_400,
    7 * 86_400,
    14 * 86_400,
    30 * 86_400,
    91 * 86_400,
    182 * 86_400,
    365 * 86_400,
];

fn layout(lo: i64, hi: i64, target: usize) -> Layout {
    let span = (hi - lo).max(1);
    let target = target.clamp(10, 1000) as i64;
    let width = WIDTHS
        .iter()
        .map(|s| s * 1_000_000_000)
        .find(|w| span / w <= target)
        .unwrap_or_else(|| (span / target).max(1));
    let start = lo.div_euclid(width) * width;
    let buckets = ((hi - start) / width + 1).clamp(1, 100_000) as usize;
    Layout {
        start,
        width,
        buckets,
    }
}

/// Runs a search: the total, the page of rows, facet counts and the histogram `req` asks for.
pub fn run(store: &Store, req: &SearchRequest) -> Result<SearchResult> {
    store.reader.reload()?;
    let searcher = store.reader.searcher();
    let Compiled {
        query,
        index_only,
        whole_case,
        excluded,
    } = compile_noting(store, &searcher, req)?;
    // A search that only leaves things out is counted as the whole case less what it leaves
    // out, when that is less work.
    let left_out = match excluded {
        Some(parts) if complement::worth_it(&searcher, &parts)? => Some(complement::union(parts)),
        _ => None,
    };
    let range = match (req.from, req.to) {
        (Some(lo), Some(hi)) => Some((lo, hi - 1)),
        _ => crate::index::time_bounds(&searcher)?
            .map(|(lo, hi)| (req.from.unwrap_or(lo), req.to.map_or(hi, |t| t - 1))),
    };
    let layout = range
        .filter(|(lo, hi)| hi >= lo && req.histogram_buckets > 0)
        .map(|(lo, hi)| layout(lo, hi, req.histogram_buckets));
    // Scrolling deep into a long result asks for pages far from its start. The first such
    // page sorts the whole hit list once and keeps it for this query and index state, so
    // every further page costs only its own rows.
    let deep = req.limit > 0 && req.offset >= DEEP_PAGE;
    let page = (req.limit > 0 && !deep).then(|| Page {
        order: req.order,
        keep: req.offset.saturating_add(req.limit),
    });
    // A page scrolled to deep in the table asks for rows only: the passes that find it count
    // the hits too, so the counting pass is not needed.
    let rows_only = deep && layout.is_none() && req.facet_limit == 0;
    let deep_page = if deep {
        // Every page of one result starts from the same spread of its hits over time: made once
        // per result and index state, a jump costs only the narrow passes around its page.
        let key = index_only.then(|| {
            format!(
                "spread {:?} {:?} {:?} {:?} {}",
                req.query,
                req.filters,
                req.from,
                req.to,
                index_state(&searcher)
            )
        });
        Some(deep::page(
            store,
            &searcher,
            query.as_ref(),
            key.as_deref(),
            req.order,
            req.offset,
            req.limit,
        )?)
    } else {
        None
    };
    let counter = CountCollector {
        layout,
        facets: req.facet_limit > 0,
        page,
    };
    let mut counts = if rows_only {
        Counts {
            total: deep_page.as_ref().map_or(0, |(total, _)| *total),
            ..Counts::default()
        }
    } else if whole_case {
        whole::counts(store, &searcher, &counter)?
    } else if let Some(left_out) = &left_out {
        let whole = whole::counts(store, &searcher, &counter)?;
        let time = store.fields.time;
        match complement::counts(&searcher, time, whole, &query, left_out, &counter)? {
            Some(counts) => counts,
            None => searcher.search(&query, &counter)?,
        }
    } else {
        searcher.search(&query, &counter)?
    };
    let layout = match (layout, req.from, req.to) {
        (Some(current), None, None) => Some(fit_timeline(
            &searcher,
            &query,
            req,
            &mut counts,
            current,
            page,
        )?),
        _ => layout,
    };
    let page = if let Some((_, docs)) = deep_page {
        docs
    } else {
        counts
            .top
            .take()
            .map(|top| top.into_page(req.offset))
            .unwrap_or_default()
    };
    let mut events: Vec<EventRow> = page
        .into_iter()
        .map(|addr| stored::load(store, &searcher, addr).map(|e| EventRow::from(&e)))
        .collect::<Result<_>>()?;
    if store.has_marks()? {
        let ids: Vec<String> = events.iter().map(|e| e.id.clone()).collect();
        let mut marks = store.marks_of(&ids)?;
        for e in &mut events {
            e.marks = marks.remove(&e.id);
        }
    }
    let seqs: Vec<u64> = events
        .iter()
        .filter_map(|e| crate::model::event::parse_event_id(&e.id))
        .map(|(f, o)| crate::model::event::sequence_key(f, o))
        .collect();
    let mut levels = store.levels_of(&seqs)?;
    for (e, seq) in events.iter_mut().zip(&seqs) {
        e.detection = levels.remove(seq);
    }
    let mut facets = facets(std::mem::take(&mut counts.facets), req.facet_limit);
    if req.facet_limit > 0 {
        if let Some(tags) = marked::tag_facet(store, &searcher, query.as_ref(), req.facet_limit)? {
            facets.push(tags);
        }
        let hits = match (&left_out, whole_case) {
            (_, true) => marked::Hits::AllBut(&EmptyQuery),
            (Some(left_out), _) => marked::Hits::AllBut(left_out),
            (None, false) => marked::Hits::Of(query.as_ref()),
        };
        let state = index_state(&searcher);
        facets.extend(marked::detection_facets(
            store,
            &searcher,
            hits,
            &state,
            req.facet_limit,
        )?);
    }
    Ok(SearchResult {
        total: counts.total,
        events,
        facets,
        histogram: histogram(layout, &counts),
    })
}

/// Events whose time lies between `from` and `to` (the time column, nanoseconds).
fn time_range(time: Field, from: Bound<i64>, to: Bound<i64>) -> RangeQuery {
    let term = |t| Term::from_field_i64(time, t);
    RangeQuery::new(from.map(term), to.map(term))
}

/// Names the index state `searcher` reads: its segments, in order, and their deletions.
fn index_state(searcher: &Searcher) -> String {
    let mut state = String::new();
    for reader in searcher.segment_readers() {
        state.push_str(&reader.segment_id().uuid_string());
        state.push(':');
        state.push_str(&reader.num_deleted_docs().to_string());
        state.push(' ');
    }
    state
}

/// Without a range the axis spans the whole case; hits that fill a small part of it (one
/// afternoon in a case of years) get an axis of their own. Each narrowing is a pass over the
/// time and outcome columns only, and happens only when the hits sit in under a quarter of the
/// buckets, so a search over most of the case pays nothing. Returns the layout the histogram in
/// `counts` now has.
fn fit_timeline(
    searcher: &Searcher,
    query: &dyn Query,
    req: &SearchRequest,
    counts: &mut Counts,
    mut current: Layout,
    page: Option<Page>,
) -> Result<Layout> {
    // When the page holds every hit, their exact span is known without a pass.
    let exact = match (&counts.top, page) {
        (Some(top), Some(p)) if counts.total <= p.keep as u64 => top.time_span(p.order),
        _ => None,
    };
    let rounds = if exact.is_some() { 1 } else { 3 };
    for _ in 0..rounds {
        let mut used = counts
            .histogram
            .iter()
            .enumerate()
            .filter(|(_, c)| c.iter().any(|n| *n > 0))
            .map(|(i, _)| i as i64);
        let Some(first) = used.next() else { break };
        let last = used.next_back().unwrap_or(first);
        if (last - first + 1) * 4 >= current.buckets as i64 {
            break;
        }
        let (lo, hi) = exact.unwrap_or((
            current.start + first * current.width,
            current.start + (last + 1) * current.width - 1,
        ));
        let fitted = layout(lo, hi, req.histogram_buckets);
        let again = searcher.search(
            query,
            &CountCollector {
                layout: Some(fitted),
                facets: false,
                page: None,
            },
        )?;
        counts.histogram = again.histogram;
        current = fitted;
    }
    Ok(current)
}

/// The facets of the index's facet fields, most frequent values first, `limit` of each.
fn facets(counted: Vec<collect::ValueCounts>, limit: usize) -> Vec<Facet> {
    FACETS
        .iter()
        .zip(counted)
        .map(|(name, values)| {
            let distinct = values.len() as u64;
            let mut values: Vec<FacetValue> = values
                .into_iter()
                .map(|(value, count)| FacetValue { value, count })
                .collect();
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
            values.truncate(limit);
            Facet {
                field: name.to_string(),
                values,
                distinct,
            }
        })
        .collect()
}

fn histogram(layout: Option<Layout>, counts: &Counts) -> Histogram {
    Histogram {
        bucket_seconds: layout.map_or(0.0, |l| l.width as f64 / 1e9),
        untimed: counts.untimed,
        buckets: layout
            .map(|l| {
                counts
                    .histogram
                    .iter()
                    .enumerate()
                    .map(|(i, c)| {
                        let start_nanos = l.start + i as i64 * l.width;
                        Bucket {
                            start: crate::time::format_rfc3339(start_nanos),
                            start_nanos,
                            success: c[0],
                            failure: c[1],
                            unknown: c[2],
                        }
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// The tantivy query for `req`: its query text, time range and facet filters.
pub(crate) fn compile(
    store: &Store,
    searcher: &Searcher,
    req: &SearchRequest,
) -> Result<Box<dyn Query>> {
    Ok(compile_noting(store, searcher, req)?.query)
}

/// A compiled request and what a kept result of it may depend on.
struct Compiled {
    query: Box<dyn Query>,
    /// It reads only the index: not the marks or detections the case database holds, which
    /// change without the index changing.
    index_only: bool,
    /// It is every event of the case: no query, range or filter.
    whole_case: bool,
    /// What it leaves out, when leaving out is all it does (see [`complement`]).
    excluded: Option<Vec<Box<dyn Query>>>,
}

/// [`compile`], noting what the query reads.
fn compile_noting(store: &Store, searcher: &Searcher, req: &SearchRequest) -> Result<Compiled> {
    let reads_db = std::cell::Cell::new(false);
    let builder = build::Builder {
        index: &store.index,
        searcher,
        fields: &store.fields,
        marks: &|q| {
            reads_db.set(true);
            store.marked(q)
        },
        detections: &|q| {
            reads_db.set(true);
            store.detected(q)
        },
    };
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
    // What the request leaves out, while leaving out is all it does.
    let mut excluded: Option<Vec<Box<dyn Query>>> = Some(Vec::new());
    if let Some(node) = query::parse(&req.query)? {
        clauses.push((Occur::Must, builder.build(&node)?));
        excluded = match complement::left_out(&node) {
            Some(parts) => Some(
                parts
                    .into_iter()
                    .map(|p| builder.build(p))
                    .collect::<Result<_>>()?,
            ),
            None => None,
        };
    }
    if req.from.is_some() || req.to.is_some() {
        let from = req.from.map_or(Bound::Unbounded, Bound::Included);
        let to = req.to.map_or(Bound::Unbounded, Bound::Excluded);
        clauses.push((
            Occur::Must,
            Box::new(time_range(store.fields.time, from, to)),
        ));
        excluded = None;
    }
    for filter in &req.filters {
        let (occur, kept) = if filter.exclude {
            (Occur::MustNot, excluded.as_mut())
        } else {
            excluded = None;
            (Occur::Must, None)
        };
        let query: Box<dyn Query> = if filter.field == "tag" {
            reads_db.set(true);
            let seqs = store.marked(&MarkQuery::Tag(filter.value.clone()))?;
            Box::new(seqset::SeqSetQuery::new(seqs))
        } else {
            if !FACETS.contains(&filter.field.as_str()) {
                return Err(Error::Invalid(format!(
                    "cannot filter on {:?}; facets are {}",
                    filter.field,
                    FACETS.join(", ")
                )));
            }
            let field = store.index.schema().get_field(&filter.field)?;
            let term = Term::from_field_text(field, &filter.value.to_lowercase());
            Box::new(TermQuery::new(term, IndexRecordOption::Basic))
        };
        if let Some(parts) = kept {
            parts.push(query.box_clone());
        }
        clauses.push((occur, query));
    }
    let whole_case = clauses.is_empty();
    if clauses.iter().all(|(o, _)| *o == Occur::MustNot) {
        clauses.push((Occur::Must, Box::new(AllQuery)));
    }
    Ok(Compiled {
        query: Box::new(BooleanQuery::new(clauses)),
        index_only: !reads_db.get(),
        whole_case,
        excluded: excluded.filter(|parts| !parts.is_empty()),
    })
}
