// `make bench-ui`: the real window on a large case (the one `make bench` builds), timed through
// WebDriver: launch to first results, query to results on screen, and scrolling deep into the
// table. Prints the figures; it asserts only that the window answered.

import { execFileSync, spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";

import { Builder, By, Key, until } from "selenium-webdriver";

const root = resolve(import.meta.dirname, "../..");
const app = process.env.SIGHTLINE_APP ?? join(root, "target/debug/sightline-desktop");
const caseDir = resolve(process.env.SIGHTLINE_CASE ?? join(root, "target/bench-case"));
if (!existsSync(join(caseDir, "case.sqlite"))) {
  console.error(`no case at ${caseDir}: run 'make bench' first`);
  process.exit(2);
}

async function waitForPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((done) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), done(true)));
      s.on("error", () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("tauri-driver did not start");
}

const bin = existsSync(join(homedir(), ".cargo/bin/tauri-driver")) ? join(homedir(), ".cargo/bin/tauri-driver") : "tauri-driver";
const driverProcess = spawn(bin, [], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, SIGHTLINE_CASE: caseDir } });
await waitForPort(4444);
const launched = Date.now();
const driver = await new Builder().withCapabilities({ browserName: "wry", "tauri:options": { application: app } }).usingServer("http://127.0.0.1:4444/").build();
/** Start of the newest process running `app`, in epoch milliseconds: its age from /proc (10 ms steps). */
function processStart(app) {
  try {
    const pid = execFileSync("pgrep", ["-n", "-f", app]).toString().trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const uptime = Number(readFileSync("/proc/uptime", "utf8").split(" ")[0]);
    const now = Date.now();
    const ticks = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
    const hz = Number(execFileSync("getconf", ["CLK_TCK"]).toString());
    return now - (uptime - ticks / hz) * 1000;
  } catch {
    return null;
  }
}

const total = () => driver.executeScript("return document.querySelector('[data-testid=total]')?.textContent ?? ''");
const pct = (xs, q) => xs.slice().sort((a, b) => a - b)[Math.round((xs.length - 1) * q)];

try {
  await driver.wait(until.elementLocated(By.css("[data-testid=row]")), 120_000);
  const firstResults = Date.now() - launched;
  console.log(`case: ${caseDir}, ${await total()} events`);
  console.log(`launch to first results on screen: ${firstResults} ms (WebDriver session included)`);
  const started = processStart(app);
  const marks = await driver.executeScript(`
    const first = performance.getEntriesByName('sightline:first-results')[0];
    const paint = performance.getEntriesByType('paint').find((p) => p.name === 'first-contentful-paint');
    return { origin: performance.timeOrigin, first: first?.startTime ?? null, paint: paint?.startTime ?? null };`);
  if (started !== null && marks.first !== null) {
    const since = (t) => Math.round(marks.origin + t - started);
    console.log(`app process start to first paint: ${marks.paint === null ? "n/a" : `${since(marks.paint)} ms`}, to first results painted: ${since(marks.first)} ms (1M events)`);
  }

  // Timed inside the page, so WebDriver round trips do not count: from Enter to the next frame
  // after the new total is in the DOM (table, facets and timeline update in the same flush).
  const measure = `
    const [q, done] = arguments;
    const input = document.querySelector('[data-testid=query]');
    const total = document.querySelector('[data-testid=total]');
    const before = total.textContent;
    input.value = q;
    input.dispatchEvent(new Event('input', { bubbles: true }));
    const t0 = performance.now();
    const timer = setTimeout(() => { obs.disconnect(); done(null); }, 5000);
    const obs = new MutationObserver(() => {
      if (total.textContent === before) return;
      obs.disconnect();
      clearTimeout(timer);
      const dom = performance.now() - t0;
      requestAnimationFrame(() => setTimeout(() => done({ screen: performance.now() - t0, dom, took: document.querySelector('[data-testid=took]')?.textContent ?? '' }), 0));
    });
    obs.observe(total, { childList: true, characterData: true, subtree: true });
    input.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
  `;
  const queries = ["actor:user-1", "AccessDenied", "action:GetObject", "", "requestParameters.bucketName:data-7", "outcome:failure", "Access*", "-action:GetObject"];
  const screen = [];
  const dom = [];
  const took = [];
  for (let round = 0; round < 3; round++) {
    for (const q of queries) {
      const m = await driver.executeAsyncScript(measure, q);
      if (!m) continue;
      screen.push(Math.round(m.screen));
      dom.push(Math.round(m.dom));
      took.push(Number.parseInt(m.took, 10));
      if (round === 0) console.log(`  ${JSON.stringify(q).padEnd(40)} ${await total()} hits: search call ${m.took}, in DOM ${Math.round(m.dom)} ms, painted ${Math.round(m.screen)} ms`);
    }
  }
  const stats = (xs) => `p50 ${pct(xs, 0.5)} ms, p95 ${pct(xs, 0.95)} ms, max ${Math.max(...xs)} ms`;
  console.log(`query to results painted: ${stats(screen)} (${screen.length} queries)`);
  console.log(`  of which the search call (engine + IPC): ${stats(took)}`);

  const scrolls = [];
  for (const fraction of [0.1, 0.5, 0.9, 0.3, 0.7]) {
    const t0 = Date.now();
    await driver.executeScript(`const s = document.querySelector('[data-testid=results] .scroller'); s.scrollTop = s.scrollHeight * ${fraction};`);
    await driver.wait(async () => driver.executeScript("const rows = [...document.querySelectorAll('[data-testid=row]')]; return rows.length > 0 && rows.every(r => !r.textContent.includes('loading'));"), 20_000);
    scrolls.push(Date.now() - t0);
  }
  console.log(`jump-scroll to rows loaded: p50 ${pct(scrolls, 0.5)} ms, max ${Math.max(...scrolls)} ms`);
} finally {
  await driver.quit().catch(() => {});
  driverProcess.kill();
}
