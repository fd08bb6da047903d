"""Reference matches for the Sigma differential test (tests/it/oracle.rs).

Reads the documents Sightline evaluates rules on as JSON lines (`sightline rules views`: {"id",
"product", "service", "category", "fields"}), loads them into SQLite (nested keys
flattened to dotted column names, as Sigma names fields), converts each rule with pySigma's SQLite
backend and runs the query. Prints {"rules": {path: {"id", "title", "events": [ids]}},
"unconvertible": {path: reason}} as JSON. pySigma is the reference implementation of Sigma's
semantics; SQLite's LIKE and a NOCASE collation give Sigma's case-insensitive matching.

usage: python pysigma_matches.py EVENTS.jsonl RULE_DIR...
"""
import json
import re
import sqlite3
import sys
from pathlib import Path

from sigma.backends.sqlite import sqliteBackend
from sigma.collection import SigmaCollection


def flatten(value, prefix, out):
    if isinstance(value, dict):
        for k, v in value.items():
            flatten(v, f"{prefix}.{k}" if prefix else k, out)
    elif isinstance(value, list):
        out[prefix] = json.dumps(value, separators=(",", ":"))
    elif isinstance(value, bool):
        out[prefix] = "true" if value else "false"
    elif value is None:
        out[prefix] = None
    else:
        out[prefix] = str(value)


def regexp(pattern, value):
    if value is None:
        return 0
    try:
        return 1 if re.search(pattern, value) else 0
    except re.error:
        return 0


def load(events_path):
    rows = []
    # SQLite's column names ignore case: a key differing from another only by case is kept under
    # the first spelling seen (rare: Azure's activityDateTime beside ActivityDateTime).
    columns = {}
    for line in open(events_path, encoding="utf-8"):
        if not line.strip():
            continue
        doc = json.loads(line)
        flat = {}
        flatten(doc["fields"], "", flat)
        kept = {}
        for k, v in flat.items():
            name = columns.setdefault(k.lower(), k)
            if name not in kept:
                kept[name] = v
        rows.append((doc["id"], kept))
    db = sqlite3.connect(":memory:")
    db.create_function("regexp", 2, regexp, deterministic=True)
    cols = ["sightline_id"] + sorted(columns.values())
    db.execute(
        "CREATE TABLE logs (" + ", ".join(f'"{c}" TEXT COLLATE NOCASE' for c in cols) + ")"
    )
    for rid, flat in rows:
        keys = ["sightline_id"] + list(flat)
        db.execute(
            f"INSERT INTO logs ({', '.join(chr(34) + k + chr(34) for k in keys)}) "
            f"VALUES ({', '.join('?' for _ in keys)})",
            [rid] + [flat[k] for k in flat],
        )
    return db


def run(db, query):
    # A field no event has is NULL in every row: add it and ask again.
    for _ in range(32):
        try:
            sql = query.replace("SELECT * FROM logs", "SELECT sightline_id FROM logs", 1)
            return sorted(r[0] for r in db.execute(sql))
        except sqlite3.OperationalError as e:
            missing = re.match(r"no such column: (.+)", str(e))
            if not missing:
                raise
            db.execute(f'ALTER TABLE logs ADD COLUMN "{missing.group(1)}" TEXT COLLATE NOCASE')
    raise RuntimeError("too many missing columns")


def main():
    db = load(sys.argv[1])
    backend = sqliteBackend()
    result = {"rules": {}, "unconvertible": {}}
    for rule_dir in sys.argv[2:]:
        for path in sorted(Path(rule_dir).rglob("*.yml")):
            try:
                collection = SigmaCollection.from_yaml(path.read_text(encoding="utf-8"))
                rule = collection.rules[0]
                queries = backend.convert(collection)
                ids = sorted({i for q in queries for i in run(db, q)})
            except Exception as e:  # the reason is reported, the rule left out of the comparison
                result["unconvertible"][str(path)] = f"{type(e).__name__}: {e}"[:300]
                continue
            result["rules"][str(path)] = {
                "id": str(rule.id) if rule.id else None,
                "title": rule.title,
                "events": ids,
            }
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
