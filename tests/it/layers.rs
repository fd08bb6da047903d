//! The engine's layers point down (docs/architecture.md): a module may use the modules of lower
//! layers, and within its layer only those listed before it; the shells and these tests reach the
//! engine only through `sightline::api`. Read from the source text, so a new `use` that bends
//! the shape fails here before anyone has to notice it in review.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// From the bottom up; within a layer, a module may use the ones before it.
const LAYERS: &[(&str, &[&str])] = &[
    ("core", &["error", "clock", "time", "model", "fault"]),
    ("input", &["bundle", "record", "formats"]),
    ("store", &["index", "case"]),
    (
        "features",
        &[
            "search",
            "integrity",
            "detect",
            "import",
            "export",
            "compliance",
            "watch",
        ],
    ),
    ("api", &["api", "fuzzing"]),
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The source without comment lines (doc links may name any module).
fn code(path: &Path) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Top-level module names a source refers to through `prefix::` (`crate` or `sightline`),
/// including `prefix::{a, b::c}` groups.
fn modules_used(code: &str, prefix: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let needle = format!("{prefix}::");
    let mut rest = code;
    while let Some(i) = rest.find(&needle) {
        let before = rest[..i].chars().next_back();
        rest = &rest[i + needle.len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let end = group.find('}').unwrap_or(group.len());
            for item in group[..end].split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if !name.is_empty() {
                    out.insert(name);
                }
            }
            continue;
        }
        let name: String = rest
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() {
            out.insert(name);
        }
    }
    out
}

/// (layer index, position in the layer) of a top-level module.
fn rank(module: &str) -> Option<(usize, usize)> {
    LAYERS.iter().enumerate().find_map(|(layer, (_, mods))| {
        mods.iter()
            .position(|m| *m == module)
            .map(|pos| (layer, pos))
    })
}

#[test]
fn every_module_of_the_engine_uses_only_lower_layers() {
    let src = root().join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut broken = Vec::new();
    let mut seen = BTreeSet::new();
    for file in &files {
        let rel = file.strip_prefix(&src).expect("under src");
        let first = rel.components().next().expect("a component");
        let module = first
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_string();
        // The crate root and the shells are not layers of the engine.
        if ["lib", "main", "cli", "bin"].contains(&module.as_str()) {
            continue;
        }
        let Some(mine) = rank(&module) else {
            broken.push(format!("{}: module {module} is in no layer", rel.display()));
            continue;
        };
        seen.insert(module.clone());
        for used in modules_used(&code(file), "crate") {
            if used == module {
                continue;
            }
            match rank(&used) {
                Some(theirs) if theirs < mine => {}
                Some(_) => broken.push(format!(
                    "{}: {module} ({}) uses {used} ({}), which is not below it",
                    rel.display(),
                    LAYERS[mine.0].0,
                    LAYERS[rank(&used).map_or(0, |r| r.0)].0
                )),
                // Re-exports at the crate root (`crate::Error`) are core types.
                None if ["Error", "Result", "ErrorCode", "AuditEvent"].contains(&used.as_str()) => {
                }
                None => broken.push(format!(
                    "{}: uses crate::{used}, in no layer",
                    rel.display()
                )),
            }
        }
    }
    assert!(broken.is_empty(), "layering broken:\n{}", broken.join("\n"));
    let listed: BTreeSet<String> = LAYERS
        .iter()
        .flat_map(|(_, m)| m.iter().map(|s| s.to_string()))
        .collect();
    assert_eq!(seen, listed, "every layer's module exists and was checked");
}

#[test]
fn the_shells_and_the_tests_reach_the_engine_only_through_its_api() {
    let root = root();
    let mut files = vec![root.join("src/main.rs")];
    for dir in ["src/cli", "src/bin", "src-tauri/src", "tests/it"] {
        rust_files(&root.join(dir), &mut files);
    }
    let mut broken = Vec::new();
    // This file names the paths it looks for.
    files.retain(|f| !f.ends_with("tests/it/layers.rs"));
    for file in &files {
        for used in modules_used(&code(file), "sightline") {
            if used != "api" {
                broken.push(format!(
                    "{} uses sightline::{used}",
                    file.strip_prefix(&root).unwrap_or(file).display()
                ));
            }
        }
    }
    assert!(
        broken.is_empty(),
        "not through the api:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_checker_sees_groups_paths_and_ignores_lookalikes() {
    let used = modules_used(
        "use crate::{search::run, case};\nlet x = crate::time::now();\nmy_crate::foo();",
        "crate",
    );
    assert_eq!(
        used.into_iter().collect::<Vec<_>>(),
        vec!["case", "search", "time"]
    );
}
