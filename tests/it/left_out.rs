//! Searches that only leave things out are counted as the whole case less what they leave
//! out; they must give exactly what counting their own hits gives.

use std::sync::atomic::AtomicBool;

use sightline::api::{Case, FacetFilter, RuleSources, SearchRequest, SortOrder};

use crate::support::{import, new_case};

/// 12,000 events, 600 of them without a time; action `a0` is one in eleven, actor `u0` one
/// in thirty-seven, `a1`..`a4` together more than a third.
fn case() -> (tempfile::TempDir, Case) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut lines = String::new();
    for i in 0..12_000u64 {
        let time = match i {
            0..11_400 => format!("\"time\":{},", 1_700_000_000 + (i * 7919) % 90_000),
            _ => String::new(),
        };
        let outcome = if i % 7 == 0 { "failure" } else { "success" };
        lines.push_str(&format!(
            "{{{time}\"user\":\"u{}\",\"action\":\"a{}\",\"outcome\":\"{outcome}\"}}\n",
            i % 37,
            i % 11
        ));
    }
    std::fs::write(dir.path().join("many.jsonl"), lines).expect("write");
    let case = new_case(dir.path());
    import(&case, &[dir.path().join("many.jsonl")]);
    (dir, case)
}

/// The same hits through a query that asks for something (an OR with a value no event has),
/// so counted hit by hit.
fn counted_afresh(query: &str) -> String {
    format!("({query}) OR action:no_such_action")
}

fn same(case: &Case, left_out: &SearchRequest, afresh: &SearchRequest) -> u64 {
    let a = case.search(left_out).expect("search");
    let b = case.search(afresh).expect("search");
    let what = format!("{:?} {:?}", left_out.query, left_out.filters);
    assert_eq!(a.total, b.total, "{what}");
    assert_eq!(json(&a.facets), json(&b.facets), "{what}");
    assert_eq!(json(&a.histogram), json(&b.histogram), "{what}");
    let ids = |r: &sightline::api::SearchResult| -> Vec<String> {
        r.events.iter().map(|e| e.id.clone()).collect()
    };
    assert_eq!(ids(&a), ids(&b), "{what}");
    a.total
}

fn json<T: serde::Serialize>(value: &T) -> serde_json::Value {
    serde_json::to_value(value).expect("json")
}

#[test]
fn leaving_out_counts_as_the_kept_hits_counted_afresh() {
    let (_dir, case) = case();
    // Whole-case counts first, as the window asks them at open.
    assert_eq!(
        case.search(&SearchRequest::default()).expect("all").total,
        12_000
    );
    let queries = [
        "-action:a0",
        "-action:a0 -actor:u0",
        "NOT action:a0 AND NOT outcome:failure",
        // More than a third left out: counted directly; the same answer either way.
        "-action:a1 -action:a2 -action:a3 -action:a4",
        "-action:no_such_action",
    ];
    for query in queries {
        for order in [SortOrder::NewestFirst, SortOrder::OldestFirst] {
            for (offset, limit) in [(0, 50), (0, 0), (10_500, 100)] {
                let req = |query: String| SearchRequest {
                    query,
                    order,
                    offset,
                    limit,
                    ..SearchRequest::default()
                };
                let n = same(&case, &req(query.into()), &req(counted_afresh(query)));
                assert!(n > 0 && n <= 12_000, "{query}: {n}");
            }
        }
    }
    // Alt-clicked facet values are the same exclusions.
    let filter = |field: &str, value: &str| FacetFilter {
        field: field.into(),
        value: value.into(),
        exclude: true,
    };
    let filtered = SearchRequest {
        filters: vec![filter("action", "a0"), filter("actor", "u3")],
        ..SearchRequest::default()
    };
    let afresh = SearchRequest {
        query: counted_afresh("-action:a0 -actor:u3"),
        ..SearchRequest::default()
    };
    let n = same(&case, &filtered, &afresh);
    assert_eq!(
        n,
        12_000 - 1_091 - 325 + 30,
        "a0 and u3 left out, their overlap once"
    );
}

/// A rule on the case's normalized fields (Sigma, Sightline's own log source).
fn rule(dir: &std::path::Path, title: &str, field: &str, value: &str) -> RuleSources {
    let path = dir.join(format!("{field}.yml"));
    std::fs::write(
        &path,
        format!(
            "title: {title}\nstatus: test\nauthor: test\nlogsource:\n    product: sightline\n    category: audit\ndetection:\n    selection:\n        {field}: {value}\n    condition: selection\nlevel: high\n"
        ),
    )
    .expect("write rule");
    RuleSources {
        paths: vec![path.display().to_string()],
        builtin: false,
    }
}

fn rules_facet(case: &Case, query: &str) -> Vec<(String, u64)> {
    let result = case.search(&SearchRequest {
        query: query.into(),
        ..SearchRequest::default()
    });
    result
        .expect("search")
        .facets
        .into_iter()
        .filter(|f| f.field == "rule")
        .flat_map(|f| f.values)
        .map(|v| (v.value, v.count))
        .collect()
}

/// The rule and level facets of a search that leaves out come from the whole case's detection
/// counts, kept between searches: they must follow the detections, which change without the
/// index changing.
#[test]
fn detection_facets_of_a_search_that_leaves_out_follow_the_detections() {
    let (dir, case) = case();
    let run = |sources: &RuleSources| {
        case.detect(sources, &|_| {}, &AtomicBool::new(false))
            .expect("detect")
    };
    run(&rule(dir.path(), "Failures", "outcome", "failure"));
    // 1,715 failures, 156 of them with action a0.
    assert_eq!(
        rules_facet(&case, ""),
        vec![("Failures".to_string(), 1_715)]
    );
    for query in ["-action:a0", "-action:a0 -actor:u0", "-outcome:failure"] {
        let req = |query: String| SearchRequest {
            query,
            ..SearchRequest::default()
        };
        same(&case, &req(query.into()), &req(counted_afresh(query)));
    }
    assert_eq!(
        rules_facet(&case, "-action:a0"),
        vec![("Failures".to_string(), 1_715 - 156)]
    );
    run(&rule(dir.path(), "Action a5", "action", "a5"));
    assert_eq!(
        rules_facet(&case, "-action:a0"),
        vec![("Action a5".to_string(), 1_091)]
    );
    assert_eq!(
        rules_facet(&case, ""),
        vec![("Action a5".to_string(), 1_091)]
    );
}
