//! Searches that only leave things out (`-action:GetObject`, a facet value Alt-clicked away),
//! counted from what they leave out.
//!
//! Leaving out the most common value is what a person does first with a busy case, and it
//! keeps most of the case: at 10M events, `-action:GetObject` keeps 8.5M hits, and counting
//! facets and histogram over them read twelve columns per hit (~0.4 s). The whole case's
//! counts are kept per index state, so the counts of "all but X" are those minus the counts of
//! X, a pass over the hits left out. The histogram so made says which buckets at the end of the
//! timeline hold the page, and a pass over the kept hits in those finds it.

use std::ops::Bound;

use tantivy::query::{BooleanQuery, Occur, Query};
use tantivy::schema::Field;
use tantivy::Searcher;

use super::collect::{BucketCounts, CountCollector, Counts, Layout, Page};
use super::query::Node;
use crate::error::Result;
use crate::model::SortOrder;

/// The parts of a query that only leaves things out: `-a`, `-a -b`, `NOT a AND NOT b`.
/// `None` when it asks for anything (a word, a field value, an OR of exclusions).
pub(super) fn left_out(node: &Node) -> Option<Vec<&Node>> {
    match node {
        Node::Not(inner) => Some(vec![inner]),
        Node::And(parts) => parts
            .iter()
            .map(|p| match p {
                Node::Not(inner) => Some(&**inner),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

/// Whether counting `excluded` and subtracting is cheaper than counting what is kept: what
/// is left out (an upper bound, summed over the parts) must be under a third of the case.
/// Both passes read the same columns per hit, so the subtraction wins while fewer hits are
/// left out than kept; the margin pays for the page's pass.
pub(super) fn worth_it(searcher: &Searcher, excluded: &[Box<dyn Query>]) -> Result<bool> {
    if excluded.is_empty() {
        return Ok(false);
    }
    let docs = searcher.num_docs() as usize;
    let mut out = 0usize;
    for part in excluded {
        // A term's count is its document frequency where a segment has no deletions.
        out = out.saturating_add(part.count(searcher)?);
        if out.saturating_mul(3) >= docs {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Any of the `excluded` parts.
pub(super) fn union(excluded: Vec<Box<dyn Query>>) -> BooleanQuery {
    BooleanQuery::new(excluded.into_iter().map(|q| (Occur::Should, q)).collect())
}

/// The counts of `query` (everything but what `left_out` matches), given `whole`, the whole
/// case's counts made with the same `counter` layout and facets. `None` if the subtraction
/// does not add up (the caller then counts the hits themselves).
pub(super) fn counts(
    searcher: &Searcher,
    time: Field,
    whole: Counts,
    query: &dyn Query,
    left_out: &dyn Query,
    counter: &CountCollector,
) -> Result<Option<Counts>> {
    let minus = searcher.search(
        left_out,
        &CountCollector {
            layout: counter.layout,
            facets: counter.facets,
            page: None,
        },
    )?;
    let mut counts = subtract(whole, minus);
    let Some(page) = counter.page else {
        return Ok(Some(counts));
    };
    // The page is among the kept hits of the buckets at its end of the timeline: a pass over
    // those instead of all of them (8.5M at 10M events) finds it.
    let span = counter
        .layout
        .and_then(|layout| page_span(&counts.histogram, layout, page));
    let page_only = CountCollector {
        layout: None,
        facets: false,
        page: Some(page),
    };
    let (kept, expected) = match span {
        Some((from, to, n)) => {
            let bound = |t: Option<i64>| t.map_or(Bound::Unbounded, Bound::Included);
            let range = super::time_range(time, bound(from), bound(to));
            let narrowed = BooleanQuery::new(vec![
                (Occur::Must, query.box_clone()),
                (Occur::Must, Box::new(range)),
            ]);
            (searcher.search(&narrowed, &page_only)?, n)
        }
        None => (searcher.search(query, &page_only)?, counts.total),
    };
    if kept.total != expected {
        return Ok(None);
    }
    counts.top = kept.top;
    Ok(Some(counts))
}

/// The time span (first and last nanosecond, open where `None`) of the fewest buckets at the
/// page's end of the timeline that hold the page, and the hits they hold. `None` when the
/// timed hits are too few (untimed ones sort after them, in either order).
fn page_span(
    histogram: &[BucketCounts],
    layout: Layout,
    page: Page,
) -> Option<(Option<i64>, Option<i64>, u64)> {
    let keep = page.keep as u64;
    let mut held = 0u64;
    let mut buckets: Box<dyn Iterator<Item = (usize, &BucketCounts)>> = match page.order {
        SortOrder::NewestFirst => Box::new(histogram.iter().enumerate().rev()),
        SortOrder::OldestFirst => Box::new(histogram.iter().enumerate()),
    };
    let (at, _) = buckets.find(|(_, counts)| {
        held += counts.iter().sum::<u64>();
        held >= keep
    })?;
    let start = layout.start + at as i64 * layout.width;
    Some(match page.order {
        SortOrder::NewestFirst => (Some(start), None, held),
        SortOrder::OldestFirst => (None, Some(start + layout.width - 1), held),
    })
}

/// `whole` less `part`, value by value; values counted to zero are dropped, as a pass over the
/// kept hits would never have seen them.
fn subtract(mut whole: Counts, part: Counts) -> Counts {
    whole.total = whole.total.saturating_sub(part.total);
    whole.untimed = whole.untimed.saturating_sub(part.untimed);
    whole.top = None;
    for (into, from) in whole.facets.iter_mut().zip(part.facets) {
        for (value, n) in from {
            if let Some(count) = into.get_mut(&value) {
                *count = count.saturating_sub(n);
            }
        }
        into.retain(|_, n| *n > 0);
    }
    for (into, from) in whole.histogram.iter_mut().zip(part.histogram) {
        for k in 0..3 {
            into[k] = into[k].saturating_sub(from[k]);
        }
    }
    whole
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn shape(query: &str) -> Option<usize> {
        let node = parse(query).ok().flatten()?;
        left_out(&node).map(|parts| parts.len())
    }

    #[test]
    fn only_queries_that_leave_out_are_subtracted() {
        assert_eq!(shape("-action:GetObject"), Some(1));
        assert_eq!(shape("-action:GetObject -outcome:success"), Some(2));
        assert_eq!(shape("NOT a AND NOT (b OR c)"), Some(2));
        assert_eq!(shape("actor:alice -action:GetObject"), None);
        assert_eq!(shape("-a OR -b"), None);
        assert_eq!(shape("alice"), None);
    }

    #[test]
    fn the_page_lies_in_the_buckets_at_its_end_of_the_timeline() {
        let layout = Layout {
            start: 1000,
            width: 10,
            buckets: 4,
        };
        let histogram = [[3, 0, 0], [0, 0, 0], [2, 1, 0], [1, 0, 1]];
        let page = |order, keep| Page { order, keep };
        // Newest first: the last two buckets hold 5 >= 4 hits, from 1020 on.
        assert_eq!(
            page_span(&histogram, layout, page(SortOrder::NewestFirst, 4)),
            Some((Some(1020), None, 5))
        );
        assert_eq!(
            page_span(&histogram, layout, page(SortOrder::NewestFirst, 2)),
            Some((Some(1030), None, 2))
        );
        // Oldest first: the first bucket holds 3, up to 1009.
        assert_eq!(
            page_span(&histogram, layout, page(SortOrder::OldestFirst, 3)),
            Some((None, Some(1009), 3))
        );
        // More than the timed hits: untimed ones would be on the page.
        assert_eq!(
            page_span(&histogram, layout, page(SortOrder::OldestFirst, 9)),
            None
        );
    }

    #[test]
    fn subtraction_drops_values_counted_to_zero() {
        let mut whole = Counts {
            total: 10,
            untimed: 2,
            facets: vec![Default::default()],
            histogram: vec![[5, 3, 0], [1, 1, 0]],
            ..Counts::default()
        };
        whole.facets[0].insert("GetObject".into(), 6);
        whole.facets[0].insert("PutObject".into(), 4);
        let mut part = Counts {
            total: 6,
            untimed: 1,
            facets: vec![Default::default()],
            histogram: vec![[4, 1, 0], [1, 0, 0]],
            ..Counts::default()
        };
        part.facets[0].insert("GetObject".into(), 6);
        let left = subtract(whole, part);
        assert_eq!(left.total, 4);
        assert_eq!(left.untimed, 1);
        assert_eq!(left.histogram, vec![[1, 2, 0], [0, 1, 0]]);
        assert_eq!(left.facets[0].len(), 1);
        assert_eq!(left.facets[0].get("PutObject"), Some(&4));
    }
}
