// `make bench-ui`: the real window on a large case (the one `make bench` builds), timed through
// WebDriver: launch to first results, query to results on screen, and scrolling deep into the
// table. Prints the figures; it asserts only that the window answered.

import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
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
const total = () => driver.executeScript("return document.querySelector('[data-testid=total]')?.textContent ?? ''");
const pct = (xs, q) => xs.slice().sort((a, b) => a - b)[Math.round((xs.length - 1) * q)];

try {
  await driver.wait(until.elementLocated(By.css("[data-testid=row]")), 120_000);
  const firstResults = Date.now() - launched;
  console.log(`case: ${caseDir}, ${await total()} events`);
  console.log(`launch to first results on screen: ${firstResults} ms (WebDriver session included)`);

  const queries = ["actor:user-1", "AccessDenied", "action:GetObject", "", "requestParameters.bucketName:data-7", "outcome:failure", "Access*", "-action:GetObject"];
  const times = [];
  for (let round = 0; round < 2; round++) {
    for (const q of queries) {
      const before = await total();
      const input = await driver.findElement(By.css("[data-testid=query]"));
      await input.click();
      await input.sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
      if (q) await input.sendKeys(q);
      const t0 = Date.now();
      await input.sendKeys(Key.ENTER);
      // The same total twice in a row would not change the text; those rounds count as done.
      await driver.wait(async () => (await total()) !== before || Date.now() - t0 > 8000, 20_000);
      const after = await total();
      if (after !== before) times.push(Date.now() - t0);
    }
  }
  console.log(`query to new total on screen: p50 ${pct(times, 0.5)} ms, p95 ${pct(times, 0.95)} ms, max ${Math.max(...times)} ms (${times.length} queries)`);

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
