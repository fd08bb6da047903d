// Notes are markdown; the window shows a small, safe subset. Everything is HTML-escaped first,
// so nothing a note holds can become markup other than the tags made here.

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** `**bold**`, `*italic*`, `` `code` ``, `- ` list items and line breaks; links stay text. */
export function renderNote(markdown: string): string {
  const lines = escape(markdown).split("\n");
  const inline = (s: string) =>
    s
      .replace(/`([^`]+)`/g, "<code>$1</code>")
      .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
      .replace(/(^|[^*])\*([^*]+)\*/g, "$1<em>$2</em>");
  const out: string[] = [];
  let list = false;
  for (const line of lines) {
    const item = /^\s*[-*] (.*)$/.exec(line);
    if (item) {
      if (!list) out.push("<ul>");
      list = true;
      out.push(`<li>${inline(item[1])}</li>`);
      continue;
    }
    if (list) out.push("</ul>");
    list = false;
    out.push(inline(line) + "<br>");
  }
  if (list) out.push("</ul>");
  return out.join("");
}
