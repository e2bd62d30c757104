//! The store's documents in time order, for the narrow time ranges of incremental reads.
//! A range of milliseconds is found by binary search over the sorted timestamps, so the
//! time field needs no inverted index: indexing a million distinct timestamps as terms
//! cost about a fifth of loading, and scanning the whole time column for the newest few
//! minutes costs a millisecond per search.

use std::fmt;
use std::sync::Arc;

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, TERMINATED};

use super::error::StoreError;

/// Every document's timestamp (epoch ms), sorted, with the document.
#[derive(Default)]
pub struct Timeline {
    at_ms: Vec<i64>,
    docs: Vec<DocId>,
}

impl fmt::Debug for Timeline {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timeline")
            .field("documents", &self.docs.len())
            .field("first_ms", &self.at_ms.first())
            .field("last_ms", &self.at_ms.last())
            .finish()
    }
}

impl Timeline {
    /// Reads the time column (`time_field`, one value per document) of the store's segment.
    pub fn build(segment: Option<&SegmentReader>, time_field: &str) -> Result<Self, StoreError> {
        let Some(segment) = segment else {
            return Ok(Timeline::default());
        };
        let column = segment.fast_fields().date(time_field)?;
        let entries: Vec<(i64, DocId)> = (0..segment.max_doc())
            .filter_map(|doc| {
                column
                    .first(doc)
                    .map(|at| (at.into_timestamp_millis(), doc))
            })
            .collect();
        Ok(Timeline::from_entries(entries))
    }

    /// The timeline of `(timestamp, document)` pairs in any order.
    fn from_entries(mut entries: Vec<(i64, DocId)>) -> Self {
        entries.sort_unstable();
        Timeline {
            at_ms: entries.iter().map(|(at, _)| *at).collect(),
            docs: entries.into_iter().map(|(_, doc)| doc).collect(),
        }
    }

    /// The first and last timestamp (`None` when there are no documents).
    pub fn span(&self) -> Option<(i64, i64)> {
        Some((*self.at_ms.first()?, *self.at_ms.last()?))
    }

    /// The documents with a timestamp in `[from_ms, to_ms)`, ascending by document.
    pub fn docs_between(&self, from_ms: i64, to_ms: i64) -> Vec<DocId> {
        let start = self.at_ms.partition_point(|&at| at < from_ms);
        let end = self.at_ms.partition_point(|&at| at < to_ms).max(start);
        let mut docs = self.docs[start..end].to_vec();
        docs.sort_unstable();
        docs
    }
}

/// Matches the documents with a timestamp in `[from_ms, to_ms)`.
#[derive(Debug, Clone)]
pub struct TimeRangeQuery {
    timeline: Arc<Timeline>,
    from_ms: i64,
    to_ms: i64,
}

impl TimeRangeQuery {
    pub fn new(timeline: Arc<Timeline>, from_ms: i64, to_ms: i64) -> Self {
        TimeRangeQuery {
            timeline,
            from_ms,
            to_ms,
        }
    }
}

impl Query for TimeRangeQuery {
    fn weight(&self, _scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(TimeRangeWeight {
            docs: Arc::new(self.timeline.docs_between(self.from_ms, self.to_ms)),
        }))
    }
}

struct TimeRangeWeight {
    docs: Arc<Vec<DocId>>,
}

impl Weight for TimeRangeWeight {
    fn scorer(&self, _reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(SortedDocs {
            docs: self.docs.clone(),
            cursor: 0,
            score: boost,
        }))
    }

    fn explain(&self, _reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        if self.docs.binary_search(&doc).is_err() {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} is not in the time range"
            )));
        }
        Ok(Explanation::new("in the time range", 1.0))
    }
}

/// A scorer over documents known in advance, ascending, each scoring `score`.
struct SortedDocs {
    docs: Arc<Vec<DocId>>,
    cursor: usize,
    score: Score,
}

impl DocSet for SortedDocs {
    fn advance(&mut self) -> DocId {
        self.cursor = (self.cursor + 1).min(self.docs.len());
        self.doc()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc() < target {
            let rest = &self.docs[self.cursor..];
            self.cursor += rest.partition_point(|&doc| doc < target);
        }
        self.doc()
    }

    fn doc(&self) -> DocId {
        self.docs.get(self.cursor).copied().unwrap_or(TERMINATED)
    }

    fn size_hint(&self) -> u32 {
        (self.docs.len() - self.cursor) as u32
    }
}

impl Scorer for SortedDocs {
    fn score(&mut self) -> Score {
        self.score
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn timeline(at_ms: &[i64]) -> Timeline {
        Timeline::from_entries(
            at_ms
                .iter()
                .enumerate()
                .map(|(doc, at)| (*at, doc as DocId))
                .collect(),
        )
    }

    #[test]
    fn ranges_include_their_start_and_exclude_their_end() {
        // Documents out of time order, and two at the same millisecond.
        let timeline = timeline(&[300, 100, 200, 200, 400]);
        assert_eq!(timeline.docs_between(200, 400), vec![0, 2, 3]);
        assert_eq!(timeline.docs_between(100, 101), vec![1]);
        assert_eq!(timeline.docs_between(401, 500), Vec::<DocId>::new());
        assert_eq!(timeline.docs_between(500, 100), Vec::<DocId>::new());
        assert_eq!(
            timeline.docs_between(i64::MIN, i64::MAX),
            vec![0, 1, 2, 3, 4]
        );
        assert_eq!(timeline.span(), Some((100, 400)));
        assert_eq!(Timeline::default().span(), None);
    }

    #[test]
    fn the_scorer_walks_and_seeks_in_document_order() {
        let mut docs = SortedDocs {
            docs: Arc::new(vec![2, 5, 9, 14]),
            cursor: 0,
            score: 1.0,
        };
        assert_eq!(docs.doc(), 2);
        assert_eq!(docs.size_hint(), 4);
        assert_eq!(docs.seek(6), 9);
        assert_eq!(docs.seek(3), 9);
        assert_eq!(docs.advance(), 14);
        assert_eq!(docs.advance(), TERMINATED);
        assert_eq!(docs.advance(), TERMINATED);
        assert_eq!(docs.seek(20), TERMINATED);
    }
}
