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
    console.log(`app process start to first paint: ${marks.paint === null ? "n/a" : `${since(marks.paint)} ms`}, to first results painted: ${since(marks.first)} ms`);
    // The calls the window made to show its first screen, once all have answered.
    await new Promise((r) => setTimeout(r, 3000));
    const calls = await driver.executeScript("return performance.getEntriesByType('measure').filter((m) => m.name.startsWith('ipc:')).map((m) => [m.name.slice(4), m.startTime, m.duration])");
    for (const [name, start, duration] of calls.filter(([, start]) => start <= marks.first)) {
      console.log(`  ${name.padEnd(16)} called at ${since(start)} ms, answered ${Math.round(duration)} ms later`);
    }
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
      const calls = performance.getEntriesByType('measure').filter((m) => m.name.startsWith('ipc:') && m.startTime >= t0).map((m) => m.name.slice(4) + ' ' + Math.round(m.duration));
      requestAnimationFrame(() => setTimeout(() => done({ screen: performance.now() - t0, dom, calls, took: document.querySelector('[data-testid=took]')?.textContent ?? '' }), 0));
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
      if (round === 0) console.log(`  ${JSON.stringify(q).padEnd(40)} ${await total()} hits: search call ${m.took}, in DOM ${Math.round(m.dom)} ms, painted ${Math.round(m.screen)} ms (calls: ${m.calls.join(", ")})`);
    }
  }
  const stats = (xs) => `p50 ${pct(xs, 0.5)} ms, p95 ${pct(xs, 0.95)} ms, max ${Math.max(...xs)} ms`;
  console.log(`query to results painted: ${stats(screen)} (${screen.length} queries)`);
  console.log(`  of which the search call (engine + IPC): ${stats(took)}`);

  // Timed inside the page too: from setting the scroll position to the frame after every row in
  // view holds its event (rows of the page being loaded show "loading…").
  const scrollMeasure = `
    const [fraction, done] = arguments;
    const s = document.querySelector('[data-testid=results] .scroller');
    const t0 = performance.now();
    s.scrollTop = Math.floor((s.scrollHeight - s.clientHeight) * fraction);
    const timer = setTimeout(() => done(null), 20000);
    const check = () => {
      const view = s.getBoundingClientRect();
      const rows = [...s.querySelectorAll('[data-testid=row]')].filter((r) => {
        const b = r.getBoundingClientRect();
        return b.bottom > view.top + 1 && b.top < view.bottom - 1;
      });
      const ready = rows.length >= Math.floor(view.height / 28) - 1 && rows.every((r) => !r.textContent.includes('loading'));
      if (!ready) return requestAnimationFrame(check);
      clearTimeout(timer);
      const ms = performance.now() - t0;
      const calls = performance.getEntriesByName('ipc:search_page').filter((m) => m.startTime >= t0).map((m) => m.duration);
      done({ ms, first: Number(rows[0].dataset.index), rows: rows.length, calls });
    };
    requestAnimationFrame(check);
  `;
  const scrolls = [];
  const calls = [];
  for (const fraction of [0.1, 0.5, 0.9, 0.3, 0.7, 1, 0.05, 0.95, 0.6, 0.2]) {
    const m = await driver.executeAsyncScript(scrollMeasure, fraction);
    if (!m) {
      console.log(`  scroll to ${fraction}: rows not loaded within 20 s`);
      continue;
    }
    scrolls.push(Math.round(m.ms));
    calls.push(...m.calls.map(Math.round));
    console.log(`  scroll to ${fraction}: row ${m.first.toLocaleString("en")} first in view, ${m.rows} rows painted in ${Math.round(m.ms)} ms (page calls: ${m.calls.map(Math.round).join(", ")} ms)`);
  }
  console.log(`jump-scroll to rows painted: p50 ${pct(scrolls, 0.5)} ms, p95 ${pct(scrolls, 0.95)} ms, max ${Math.max(...scrolls)} ms`);
  console.log(`  of which page calls (engine + IPC): p50 ${pct(calls, 0.5)} ms, p95 ${pct(calls, 0.95)} ms (${calls.length} calls)`);
  // The same page calls made directly, one at a time with nothing else going on.
  const direct = await driver.executeAsyncScript(`
    const done = arguments[0];
    (async () => {
      const times = [];
      const request = { query: '-action:GetObject', from: null, to: null, filters: [], order: 'newest_first', offset: 0, limit: 0, facet_limit: 0, histogram_buckets: 0 };
      const { total } = await window.__TAURI_INTERNALS__.invoke('search_page', { request });
      for (const fraction of [0.1, 0.5, 0.9, 0.3, 0.7]) {
        const offset = Math.floor(total * fraction);
        const t = performance.now();
        await window.__TAURI_INTERNALS__.invoke('search_page', { request: { ...request, offset, limit: 100 } });
        times.push(Math.round(performance.now() - t));
      }
      done(times);
    })();`);
  console.log(`  page calls alone (the result scrolled above, its spread kept): ${direct.join(", ")} ms`);
} finally {
  await driver.quit().catch(() => {});
  driverProcess.kill();
}
