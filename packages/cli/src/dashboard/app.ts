import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { StageDeclaration } from "@aurora-restore/core/wiring/stage-declaration";
import { Hono } from "hono";
import { isOperationStatus } from "../state-reader";
import { h, layout, type Page, type SafeHtml } from "./html";
import { operationDetail, operationSummaries, trendsOf } from "./model";
import { operationPage } from "./pages/operation";
import { operationsPage } from "./pages/operations";
import { pipelinePage } from "./pages/pipeline";
import { trendsPage } from "./pages/trends";
import { pipelineGraph } from "./pipeline";
import { type DashboardSource, RetryRefused } from "./source";

export interface AppOptions {
  source: DashboardSource;
  stages: readonly StageDeclaration[];
  /** bench/results/latest.json, read on each request (absent: no figures). */
  benchFile: string;
}

const assetsDir = join(import.meta.dirname, "assets");
const chartJs = join(dirname(createRequire(import.meta.url).resolve("chart.js")), "chart.umd.min.js");
const assets: Record<string, { file: string; type: string }> = {
  "dashboard.css": { file: join(assetsDir, "dashboard.css"), type: "text/css; charset=utf-8" },
  "dashboard.js": { file: join(assetsDir, "dashboard.js"), type: "text/javascript; charset=utf-8" },
  "chart.umd.min.js": { file: chartJs, type: "text/javascript; charset=utf-8" },
};

async function readBench(file: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return { error: `cannot read ${file}: ${(error as Error).message}` };
  }
}

function countOf(text: string | undefined): number {
  const n = Number(text ?? 20);
  return Number.isInteger(n) && n >= 1 && n <= 100 ? n : 20;
}

/** The dashboard's routes: HTML pages, the JSON API (docs/dashboard.md) and the static assets. */
export function dashboardApp({ source, stages, benchFile }: AppOptions): Hono {
  const app = new Hono();
  const graph = pipelineGraph(stages);
  const page = (title: string, active: Page["active"], body: SafeHtml, charts = false) =>
    layout({ title, where: source.where, active, body, charts });

  // Only this machine's browser: a page elsewhere reaching 127.0.0.1 through a DNS name it controls
  // (rebinding) has another Host; a form or script of another site posting a retry has another Origin.
  app.use(async (c, next) => {
    const host = c.req.header("host") ?? "";
    if (!/^(127\.0\.0\.1|localhost)(:\d+)?$/.test(host)) return c.text("forbidden host", 403);
    if (c.req.method !== "GET" && c.req.method !== "HEAD" && c.req.header("origin") !== `http://${host}`) {
      return c.json({ error: "a change must come from the dashboard's own page (Origin)" }, 403);
    }
    await next();
    c.header(
      "Content-Security-Policy",
      "default-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'",
    );
    c.header("X-Content-Type-Options", "nosniff");
    c.header("Cache-Control", "no-store");
  });

  const filterOf = (q: (name: string) => string | undefined) => {
    const status = q("status");
    const target = q("target") || undefined;
    return { ...(status && isOperationStatus(status) ? { status } : {}), ...(target ? { target } : {}) };
  };

  app.get("/api/operations", async (c) => {
    const operations = await source.read((s) =>
      operationSummaries(
        s,
        filterOf((n) => c.req.query(n)),
      ),
    );
    return c.json({ where: source.where, operations });
  });
  app.get("/api/operations/:id", async (c) => {
    const detail = await source.read((s) => operationDetail(s, c.req.param("id")));
    if (!detail) return c.json({ error: `no operation ${c.req.param("id")} in ${source.where}` }, 404);
    const retry = source.retries().find((r) => r.operationId === detail.operation.operationId);
    return c.json({ ...detail, retry: source.retry, ...(retry ? { retryProgress: retry } : {}) });
  });
  app.post("/api/operations/:id/retry", async (c) => {
    try {
      return c.json(await source.retryOperation(c.req.param("id")), 202);
    } catch (error) {
      if (error instanceof RetryRefused) return c.json({ error: error.message }, error.status);
      throw error;
    }
  });
  app.get("/api/trends", async (c) => {
    const count = countOf(c.req.query("n"));
    return c.json(await source.read((s) => trendsOf(s, c.req.query("target"), count)));
  });
  app.get("/api/pipeline", (c) => c.json(graph));
  app.get("/api/bench", async (c) => {
    const figures = await readBench(benchFile);
    return figures === undefined
      ? c.json({ error: "no bench/results/latest.json: run 'npm run bench'" }, 404)
      : c.json(figures);
  });

  app.get("/", async (c) => {
    const filter = filterOf((n) => c.req.query(n));
    const [operations, all] = await source.read((s) =>
      Promise.all([operationSummaries(s, filter), operationSummaries(s)]),
    );
    const targets = [...new Set(all.map((o) => o.target))].sort();
    return c.html(
      page(
        "Operations",
        "operations",
        operationsPage({ operations, targets, filter, noOperationsHint: source.noOperationsHint }),
      ),
    );
  });
  app.get("/operations/:id", async (c) => {
    const detail = await source.read((s) => operationDetail(s, c.req.param("id")));
    if (!detail)
      return c.html(
        layout({
          title: "Not found",
          where: source.where,
          active: "operations",
          body: notFound(c.req.param("id"), source.where),
        }),
        404,
      );
    const retry = source.retries().find((r) => r.operationId === detail.operation.operationId);
    return c.html(
      page(detail.operation.operationId, "operations", operationPage(detail, source, retry), true),
    );
  });
  app.get("/trends", async (c) => {
    const count = countOf(c.req.query("n"));
    const trends = await source.read((s) => trendsOf(s, c.req.query("target"), count));
    return c.html(page("Trends", "trends", trendsPage(trends, count, await readBench(benchFile)), true));
  });
  app.get("/pipeline", (c) => c.html(page("Pipeline", "pipeline", pipelinePage(graph))));
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.get("/assets/:name", async (c) => {
    const asset = assets[c.req.param("name")];
    if (!asset) return c.text("not found", 404);
    return c.body(await readFile(asset.file), 200, { "Content-Type": asset.type });
  });

  app.onError((error, c) => {
    const message = `${error.name}: ${error.message}`;
    return c.req.path.startsWith("/api/") ? c.json({ error: message }, 500) : c.text(message, 500);
  });
  return app;
}

function notFound(id: string, where: string) {
  return h`<h1>Not found</h1><p>No operation ${id} in ${where}. <a href="/">All operations</a></p>`;
}
