import { formatDuration } from "../../progress/format-duration";
import { h, jsonScript, statusBadge } from "../html";
import type { OperationFilter, OperationSummary } from "../model";

/** The operations page: a filterable table; the script refreshes it while an operation runs. */
export function operationsPage(input: {
  operations: OperationSummary[];
  targets: string[];
  filter: OperationFilter;
  noOperationsHint: string;
}) {
  const { operations, filter } = input;
  const option = (value: string, label: string, selected: boolean) =>
    selected
      ? h`<option value="${value}" selected>${label}</option>`
      : h`<option value="${value}">${label}</option>`;
  const rows = operations.map(
    (o) => h`<tr data-status="${o.status}">
<td><a href="/operations/${encodeURIComponent(o.operationId)}">${o.operationId}</a></td>
<td>${o.planId}</td><td class="mono">${o.sourceSnapshot}</td><td title="${o.targetKey}">${o.target}</td>
<td>${statusBadge(o.status)}</td><td>${o.currentStage ?? ""}</td>
<td><time datetime="${o.createdAt}">${o.createdAt.replace("T", " ").slice(0, 19)}</time></td>
<td>${o.durationMs === undefined ? "" : formatDuration(o.durationMs)}</td></tr>`,
  );
  return h`<h1>Operations</h1>
<form class="filters" method="get" action="/">
<label>Status <select name="status">${option("", "any", !filter.status)}${(["running", "succeeded", "failed"] as const).map((s) => option(s, s, filter.status === s))}</select></label>
<label>Target <select name="target">${option("", "any", !filter.target)}${input.targets.map((t) => option(t, t, filter.target === t))}</select></label>
<button type="submit">Filter</button>
</form>
${
  operations.length === 0
    ? h`<p class="empty">No operations${filter.status || filter.target ? " match" : ""}. ${filter.status || filter.target ? "" : input.noOperationsHint}</p>`
    : h`<table id="operations" class="list"><thead><tr><th>Operation</th><th>Plan</th><th>Source snapshot</th><th>Target</th><th>Status</th><th>Current stage</th><th>Started (UTC)</th><th>Duration</th></tr></thead>
<tbody>${rows}</tbody></table>`
}
${jsonScript("live", { active: operations.some((o) => o.status === "running") })}`;
}
