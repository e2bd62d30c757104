//! The store's tantivy schema: the time field as a millisecond date, every other document
//! field in dynamic JSON fields (dots and nested objects alike) — one for the fast-field
//! columns, one for the term index (see `document`) — and the index name.

use std::sync::Arc;

use tantivy::schema::{
    DateOptions, DateTimePrecision, Field, IndexRecordOption, JsonObjectOptions, STRING, Schema,
    TextFieldIndexing,
};

use super::timeline::Timeline;

/// Name of the JSON field holding each document's fields as fast-field columns.
pub const DOCUMENT_FIELD: &str = "doc";
/// Name of the JSON field indexing each document's strings, booleans and dates as terms.
pub const TERMS_FIELD: &str = "doc_terms";
/// Name of the field holding the index a document belongs to.
pub const INDEX_FIELD: &str = "_index";
/// Name of the field holding each document's `_id`.
pub const ID_FIELD: &str = "_id";

/// Handles to the schema's fields, and the user-facing name of the time field.
#[derive(Debug, Clone)]
pub struct Fields {
    pub time: Field,
    pub time_name: String,
    /// Every document field, as columns.
    pub document: Field,
    /// The document's strings, booleans and dates, as terms.
    pub terms: Field,
    pub index: Field,
    pub id: Field,
    /// The documents in time order, once the store is built.
    pub timeline: Option<Arc<Timeline>>,
}

impl Fields {
    pub fn schema(time_field: &str) -> (Schema, Fields) {
        let mut builder = Schema::builder();
        let time = builder.add_date_field(
            time_field,
            // Not indexed: time ranges use the column or the timeline.
            DateOptions::default()
                .set_fast()
                .set_precision(DateTimePrecision::Milliseconds),
        );
        let indexing = TextFieldIndexing::default()
            .set_tokenizer("raw")
            .set_index_option(IndexRecordOption::Basic);
        let document = builder.add_json_field(
            DOCUMENT_FIELD,
            JsonObjectOptions::default()
                .set_fast("raw")
                .set_expand_dots_enabled(),
        );
        let terms = builder.add_json_field(
            TERMS_FIELD,
            JsonObjectOptions::default()
                .set_indexing_options(indexing)
                .set_expand_dots_enabled(),
        );
        let index = builder.add_text_field(INDEX_FIELD, STRING);
        let id = builder.add_text_field(ID_FIELD, STRING);
        let schema = builder.build();
        (
            schema,
            Fields {
                time,
                time_name: time_field.to_string(),
                document,
                terms,
                index,
                id,
                timeline: None,
            },
        )
    }

    /// The first and last timestamp stored (epoch ms), once the store is built and holds
    /// documents; lets time ranges choose the cheaper of the timeline and the column scan.
    pub fn time_span(&self) -> Option<(i64, i64)> {
        self.timeline.as_ref().and_then(|timeline| timeline.span())
    }

    pub fn is_time(&self, field: &str) -> bool {
        field == self.time_name
    }

    /// The tantivy column name for a document field (`host.name` → `doc.host.name`).
    pub fn column(&self, field: &str) -> String {
        if self.is_time(field) {
            field.to_string()
        } else {
            format!("{DOCUMENT_FIELD}.{field}")
        }
    }
}
