import { h, jsonScript, type SafeHtml } from "../html";
import type { Trends } from "../model";

/** Scalar figures of bench/results/latest.json, flattened to `section.figure` rows (arrays by index). */
export function benchRows(value: unknown, prefix = ""): [string, string][] {
  if (value === null || value === undefined) return [];
  if (typeof value === "number" || typeof value === "string" || typeof value === "boolean") {
    return [[prefix, String(value)]];
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => benchRows(v, `${prefix}[${i}]`));
  if (typeof value === "object") {
    return Object.entries(value).flatMap(([k, v]) => benchRows(v, prefix ? `${prefix}.${k}` : k));
  }
  return [];
}

function bench(figures: unknown): SafeHtml {
  if (figures === undefined) {
    return h`<p class="muted">No benchmark figures: <code>npm run bench</code> writes bench/results/latest.json.</p>`;
  }
  const rows = benchRows(figures).slice(0, 400);
  return h`<table id="bench" class="list compact"><thead><tr><th>Figure</th><th>Value</th></tr></thead><tbody>
${rows.map(([k, v]) => h`<tr><td class="mono">${k}</td><td>${v}</td></tr>`)}</tbody></table>`;
}

/** Each stage's duration over a target's last operations (a line per stage), and the bench figures. */
export function trendsPage(trends: Trends, count: number, figures: unknown) {
  return h`<h1>Trends</h1>
<form class="filters" method="get" action="/trends">
<label>Target <select name="target">${trends.targets.map((t) =>
    t === trends.target
      ? h`<option value="${t}" selected>${t}</option>`
      : h`<option value="${t}">${t}</option>`,
  )}</select></label>
<label>Last <input type="number" name="n" min="1" max="100" value="${count}"> operations</label>
<button type="submit">Show</button></form>
${
  trends.operations.length === 0
    ? h`<p class="empty">No operations yet.</p>`
    : h`<p>Each stage's duration (seconds) over the last ${trends.operations.length} operation(s) of ${trends.target}, oldest first.</p>
<div class="chart trend"><canvas id="trend-chart" role="img" aria-label="stage durations"></canvas></div>`
}
<h2>Benchmark (bench/results/latest.json)</h2>
${bench(figures)}
${jsonScript("trends", trends)}`;
}
