//! How import and follower writers merge segments: `Merges`, a merge policy over tantivy's log
//! policy that bounds what a merge maps and spares a small import merges it does not need.

use tantivy::index::SegmentId;
use tantivy::indexer::{LogMergePolicy, MergeCandidate, MergePolicy};
use tantivy::SegmentMeta;

/// Segments merged at a time (tantivy's log policy merges eight of a size or more); but see
/// [`SMALL_MERGE_SEGMENTS`].
const MERGE_SEGMENTS: usize = 4;
/// An import's small segments (of its checkpoints) merged at a time below
/// [`MERGE_ALL_FROM_DOCS`].
const SMALL_MERGE_SEGMENTS: usize = 8;
/// Segments holding more documents than this are not merged again.
const FINAL_SEGMENT_DOCS: usize = 500_000;
/// While the segments offered for merging hold fewer documents than this, only segments smaller
/// than [`SMALL_SEGMENT_DOCS`] are merged. (tantivy offers committed and uncommitted segments
/// apart: a later import's own segments count alone.)
const MERGE_ALL_FROM_DOCS: u64 = 1_200_000;
/// Segments of a checkpoint or a follower's batch, not of a full indexing buffer (about 190,000
/// events with 384 MB of indexing memory).
const SMALL_SEGMENT_DOCS: usize = 100_000;

/// How an import's writer merges segments: tantivy's log policy, at most four full-size
/// segments of a size at a time instead of every segment of that size (eight or more), no
/// segment over half a million documents merged again, and full-size segments only once there
/// are 1.2 million documents to merge among. Until then, small segments wait for eight, as
/// tantivy's do.
///
/// A merge reads its sources through the same memory maps searches use, so their pages count in
/// the import's resident memory until the merged segment replaces them: eight segments of an
/// import with 384 MB of indexing memory (about 190,000 events each) mapped 580 MB at 10M
/// events, on top of the indexing heap. Four map half that, and every event is still merged
/// once: a 10M import ends with segments of about 750,000 events instead of 1.5M. A million
/// events were never merged that far (five full segments, fewer than eight), and merging four
/// of them at the end made that import 5–7 s slower for no faster search; hence the threshold.
/// Not merging full segments at all kept 58 segments at 10M: import 12% faster, but id lookups
/// p95 14 ms and term searches 40–80% slower.
#[derive(Debug)]
pub(crate) struct Merges {
    small: LogMergePolicy,
    all: LogMergePolicy,
    /// Documents offered from which full-size segments are merged too.
    all_from: u64,
    /// Small segments merged at a time, at least.
    small_group: usize,
}

impl Merges {
    pub(crate) fn new() -> Merges {
        let policy = |largest: usize| {
            let mut policy = LogMergePolicy::default();
            policy.set_min_num_segments(MERGE_SEGMENTS);
            policy.set_max_docs_before_merge(largest);
            policy
        };
        Merges {
            small: policy(SMALL_SEGMENT_DOCS),
            all: policy(FINAL_SEGMENT_DOCS),
            all_from: MERGE_ALL_FROM_DOCS,
            small_group: SMALL_MERGE_SEGMENTS,
        }
    }

    /// A follower's: its batches' small segments are merged as soon as four are there, the case's
    /// full-size ones are left to imports. Merging four of those while following a 1M case (1.2M
    /// events offered) took the follower's peak RSS from 458–471 to 742–778 MB and its batches
    /// from 0.8 to 1.7–1.9 s. A follower makes a small segment every batch, without end, and its
    /// searches read them all: with eight at a time it kept 19–21 segments instead of 10–13, and
    /// written → searchable p50 was 1.3–1.8 s against 1.1–1.2 s (p95 2.4–4.2 against 1.9–3.6 s).
    pub(crate) fn following() -> Merges {
        Merges {
            all_from: u64::MAX,
            small_group: MERGE_SEGMENTS,
            ..Merges::new()
        }
    }
}

impl MergePolicy for Merges {
    fn compute_merge_candidates(&self, segments: &[SegmentMeta]) -> Vec<MergeCandidate> {
        let docs: u64 = segments.iter().map(|s| u64::from(s.num_docs())).sum();
        // Below the threshold an import is nearly done: merging its checkpoints' few small
        // segments four at a time made a 1M import with the rules slower (`make bench`, eight
        // runs a build in four interleaved rounds: 23,150 against 24,800 events/s on average,
        // median CPU 83 against 76 µs/event), so they wait for eight, as tantivy's do. Above
        // it, four, as measured at 10M before (one run with eight peaked at 1.04 GB, but single
        // 10M runs varied as much; see `import::new_writer`).
        let (policy, small_group) = if docs >= self.all_from {
            (&self.all, MERGE_SEGMENTS)
        } else {
            (&self.small, self.small_group)
        };
        let docs_of = |id: &SegmentId| {
            segments
                .iter()
                .find(|s| s.id() == *id)
                .map_or(0, |s| s.num_docs() as usize)
        };
        // The log policy merges a whole level; its segments come largest first, so each group
        // holds segments of about one size. The rest wait for the level to fill again.
        policy
            .compute_merge_candidates(segments)
            .into_iter()
            .flat_map(|level| {
                let small = level.0.iter().all(|id| docs_of(id) < SMALL_SEGMENT_DOCS);
                let group = if small { small_group } else { MERGE_SEGMENTS };
                level
                    .0
                    .chunks_exact(group)
                    .map(|group| MergeCandidate(group.to_vec()))
                    .collect::<Vec<_>>()
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::schema;
    use tantivy::Index;

    /// The groups `Merges` forms from segments of these sizes, as sizes.
    fn groups(sizes: &[u32]) -> Vec<Vec<u32>> {
        let index = Index::create_in_ram(schema().0);
        let metas: Vec<SegmentMeta> = sizes
            .iter()
            .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
            .collect();
        let size_of = |id: &SegmentId| {
            metas
                .iter()
                .find(|m| m.id() == *id)
                .map_or(0, |m| m.max_doc())
        };
        let mut out: Vec<Vec<u32>> = Merges::new()
            .compute_merge_candidates(&metas)
            .iter()
            .map(|c| c.0.iter().map(size_of).collect())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn segments_are_merged_four_of_a_size_at_a_time() {
        let full = |n: u32| -> Vec<u32> { (0..n).map(|i| 190_000 + i * 1000).collect() };
        // Three of a size wait for a fourth.
        let mut three = full(3);
        three.extend([2_000_000; 2]);
        assert!(groups(&three).is_empty());
        // Eleven full ones among 2.1M events: two merges of four (not one of eleven), the
        // smallest three wait.
        let groups_of_eleven = groups(&full(11));
        assert_eq!(
            groups_of_eleven,
            vec![
                vec![196_000, 195_000, 194_000, 193_000],
                vec![200_000, 199_000, 198_000, 197_000],
            ]
        );
        // Sizes apart are not merged together.
        let mut two_sizes = full(4);
        two_sizes.extend([20_000; 4]);
        two_sizes.push(2_000_000);
        assert_eq!(
            groups(&two_sizes),
            vec![vec![20_000; 4], vec![193_000, 192_000, 191_000, 190_000]]
        );
        // What four of them made is not merged again.
        assert!(groups(&[760_000; 8]).is_empty());
    }

    #[test]
    fn a_follower_leaves_full_segments_alone() {
        let index = Index::create_in_ram(schema().0);
        let mut sizes = vec![190_000; 10];
        sizes.extend([20_000; 4]);
        let metas: Vec<SegmentMeta> = sizes
            .iter()
            .map(|&n| index.new_segment_meta(SegmentId::generate_random(), n))
            .collect();
        let found = Merges::following().compute_merge_candidates(&metas);
        assert_eq!(found.len(), 1);
        assert!(found[0]
            .0
            .iter()
            .all(|id| metas.iter().any(|m| m.id() == *id && m.max_doc() == 20_000)));
        // An import's writer merges the full ones too.
        assert_eq!(Merges::new().compute_merge_candidates(&metas).len(), 3);
    }

    #[test]
    fn a_small_index_merges_only_small_segments() {
        // A million events: five full segments stay as they are, and so do a checkpoint's
        // four small ones; eight small ones merge at once. (Past 1.2M, see above, four do.)
        let mut million: Vec<u32> = vec![190_000; 5];
        million.extend([30_000, 28_000, 31_000, 29_000]);
        assert!(groups(&million).is_empty());
        million.extend([27_000, 26_000, 32_000, 25_000]);
        assert_eq!(
            groups(&million),
            vec![vec![
                32_000, 31_000, 30_000, 29_000, 28_000, 27_000, 26_000, 25_000
            ]]
        );
    }
}
