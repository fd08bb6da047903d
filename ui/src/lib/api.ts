// The only module that talks to the Rust shell. Everything the window asks of the engine goes
// through here, typed with the bindings generated from the Rust types.

import { Channel, invoke } from "@tauri-apps/api/core";
import { getCurrentWebview } from "@tauri-apps/api/webview";
import { open as openDialog, save as saveDialog } from "@tauri-apps/plugin-dialog";

import type { ActorProfile } from "./bindings/ActorProfile";
import type { AppError } from "./bindings/AppError";
import type { CaseInfo } from "./bindings/CaseInfo";
import type { EventDetail } from "./bindings/EventDetail";
import type { ExportFormat } from "./bindings/ExportFormat";
import type { ExportManifest } from "./bindings/ExportManifest";
import type { ExportProgress } from "./bindings/ExportProgress";
import type { ExportRequest } from "./bindings/ExportRequest";
import type { FieldStats } from "./bindings/FieldStats";
import type { ImportProgress } from "./bindings/ImportProgress";
import type { ImportReport } from "./bindings/ImportReport";
import type { Overview } from "./bindings/Overview";
import type { IntegrityReport } from "./bindings/IntegrityReport";
import type { Relocation } from "./bindings/Relocation";
import type { JournalCheck } from "./bindings/JournalCheck";
import type { Marks } from "./bindings/Marks";
import type { Tag } from "./bindings/Tag";
import type { VerifyProgress } from "./bindings/VerifyProgress";
import type { RecentCase } from "./bindings/RecentCase";
import type { ReportSummary } from "./bindings/ReportSummary";
import type { SavedSearch } from "./bindings/SavedSearch";
import type { SearchRequest } from "./bindings/SearchRequest";
import type { SearchResult } from "./bindings/SearchResult";
import type { Detection } from "./bindings/Detection";
import type { DetectProgress } from "./bindings/DetectProgress";
import type { DetectReport } from "./bindings/DetectReport";
import type { EventDetection } from "./bindings/EventDetection";
import type { RuleSources } from "./bindings/RuleSources";
import type { ComplianceFile } from "./bindings/ComplianceFile";
import type { ComplianceReport } from "./bindings/ComplianceReport";
import type { FrameworkInfo } from "./bindings/FrameworkInfo";
import type { FollowMessage } from "./bindings/FollowMessage";
import type { FollowState } from "./bindings/FollowState";

/** Errors from the shell always have this shape; anything else is wrapped into it. */
export function asAppError(e: unknown): AppError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as AppError;
  return { code: "internal", message: String(e), position: null };
}

/** Measures kept before the buffer is emptied (a window left open for days makes many calls). */
const MEASURES_KEPT = 1000;
let measures = 0;

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  const start = performance.now();
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw asAppError(e);
  } finally {
    // Each call's time from here to its answer (engine and IPC) as a user-timing measure,
    // `ipc:COMMAND`: `make bench-ui` tells the window's own time from the engine's with them.
    if (++measures > MEASURES_KEPT) {
      performance.clearMeasures();
      measures = 1;
    }
    performance.measure(`ipc:${command}`, { start });
  }
}

/** Opens an existing case; with `create`, makes a new one in a new or empty folder. */
export const openCase = (path: string, create = false) => call<CaseInfo>("open_case", { path, create });
export const openDemo = () => call<CaseInfo>("open_demo");
export const startup = () => call<CaseInfo | null>("startup");
export const caseInfo = () => call<CaseInfo>("case_info");
/** The first screen of the case: sources, span, flagged records, worst integrity findings. */
export const overview = () => call<Overview>("overview");
export const recentCases = () => call<RecentCase[]>("recent_cases");
/** A search the user ran (Enter, a filter, a range): the engine journals it. */
export const search = (request: SearchRequest) => call<SearchResult>("search", { request });
/** A page loaded while scrolling, or counts for a panel: not journaled. */
export const searchPage = (request: SearchRequest) => call<SearchResult>("search_page", { request });
export const eventDetail = (id: string) => call<EventDetail>("event_detail", { id });
export const queryFields = () => call<string[]>("query_fields");
export const cancelWork = () => call<void>("cancel_work");
export const lastIntegrity = () => call<IntegrityReport | null>("last_integrity");
/** Every rule that fired in the case, most serious first, with its first events. */
export const detections = () => call<Detection[]>("detections");
/** Where the case's rules come from, and the last run's report (without its detections). */
export const ruleSources = () => call<[RuleSources, DetectReport | null]>("rule_sources");
/** The detections on one event, with why each matched. */
export const eventDetections = (id: string) => call<EventDetection[]>("event_detections", { id });
/** Runs the rules of `sources` over the whole case and replaces its detections (journaled). */
export function runDetections(sources: RuleSources, onProgress: (p: DetectProgress) => void): Promise<DetectReport> {
  const progress = new Channel<DetectProgress>();
  progress.onmessage = onProgress;
  return call<DetectReport>("run_detections", { sources, progress });
}
export const caseJournal = () => call<JournalCheck>("case_journal");
export const exportColumns = () => call<string[]>("export_columns");
export const setTag = (id: string, tag: string, on: boolean) => call<Marks>("set_tag", { id, tag, on });
export const setStar = (id: string, on: boolean) => call<Marks>("set_star", { id, on });
export const setNote = (id: string, note: string) => call<Marks>("set_note", { id, note });
export const caseTags = () => call<Tag[]>("case_tags");
export const setTagColor = (tag: string, color: string) => call<void>("set_tag_color", { tag, color });
export const savedSearches = () => call<SavedSearch[]>("saved_searches");
export const saveSearch = (search: SavedSearch) => call<void>("save_search", { search });
export const deleteSavedSearch = (name: string) => call<void>("delete_saved_search", { name });
export const searchHistory = () => call<SavedSearch[]>("search_history");
export const actorProfile = (actor: string) => call<ActorProfile>("actor_profile", { actor });
export const addAlias = (actor: string, alias: string) => call<string[]>("add_alias", { actor, alias });
export const removeAlias = (alias: string) => call<void>("remove_alias", { alias });
export const fieldStats = (request: SearchRequest, field: string) => call<FieldStats>("field_stats", { request, field });
export const writeReport = (out: string, request: SearchRequest) => call<ReportSummary>("write_report", { out, request });
/** The built-in compliance frameworks. */
export const frameworks = () => call<FrameworkInfo[]>("frameworks");
/** Evidence per control of a framework (an id or a framework file's path) over a selection; journaled. */
export const compliance = (framework: string, request: SearchRequest) => call<ComplianceReport>("compliance", { framework, request });
/** Writes the printable HTML compliance report; journaled with its SHA-256. */
export const writeComplianceReport = (framework: string, request: SearchRequest, out: string) =>
  call<ComplianceFile>("write_compliance_report", { framework, request, out });
export const eventPosition = (request: SearchRequest, id: string) => call<number | null>("event_position", { request, id });

/** Exports the selection to `out` (a manifest is written beside it). */
export function exportEvents(out: string, request: SearchRequest, format: ExportFormat, columns: string[], redact: boolean, onProgress: (p: ExportProgress) => void): Promise<ExportManifest> {
  const progress = new Channel<ExportProgress>();
  progress.onmessage = onProgress;
  const exportRequest: ExportRequest = { out, request, format, columns, redact };
  return call<ExportManifest>("export_events", { export: exportRequest, progress });
}

/** The native save dialog; null when cancelled. */
export async function pickSavePath(defaultPath: string): Promise<string | null> {
  return saveDialog({ defaultPath });
}

/** Runs every integrity check; `publicKeys` is a path to `aws cloudtrail list-public-keys` output,
 * `moved` where evidence imported elsewhere is read from now, `expectHead` a journal head
 * (`SEQ:HASH`) recorded earlier that the journal must still hold. */
export function verifyCase(
  onProgress: (p: VerifyProgress) => void,
  publicKeys: string | null = null,
  moved: Relocation[] = [],
  expectHead: string | null = null,
): Promise<IntegrityReport> {
  const progress = new Channel<VerifyProgress>();
  progress.onmessage = onProgress;
  return call<IntegrityReport>("verify_case", { publicKeys, moved, expectHead, progress });
}

export const formatNames = () => call<string[]>("format_names");

/** Imports `paths`; `format` forces one format (null: detect), `zone` reads zone-less times. */
export function importPaths(paths: string[], onProgress: (p: ImportProgress) => void, format: string | null = null, zone: string | null = null): Promise<ImportReport> {
  const progress = new Channel<ImportProgress>();
  progress.onmessage = onProgress;
  return call<ImportReport>("import_paths", { paths, format, zone, progress });
}

/** Whether the case is followed now, and the paths it follows (or followed last). */
export const followState = () => call<FollowState>("follow_state");
/** Follows `paths` (files or folders) into the case until `stopFollow`; every batch and the end
 * come to `onMessage`. Resolves once following runs (a wrong path is refused at once). */
export function startFollow(paths: string[], onMessage: (m: FollowMessage) => void): Promise<void> {
  const messages = new Channel<FollowMessage>();
  messages.onmessage = onMessage;
  return call<void>("start_follow", { paths, messages });
}
export const stopFollow = () => call<void>("stop_follow");

/** The native picker: files and archives, or one folder. */
export async function pickPaths(kind: "files" | "folder"): Promise<string[]> {
  const picked = await openDialog(kind === "folder" ? { directory: true, multiple: false } : { multiple: true, directory: false });
  if (picked === null) return [];
  return Array.isArray(picked) ? picked : [picked];
}

/** Paths dropped on the window. Returns the function that stops listening. */
export async function onDrop(handler: (paths: string[]) => void): Promise<() => void> {
  return getCurrentWebview().onDragDropEvent((event) => {
    if (event.payload.type === "drop") handler(event.payload.paths);
  });
}
