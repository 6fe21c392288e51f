/**
 * Issue 14, the dashboard, in a real browser: Debian's Chromium driven by playwright-core on the pages of a
 * local run (the demo's refresh, and a refresh that failed in configure on a broken post-restore SQL).
 * Screenshots land in test-output/dashboard/ for a person to look at.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { connect } from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CopyCompleted } from "@aurora-restore/core/events/domain";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCliProcess } from "./support/cli-process";

const repoRoot = fileURLToPath(new URL("../../../", import.meta.url));
const bin = fileURLToPath(new URL("../bin/aurora-restore.js", import.meta.url));
const shots = join(repoRoot, "test-output", "dashboard");
const env = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", NO_COLOR: "1" };
const chromiumPath = "/usr/bin/chromium";

/** The CLI as a user runs it: a new process (support/cli-process.ts). */
const cli = runCliProcess;

/** Starts `aurora-restore dashboard` and resolves with its URL once it listens. */
function startDashboard(args: string[]): Promise<{ child: ChildProcess; url: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, "dashboard", ...args], { cwd: repoRoot, env, stdio: "pipe" });
    let out = "";
    const seen = (c: Buffer) => {
      out += String(c);
      const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
      if (url) resolve({ child, url });
    };
    child.stdout.on("data", seen);
    child.stderr.on("data", (c) => {
      out += String(c);
    });
    child.on("exit", (code) => reject(new Error(`dashboard exited ${code}: ${out}`)));
  });
}

let dir: string;
let stateDir: string;
let dashboard: { child: ChildProcess; url: string };
let browser: BrowserContext;
let page: Page;
let succeededId: string;
let failedId: string;

describe.runIf(existsSync(chromiumPath))("[slow] the dashboard in Chromium", () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "aurora-dashboard-"));
    // The PostgreSQL servers run as another user when the tests run as root: let them through.
    await chmod(dir, 0o755);
    stateDir = join(dir, "state");
    await mkdir(shots, { recursive: true });
    const demo = await cli(["demo", "--exit", "--rows", "20", "--state-dir", stateDir]);
    expect(demo.code, demo.stderr).toBe(0);
    const registered = JSON.parse(await readFile(join(stateDir, "plans", "local-demo.json"), "utf8"));
    const fixed = { ...registered, retention: { ...registered.retention, keepFailedResourcesHours: 24 } };
    const broken = structuredClone(fixed);
    broken.targets[0].postRestoreSql = [
      ...broken.targets[0].postRestoreSql,
      { name: "mask-phones", sql: "UPDATE customers SET phnoe = NULL" },
    ];
    await writeFile(join(dir, "broken.json"), JSON.stringify(broken));
    await writeFile(join(dir, "fixed.json"), JSON.stringify(fixed));
    const today = new Date().toISOString().slice(0, 10);
    const failed = await cli([
      ...["restore", "--plan", join(dir, "broken.json"), "--target-cluster-id", "staging-db"],
      ...["--source-snapshot-date", today, "--json", "--state-dir", stateDir],
    ]);
    expect(failed.code, failed.stderr).toBe(1);
    failedId = (JSON.parse(failed.stdout) as { operationId: string }).operationId;
    const list = await cli([
      "operations",
      "list",
      "--status",
      "succeeded",
      "--json",
      "--state-dir",
      stateDir,
    ]);
    succeededId = (JSON.parse(list.stdout) as { operationId: string }[])[0]!.operationId;
    dashboard = await startDashboard(["--port", "0", "--state-dir", stateDir]);
    // An empty profile of its own (playwright passes it as --user-data-dir).
    browser = await chromium.launchPersistentContext(await mkdtemp(join(dir, "chromium-")), {
      executablePath: chromiumPath,
      viewport: { width: 1300, height: 900 },
      args: [
        ...["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"],
        ...["--disable-background-networking", "--disable-component-update", "--disable-sync"],
      ],
    });
    page = await browser.newPage();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    dashboard?.child.kill("SIGTERM");
    if (dashboard) await new Promise((resolve) => dashboard.child.once("exit", resolve));
    await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it("lists the operations of a local run, coloured by status, filtered by status", async () => {
    await page.goto(`${dashboard.url}/`);
    const rows = page.locator("#operations tbody tr");
    await expect.poll(() => rows.count()).toBe(2);
    expect(await page.locator(`#operations tr[data-status="succeeded"]`).textContent()).toContain(
      succeededId,
    );
    expect(await page.locator(`#operations tr[data-status="failed"]`).textContent()).toContain(failedId);
    const failedColour = await page
      .locator(`tr[data-status="failed"] .status`)
      .evaluate(
        (e) =>
          (
            globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }
          ).getComputedStyle(e).backgroundColor,
      );
    expect(failedColour).toBe("rgb(207, 34, 46)");
    await page.screenshot({ path: join(shots, "operations.png"), fullPage: true });
    await page.selectOption("select[name=status]", "failed");
    await page.click("form.filters button");
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.textContent()).toContain(failedId);
  });

  it("shows every stage of an operation on its timeline, and its audit trail", async () => {
    await page.goto(`${dashboard.url}/operations/${succeededId}`);
    const api = (await (await fetch(`${dashboard.url}/api/operations/${succeededId}`)).json()) as {
      stages: { name: string; segments: { kind: string }[] }[];
      audit: unknown[];
    };
    const names = api.stages.map((s) => s.name);
    expect(names).toEqual([
      "trigger",
      "prepare",
      "copy",
      "restore",
      "configure",
      "verify",
      "cutover",
      "notify",
      "cleanup",
    ]);
    // The copy waits for AWS: the watcher's entries tell the wait from the work.
    expect(api.stages.find((s) => s.name === "copy")?.segments.map((g) => g.kind)).toContain("wait");
    const canvas = page.locator("#timeline-chart");
    await expect.poll(() => canvas.getAttribute("data-drawn")).toBe(String(names.length));
    const labels = await page.evaluate(() => {
      const chart = (
        globalThis as unknown as { Chart: { getChart(id: string): { data: { labels: string[] } } } }
      ).Chart;
      return chart.getChart("timeline-chart").data.labels;
    });
    expect(labels).toEqual(names);
    expect(await page.locator("#stages tbody tr").count()).toBe(names.length);
    expect(await page.locator("#audit tbody tr").count()).toBe(api.audit.length);
    await page.screenshot({ path: join(shots, "operation-succeeded.png"), fullPage: true });
  });

  it("shows trends and the pipeline generated from the stage declarations", async () => {
    await page.goto(`${dashboard.url}/trends`);
    await expect.poll(() => page.locator("#trend-chart").getAttribute("data-drawn")).not.toBeNull();
    await page.screenshot({ path: join(shots, "trends.png"), fullPage: true });
    await page.goto(`${dashboard.url}/pipeline`);
    const lane = page.locator(`.lane[data-event="${CopyCompleted.detailType}"]`);
    expect(await lane.locator(".to").textContent()).toContain("restore");
    expect(await lane.locator(".from").textContent()).toContain("watcher");
    await page.screenshot({ path: join(shots, "pipeline.png"), fullPage: true });
  });

  it("shows no secret on any page or API response", async () => {
    const passwords: string[] = [];
    for (const user of ["master", "app_writer", "app_reader"]) {
      const got = await cli([
        "local",
        "secret",
        "get",
        `aurora-restore/staging-db/${user}`,
        "--field",
        "password",
        "--state-dir",
        stateDir,
      ]);
      expect(got.code, got.stderr).toBe(0);
      passwords.push(got.stdout.trim());
    }
    expect(passwords.every((p) => p.length >= 12)).toBe(true);
    const paths = ["/", "/trends", "/pipeline", `/operations/${succeededId}`, `/operations/${failedId}`];
    const api = [
      "/api/operations",
      "/api/trends",
      "/api/pipeline",
      `/api/operations/${succeededId}`,
      `/api/operations/${failedId}`,
    ];
    for (const path of [...paths, ...api]) {
      const response = await fetch(`${dashboard.url}${path}`);
      expect(response.status, path).toBe(200);
      const text = await response.text();
      for (const password of passwords)
        expect(text.includes(password), `${path} shows a password`).toBe(false);
    }
  });

  it("listens on 127.0.0.1 only, refuses other hosts and cross-site posts, and says when the port is taken", async () => {
    const port = Number(new URL(dashboard.url).port);
    const others = Object.values(networkInterfaces())
      .flat()
      .filter((a) => a && a.family === "IPv4" && !a.internal)
      .map((a) => a!.address);
    for (const address of others) {
      const refused = await new Promise<boolean>((resolve) => {
        const socket = connect({ host: address, port }, () => {
          socket.destroy();
          resolve(false);
        });
        socket.on("error", () => resolve(true));
      });
      expect(refused, `reachable on ${address}`).toBe(true);
    }
    const post = await fetch(`${dashboard.url}/api/operations/${failedId}/retry`, {
      method: "POST",
      headers: { Origin: "http://evil.example" },
    });
    expect(post.status).toBe(403);
    const taken = await cli(["dashboard", "--port", String(port), "--state-dir", stateDir]);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(new RegExp(`port ${port} on 127.0.0.1 is in use.*--port`));
  });

  it("retries a failed operation from its page: it resumes at configure and succeeds", async () => {
    // The fixed plan is registered (as 'operations retry --plan' or 'restore --plan' would).
    await writeFile(
      join(stateDir, "plans", "local-demo.json"),
      await readFile(join(dir, "fixed.json"), "utf8"),
    );
    await page.goto(`${dashboard.url}/operations/${failedId}`);
    expect(await page.locator(".failure").textContent()).toMatch(/mask-phones/);
    expect(await page.locator(".failure").textContent()).toMatch(/Suggested fix/);
    await page.screenshot({ path: join(shots, "operation-failed.png"), fullPage: true });
    await page.click("#retry");
    await expect
      .poll(
        () =>
          page
            .locator("h1 .status")
            .textContent()
            .catch(() => ""),
        { timeout: 300_000, interval: 1000 },
      )
      .toBe("succeeded");
    const trail = (await (await fetch(`${dashboard.url}/api/operations/${failedId}`)).json()) as {
      audit: { action: string; outcome: string; stage: string; details?: Record<string, unknown> }[];
    };
    const retry = trail.audit.find((e) => e.action === "retry-operation" && e.outcome === "started");
    expect(retry?.details).toMatchObject({ failedStage: "configure", resumeAt: "configure" });
    expect(String(retry?.details?.requestedBy)).toMatch(/^dashboard:/);
    expect(trail.audit.filter((e) => e.stage === "restore" && e.action === "restore-cluster").length).toBe(1);
    await page.screenshot({ path: join(shots, "operation-retried.png"), fullPage: true });
  }, 360_000);
});
