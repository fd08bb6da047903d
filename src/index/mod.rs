//! The event index: tantivy schema, analyzers, and turning an [`AuditEvent`] into a document.
//!
//! Keyword fields (`actor`, `ip`, …) are indexed lowercased whole, so `actor:Alice` matches
//! exactly and case-insensitively; the facet fields are also fast (columnar, original case) for
//! counting. `all` holds every value's words for bare-word search; `kv` holds one `path=value`
//! token per original leaf for `eventName:ConsoleLogin`-style queries. Only the raw record and
//! its locator are stored (zstd): events are rebuilt from them for display, so the index holds
//! one copy of the evidence, not two.

mod merges;
mod read_only;

use std::path::Path;

use serde_json::Value;
use tantivy::schema::{
    BytesOptions, Field, IndexRecordOption, NumericOptions, Schema, TextFieldIndexing, TextOptions,
};
use tantivy::store::{Compressor, ZstdCompressor};
use tantivy::tokenizer::{
    LowerCaser, RawTokenizer, RemoveLongFilter, SimpleTokenizer, TextAnalyzer,
};
use tantivy::{Index, IndexSettings, TantivyDocument};

use crate::formats::value::for_each_leaf;
use crate::model::event::{sequence_key, AuditEvent};

pub(crate) use merges::Merges;

pub const KEYWORD_TOKENIZER: &str = "sl_keyword";
pub const WORDS_TOKENIZER: &str = "sl_words";

/// Longest value kept whole in a `kv` token; longer values are still found word by word.
const KV_VALUE_BYTES: usize = 256;
/// Most leaves of one record indexed as `kv` tokens and words.
const MAX_LEAVES: usize = 4096;
/// Most text of one record indexed for bare words.
const MAX_WORDS_BYTES: usize = 1 << 20;

/// Facet fields: fast string columns counted for the sidebar.
pub const FACETS: [&str; 9] = [
    "actor", "action", "activity", "outcome", "category", "service", "ip", "format", "file",
];

/// Handles to every schema field.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    pub time: Field,
    pub seq: Field,
    pub file_id: Field,
    pub actor: Field,
    pub actor_any: Field,
    pub action: Field,
    pub outcome: Field,
    pub category: Field,
    pub service: Field,
    pub ip: Field,
    pub format: Field,
    pub file: Field,
    pub target: Field,
    pub user_agent: Field,
    pub region: Field,
    pub host: Field,
    /// Hashes of the id-like values (`id`, `request`, `session`), see [`id_hash`].
    pub ids: Field,
    pub flags: Field,
    pub all: Field,
    pub kv: Field,
    /// `seq line offset` of the record, stored.
    pub locator: Field,
    pub raw: Field,
    /// The activity in Sightline's vocabulary (`logon`), a facet.
    pub activity: Field,
    /// The source's record code (Windows event id, auditd type).
    pub code: Field,
}

fn keyword(fast: bool) -> TextOptions {
    let indexing = TextFieldIndexing::default()
        .set_tokenizer(KEYWORD_TOKENIZER)
        .set_index_option(IndexRecordOption::Basic)
        .set_fieldnorms(false);
    let options = TextOptions::default().set_indexing_options(indexing);
    if fast {
        options.set_fast("raw")
    } else {
        options
    }
}

pub fn schema() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let words = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(WORDS_TOKENIZER)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions)
            .set_fieldnorms(false),
    );
    let fields = Fields {
        time: b.add_i64_field("time", NumericOptions::default().set_fast()),
        seq: b.add_u64_field("seq", NumericOptions::default().set_fast()),
        file_id: b.add_u64_field("file_id", NumericOptions::default().set_indexed()),
        actor: b.add_text_field("actor", keyword(true)),
        actor_any: b.add_text_field("actor_any", keyword(false)),
        action: b.add_text_field("action", keyword(true)),
        outcome: b.add_text_field("outcome", keyword(true)),
        category: b.add_text_field("category", keyword(true)),
        service: b.add_text_field("service", keyword(true)),
        ip: b.add_text_field("ip", keyword(true)),
        format: b.add_text_field("format", keyword(true)),
        file: b.add_text_field("file", keyword(true)),
        target: b.add_text_field("target", keyword(false)),
        user_agent: b.add_text_field("user_agent", keyword(false)),
        region: b.add_text_field("region", keyword(false)),
        host: b.add_text_field("host", keyword(false)),
        // Indexed, not a column: a lookup reads one posting list instead of scanning a hash per
        // event (93 ms at 10M events warm, 10 s cold, before).
        ids: b.add_u64_field("ids", NumericOptions::default().set_indexed()),
        flags: b.add_text_field("flags", keyword(false)),
        all: b.add_text_field("all", words),
        kv: b.add_text_field("kv", keyword(false)),
        locator: b.add_text_field("locator", TextOptions::default().set_stored()),
        raw: b.add_bytes_field("raw", BytesOptions::default().set_stored()),
        activity: b.add_text_field("activity", keyword(true)),
        code: b.add_text_field("code", keyword(false)),
    };
    (b.build(), fields)
}

fn register_tokenizers(index: &Index) {
    let keyword = TextAnalyzer::builder(RawTokenizer::default())
        .filter(RemoveLongFilter::limit(4096))
        .filter(LowerCaser)
        .build();
    let words = TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(80))
        .filter(LowerCaser)
        .build();
    index.tokenizers().register(KEYWORD_TOKENIZER, keyword);
    index.tokenizers().register(WORDS_TOKENIZER, words);
}

/// What opening an index found.
pub enum Opened {
    Ready(Box<(Index, Fields)>),
    /// An index written by an older version, with fields this one lacks or reads differently.
    Outdated(Vec<String>),
}

/// Opens the index in `dir` on media that cannot be written: nothing is locked or created.
pub fn open_read_only(dir: &Path) -> tantivy::Result<Opened> {
    let directory = tantivy::directory::MmapDirectory::open(dir)?;
    let index = Index::open(read_only::ReadOnlyDirectory(directory))?;
    ready(index)
}

/// Opens the index in `dir`, creating it when absent.
pub fn open_or_create(dir: &Path) -> tantivy::Result<Opened> {
    let index = if dir.join("meta.json").exists() {
        Index::open_in_dir(dir)?
    } else {
        std::fs::create_dir_all(dir)?;
        let settings = IndexSettings {
            docstore_compression: Compressor::Zstd(ZstdCompressor {
                compression_level: Some(1),
            }),
            docstore_blocksize: 64 << 10,
            ..IndexSettings::default()
        };
        Index::builder()
            .schema(schema().0)
            .settings(settings)
            .create_in_dir(dir)?
    };
    ready(index)
}

/// The index with this version's tokenizers, or the fields an older version's schema lacks.
fn ready(index: Index) -> tantivy::Result<Opened> {
    let (schema, fields) = schema();
    let differs = differences(&index.schema(), &schema);
    if !differs.is_empty() {
        return Ok(Opened::Outdated(differs));
    }
    register_tokenizers(&index);
    let mut index = index;
    // Search segments in parallel: a query over a million events then uses every core.
    index.set_default_multithread_executor()?;
    Ok(Opened::Ready(Box::new((index, fields))))
}

/// Fields of the current schema that `found` lacks or holds with other options. Request and
/// session id hashes held in a column (before they were indexed terms) are read either way.
fn differences(found: &Schema, current: &Schema) -> Vec<String> {
    let readable_either_way = |a: &tantivy::schema::FieldEntry, b: &tantivy::schema::FieldEntry| {
        a.name() == "ids"
            && a.name() == b.name()
            && a.field_type().value_type() == b.field_type().value_type()
    };
    current
        .fields()
        .filter(|(field, entry)| {
            if (field.field_id() as usize) >= found.num_fields() {
                return true;
            }
            let had = found.get_field_entry(*field);
            had != *entry && !readable_either_way(had, entry)
        })
        .map(|(_, entry)| entry.name().to_string())
        .collect()
}

/// Builds the document for one event. `record` is the parsed record whose leaves become
/// searchable, except the `aliased` paths whose values live in normalized fields;
/// `raw` is the record's bytes as they stand in the file.
pub fn document(
    f: &Fields,
    event: &AuditEvent,
    record: &Value,
    aliased: &[(&str, &str)],
    raw: &[u8],
) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    let p = &event.provenance;
    if let Some(t) = event.time.utc_nanos {
        doc.add_i64(f.time, t);
    }
    doc.add_u64(f.seq, sequence_key(p.file_id, p.ordinal));
    doc.add_u64(f.file_id, p.file_id);
    let mut words = String::with_capacity(raw.len());
    let actor = &event.actor;
    // Facet columns get a value on every document (empty when unknown) so they stay dense,
    // which makes counting them a plain array read.
    doc.add_text(f.actor, actor.identity.label().unwrap_or(""));
    for v in [&actor.identity.id, &actor.identity.name]
        .into_iter()
        .flatten()
    {
        doc.add_text(f.actor_any, v);
    }
    if let Some(eff) = &actor.effective {
        for v in [&eff.id, &eff.name].into_iter().flatten() {
            doc.add_text(f.actor_any, v);
        }
    }
    if let Some(v) = &actor.invoked_by {
        doc.add_text(f.actor_any, v);
    }
    doc.add_text(f.outcome, event.outcome.as_str());
    doc.add_text(f.category, event.category.as_str());
    doc.add_text(f.format, &event.format);
    doc.add_text(f.file, &p.path);
    if let Some(t) = &event.target {
        for v in [&t.id, &t.name].into_iter().flatten() {
            doc.add_text(f.target, v);
        }
    }
    doc.add_text(f.service, event.service.as_deref().unwrap_or(""));
    doc.add_text(f.ip, event.source_ip.as_deref().unwrap_or(""));
    doc.add_text(f.action, &event.action);
    doc.add_text(f.activity, event.activity.as_str());
    if let Some(code) = &event.code {
        doc.add_text(f.code, code);
    }
    let optional = [
        (f.user_agent, &event.user_agent),
        (f.region, &event.region),
        (f.host, &event.host),
    ];
    for (field, value) in optional {
        if let Some(v) = value {
            doc.add_text(field, v);
        }
    }
    for (kind, value) in [
        ("session", &event.session_id),
        ("request", &event.request_id),
        ("id", &event.native_id),
    ] {
        if let Some(v) = value {
            doc.add_u64(f.ids, id_hash(kind, v));
        }
    }
    for flag in &event.flags {
        doc.add_text(f.flags, flag);
    }
    // Original fields: whole `path=value` tokens and their words. Normalized values are mostly
    // copies of original ones, so only the message is added to the words separately.
    let mut kv = String::new();
    let complete = for_each_leaf(record, MAX_LEAVES, &mut |path, value| {
        if aliased.iter().any(|(p, _)| *p == path) {
            return;
        }
        kv.clear();
        kv.push_str(path);
        kv.push('=');
        kv.push_str(truncate(value, KV_VALUE_BYTES));
        doc.add_text(f.kv, &kv);
        // `true`/`false` are in nearly every record: as words they would only cost positions.
        if value != "true" && value != "false" {
            push_words(&mut words, value);
        }
    });
    if !complete {
        doc.add_text(f.flags, "fields_truncated");
    }
    push_words(&mut words, &event.message);
    doc.add_text(f.all, truncate(&words, MAX_WORDS_BYTES));
    doc.add_text(
        f.locator,
        format!(
            "{} {} {}",
            sequence_key(p.file_id, p.ordinal),
            p.line.unwrap_or(0),
            p.offset
        ),
    );
    doc.add_bytes(f.raw, raw);
    doc
}

/// Request, session and record ids are nearly all unique: as strings they would dominate the
/// term dictionary (and indexing time). They are kept as 64-bit FNV-1a hashes of
/// `kind:lowercased value` in an indexed u64 field instead (one term per id; cases made before
/// 0.1 keep them in a column, which a lookup scans); the values stay in the stored event.
pub fn id_hash(kind: &str, value: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let bytes = kind
        .bytes()
        .chain(std::iter::once(b':'))
        .chain(value.bytes().map(|b| b.to_ascii_lowercase()));
    for b in bytes {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

fn push_words(words: &mut String, value: &str) {
    if words.len() < MAX_WORDS_BYTES {
        words.push_str(value);
        words.push('\n');
    }
}

fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The earliest and latest event time in the index.
pub fn time_bounds(searcher: &tantivy::Searcher) -> tantivy::Result<Option<(i64, i64)>> {
    let mut bounds: Option<(i64, i64)> = None;
    for segment in searcher.segment_readers() {
        let Some(col) = segment.fast_fields().column_opt::<i64>("time")? else {
            continue;
        };
        if col.num_docs() == 0 || col.values.num_vals() == 0 {
            continue;
        }
        let (lo, hi) = (col.min_value(), col.max_value());
        bounds = Some(bounds.map_or((lo, hi), |(a, b)| (a.min(lo), b.max(hi))));
    }
    Ok(bounds)
}
