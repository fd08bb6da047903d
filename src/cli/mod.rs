//! Pieces of the `sightline` command line shared by its commands (the binary's own modules; the
//! engine library knows nothing of them).

/// Appends a line to a `String` buffer; output is built first and written once.
macro_rules! outln {
    ($out:expr, $($arg:tt)*) => {{
        use std::fmt::Write as _;
        let _ = writeln!($out, $($arg)*);
    }};
}

pub mod args;
pub mod commands;
pub mod compliance;
pub mod detect;
pub mod export;
pub mod safe;
pub mod text;
pub mod verify;
pub mod watch;

use anyhow::{Context, Result};
use sightline::api::{FacetFilter, SearchRequest, SortOrder};

/// `--filter FIELD=VALUE` and `--exclude FIELD=VALUE` as facet filters.
pub fn filters(include: &[String], exclude: &[String]) -> Result<Vec<FacetFilter>> {
    let mut out = Vec::new();
    for (spec, exclude) in include
        .iter()
        .map(|s| (s, false))
        .chain(exclude.iter().map(|s| (s, true)))
    {
        let (field, value) = spec
            .split_once('=')
            .with_context(|| format!("expected FIELD=VALUE, got {spec:?}"))?;
        out.push(FacetFilter {
            field: field.to_string(),
            value: value.to_string(),
            exclude,
        });
    }
    Ok(out)
}

/// The selection shared by `search` and `export`.
pub fn selection(
    query: &[String],
    from: Option<&str>,
    to: Option<&str>,
    filters: Vec<FacetFilter>,
    oldest_first: bool,
) -> Result<SearchRequest> {
    Ok(SearchRequest {
        query: query.join(" "),
        from: from.map(sightline::api::parse_time).transpose()?,
        to: to.map(sightline::api::parse_time).transpose()?,
        filters,
        order: if oldest_first {
            SortOrder::OldestFirst
        } else {
            SortOrder::NewestFirst
        },
        ..SearchRequest::default()
    })
}
