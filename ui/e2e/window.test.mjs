// End-to-end test of the real desktop window: the app under Xvfb, driven through WebDriver
// (tauri-driver + WebKitWebDriver). Every step checks what the window shows against the engine
// (the `sightline` CLI on the same case) and saves a screenshot to target/e2e/.

import { spawn, execFileSync, spawnSync } from "node:child_process";
import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { appendFileSync, mkdtempSync, mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { tmpdir, homedir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import net from "node:net";

import { Builder, By, Key, until } from "selenium-webdriver";

const root = resolve(import.meta.dirname, "../..");
const app = join(root, "target/debug/sightline-desktop");
const cli = join(root, "target/debug/sightline");
const shots = join(root, "target/e2e");
const work = mkdtempSync(join(tmpdir(), "sightline-e2e-"));
const demoCase = join(work, "demo-case");
const complianceFile = join(work, "pci.html");
mkdirSync(shots, { recursive: true });

let driverProcess;
let driver;
let launchedAt = 0;
const timings = {};

function sightline(...args) {
  return JSON.parse(execFileSync(cli, [...args, "--json"], { encoding: "utf8" }));
}

function engineTotal(query, extra = []) {
  return sightline("search", "--case", demoCase, "--limit", "0", ...extra, ...(query ? [query] : [])).total;
}

/** RFC 3339 UTC with nine fraction digits, from nanoseconds as bigint. */
function rfc3339(nanos) {
  const seconds = nanos / 1_000_000_000n;
  const fraction = String(nanos % 1_000_000_000n).padStart(9, "0");
  return new Date(Number(seconds) * 1000).toISOString().replace(/\.\d{3}Z$/, `.${fraction}Z`);
}

async function waitForPort(port, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((done) => {
      const s = net.connect(port, "127.0.0.1", () => (s.end(), done(true)));
      s.on("error", () => done(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`nothing listens on ${port}`);
}

async function shot(name) {
  writeFileSync(join(shots, `${name}.png`), await driver.takeScreenshot(), "base64");
  // An unexpected error shows as a banner over the window (boot.ts): none may appear in the walk.
  const fatal = await driver.executeScript("return document.querySelector('.fatal')?.textContent ?? null");
  assert.equal(fatal, null, `${name}: the window reported an error`);
}

const $ = (css) => driver.wait(until.elementLocated(By.css(css)), 20_000);
/** An element's text; Svelte may replace the element between finding and reading it, so a stale
 * reference is looked up again rather than failing the walk. */
async function text(css) {
  return fresh(async () => (await $(css)).getText());
}

/** Runs `step` again when an element it holds was replaced by a re-render meanwhile. */
async function fresh(step) {
  for (let attempt = 0; ; attempt++) {
    try {
      return await step();
    } catch (e) {
      if (e.name !== "StaleElementReferenceError" || attempt >= 10) throw e;
      await driver.sleep(50);
    }
  }
}
const number = async (css) => Number((await text(css)).replace(/[^0-9]/g, ""));

/** Waits until the shown total equals `expected` (searches run in the background). */
async function totalBecomes(expected) {
  await driver.wait(async () => (await number("[data-testid=total]")) === expected, 20_000, `total never became ${expected}`);
}

/** Replaces an input's text the way a person does (WebDriver's clear() fires no input event). */
async function typeInto(css, value, ...more) {
  const input = await $(css);
  await input.sendKeys(Key.chord(Key.CONTROL, "a"), Key.BACK_SPACE);
  await input.sendKeys(value, ...more);
}

async function runQuery(q) {
  await typeInto("[data-testid=query]", q, Key.ENTER);
}

before(async () => {
  assert.ok(existsSync(app), `build the app first: ${app}`);
  const bin = existsSync(join(homedir(), ".cargo/bin/tauri-driver")) ? join(homedir(), ".cargo/bin/tauri-driver") : "tauri-driver";
  // Its own process group: the app and WebKitWebDriver are killed with it at the end, so that no
  // window outlives the test (an orphaned app holds the runner's stderr open and it never exits).
  driverProcess = spawn(bin, [], {
    detached: true,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, SIGHTLINE_DEMO_CASE: demoCase, XDG_DATA_HOME: join(work, "data") },
  });
  await waitForPort(4444, 20_000);
  launchedAt = Date.now();
  driver = await new Builder()
    .withCapabilities({ browserName: "wry", "tauri:options": { application: app } })
    .usingServer("http://127.0.0.1:4444/")
    .build();
});

after(async () => {
  // Figures for the closing note and README; the test only reports them.
  console.log(`timings: ${JSON.stringify(timings)}`);
  await Promise.race([driver?.quit().catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
  if (driverProcess?.pid) {
    try {
      process.kill(-driverProcess.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
});

test("an investigator's walk through the window", async () => {
  try {
    await walk();
  } catch (e) {
    await shot("failure").catch(() => {});
    throw e;
  }
});

const sha256 = (text) => createHash("sha256").update(text).digest("hex");

/** A CloudTrail bundle as S3 holds it: two hourly log files, their two chained digests, each
 * signed SHA256withRSA (AWS's documented string) with a fresh key, signatures saved beside. */
function digestBundle(dir) {
  const acct = "111122223333";
  const bucket = "e2e-bucket";
  const logKey = `AWSLogs/${acct}/CloudTrail/us-east-1/2025/10/21`;
  const digestKey = `AWSLogs/${acct}/CloudTrail-Digest/us-east-1/2025/10/21`;
  mkdirSync(join(dir, logKey), { recursive: true });
  mkdirSync(join(dir, digestKey), { recursive: true });
  const { publicKey, privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const keys = join(dir, "..", "public-keys.json");
  writeFileSync(keys, JSON.stringify({ PublicKeyList: [{ Value: publicKey.export({ type: "pkcs1", format: "der" }).toString("base64"), Fingerprint: "e2e0001" }] }));
  let prev = null;
  for (let h = 0; h < 2; h++) {
    const name = `${acct}_CloudTrail_us-east-1_20251021T0${h}10Z_e2e.json.gz`;
    const records = [0, 1, 2].map((i) => ({ eventVersion: "1.08", eventTime: `2025-10-21T0${h}:1${i}:00Z`, eventSource: "s3.amazonaws.com", eventName: "GetObject", awsRegion: "us-east-1", sourceIPAddress: "198.51.100.7", userIdentity: { type: "IAMUser", userName: "digest-user" }, eventID: `dg-${h}-${i}` }));
    const log = JSON.stringify({ Records: records });
    writeFileSync(join(dir, logKey, name), gzipSync(log));
    const digestName = `${acct}_CloudTrail-Digest_us-east-1_e2e_us-east-1_20251021T0${h + 1}0000Z.json.gz`;
    const end = `2025-10-21T0${h + 1}:00:00Z`;
    const digest = JSON.stringify({
      awsAccountId: acct, digestStartTime: `2025-10-21T0${h}:00:00Z`, digestEndTime: end, digestS3Bucket: bucket, digestS3Object: `${digestKey}/${digestName}`,
      digestPublicKeyFingerprint: "e2e0001", digestSignatureAlgorithm: "SHA256withRSA",
      previousDigestS3Bucket: prev ? bucket : null, previousDigestS3Object: prev?.key ?? null, previousDigestHashValue: prev?.sha ?? null, previousDigestHashAlgorithm: "SHA-256", previousDigestSignature: prev?.sig ?? null,
      logFiles: [{ s3Bucket: bucket, s3Object: `${logKey}/${name}`, hashValue: sha256(log), hashAlgorithm: "SHA-256" }],
    });
    const signed = `${end}\n${bucket}/${digestKey}/${digestName}\n${sha256(digest)}\n${prev?.sig ?? "null"}`;
    const sig = sign("sha256", Buffer.from(signed), privateKey).toString("hex");
    writeFileSync(join(dir, digestKey, digestName), gzipSync(digest));
    writeFileSync(join(dir, digestKey, `${digestName}.sig`), sig);
    prev = { key: `${digestKey}/${digestName}`, sha: sha256(digest), sig };
  }
  return keys;
}

async function walk() {
  // Start screen, then the demo case built from the sample data in the repository.
  await $("[data-testid=open-demo]");
  timings.launch_to_start_screen_ms = Date.now() - launchedAt;
  await shot("01-start");
  await (await $("[data-testid=open-demo]")).click();
  await driver.wait(until.elementLocated(By.css("[data-testid=row]")), 60_000);
  const all = engineTotal("");
  assert.equal(all, 224, "the demo bundle holds 224 events: 128 CloudTrail and generic, 91 EVTX, 5 auditd");
  await totalBecomes(all);
  await driver.sleep(300);
  await shot("02-demo-case");

  // The first screen is an overview of the whole case: sources, span, flagged records, integrity.
  const stats = sightline("stats", "--case", demoCase);
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=overview-format]"))).length === stats.formats.length, 10_000, "one chip per format");
  assert.match(await text("[data-testid=overview-span]"), new RegExp(`^${all} events`));
  assert.match(await text("[data-testid=overview-flagged]"), new RegExp(`^${engineTotal("flag:*")} flagged`));
  await $("[data-testid=overview-verify]");
  await shot("02b-overview");

  // Search.
  await runQuery("outcome:failure");
  await totalBecomes(engineTotal("outcome:failure"));
  await shot("03-search-failures");

  // A facet filter, applied and removed.
  await runQuery("");
  await totalBecomes(all);
  const actorName = await fresh(async () => {
    const actor = await $("[data-testid=facet-actor]");
    const name = (await actor.getAttribute("title")).split(" — ")[0];
    await actor.click();
    return name;
  });
  await $("[data-testid=chips]");
  await totalBecomes(engineTotal("", ["--filter", `actor=${actorName}`]));
  await shot("04-facet-filter");
  await (await $("[data-testid=remove-chip]")).click();
  await totalBecomes(all);

  // A value left out (Alt-click): the engine counts it as the whole case less that value's
  // events; what the window shows must be what counting the kept events afresh gives.
  const leftOut = "GetPasswordData";
  const valueButton = (field, value) =>
    fresh(async () => {
      for (const b of await driver.findElements(By.css(`[data-testid=facet-${field}]`))) {
        if ((await b.getAttribute("title")).startsWith(`${value} — `)) return b;
      }
      return null;
    });
  await driver.actions().keyDown(Key.ALT).click(await valueButton("action", leftOut)).keyUp(Key.ALT).perform();
  const afresh = sightline("search", "--case", demoCase, "--limit", "0", `(-action:${leftOut}) OR action:no_such_action`);
  assert.equal(afresh.total, all - engineTotal(`action:${leftOut}`));
  await totalBecomes(afresh.total);
  assert.equal(await valueButton("action", leftOut), null, "the value left out is not counted");
  for (const field of ["rule", "level"]) {
    const expected = afresh.facets.find((f) => f.field === field).values;
    assert.ok(expected.length > 0, `the demo case has ${field} facets`);
    for (const v of expected.slice(0, 3)) {
      const shown = await valueButton(field, v.value);
      assert.ok(shown, `${field} ${v.value} shown`);
      assert.equal(Number((await shown.findElement(By.css(".count")).getText()).replace(/[^0-9]/g, "")), v.count, `${field} ${v.value}`);
    }
  }
  await shot("04b-facet-left-out");
  await (await $("[data-testid=remove-chip]")).click();
  await totalBecomes(all);

  // Event detail: the console login, opened from the table.
  await runQuery("action:ConsoleLogin");
  await totalBecomes(engineTotal("action:ConsoleLogin"));
  const row = await $("[data-testid=row]");
  await row.click();
  await driver.actions().doubleClick(row).perform();
  const message = await text("[data-testid=detail-message]");
  assert.match(message, /ConsoleLogin/);
  assert.match(await text("[data-testid=raw]"), /"eventName": "ConsoleLogin"/);
  await driver.sleep(200);
  await shot("05-event-detail");
  await driver.actions().sendKeys(Key.ESCAPE).perform();

  // Narrow the time range with absolute times (UTC shown).
  await runQuery("");
  await totalBecomes(all);
  await typeInto("[data-testid=from]", "2024-08-01 00:00:00");
  await typeInto("[data-testid=to]", "2024-08-02 00:00:00");
  await (await $("[data-testid=apply-range]")).click();
  await totalBecomes(engineTotal("", ["--from", "2024-08-01T00:00:00Z", "--to", "2024-08-02T00:00:00Z"]));
  await shot("06-time-range");

  // Switch the displayed zone: every time shown carries the new offset.
  await typeInto("[data-testid=zone-offset]", "+05:30", Key.ENTER);
  await driver.wait(async () => (await text("[data-testid=zone-label]")) === "UTC+05:30", 5_000);
  const firstTime = () => driver.executeScript("return document.querySelector('[data-testid=row] .td')?.textContent?.trim() ?? ''");
  await driver.wait(async () => /\+05:30$/.test(await firstTime()), 5_000, "times carry the new offset");
  await shot("07-time-zone");
  await (await $("[data-testid=reset-range]")).click();
  await totalBecomes(all);

  // Hostile text stays text: the CSV row holding a <script> tag.
  await runQuery('"alert(1)"');
  await totalBecomes(engineTotal('"alert(1)"'));
  const hostile = await $("[data-testid=row]");
  await driver.actions().doubleClick(hostile).perform();
  await driver.wait(async () => (await text("[data-testid=raw]")).includes("<script>alert(1)</script>"), 5_000);
  assert.equal((await driver.findElements(By.css("[data-testid=detail] script"))).length, 0);
  await driver.actions().sendKeys(Key.ESCAPE).perform();

  // Import a small bundle and watch the progress bar.
  const bundle = join(work, "bundle");
  mkdirSync(bundle);
  const lines = [];
  for (let i = 0; i < 30000; i++) {
    lines.push(JSON.stringify({ eventVersion: "1.08", eventTime: `2024-09-01T${String(Math.floor(i / 3600) % 24).padStart(2, "0")}:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z`, eventSource: "s3.amazonaws.com", eventName: i % 10 === 0 ? "DeleteObject" : "GetObject", userIdentity: { type: "IAMUser", userName: `e2e-user-${i % 7}` }, sourceIPAddress: `10.9.${i % 200}.${i % 250}`, requestParameters: { bucketName: "e2e-bucket", key: `k/${i}` }, eventID: `e2e-${i}` }));
  }
  writeFileSync(join(bundle, "e2e.jsonl"), lines.join("\n") + "\n");
  await runQuery("");
  await (await $("[data-testid=open-import]")).click();
  await (await $("[data-testid=import-path]")).sendKeys(bundle, Key.ENTER);
  await (await $("[data-testid=start-import]")).click();
  await $("[data-testid=import-progress]");
  // Catch the bar mid-run when the import is slow enough to be seen; it may also finish first.
  await driver.wait(async () => {
    const events = await driver.executeScript("return document.querySelector('[data-testid=import-events]')?.textContent ?? ''");
    const done = await driver.executeScript("return !!document.querySelector('[data-testid=import-summary]')");
    return done || /[1-9]/.test(events);
  }, 60_000);
  await shot("08-import-progress");
  const summary = await driver.wait(until.elementLocated(By.css("[data-testid=import-summary]")), 60_000);
  assert.match(await summary.getText(), /Imported 30,000 events from 1 files/);
  await shot("09-import-report");
  await (await $("[data-testid=close-import]")).click();
  await totalBecomes(all + 30000);
  assert.equal(engineTotal(""), all + 30000);
  await driver.wait(async () => (await number("[data-testid=case-events]")) === all + 30000, 10_000);
  const expected = engineTotal("actor:e2e-user-3");
  const t0 = Date.now();
  await runQuery("actor:e2e-user-3");
  await totalBecomes(expected);
  timings.query_to_screen_ms_30k_case = Date.now() - t0;
  await shot("10-after-import");

  // An auth.log that writes no year, with a comment line: the report says what was assumed and
  // counts the warnings by kind, and offers to verify at once.
  const hostLogs = join(work, "host-logs");
  mkdirSync(hostLogs);
  writeFileSync(join(hostLogs, "auth.log"), "# copied from bastion-1\nMar  3 10:00:01 bastion-1 sshd[41]: Failed password for root from 203.0.113.9 port 5022 ssh2\nMar  3 10:00:05 bastion-1 sshd[41]: Accepted password for root from 203.0.113.9 port 5022 ssh2\n");
  await (await $("[data-testid=open-import]")).click();
  await (await $("[data-testid=import-path]")).sendKeys(hostLogs, Key.ENTER);
  await (await $("[data-testid=start-import]")).click();
  await driver.wait(until.elementLocated(By.css("[data-testid=import-summary]")), 60_000);
  assert.match(await text("[data-testid=import-warnings]"), /2 year inferred/);
  assert.match(await text("[data-testid=import-warnings]"), /1 comment lines/);
  assert.match(await text("[data-testid=import-assumption]"), /lines write no year: the first is read as \d{4}/);
  await shot("10b-import-assumptions");
  await (await $("[data-testid=verify-after-import]")).click();
  await driver.wait(async () => /finding|no problem/.test(await text("[data-testid=integrity-verdict]").catch(() => "")), 60_000, "verify ran on opening");
  await shot("10c-verify-after-import");
  await (await $("[data-testid=integrity] header button[aria-label=Close]")).click();
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=integrity]"))).length === 0, 5_000);

  // A Splunk export: the Windows event inside `_raw` is read as a Windows event, the export's own
  // fields stay searchable, and the detail says where the record came from.
  const splunk = resolve(import.meta.dirname, "../../tests/fixtures/formats/splunk/wineventlog-both-renderings.csv");
  await (await $("[data-testid=open-import]")).click();
  await (await $("[data-testid=import-path]")).sendKeys(splunk, Key.ENTER);
  await (await $("[data-testid=start-import]")).click();
  await driver.wait(until.elementLocated(By.css("[data-testid=import-summary]")), 60_000);
  await (await $("[data-testid=close-import]")).click();
  await runQuery('splunk.sourcetype:"WinEventLog:Security"');
  await totalBecomes(1);
  await driver.actions().doubleClick(await $("[data-testid=row]")).perform();
  await driver.wait(async () => /splunk_csv export, as windows_json/.test(await text("[data-testid=detail-wrapper]").catch(() => "")), 10_000, "the detail names the export");
  assert.match(await (await $("[data-testid=row]")).getAttribute("textContent"), /WKS-7\\Administrator/);
  await shot("10d-splunk-export");
  await driver.actions().sendKeys(Key.ESCAPE).perform();
  await runQuery("");
  await totalBecomes(engineTotal(""));

  // Detections: the rules that fired at import, by level, each naming its author; a rule opens
  // its events, and an event says why it matched. A run on demand finds the same.
  await driver.wait(async () => /\d/.test(await text("[data-testid=detections-count]").catch(() => "")), 10_000, "the header counts the rules that fired");
  await (await $("[data-testid=open-detections]")).click();
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=detection-rules] tbody tr"))).length > 0, 10_000);
  const engineDetections = JSON.parse(spawnSync(cli, ["detect", "--case", demoCase, "--no-run", "--json"], { encoding: "utf8" }).stdout);
  const shownRules = await driver.findElements(By.css("[data-testid=detection-rules] tbody tr"));
  assert.equal(shownRules.length, engineDetections.detections.length);
  assert.match(await text("[data-testid=detection-rules]"), /Logging stopped or cleared/);
  assert.match(await text("[data-testid=rule-author]"), /Sightline/);
  await shot("17-detections");
  await (await $("[data-testid=run-detect]")).click();
  await driver.wait(async () => !(await driver.executeScript("return !!document.querySelector('[data-testid=detect-progress]')")), 60_000, "the run finished");
  assert.equal((await driver.findElements(By.css("[data-testid=detection-rules] tbody tr"))).length, engineDetections.detections.length);
  const cleared = engineDetections.detections.find((d) => d.rule.title === "Logging stopped or cleared");
  const openedRule = await driver.executeScript(`
    for (const row of document.querySelectorAll("[data-testid=detection-rules] tbody tr")) {
      if (/Logging stopped or cleared/.test(row.textContent)) { row.querySelector("[data-testid=show-detection]").click(); return true; }
    }
    return false;`);
  assert.ok(openedRule);
  await totalBecomes(cleared.count);
  assert.match(await (await $("[data-testid=row]")).getAttribute("textContent"), /high/);
  await driver.actions().doubleClick(await $("[data-testid=row]")).perform();
  await driver.wait(async () => /Logging stopped or cleared/.test(await text("[data-testid=detail-detections]").catch(() => "")), 10_000, "the detail says which rule matched");
  assert.match(await text("[data-testid=why-matched]"), /activity/);
  await shot("17b-why-matched");
  await driver.actions().sendKeys(Key.ESCAPE).perform();
  await runQuery("");
  await totalBecomes(engineTotal(""));

  // Compliance: PCI DSS Requirement 10 over the whole case, each control's status as the engine
  // (the CLI, reading the same case) gives it; a control opens its checks, and its events.
  await (await $("[data-testid=open-compliance]")).click();
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=control]"))).length > 0, 30_000, "the controls are listed");
  const pci = sightline("compliance", "--case", demoCase, "--framework", "pci-dss-4.0");
  const statuses = await driver.executeScript("return [...document.querySelectorAll('[data-testid=control-status]')].map((e) => e.textContent)");
  const words = { evidenced: "evidenced", partial: "partial", no_evidence: "no evidence in these logs", not_applicable: "not applicable" };
  assert.deepEqual(statuses, pci.controls.map((c) => words[c.status]));
  assert.match(await text("[data-testid=completeness]"), /cloudtrail/);
  assert.match(await text("[data-testid=review]"), /search/, "the window's searches are review evidence");
  await shot("17c-compliance");
  const failedLogons = pci.controls.find((c) => c.id === "10.2.1.4");
  await driver.executeScript(`
    for (const row of document.querySelectorAll("[data-testid=control]")) {
      if (row.textContent.includes("10.2.1.4")) { row.click(); return; }
    }`);
  await driver.wait(async () => /failed logons/.test(await text("[data-testid=control-detail]").catch(() => "")), 10_000, "the control opens its checks");
  await shot("17d-compliance-control");
  await driver.executeScript(`
    for (const row of document.querySelectorAll("[data-testid=control]")) {
      if (row.textContent.includes("10.2.1.4")) { row.querySelector("[data-testid=control-show]").click(); return; }
    }`);
  await totalBecomes(failedLogons.count);
  // The printable page, written from the window and journaled with its hash.
  await (await $("[data-testid=open-compliance]")).click();
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=control]"))).length > 0, 30_000);
  await typeInto("[data-testid=compliance-out]", complianceFile);
  await (await $("[data-testid=compliance-export]")).click();
  await driver.wait(async () => /journaled/.test(await text("[data-testid=compliance-written]").catch(() => "")), 30_000, "the report is written");
  const page = readFileSync(complianceFile, "utf8");
  assert.ok(!page.includes("<script") && /default-src 'none'/.test(page));
  assert.ok((await text("[data-testid=compliance-written]")).includes(createHash("sha256").update(page).digest("hex")));
  await (await $("[data-testid=compliance] button[aria-label=Close]")).click();
  await runQuery("");
  await totalBecomes(engineTotal(""));

  // Following live logs: a folder with an auth.log is followed; its lines arrive without a click
  // while the list sits at its top; once a row is selected, new events only say how many came,
  // the selection stays, and a StopLogging record written meanwhile raises an alert naming the
  // rule's author. The CLI reads the same case (shared) for the expected totals.
  const live = join(work, "live");
  mkdirSync(live);
  const authLine = (n) => `Dec  2 10:00:${String(n).padStart(2, "0")} web1 sshd[${4000 + n}]: Failed password for invalid user live${n} from 203.0.113.${n} port 22 ssh2\n`;
  writeFileSync(join(live, "auth.log"), [0, 1, 2].map(authLine).join(""));
  const beforeFollow = engineTotal("");
  await (await $("[data-testid=open-follow]")).click();
  await typeInto("[data-testid=follow-paths]", live);
  await (await $("[data-testid=follow-start]")).click();
  await driver.wait(async () => (await text("[data-testid=follow-status]")) === "Following", 20_000, "following starts");
  await driver.wait(async () => /^3 events/.test(await text("[data-testid=follow-imported]")), 20_000, "the first batch comes");
  await (await $("[data-testid=follow-panel] button[aria-label=Close]")).click();
  // An event is selected from the steps before: the rows stay, the count of new ones shows.
  await driver.wait(async () => /3 new events/.test(await text("[data-testid=new-events]").catch(() => "")), 20_000, "the window says new events came");
  assert.equal(engineTotal(""), beforeFollow + 3);
  await (await $("[data-testid=new-events]")).click();
  await totalBecomes(beforeFollow + 3);
  await (await $("[data-testid=row]")).click();
  const selected = await driver.executeScript("return document.querySelector('[data-testid=row].selected')?.textContent ?? ''");
  assert.ok(selected, "a row is selected");
  const followStart = Date.now();
  appendFileSync(join(live, "auth.log"), [3, 4].map(authLine).join(""));
  writeFileSync(join(live, "trail.jsonl"), JSON.stringify({ eventVersion: "1.08", eventTime: "2026-12-02T10:00:05Z", eventSource: "cloudtrail.amazonaws.com", eventName: "StopLogging", awsRegion: "us-east-1", sourceIPAddress: "198.51.100.7", userIdentity: { type: "IAMUser", userName: "live-mallory", arn: "arn:aws:iam::111122223333:user/live-mallory" }, eventID: "live-1", requestID: "live-r1", requestParameters: { name: "main" } }) + "\n");
  await driver.wait(async () => /3 new events/.test(await text("[data-testid=new-events]").catch(() => "")), 20_000, "the window says new events came");
  timings.follow_write_to_shown_ms = Date.now() - followStart;
  await driver.wait(async () => (await number("[data-testid=alerts-badge]").catch(() => 0)) === 1, 20_000, "the alert badge");
  assert.equal(await number("[data-testid=total]"), beforeFollow + 3, "the rows shown stay until asked");
  assert.equal(await driver.executeScript("return document.querySelector('[data-testid=row].selected')?.textContent ?? ''"), selected, "the selection stays");
  await shot("24-follow-live");
  await (await $("[data-testid=new-events]")).click();
  await totalBecomes(beforeFollow + 6);
  assert.equal(engineTotal(""), beforeFollow + 6);
  await (await $("[data-testid=open-follow]")).click();
  await driver.wait(until.elementLocated(By.css("[data-testid=follow-alerts] tbody tr")), 10_000);
  const alertRow = await text("[data-testid=follow-alerts] tbody tr");
  assert.match(alertRow, /Logging stopped or cleared/);
  assert.match(alertRow, /Sightline/, "the rule's author is named");
  assert.match(alertRow, /live-mallory/);
  await shot("24b-follow-panel");
  await (await $("[data-testid=follow-stop]")).click();
  await driver.wait(async () => (await text("[data-testid=follow-status]")) === "Not following", 20_000, "following stops");
  await (await $("[data-testid=follow-panel] button[aria-label=Close]")).click();
  await runQuery("");
  await totalBecomes(engineTotal(""));

  // A large import shows its first events while it runs: a checkpoint makes them searchable,
  // the panel says how many, and the search behind the panel grows before the import is done.
  const large = join(work, "large");
  mkdirSync(large);
  for (let f = 0; f < 20; f++) {
    const rows = [];
    for (let i = 0; i < 10000; i++) {
      rows.push(JSON.stringify({ eventVersion: "1.08", eventTime: `2024-10-0${1 + (f % 9)}T${String(Math.floor(i / 3600) % 24).padStart(2, "0")}:${String(Math.floor(i / 60) % 60).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}Z`, eventSource: "ec2.amazonaws.com", eventName: "DescribeInstances", userIdentity: { type: "IAMUser", userName: `bulk-user-${f}` }, sourceIPAddress: `10.8.${f}.${i % 250}`, eventID: `bulk-${f}-${i}` }));
    }
    writeFileSync(join(large, `bulk-${String(f).padStart(2, "0")}.jsonl`), rows.join("\n") + "\n");
  }
  const beforeLarge = engineTotal("");
  await (await $("[data-testid=open-import]")).click();
  await (await $("[data-testid=import-path]")).sendKeys(large, Key.ENTER);
  const largeStart = Date.now();
  await (await $("[data-testid=start-import]")).click();
  await driver.wait(async () => /[1-9]/.test(await text("[data-testid=import-searchable]").catch(() => "")), 30_000, "a checkpoint makes events searchable");
  timings.large_import_first_searchable_ms = Date.now() - largeStart;
  const midway = !(await driver.executeScript("return !!document.querySelector('[data-testid=import-summary]')"));
  await driver.wait(async () => {
    const total = await number("[data-testid=total]").catch(() => beforeLarge);
    const fresh = await text("[data-testid=new-events]").catch(() => "");
    return total > beforeLarge || /new events/.test(fresh);
  }, 20_000, "the search behind the panel grows");
  await shot("25-import-searchable");
  await driver.wait(until.elementLocated(By.css("[data-testid=import-summary]")), 120_000);
  assert.ok(midway, "the first events were searchable before the import ended");
  await (await $("[data-testid=close-import]")).click();
  assert.equal(engineTotal(""), beforeLarge + 200000);
  await runQuery("");
  await totalBecomes(beforeLarge + 200000);

  // The dark theme, then back.
  await (await $("[data-testid=theme]")).click();
  await driver.wait(async () => (await driver.executeScript("return document.documentElement.dataset.theme")) === "dark", 5_000);
  await (await $("[data-testid=row]")).click();
  await driver.actions().sendKeys(Key.ENTER).perform();
  await $("[data-testid=detail-message]");
  await driver.sleep(300);
  await shot("11-dark-theme");
  await (await $("[data-testid=theme]")).click();

  // Integrity: import a CloudTrail bundle with signed digests, verify in the window, and follow a
  // finding to its events.
  const trail = join(work, "trail");
  const keys = digestBundle(trail);
  await (await $("[data-testid=open-import]")).click();
  await (await $("[data-testid=import-path]")).sendKeys(trail, Key.ENTER);
  await (await $("[data-testid=start-import]")).click();
  await driver.wait(until.elementLocated(By.css("[data-testid=import-summary]")), 60_000);
  await (await $("[data-testid=close-import]")).click();
  await (await $("[data-testid=open-integrity]")).click();
  // The verify run after the auth.log import left its report; this run replaces it.
  const before = await text("[data-testid=integrity] header .muted");
  await typeInto("[data-testid=integrity] input.keys", keys);
  await (await $("[data-testid=run-verify]")).click();
  await driver.wait(async () => (await text("[data-testid=integrity] header .muted").catch(() => before)) !== before && !(await driver.executeScript("return !!document.querySelector('[data-testid=verify-progress]')")), 60_000, "verify finished");
  const engine = JSON.parse(spawnSync(cli, ["verify", "--case", demoCase, "--json", "--public-keys", keys], { encoding: "utf8" }).stdout);
  const critical = engine.findings.filter((f) => f.severity === "critical").length;
  assert.equal(await text("[data-testid=integrity-verdict]"), `${critical} critical ${critical === 1 ? "finding" : "findings"}`);
  const shownFindings = await driver.findElements(By.css("[data-testid=integrity-findings] li"));
  assert.equal(shownFindings.length, engine.findings.length);
  assert.match(await text("[data-testid=integrity-findings]"), /log_cleared/);
  assert.match(await text("[data-testid=journal-state]"), /^chain intact · \d+ entries$/);
  assert.match(await text("[data-testid=journal]"), /search/, "searches run in the window are journaled");
  await shot("12-integrity");
  // Verify shows the journal head to write down; a head the journal does not hold is a
  // critical finding, the one written down passes.
  const head = (await text("[data-testid=journal-head]")).match(/Journal head (\d+):([0-9a-f]{64}) \(this verify\)/);
  assert.ok(head, "verify shows the journal head");
  await typeInto("[data-testid=expect-head]", `${Number(head[1]) + 1000}:${"0".repeat(64)}`);
  await (await $("[data-testid=run-verify]")).click();
  await driver.wait(async () => /journal_broken/.test(await text("[data-testid=integrity-findings]").catch(() => "")), 60_000, "an unheld head is a finding");
  await shot("12a-expected-head");
  await typeInto("[data-testid=expect-head]", `${head[1]}:${head[2]}`);
  await (await $("[data-testid=run-verify]")).click();
  await driver.wait(async () => !/journal_broken/.test(await text("[data-testid=integrity-findings]").catch(() => "journal_broken")), 60_000, "the recorded head is held");
  // The evidence moves to a vault: missing where it was imported, whole where it is now once
  // verify is told so (the window offers the folder the missing files were imported under).
  const verdictBefore = await text("[data-testid=integrity-verdict]");
  const vault = `${trail}-vault`;
  renameSync(trail, vault);
  await (await $("[data-testid=run-verify]")).click();
  await driver.wait(async () => /file_missing/.test(await text("[data-testid=integrity-findings]")), 60_000, "moved files read as missing");
  const root = join("AWSLogs", "111122223333");
  assert.equal(await (await $("[data-testid=moved-from]")).getAttribute("value"), join(trail, root));
  await typeInto("[data-testid=moved-to]", join(vault, root));
  await (await $("[data-testid=run-verify]")).click();
  await driver.wait(async () => !/file_missing/.test(await text("[data-testid=integrity-findings]")), 60_000, "verified where it is now");
  assert.equal(await text("[data-testid=integrity-verdict]"), verdictBefore);
  assert.match(await text("[data-testid=integrity] header"), /read from .*-vault/);
  await shot("12b-integrity-moved");
  // The cleared-log finding opens its events: the time around it, its file, the first event.
  // Found and clicked in one script so that a re-rendered list cannot leave a stale reference.
  const opened = await driver.executeScript(`
    for (const item of document.querySelectorAll("[data-testid=integrity-findings] li")) {
      const show = item.querySelector("[data-testid=finding-show]");
      if (show && /log_cleared/.test(item.textContent)) { show.click(); return true; }
    }
    return false;`);
  assert.ok(opened, "the log_cleared finding has a Show events button");
  await driver.wait(async () => /log_cleared|security_log_cleared/.test(await text("[data-testid=detail-message]").catch(() => "")), 10_000);
  assert.ok(await number("[data-testid=total]") >= 91);
  assert.match(await text("[data-testid=chips]"), /ID104-1102-Event_log_cleared\.evtx/);
  await shot("13-finding-events");
  // An event from a log file a verified digest vouches for carries the badge.
  await (await $("[data-testid=chips] button.ghost:last-child")).click();
  await (await $("[data-testid=reset-range]")).click();
  await runQuery("eventID:dg-1-2");
  await totalBecomes(1);
  await driver.actions().doubleClick(await $("[data-testid=row]")).perform();
  await driver.wait(async () => /signature verified/.test(await text("[data-testid=digest-badge]").catch(() => "")), 10_000);
  await shot("14-digest-badge");

  // Mark the event: a tag, a star and a note; the row shows them and search finds them.
  const markedId = (await text("[data-testid=detail] header strong")).replace("Event ", "");
  await (await $("[data-testid=tag-input]")).sendKeys("exfil", Key.ENTER);
  await driver.wait(async () => (await text("[data-testid=marks]")).includes("exfil"), 5_000);
  await (await $("[data-testid=star]")).click();
  await driver.wait(async () => (await text("[data-testid=star]")) === "★", 5_000);
  await (await $("[data-testid=note]")).sendKeys("Same session as the **DeleteTrail** call");
  await (await $("[data-testid=save-note]")).click();
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=save-note]"))).length === 0, 5_000, "the note is saved");
  assert.equal(await text("[data-testid=note-rendered]"), "Same session as the DeleteTrail call", "markdown shown rendered");
  assert.equal((await driver.findElements(By.css("[data-testid=note-rendered] strong"))).length, 1);
  await driver.wait(async () => /★\s*exfil/.test(await text("[data-testid=row]")), 5_000, "the row shows the marks");
  await shot("15-marks");

  // Events around this one: every event within a minute, landing on it, outlined.
  await (await $("[data-testid=around-60]")).click();
  const aroundTotal = engineTotal("", ["--from", "2025-10-21T01:11:00Z", "--to", "2025-10-21T01:13:00.000000001Z"]);
  await totalBecomes(aroundTotal);
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=row].anchor"))).length === 1, 10_000, "the anchor row is outlined");
  assert.match(await text("[data-testid=row].anchor"), /exfil/);
  await shot("16-around");
  await driver.actions().sendKeys(Key.ESCAPE).perform();
  await (await $("[data-testid=reset-range]")).click();

  // EVTX times have 100 ns digits, above 2^53 as nanoseconds: the window shows every digit, and
  // Around ±1 s lands on the event (a time rounded to 256 ns would miss the range's edges).
  // The engine writes 3, 6 or 9 fraction digits, and the window the same digits: a time with a
  // non-zero 100 ns digit has nine.
  const digits = (e) => /\.(\d{9})Z$/.exec(e.time ?? "")?.[1] ?? "";
  const evtx = sightline("search", "--case", demoCase, "--limit", "100", "format:evtx").events.find((e) => /[1-9]00$/.test(digits(e)));
  assert.ok(evtx, "the demo case has an EVTX event with 100 ns digits");
  const evtxNanos = BigInt(sightline("show", "--case", demoCase, evtx.id).event.time.utc_nanos);
  const fraction = digits(evtx);
  await runQuery(`id:${evtx.id}`);
  await totalBecomes(1);
  await driver.actions().doubleClick(await $("[data-testid=row]")).perform();
  await driver.wait(async () => (await text("[data-testid=field-time]").catch(() => "")).includes(`.${fraction} `), 10_000, `the detail shows .${fraction}`);
  // The row's time cell may be cut with an ellipsis on screen; its text is whole.
  const rowText = (css) => fresh(async () => (await $(css)).getAttribute("textContent"));
  assert.ok((await rowText("[data-testid=row]")).includes(`.${fraction} `), "the row shows every digit too");
  await (await $("[data-testid=around-1]")).click();
  const second = 1_000_000_000n;
  await totalBecomes(engineTotal("", ["--from", rfc3339(evtxNanos - second), "--to", rfc3339(evtxNanos + second + 1n)]));
  await driver.wait(async () => (await driver.findElements(By.css("[data-testid=row].anchor"))).length === 1, 10_000, "Around lands on the EVTX event");
  assert.ok((await rowText("[data-testid=row].anchor")).includes(`.${fraction} `));
  await shot("16b-evtx-exact-time");
  await driver.actions().sendKeys(Key.ESCAPE).perform();
  await (await $("[data-testid=reset-range]")).click();


  // Same request, beside the list: the list stays as it was.
  const withRequest = sightline("search", "--case", demoCase, "--limit", "500", "--oldest-first", "format:cloudtrail").events.find((e) => e.request);
  await runQuery(`id:${withRequest.id}`);
  await totalBecomes(1);
  await driver.actions().doubleClick(await $("[data-testid=row]")).perform();
  await (await $("[data-testid=same-request]")).click();
  const sameRequest = engineTotal(`request:"${withRequest.request}"`);
  await driver.wait(async () => (await text("[data-testid=related-total]")).startsWith(`${sameRequest} events`), 10_000);
  assert.equal(await number("[data-testid=total]"), 1, "the original list is kept");
  await shot("17-same-request");

  // The actor's page: counts across sources, joined with an alias.
  const requestActor = withRequest.actor.name ?? withRequest.actor.id;
  await (await $("[data-testid=actor-page]")).click();
  await $("[data-testid=actor-facts]");
  const actorTotal = engineTotal(`actor:"${requestActor}"`);
  await driver.wait(async () => (await text("[data-testid=actor-show]")) === `Show ${actorTotal.toLocaleString("en-US")} events`, 10_000);
  await (await $("[data-testid=alias-input]")).sendKeys("digest-user", Key.ENTER);
  const joinedTotal = actorTotal + engineTotal("actor:digest-user");
  await driver.wait(async () => (await text("[data-testid=actor-show]")) === `Show ${joinedTotal.toLocaleString("en-US")} events`, 10_000, "the alias's events join the page");
  await shot("18-actor-page");
  await (await $("[data-testid=actor-show]")).click();
  await totalBecomes(joinedTotal);

  // Field statistics over the search: the actors of these events.
  await driver.actions().doubleClick(await $("[data-testid=row]")).perform();
  await (await $("[data-testid=stats-actor]")).click();
  await driver.wait(async () => /of [\d,]+ events have a value; 2 distinct/.test(await text("[data-testid=field-stats-summary]").catch(() => "")), 10_000);
  await shot("18b-field-stats");
  await driver.actions().sendKeys(Key.ESCAPE).perform();
  await (await $("[data-testid=field-stats] button[aria-label=Close]")).click();
  await driver.actions().sendKeys(Key.ESCAPE).perform();

  // Saved searches and history.
  await runQuery("actor:digest-user");
  await totalBecomes(6);
  await (await $("[data-testid=searches]")).click();
  await (await $("[data-testid=save-name]")).sendKeys("digest user", Key.ENTER);
  await driver.wait(async () => /digest user/.test(await text("[data-testid=searches-menu]")), 5_000);
  assert.match(await text("[data-testid=searches-menu]"), /Recent[\s\S]*actor:digest-user/);
  await shot("19-searches");
  await (await $("[data-testid=searches]")).click();
  await runQuery("");
  await (await $("[data-testid=searches]")).click();
  await (await $("[data-testid=saved-search]")).click();
  await totalBecomes(6);
  assert.equal(await (await $("[data-testid=query]")).getAttribute("value"), "actor:digest-user");
  await runQuery("tag:exfil");
  await totalBecomes(1);
  await runQuery("is:starred has:note");
  await totalBecomes(1);

  // Export the digest user's events as evidence and check the file against the engine.
  await runQuery("actor:digest-user");
  await totalBecomes(6);
  await (await $("[data-testid=open-export]")).click();
  const evidence = join(work, "evidence.csv");
  await typeInto("[data-testid=export-path]", evidence);
  await shot("20-export");
  await (await $("[data-testid=start-export]")).click();
  const exported = await driver.wait(until.elementLocated(By.css("[data-testid=export-summary]")), 30_000);
  assert.match(await exported.getText(), /Exported 6 rows from 2 source files/);
  const csv = readFileSync(evidence, "utf8");
  const manifest = JSON.parse(readFileSync(`${evidence}.manifest.json`, "utf8"));
  assert.equal(manifest.sha256, sha256(csv));
  assert.equal(await text("[data-testid=export-sha]"), manifest.sha256);
  assert.equal(manifest.query, "actor:digest-user");
  const rows = parseCsv(csv);
  assert.equal(rows.length, 7, "a header and six rows");
  const header = rows[0];
  const ids = rows.slice(1).map((r) => r[header.indexOf("event_id")]).sort();
  const engineIds = sightline("search", "--case", demoCase, "--limit", "10", "actor:digest-user").events.map((e) => e.id).sort();
  assert.deepEqual(ids, engineIds);
  const marked = rows.find((r) => r[header.indexOf("event_id")] === markedId);
  assert.equal(marked[header.indexOf("tags")], "exfil");
  assert.equal(marked[header.indexOf("starred")], "true");
  assert.equal(marked[header.indexOf("note")], "Same session as the **DeleteTrail** call");
  await shot("21-export-done");
  await (await $("[data-testid=close-export]")).click();

  // Redacted for sharing: no name left, and keyed by the case's own key, so the CLI's redacted
  // export of the same search is the same file byte for byte.
  await (await $("[data-testid=open-export]")).click();
  const shared = join(work, "shared.csv");
  await typeInto("[data-testid=export-path]", shared);
  await (await $("[data-testid=export-redact]")).click();
  await (await $("[data-testid=start-export]")).click();
  await driver.wait(until.elementLocated(By.css("[data-testid=export-summary]")), 30_000);
  const sharedCsv = readFileSync(shared, "utf8");
  assert.ok(!sharedCsv.includes("digest-user"), "the actor is pseudonymized");
  const sharedManifest = JSON.parse(readFileSync(`${shared}.manifest.json`, "utf8"));
  assert.match(await text("[data-testid=export-summary]"), new RegExp(`redacted with the case's key ${sharedManifest.redaction.key_id}`));
  const cliShared = join(work, "cli-shared.csv");
  const cliRun = spawnSync(cli, ["export", "--case", demoCase, "--out", cliShared, "--redact", "--newest-first", "actor:digest-user"], { encoding: "utf8" });
  assert.equal(cliRun.status, 0, cliRun.stderr);
  assert.equal(sha256(readFileSync(cliShared, "utf8")), sharedManifest.sha256, "window and CLI redact alike");
  await shot("21b-export-redacted");
  await (await $("[data-testid=close-export]")).click();

  // The HTML incident report of the same search: offline, the marked event and its note in it.
  await (await $("[data-testid=open-export]")).click();
  const reportFile = join(work, "report.html");
  await typeInto("[data-testid=export-path]", reportFile);
  await (await $("[data-testid=export-format] option[value=html]")).click();
  await (await $("[data-testid=start-export]")).click();
  await driver.wait(until.elementLocated(By.css("[data-testid=report-summary]")), 30_000);
  const html = readFileSync(reportFile, "utf8");
  assert.match(html, /default-src 'none'/);
  assert.match(html, /Same session as the \*\*DeleteTrail\*\* call/);
  assert.ok(!html.includes("<script"));
  await shot("22-report");

  // Last, as it leaves the app: the compliance page as a browser shows it.
  await driver.get(pathToFileURL(complianceFile).href);
  await driver.wait(async () => /Compliance evidence/.test(await driver.executeScript("return document.body.innerText")), 10_000);
  await shot("23-compliance-report");
}

/** RFC 4180 rows: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++; }
      else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") { row.push(cell); cell = ""; }
    else if (c === "\r" && text[i + 1] === "\n") { row.push(cell); rows.push(row); row = []; cell = ""; i++; }
    else cell += c;
  }
  if (cell || row.length) { row.push(cell); rows.push(row); }
  return rows;
}
