import { describe, expect, it } from "vitest";

import { renderNote } from "./markdown";

describe("notes as markdown", () => {
  it("renders the small subset", () => {
    expect(renderNote("**Why**: same `key`, *twice*")).toBe("<strong>Why</strong>: same <code>key</code>, <em>twice</em><br>");
    expect(renderNote("- one\n- two\nend")).toBe("<ul><li>one</li><li>two</li></ul>end<br>");
  });

  it("never lets a note become markup", () => {
    const html = renderNote('<img src=x onerror=alert(1)> **<script>x</script>** [a](javascript:alert(1))');
    expect(html).not.toMatch(/<img|<script|<a /);
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    expect(html).toContain("<strong>&lt;script&gt;x&lt;/script&gt;</strong>");
  });
});
