//! The documents rules see: each event of a selection as the Sigma log source and fields its
//! format gives it (`formats::sigma`). For rule authors (`sightline rules views`: which fields does
//! my rule see?) and for the differential test, which hands the same documents to pySigma.

use std::sync::atomic::AtomicBool;

use serde::Serialize;
use serde_json::Value;

use crate::case::Store;
use crate::error::{Error, Result};
use crate::formats::sigma;
use crate::model::SearchRequest;

/// One document a rule is evaluated on.
#[derive(Debug, Clone, Serialize)]
pub struct SigmaView {
    /// The event's id.
    pub id: String,
    pub product: Option<String>,
    pub service: Option<String>,
    pub category: Option<String>,
    pub fields: Value,
}

/// The views of the first `limit` events `req` selects, in its order; with `normalized`, each
/// event's normalized view (`product: sightline`) too.
pub fn views(
    store: &Store,
    req: &SearchRequest,
    limit: usize,
    normalized: bool,
    cancel: &AtomicBool,
) -> Result<Vec<SigmaView>> {
    let mut out = Vec::new();
    let mut events = 0usize;
    let read = crate::search::for_each_hit(store, req, cancel, &mut |_, event, _, record| {
        if events >= limit {
            return Err(Error::Cancelled);
        }
        events += 1;
        let mut all: Vec<(sigma::SigmaSource, Value)> = sigma::views(event, record)
            .into_iter()
            .map(|(s, v)| (s, v.into_owned()))
            .collect();
        if normalized {
            all.push((sigma::NORMALIZED, sigma::normalized(event)));
        }
        for (source, fields) in all {
            out.push(SigmaView {
                id: event.id(),
                product: source.product.map(str::to_string),
                service: source.service,
                category: source.category.map(str::to_string),
                fields,
            });
        }
        Ok(())
    });
    match read {
        Err(Error::Cancelled) if events >= limit => Ok(out),
        Err(e) => Err(e),
        Ok(_) => Ok(out),
    }
}
