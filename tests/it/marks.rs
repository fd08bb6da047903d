//! Tags, stars and notes: stored in the case, searchable, facetable, exported, journaled.

use std::sync::atomic::AtomicBool;

use sightline::api::ExportOptions;
use sightline::api::{FacetFilter, SearchRequest};

use crate::support::{fixtures, import, new_case, search};

#[test]
fn marks_are_kept_searched_counted_exported_and_journaled() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(&case, &[fixtures().join("cloudtrail")]);
    let failures = search(&case, "outcome:failure");
    assert!(failures.total >= 3);
    let ids: Vec<String> = failures
        .events
        .iter()
        .take(3)
        .map(|e| e.id.clone())
        .collect();

    case.set_tag(&ids[0], "exfil", true).expect("tag");
    case.set_tag(&ids[1], "exfil", true).expect("tag");
    case.set_tag(&ids[1], "triage", true).expect("tag");
    case.set_star(&ids[2], true).expect("star");
    let marks = case
        .set_note(&ids[2], "**Why**: same key as the `=HYPERLINK` row")
        .expect("note");
    assert!(marks.starred);
    assert_eq!(
        marks.note.as_deref(),
        Some("**Why**: same key as the `=HYPERLINK` row")
    );

    let ids_of = |q: &str| {
        let mut v: Vec<String> = search(&case, q).events.into_iter().map(|e| e.id).collect();
        v.sort();
        v
    };
    let mut tagged = vec![ids[0].clone(), ids[1].clone()];
    tagged.sort();
    assert_eq!(ids_of("tag:exfil"), tagged);
    assert_eq!(ids_of("tag:EXFIL"), tagged, "tags match case-insensitively");
    assert_eq!(ids_of("tag:triage"), vec![ids[1].clone()]);
    assert_eq!(ids_of("is:starred"), vec![ids[2].clone()]);
    assert_eq!(ids_of("has:note"), vec![ids[2].clone()]);
    assert_eq!(ids_of("is:marked").len(), 3);
    assert_eq!(ids_of("has:tag").len(), 2);
    assert_eq!(
        search(&case, "-tag:exfil").total,
        search(&case, "").total - 2
    );
    assert!(case
        .page(&SearchRequest {
            query: "is:purple".into(),
            ..SearchRequest::default()
        })
        .is_err());

    // A tag is a facet and a filter like the others.
    let all = case
        .page(&SearchRequest {
            facet_limit: 10,
            ..SearchRequest::default()
        })
        .expect("search");
    let facet = all
        .facets
        .iter()
        .find(|f| f.field == "tag")
        .expect("tag facet");
    let counts: Vec<(&str, u64)> = facet
        .values
        .iter()
        .map(|v| (v.value.as_str(), v.count))
        .collect();
    assert_eq!(counts, vec![("exfil", 2), ("triage", 1)]);
    let filtered = case
        .page(&SearchRequest {
            filters: vec![FacetFilter {
                field: "tag".into(),
                value: "exfil".into(),
                exclude: false,
            }],
            limit: 10,
            ..SearchRequest::default()
        })
        .expect("search");
    assert_eq!(filtered.total, 2);
    assert!(filtered.events.iter().all(|e| e
        .marks
        .as_ref()
        .is_some_and(|m| m.tags.contains(&"exfil".to_string()))));
    assert_eq!(
        case.event(&ids[1]).expect("event").marks.tags,
        vec!["exfil", "triage"]
    );
    let tags = case.tags().expect("tags");
    assert_eq!(
        tags.iter()
            .map(|t| (t.name.as_str(), t.events))
            .collect::<Vec<_>>(),
        vec![("exfil", 2), ("triage", 1)]
    );
    assert!(tags.iter().all(|t| t.color.starts_with('#')));

    // Exported with the events.
    let out = dir.path().join("marked.csv");
    case.export(
        &out,
        &ExportOptions {
            request: SearchRequest {
                query: "is:marked".into(),
                ..SearchRequest::default()
            },
            columns: vec![
                "event_id".into(),
                "tags".into(),
                "starred".into(),
                "note".into(),
            ],
            ..ExportOptions::default()
        },
        &|_| {},
        &AtomicBool::new(false),
    )
    .expect("export");
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(
        text.contains(&format!("{},exfil triage,false,", ids[1])),
        "{text}"
    );
    assert!(text.contains("**Why**: same key as the `=HYPERLINK` row"));

    // Removing works, bad input is refused, every change is journaled.
    case.set_tag(&ids[0], "exfil", false).expect("untag");
    assert_eq!(search(&case, "tag:exfil").total, 1);
    assert!(case.set_tag(&ids[0], "two words", true).is_err());
    assert!(case.set_tag("999-0", "x", true).is_err(), "no such event");
    case.set_note(&ids[2], "").expect("clear note");
    assert_eq!(search(&case, "has:note").total, 0);
    let actions: Vec<String> = case
        .journal()
        .expect("journal")
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions[1..],
        ["tag", "tag", "tag", "star", "note", "export", "untag", "note"].map(String::from)
    );
    assert!(case.journal().expect("journal").first_bad.is_none());
}

#[test]
fn saved_searches_history_and_the_position_of_an_event_among_its_neighbours() {
    use sightline::api::SavedSearch;
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(&case, &[fixtures().join("cloudtrail")]);

    let saved = SavedSearch {
        name: "failed IAM".into(),
        query: "outcome:failure service:iam*".into(),
        filters: vec![FacetFilter {
            field: "format".into(),
            value: "cloudtrail".into(),
            exclude: false,
        }],
        columns: vec!["time".into(), "actor".into()],
        ..SavedSearch::default()
    };
    case.save_search(&saved).expect("save");
    case.save_search(&SavedSearch {
        name: "all".into(),
        ..SavedSearch::default()
    })
    .expect("save");
    let list = case.saved_searches().expect("list");
    assert_eq!(
        list.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        vec!["all", "failed IAM"]
    );
    assert_eq!(list[1].query, saved.query);
    assert_eq!(list[1].filters, saved.filters);
    assert_eq!(list[1].columns, saved.columns);
    case.delete_saved_search("all").expect("delete");
    assert_eq!(case.saved_searches().expect("list").len(), 1);
    assert!(
        case.save_search(&SavedSearch::default()).is_err(),
        "a name is needed"
    );

    // History: the searches people ran, newest first, each once.
    for q in ["actor:alice", "outcome:failure", "actor:alice"] {
        let req = SearchRequest {
            query: q.into(),
            ..SearchRequest::default()
        };
        case.search(&req).expect("search");
    }
    let history = case.search_history().expect("history");
    assert_eq!(
        history.iter().map(|s| s.query.as_str()).collect::<Vec<_>>(),
        vec!["actor:alice", "outcome:failure"]
    );

    // Position: where an event stands in a result, for "events around this one".
    let all = search(&case, "");
    let newest_first = SearchRequest::default();
    for (i, e) in all.events.iter().enumerate().step_by(17) {
        assert_eq!(
            case.position(&newest_first, &e.id).expect("position"),
            Some(i as u64)
        );
    }
    let failures = SearchRequest {
        query: "outcome:failure".into(),
        ..SearchRequest::default()
    };
    let success = search(&case, "outcome:success").events[0].id.clone();
    assert_eq!(
        case.position(&failures, &success).expect("position"),
        None,
        "not in that result"
    );
    assert!(case.position(&newest_first, "999-0").is_err());
}

#[test]
fn an_actor_page_joins_aliases_and_counts_across_sources() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(
        &case,
        &[
            fixtures().join("cloudtrail"),
            fixtures().join("formats/okta"),
        ],
    );
    let facets = case
        .page(&SearchRequest {
            facet_limit: 20,
            ..SearchRequest::default()
        })
        .expect("search")
        .facets;
    let actors = &facets
        .iter()
        .find(|f| f.field == "actor")
        .expect("actor facet")
        .values;
    let (a, b) = (&actors[0], &actors[1]);
    let profile = case.actor_profile(&a.value).expect("profile");
    assert_eq!(profile.events, a.count);
    assert_eq!(profile.identities, vec![a.value.clone()]);
    assert!(!profile.actions.is_empty());
    assert_eq!(
        profile.outcomes.iter().map(|v| v.count).sum::<u64>(),
        profile.events,
        "every event has one outcome"
    );
    assert_eq!(
        profile.failures,
        search(&case, &format!("actor:\"{}\" outcome:failure", a.value)).total
    );
    assert!(profile.first_seen <= profile.last_seen);

    let group = case.add_alias(&a.value, &b.value).expect("alias");
    assert_eq!(group.len(), 2);
    let joined = case.actor_profile(&b.value).expect("profile by the alias");
    assert_eq!(
        joined.events,
        a.count + b.count,
        "both identities, from either name"
    );
    assert_eq!(joined.identities, group);
    case.remove_alias(&b.value).expect("unalias");
    assert_eq!(
        case.actor_profile(&a.value).expect("profile").events,
        a.count
    );
    let actions: Vec<String> = case
        .journal()
        .expect("journal")
        .entries
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.ends_with(&["alias".to_string(), "unalias".to_string()]));
}

#[test]
fn field_statistics_count_top_and_rare_values_of_any_field() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(&case, &[fixtures().join("cloudtrail")]);
    let req = SearchRequest::default();

    // An indexed facet: exact over the selection.
    let actor = case.field_stats(&req, "actor").expect("stats");
    assert_eq!(actor.events, search(&case, "").total);
    assert_eq!(actor.read, actor.events);
    let top = &actor.top[0];
    assert_eq!(
        top.count,
        search(&case, &format!("actor:\"{}\"", top.value)).total
    );
    assert!(
        actor.rare.windows(2).all(|w| w[0].count <= w[1].count),
        "rarest first"
    );
    assert!(actor.distinct >= actor.top.len() as u64);

    // An original field by key path: counted from the records.
    let names = case.field_stats(&req, "eventName").expect("stats");
    assert_eq!(names.with_value, search(&case, "eventName:*").total);
    for v in &names.top {
        assert_eq!(
            v.count,
            search(&case, &format!("eventName:\"{}\"", v.value)).total,
            "{}",
            v.value
        );
    }
    let timed: u64 = names
        .histogram
        .buckets
        .iter()
        .map(|b| b.success + b.failure + b.unknown)
        .sum();
    assert_eq!(timed + names.histogram.untimed, names.with_value);

    // Over a narrower selection.
    let failures = SearchRequest {
        query: "outcome:failure".into(),
        ..SearchRequest::default()
    };
    let ua = case.field_stats(&failures, "user_agent").expect("stats");
    assert_eq!(ua.events, search(&case, "outcome:failure").total);
    assert!(ua.with_value <= ua.events);
}

#[test]
fn a_tag_colour_can_be_chosen_but_must_be_a_colour() {
    let dir = tempfile::tempdir().expect("tempdir");
    let case = new_case(dir.path());
    import(&case, &[fixtures().join("cloudtrail")]);
    let id = search(&case, "").events[0].id.clone();
    case.set_tag(&id, "Triage", true).expect("tag");
    assert_eq!(
        case.set_tag(&id, "TRIAGE", true).expect("tag").tags,
        vec!["Triage"],
        "one tag, first spelling"
    );
    case.set_tag_color("triage", "#00aa55").expect("colour");
    assert_eq!(case.tags().expect("tags")[0].color, "#00aa55");
    assert!(case
        .set_tag_color("triage", "red; background:url(x)")
        .is_err());
}
