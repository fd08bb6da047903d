//! Sightline's integration tests: one binary, one module per concern.

mod archives;
mod case_dir;
mod cli;
mod compliance;
mod crash;
mod datasets;
mod detect;
mod digests;
mod encodings;
mod export;
mod false_alarms;
mod fixtures;
mod formats;
mod hostile;
mod integrity;
mod journal;
mod layers;
mod left_out;
mod marks;
mod meaning;
mod oracle;
mod search;
mod siem;
mod support;
mod watch;
