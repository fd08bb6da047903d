//! A query matching the events whose sequence keys are in a set: how marks kept in the case
//! database (tags, stars, notes) take part in index searches. One pass over the `seq` column per
//! segment, whatever the set's size.

use std::collections::HashSet;
use std::sync::Arc;

use tantivy::query::{
    BitSetDocSet, ConstScorer, EnableScoring, Explanation, Query, Scorer, Weight,
};
use tantivy::BitSet;
use tantivy::{DocId, Score, SegmentReader};

#[derive(Debug, Clone)]
pub struct SeqSetQuery {
    seqs: Arc<HashSet<u64>>,
}

impl SeqSetQuery {
    pub fn new(seqs: HashSet<u64>) -> SeqSetQuery {
        SeqSetQuery {
            seqs: Arc::new(seqs),
        }
    }
}

impl Query for SeqSetQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SeqSetWeight(self.seqs.clone())))
    }
}

struct SeqSetWeight(Arc<HashSet<u64>>);

impl Weight for SeqSetWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let mut docs = BitSet::with_max_value(reader.max_doc());
        if !self.0.is_empty() {
            if let Some(col) = reader.fast_fields().column_opt::<u64>("seq")? {
                for d in 0..reader.max_doc() {
                    if col.first(d).is_some_and(|s| self.0.contains(&s)) {
                        docs.insert(d);
                    }
                }
            }
        }
        Ok(Box::new(ConstScorer::new(BitSetDocSet::from(docs), boost)))
    }

    fn explain(&self, _reader: &SegmentReader, _doc: DocId) -> tantivy::Result<Explanation> {
        Ok(Explanation::new("marked event", 1.0))
    }
}
