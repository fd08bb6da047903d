// Query-bar helpers: field-name completion and error markers.

export interface Completion {
  /** Range of the query the chosen option replaces. */
  start: number;
  end: number;
  options: string[];
}

/** Field names that complete the word under the cursor, when it could be a field name. */
export function completions(query: string, cursor: number, fields: string[]): Completion | null {
  let start = cursor;
  while (start > 0 && /[\w.@]/.test(query[start - 1])) start--;
  if (start > 0 && query[start - 1] === "-") {
    // `-actor:` negates a field term; the name starts after the dash.
  }
  const word = query.slice(start, cursor);
  if (word.length === 0 || query[cursor] === ":") return null;
  // Inside a field's value (`actor:al|`) there is nothing to complete.
  let i = start - 1;
  while (i >= 0 && !/\s|\(/.test(query[i])) {
    if (query[i] === ":") return null;
    i--;
  }
  const lower = word.toLowerCase();
  const options = fields.filter((f) => f.startsWith(lower) && f !== lower).map((f) => `${f}:`);
  return options.length ? { start, end: cursor, options } : null;
}

export function applyCompletion(query: string, c: Completion, option: string): { query: string; cursor: number } {
  const next = query.slice(0, c.start) + option + query.slice(c.end);
  return { query: next, cursor: c.start + option.length };
}

/** Splits the query around an error position for display: text before, the character at, after. */
export function errorMarker(query: string, position: number): { before: string; at: string; after: string } {
  const chars = Array.from(query);
  const p = Math.max(0, Math.min(position, chars.length));
  return { before: chars.slice(0, p).join(""), at: chars[p] ?? " ", after: chars.slice(p + 1).join("") };
}

/** A query term that matches one value exactly, quoted when needed. */
export function termFor(field: string, value: string): string {
  const needsQuotes = /[\s()"]/.test(value) || value === "" || /^(AND|OR|NOT)$/.test(value);
  const escaped = value.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
  return `${field}:${needsQuotes ? `"${escaped}"` : value.replace(/([*?])/g, "\\$1")}`;
}

export const SYNTAX_HELP: [string, string][] = [
  ["alice", "the word in any field, or a whole request/session/event id"],
  ['"access denied"', "these words in this order"],
  ["actor:alice", "a field equal to a value (any case)"],
  ["actor:(alice OR bob)", "the field for every term in the group"],
  ['actor:"CORP\\alice"', "backslashes are kept as written (Windows accounts)"],
  ["activity:logon outcome:failure", "one vocabulary for every source: logon, group_add_member, logging_clear, …"],
  ["EventID:4625  /  code:4625", "the Windows event id (auditd: the record type)"],
  ["action:Delete*", "wildcards: * any characters, ? one character"],
  ["a b  /  a AND b", "both"],
  ["a OR b", "either"],
  ["-a  /  NOT a", "not a"],
  ["(a OR b) c", "grouping"],
  ["time:>=2024-05-01", "time comparisons (>, >=, <, <=); a bare date is its day"],
  ["eventName:ConsoleLogin", "any original field by its key path"],
  ["errorCode:*", "events that have the field"],
];
