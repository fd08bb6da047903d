//! The page of a search: the `offset + limit` greatest sort keys among the hits, kept while the
//! hits are counted so each block's time column is read once for histogram and page alike.

use tantivy::DocAddress;

use crate::model::SortOrder;

/// Sort key, greatest first: events with a time before those without, then by time and import
/// order, flipped bitwise for oldest-first so one key type serves both orders. Import order
/// (`seq`) is unique, so no two hits tie and pages are stable.
pub type Key = (bool, i64, u64);

pub fn sort_key(order: SortOrder, time: Option<i64>, seq: u64) -> Key {
    let t = time.unwrap_or(0);
    match order {
        SortOrder::NewestFirst => (time.is_some(), t, seq),
        SortOrder::OldestFirst => (time.is_some(), !t, !seq),
    }
}

/// The best `keep` keys seen so far. Candidates collect in a buffer twice that size, which is
/// cut back to the best `keep` when full, so each hit costs amortized O(1).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Top {
    keep: usize,
    items: Vec<(Key, DocAddress)>,
    /// The worst key still kept after the last cut; anything not above it cannot make the page.
    floor: Option<Key>,
}

impl Top {
    /// The earliest and latest time among the kept hits; all of them while fewer than `keep`.
    pub fn time_span(&self, order: SortOrder) -> Option<(i64, i64)> {
        self.items
            .iter()
            .filter(|(k, _)| k.0)
            .map(|(k, _)| match order {
                SortOrder::NewestFirst => k.1,
                SortOrder::OldestFirst => !k.1,
            })
            .fold(None, |span, t| {
                Some(span.map_or((t, t), |(lo, hi): (i64, i64)| (lo.min(t), hi.max(t))))
            })
    }

    pub fn new(keep: usize) -> Top {
        Top {
            keep,
            items: Vec::new(),
            floor: None,
        }
    }

    pub fn push(&mut self, key: Key, doc: DocAddress) {
        if self.keep == 0 || self.floor.is_some_and(|floor| key <= floor) {
            return;
        }
        self.items.push((key, doc));
        if self.items.len() >= self.keep.saturating_mul(2).max(64) {
            self.cut();
        }
    }

    fn cut(&mut self) {
        if self.items.len() <= self.keep {
            return;
        }
        self.items
            .select_nth_unstable_by(self.keep - 1, |a, b| b.0.cmp(&a.0));
        self.items.truncate(self.keep);
        self.floor = self.items.iter().map(|(k, _)| *k).min();
    }

    /// Whether this is what `Top::new(keep)` and its pushes can make: a `Top` read back from disk
    /// is checked before it is used.
    pub fn fits(&self, keep: usize) -> bool {
        self.keep == keep
            && self.items.len() < keep.saturating_mul(2).max(64)
            && self
                .floor
                .is_none_or(|floor| self.items.iter().all(|(k, _)| *k >= floor))
    }

    /// The documents kept, in no order.
    pub fn docs(&self) -> impl Iterator<Item = DocAddress> + '_ {
        self.items.iter().map(|(_, doc)| *doc)
    }

    pub fn merge(&mut self, other: Top) {
        for (key, doc) in other.items {
            self.push(key, doc);
        }
    }

    /// The kept hits best first, without the first `offset`.
    pub fn into_page(mut self, offset: usize) -> Vec<DocAddress> {
        self.cut();
        self.items
            .sort_unstable_by_key(|item| std::cmp::Reverse(item.0));
        self.items
            .into_iter()
            .skip(offset)
            .map(|(_, doc)| doc)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_greatest_keys_in_order_whatever_the_arrival_order() {
        let keys: Vec<u64> = (0..1000).map(|i| (i * 7919) % 1000).collect();
        let mut top = Top::new(25);
        for (i, k) in keys.iter().enumerate() {
            top.push(
                sort_key(SortOrder::NewestFirst, Some(*k as i64), i as u64),
                DocAddress::new(0, *k as u32),
            );
        }
        let page: Vec<u32> = top.into_page(5).iter().map(|d| d.doc_id).collect();
        assert_eq!(page, (975..995).rev().collect::<Vec<u32>>());
    }

    #[test]
    fn oldest_first_and_untimed_last() {
        let mut top = Top::new(3);
        top.push(
            sort_key(SortOrder::OldestFirst, None, 0),
            DocAddress::new(0, 0),
        );
        top.push(
            sort_key(SortOrder::OldestFirst, Some(5), 1),
            DocAddress::new(0, 1),
        );
        top.push(
            sort_key(SortOrder::OldestFirst, Some(3), 2),
            DocAddress::new(0, 2),
        );
        top.push(
            sort_key(SortOrder::OldestFirst, Some(3), 3),
            DocAddress::new(0, 3),
        );
        let page: Vec<u32> = top.into_page(0).iter().map(|d| d.doc_id).collect();
        assert_eq!(page, vec![2, 3, 1]);
    }
}
