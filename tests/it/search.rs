//! The query language and the search call: fields, booleans, phrases, wildcards, negation, time,
//! facets, histogram, paging and stable order, and errors with positions.

use sightline::api::parse_time;
use sightline::api::{Case, Error};
use sightline::api::{FacetFilter, SearchRequest, SortOrder};

use crate::support::{fixtures, ids, import, new_case, search};

fn case() -> (tempfile::TempDir, Case) {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[fixtures().join("cloudtrail"), fixtures().join("generic")],
    );
    (dir, case)
}

/// Events the histogram's buckets hold, all outcomes.
fn in_buckets(h: &sightline::api::Histogram) -> u64 {
    h.buckets
        .iter()
        .map(|b| b.success + b.failure + b.unknown)
        .sum()
}

fn total(case: &Case, query: &str) -> u64 {
    search(case, query).total
}

#[test]
fn fields_booleans_phrases_wildcards_and_negation() {
    let (_dir, case) = case();
    let all = total(&case, "");
    assert_eq!(all, 128);
    assert_eq!(total(&case, "actor:mallory"), 3);
    assert_eq!(
        total(&case, "actor:MALLORY"),
        3,
        "keyword fields ignore case"
    );
    assert_eq!(total(&case, "actor:mallory AND outcome:failure"), 2);
    assert_eq!(
        total(&case, "actor:mallory outcome:failure"),
        2,
        "adjacent terms are ANDed"
    );
    assert_eq!(total(&case, "actor:mallory OR actor:bob"), 4);
    assert_eq!(total(&case, "actor:mallory -outcome:failure"), 1);
    assert_eq!(total(&case, "actor:mallory NOT outcome:failure"), 1);
    assert_eq!(total(&case, "-format:cloudtrail"), 9);
    assert_eq!(
        total(&case, "(actor:mallory OR actor:bob) outcome:success"),
        2
    );
    assert_eq!(
        total(&case, "action:Create*"),
        total(&case, "action:CreateUser")
            + total(&case, "action:CreateAccessKey")
            + total(&case, "action:CreateLoginProfile")
    );
    assert_eq!(total(&case, "\"first login of the day\""), 1);
    assert_eq!(
        total(&case, "\"login of first\""),
        0,
        "phrases keep word order"
    );
    assert_eq!(total(&case, "ip:203.0.113.66"), 3);
    assert_eq!(
        total(&case, "203.0.113.66"),
        3,
        "bare words match any field"
    );
    assert_eq!(
        total(&case, "eventName:StopLogging"),
        1,
        "original fields by key path"
    );
    assert_eq!(total(&case, "userIdentity.type:AssumedRole"), 31);
    assert_eq!(
        total(&case, "errorCode:*"),
        total(&case, "format:cloudtrail outcome:failure")
    );
}

#[test]
fn ids_match_whole_values_in_every_form() {
    let (_dir, case) = case();
    let stop = search(&case, "action:StopLogging");
    let e = &stop.events[0];
    let native = e.native_id.clone().expect("eventID");
    let request = e.request.clone().expect("requestID");
    assert_eq!(total(&case, &format!("id:{native}")), 1);
    assert_eq!(
        total(&case, &format!("eventID:{native}")),
        1,
        "the source path reaches the aliased field"
    );
    assert_eq!(total(&case, &format!("request:{request}")), 1);
    assert_eq!(
        total(&case, &native.to_uppercase()),
        1,
        "a bare id finds its event"
    );
    assert_eq!(
        total(&case, &format!("id:{}", e.id)),
        1,
        "sightline's own id works too"
    );
}

#[test]
fn time_ranges_are_inclusive_then_exclusive() {
    let (_dir, case) = case();
    let at = |t: &str| parse_time(t).expect("time");
    let request = |from: &str, to: &str| SearchRequest {
        from: Some(at(from)),
        to: Some(at(to)),
        limit: 0,
        ..SearchRequest::default()
    };
    let exact = case
        .search(&request("2024-08-02T08:53:24Z", "2024-08-02T08:53:25Z"))
        .expect("search");
    assert_eq!(
        exact.total, 2,
        "console login in the array and in the flattened lines"
    );
    let before = case
        .search(&request("2024-08-02T08:00:00Z", "2024-08-02T08:53:24Z"))
        .expect("search");
    assert_eq!(before.total, 0);
    assert_eq!(
        total(
            &case,
            "time:>=2024-08-02T08:53:24Z time:<2024-08-02T08:53:25Z"
        ),
        2
    );
    assert_eq!(
        total(&case, "time:2024-08-02"),
        2,
        "a bare date is its whole day"
    );
}

#[test]
fn facets_count_the_hits_and_filters_narrow_them() {
    let (_dir, case) = case();
    let result = case
        .search(&SearchRequest {
            query: "format:csv".into(),
            ..SearchRequest::default()
        })
        .expect("search");
    let facet = |name: &str| result.facets.iter().find(|f| f.field == name).expect(name);
    let actors: Vec<(String, u64)> = facet("actor")
        .values
        .iter()
        .map(|v| (v.value.clone(), v.count))
        .collect();
    assert_eq!(
        actors,
        vec![
            ("mallory".to_string(), 3),
            ("alice@example.com".to_string(), 2),
            ("bob".to_string(), 1)
        ]
    );
    assert_eq!(
        facet("outcome").values.iter().map(|v| v.count).sum::<u64>(),
        6
    );
    let filtered = case
        .search(&SearchRequest {
            query: "format:csv".into(),
            filters: vec![
                FacetFilter {
                    field: "actor".into(),
                    value: "mallory".into(),
                    exclude: false,
                },
                FacetFilter {
                    field: "outcome".into(),
                    value: "failure".into(),
                    exclude: true,
                },
            ],
            ..SearchRequest::default()
        })
        .expect("search");
    assert_eq!(filtered.total, 1);
    assert_eq!(filtered.events[0].action, "password_reset");
    let bad = case.search(&SearchRequest {
        filters: vec![FacetFilter {
            field: "colour".into(),
            value: "red".into(),
            exclude: false,
        }],
        ..SearchRequest::default()
    });
    assert!(matches!(bad, Err(Error::Invalid(_))));
}

#[test]
fn histogram_buckets_add_up_and_split_by_outcome() {
    let (_dir, case) = case();
    let result = case
        .search(&SearchRequest {
            limit: 0,
            ..SearchRequest::default()
        })
        .expect("search");
    let h = &result.histogram;
    assert_eq!(in_buckets(h) + h.untimed, result.total);
    assert_eq!(h.untimed, 1);
    assert!(h.buckets.len() <= 1000 && h.bucket_seconds > 0.0);
    let failures: u64 = h.buckets.iter().map(|b| b.failure).sum();
    assert_eq!(failures, total(&case, "outcome:failure"));
}

#[test]
fn without_a_range_the_timeline_fits_hits_that_fill_a_small_part_of_the_case() {
    let (_dir, case) = case();
    let request = |query: &str| SearchRequest {
        query: query.to_string(),
        limit: 1000,
        order: SortOrder::OldestFirst,
        ..SearchRequest::default()
    };
    let whole = case.search(&request("")).expect("search");
    let case_span = whole.histogram.bucket_seconds * whole.histogram.buckets.len() as f64;
    assert!(
        case_span > 10.0 * 365.0 * 86_400.0,
        "the samples span a decade"
    );

    // One actor's two days in that decade: the axis is theirs, and every hit is in a bucket.
    let result = case.search(&request("actor:christophe")).expect("search");
    let h = &result.histogram;
    let times: Vec<i64> = result
        .events
        .iter()
        .filter_map(|e| e.time.as_deref())
        .map(|t| parse_time(t).expect("time"))
        .collect();
    let (first, last) = (times[0], times[times.len() - 1]);
    let start = h.buckets[0].start_nanos;
    let end = h.buckets[h.buckets.len() - 1].start_nanos + (h.bucket_seconds * 1e9) as i64;
    assert!(
        start <= first && last < end,
        "{start} ≤ {first}, {last} < {end}"
    );
    assert!(
        (end - start) as f64 / 1e9 < 4.0 * (last - first) as f64 / 1e9 + 2.0 * h.bucket_seconds,
        "the axis hugs the hits"
    );
    assert!(h.buckets.len() >= 10, "finer buckets than the case's");
    assert_eq!(in_buckets(h) + h.untimed, result.total);

    // A range given by the user is kept as given.
    let ranged = case
        .search(&SearchRequest {
            from: whole.histogram.buckets.first().map(|b| b.start_nanos),
            to: Some(end),
            ..request("actor:christophe")
        })
        .expect("search");
    assert_eq!(
        ranged.histogram.buckets[0].start_nanos,
        whole.histogram.buckets[0].start_nanos
    );
}

#[test]
fn page_only_requests_skip_facets_and_histogram_but_not_the_page() {
    let (_dir, case) = case();
    let full = case
        .search(&SearchRequest {
            offset: 20,
            limit: 10,
            ..SearchRequest::default()
        })
        .expect("search");
    let page = case
        .search(&SearchRequest {
            offset: 20,
            limit: 10,
            facet_limit: 0,
            histogram_buckets: 0,
            ..SearchRequest::default()
        })
        .expect("search");
    assert!(page.facets.is_empty() && page.histogram.buckets.is_empty());
    assert!(!full.facets.is_empty() && !full.histogram.buckets.is_empty());
    assert_eq!(page.total, full.total);
    let ids = |r: &sightline::api::SearchResult| {
        r.events.iter().map(|e| e.id.clone()).collect::<Vec<_>>()
    };
    assert_eq!(ids(&page), ids(&full));
}

#[test]
fn pages_are_stable_and_ordered_by_time_either_way() {
    let (_dir, case) = case();
    let page = |order, offset| {
        case.search(&SearchRequest {
            order,
            offset,
            limit: 10,
            ..SearchRequest::default()
        })
        .expect("search")
        .events
        .into_iter()
        .map(|e| (e.time, e.id))
        .collect::<Vec<_>>()
    };
    let mut all = Vec::new();
    for offset in (0..130).step_by(10) {
        all.extend(page(SortOrder::NewestFirst, offset));
    }
    assert_eq!(all.len(), 128);
    let timed: Vec<_> = all.iter().filter_map(|(t, _)| t.clone()).collect();
    assert!(timed.windows(2).all(|w| w[0] >= w[1]), "newest first");
    assert_eq!(
        all.last().and_then(|(t, _)| t.clone()),
        None,
        "events without a time come last"
    );
    let mut ids: Vec<_> = all.iter().map(|(_, id)| id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 128, "no event on two pages");
    assert_eq!(
        page(SortOrder::NewestFirst, 20),
        page(SortOrder::NewestFirst, 20),
        "same query, same page"
    );
    let oldest = page(SortOrder::OldestFirst, 0);
    assert_eq!(oldest[0].0.as_deref(), Some("2013-11-01T00:00:00Z"));
}

#[test]
fn malformed_queries_are_errors_with_positions() {
    let (_dir, case) = case();
    for (query, position) in [
        ("actor:", 6),
        ("(actor:bob", 0),
        ("action:\"Stop", 7),
        ("bob )", 4),
        ("time:>yesterday", 0),
        ("request:abc*", 0),
        ("a*b.c", 0),
    ] {
        match case.search(&SearchRequest {
            query: query.into(),
            ..SearchRequest::default()
        }) {
            Err(Error::Query {
                position: p,
                message,
            }) => {
                assert_eq!(p, position, "{query}: {message}");
                assert!(!message.is_empty());
            }
            other => panic!("{query}: expected a query error, got {other:?}"),
        }
    }
}

#[test]
fn deep_pages_from_the_cached_listing_match_the_full_listing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("many.jsonl");
    let mut text = String::new();
    for i in 0..20_500u32 {
        // Many equal times (ties broken by import order) and some records without a time.
        if i % 97 == 0 {
            text.push_str(&format!("{{\"user\":\"u{i}\",\"action\":\"Untimed\"}}\n"));
        } else {
            text.push_str(&format!("{{\"timestamp\":\"2024-05-01T00:{:02}:00Z\",\"user\":\"u{i}\",\"action\":\"Act\"}}\n", (i / 400) % 60));
        }
    }
    std::fs::write(&data, text).expect("write");
    let case =
        sightline::api::Case::open_or_create(&dir.path().join("case"), crate::support::clock())
            .expect("case");
    crate::support::import(&case, &[data]);
    for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
        let ids = |offset: usize, limit: usize, facet_limit: usize| {
            ids(case
                .search(&SearchRequest {
                    order,
                    offset,
                    limit,
                    facet_limit,
                    histogram_buckets: 0,
                    ..SearchRequest::default()
                })
                .expect("search"))
        };
        let all = ids(0, 20_500, 10);
        assert_eq!(all.len(), 20_500);
        for (offset, limit) in [
            (10_000, 100),
            (15_000, 100),
            (20_450, 100),
            (20_499, 10),
            (20_500, 10),
        ] {
            let end = (offset + limit).min(all.len());
            assert_eq!(
                ids(offset, limit, 0),
                all[offset.min(end)..end].to_vec(),
                "{order:?} offset {offset}"
            );
        }
    }
}

/// 24,000 events: 20,000 in 700 distinct seconds (many ties), 3,000 spread over three years,
/// 1,000 without a time. Pages deep in the table, in both orders, rows only or with counts,
/// match the same ranks of one shallow page that holds every hit; positions match too.
#[test]
fn deep_pages_and_positions_match_the_full_order_with_ties_and_untimed_events() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = String::new();
    for i in 0..24_000u64 {
        let time = match i {
            0..20_000 => Some(1_700_000_000 + (i * 7919) % 700),
            20_000..23_000 => Some(1_600_000_000 + (i * 104_729) % 94_000_000),
            _ => None,
        };
        let time = time.map_or(String::new(), |t| format!("\"time\":{t},"));
        lines.push_str(&format!(
            "{{{time}\"user\":\"u{}\",\"action\":\"a{}\"}}\n",
            i % 37,
            i % 11
        ));
    }
    std::fs::write(dir.path().join("many.jsonl"), lines).expect("write");
    let case = new_case(dir.path());
    import(&case, &[dir.path().join("many.jsonl")]);
    assert_eq!(total(&case, "time:*"), 23_000);
    for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
        let page = |offset: usize, limit: usize, counts: bool| {
            case.page(&SearchRequest {
                order,
                offset,
                limit,
                facet_limit: if counts { 10 } else { 0 },
                histogram_buckets: if counts { 50 } else { 0 },
                ..SearchRequest::default()
            })
            .expect("page")
        };
        let full: Vec<String> = page(0, 30_000, false)
            .events
            .into_iter()
            .map(|e| e.id)
            .collect();
        assert_eq!(full.len(), 24_000);
        for offset in [10_000, 12_345, 19_990, 22_950, 23_000, 23_950, 23_999] {
            for counts in [false, true] {
                let got = page(offset, 100, counts);
                assert_eq!(got.total, 24_000);
                let ids: Vec<String> = got.events.into_iter().map(|e| e.id).collect();
                let end = (offset + 100).min(full.len());
                assert_eq!(
                    ids,
                    full[offset..end],
                    "{order:?} at {offset}, counts {counts}"
                );
            }
        }
        let req = SearchRequest {
            order,
            ..SearchRequest::default()
        };
        for rank in [0, 10_500, 19_999, 23_500] {
            assert_eq!(
                case.position(&req, &full[rank]).expect("position"),
                Some(rank as u64)
            );
        }
        // An export walks the whole result a chunk at a time, in the same order.
        let out = dir.path().join(format!("all-{order:?}.jsonl"));
        case.export(
            &out,
            &sightline::api::ExportOptions {
                request: req.clone(),
                format: sightline::api::ExportFormat::Jsonl,
                columns: vec!["event_id".into()],
                redact_key: None,
            },
            &|_| {},
            &std::sync::atomic::AtomicBool::new(false),
        )
        .expect("export");
        let exported: Vec<String> = std::fs::read_to_string(&out)
            .expect("read")
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).expect("json")["event_id"]
                    .as_str()
                    .expect("id")
                    .to_string()
            })
            .collect();
        assert_eq!(exported, full, "{order:?}");
        // A query that leaves the event out: no position.
        let narrowed = SearchRequest {
            query: "actor:u1".into(),
            ..req.clone()
        };
        let outside = full
            .iter()
            .find(|id| {
                case.event(id)
                    .expect("event")
                    .row
                    .actor
                    .identity
                    .name
                    .as_deref()
                    != Some("u1")
            })
            .expect("some");
        assert_eq!(case.position(&narrowed, outside).expect("position"), None);
    }
}

/// The whole case's counts are kept between searches while the index stays as it is; they must
/// be what the same hits counted afresh give, before and after the index changes.
#[test]
fn whole_case_counts_kept_between_searches_follow_the_index() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(&case, &[fixtures().join("cloudtrail")]);
    let same_as_fresh = |case: &Case| {
        let whole = search(case, "");
        // The same hits through a query that asks for something, so counted anew (one that
        // only leaves things out is counted from the whole case's counts).
        let fresh = search(case, "-format:no_such_format OR format:no_such_format");
        assert_eq!(whole.total, fresh.total);
        assert_eq!(
            serde_json::to_value(&whole.facets).expect("json"),
            serde_json::to_value(&fresh.facets).expect("json")
        );
        assert_eq!(
            serde_json::to_value(&whole.histogram).expect("json"),
            serde_json::to_value(&fresh.histogram).expect("json")
        );
        assert_eq!(ids(whole.clone()), ids(fresh));
        whole
    };
    let before = same_as_fresh(&case);
    let again = same_as_fresh(&case);
    assert_eq!(before.total, again.total);
    import(&case, &[fixtures().join("generic")]);
    let after = same_as_fresh(&case);
    assert_eq!(after.total, 128, "the import's events are counted");
    assert!(after.total > before.total);
    let formats = |r: &sightline::api::SearchResult| -> usize {
        r.facets
            .iter()
            .find(|f| f.field == "format")
            .map_or(0, |f| f.values.len())
    };
    assert!(
        formats(&after) > formats(&before),
        "new formats show in the facet"
    );
}

/// Pages deep in a result start from a spread of its hits the case keeps between pages: it must
/// follow the index (an import adds newer events) and the marks (a tag query changes without the
/// index changing).
#[test]
fn deep_pages_follow_imports_and_marks() {
    let dir = tempfile::tempdir().expect("tempdir");
    let write = |name: &str, from: u64, n: u64| {
        let lines: String = (from..from + n)
            .map(|i| {
                format!(
                    "{{\"time\":{},\"user\":\"u{}\"}}\n",
                    1_700_000_000 + i,
                    i % 7
                )
            })
            .collect();
        std::fs::write(dir.path().join(name), lines).expect("write");
        dir.path().join(name)
    };
    let case = new_case(dir.path());
    import(&case, &[write("first.jsonl", 0, 14_000)]);
    let ids = |query: &str, offset: usize, limit: usize| {
        ids(case
            .page(&SearchRequest {
                query: query.into(),
                offset,
                limit,
                facet_limit: 0,
                histogram_buckets: 0,
                ..SearchRequest::default()
            })
            .expect("page"))
    };
    let check = |query: &str| {
        let full = ids(query, 0, 20_000);
        for offset in [10_000, 10_500, 11_000] {
            let end = (offset + 50).min(full.len());
            assert_eq!(
                ids(query, offset, 50),
                full[offset..end],
                "{query} at {offset}"
            );
        }
        full
    };
    let before = check("-actor:u1");
    import(&case, &[write("newer.jsonl", 14_000, 3_000)]);
    let after = check("-actor:u1");
    assert!(after.len() > before.len(), "the newer events are ranked");
    assert_ne!(ids("-actor:u1", 10_500, 50), before[10_500..10_550]);

    let untagged = check("-tag:seen");
    case.set_tag(&untagged[10_200], "seen", true).expect("tag");
    let tagged = check("-tag:seen");
    assert_eq!(tagged.len() + 1, untagged.len());
    assert!(!tagged.contains(&untagged[10_200]));
}
