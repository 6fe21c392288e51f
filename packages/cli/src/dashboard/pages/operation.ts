import { formatDuration } from "../../progress/format-duration";
import { h, jsonScript, type SafeHtml, statusBadge } from "../html";
import type { OperationDetail } from "../model";
import type { DashboardSource, LocalRetryProgress } from "../source";

function failure(detail: OperationDetail, source: DashboardSource, retry?: LocalRetryProgress): SafeHtml {
  const { operation } = detail;
  if (!operation.error) return h``;
  const id = operation.operationId;
  const button =
    detail.summary.status !== "failed"
      ? h``
      : source.retry.allowed
        ? h`<button id="retry" data-operation="${id}">Retry from ${operation.error.stage}</button> <span id="retry-result" role="status"></span>`
        : h`<p class="muted">${source.retry.reason}</p>`;
  return h`<section class="failure"><h2>Failed in ${operation.error.stage}</h2>
<p class="error"><code>${operation.error.code}</code>: ${operation.error.message}</p>
<h3>Suggested fix</h3>
<p>Fix what the message names. If the plan was at fault (its SQL, checks, users), register the corrected plan and
retry in one step with <code>aurora-restore operations retry ${id} --plan &lt;fixed-plan.json&gt;</code>;
otherwise retry here or with <code>aurora-restore operations retry ${id}</code>. A retry resumes at the stage that
failed, reusing what the plan kept of this run (<code>retention.keepFailedResourcesHours</code>).</p>
${button}
${retry ? h`<p class="muted" id="retry-progress">Retry from this dashboard: ${retry.state}${retry.message ? `, ${retry.message}` : ""}</p>` : ""}
</section>`;
}

/** One operation: summary, a timeline of its stages (work vs waits), the error and retry, the audit trail. */
export function operationPage(detail: OperationDetail, source: DashboardSource, retry?: LocalRetryProgress) {
  const { operation, summary } = detail;
  const started = detail.stages[0]?.startedAt;
  const timeline = detail.stages.map((s) => ({
    name: s.name,
    failed: s.failed === true,
    segments: s.segments.map((seg) => ({
      kind: seg.kind,
      label: seg.label ?? "",
      from: started ? (Date.parse(seg.from) - Date.parse(started)) / 1000 : 0,
      to: started ? (Date.parse(seg.to) - Date.parse(started)) / 1000 : 0,
    })),
  }));
  return h`<h1>Operation <span class="mono">${operation.operationId}</span> ${statusBadge(summary.status)}</h1>
<dl class="facts">
<dt>Plan</dt><dd>${operation.planId}</dd>
<dt>Target</dt><dd>${operation.targetKey}</dd>
<dt>Source snapshot</dt><dd class="mono">${operation.sourceSnapshot.arn} (${operation.sourceSnapshot.type})</dd>
<dt>Trigger</dt><dd>${operation.trigger} by ${operation.requestedBy}, ${operation.createdAt}</dd>
<dt>Step</dt><dd>${operation.step}${summary.durationMs === undefined ? "" : `, ${formatDuration(summary.durationMs)} in all`}</dd>
</dl>
${failure(detail, source, retry)}
<h2>Timeline</h2>
<p class="legend"><span class="key work"></span> work <span class="key wait"></span> waiting for AWS (copy, cluster, instances, login) <span class="key failed"></span> failed</p>
<div class="chart timeline" data-rows="${Math.max(1, detail.stages.length)}"><canvas id="timeline-chart" role="img" aria-label="stage timeline"></canvas></div>
<table id="stages" class="list"><thead><tr><th>Stage</th><th>Started (UTC)</th><th>Duration</th><th>Waiting</th></tr></thead><tbody>
${detail.stages.map((s) => {
  const waitMs = s.segments
    .filter((g) => g.kind === "wait")
    .reduce((sum, g) => sum + Date.parse(g.to) - Date.parse(g.from), 0);
  return h`<tr data-stage="${s.name}"><td>${s.name}${s.failed ? " (failed)" : ""}</td><td>${s.startedAt}</td>
<td>${s.durationMs === undefined ? "running" : formatDuration(s.durationMs)}</td><td>${waitMs > 0 ? formatDuration(waitMs) : ""}</td></tr>`;
})}
</tbody></table>
<h2>Audit trail</h2>
<table id="audit" class="list"><thead><tr><th>At (UTC)</th><th>Stage</th><th>Action</th><th>Outcome</th><th>Actor</th><th>Details</th></tr></thead><tbody>
${detail.audit.map(
  (
    e,
  ) => h`<tr><td>${e.at}</td><td>${e.stage}</td><td>${e.action}</td><td class="outcome-${e.outcome}">${e.outcome}</td><td>${e.actor}</td>
<td class="details">${e.details ? JSON.stringify(e.details) : ""}</td></tr>`,
)}
</tbody></table>
${jsonScript("timeline", timeline)}
${jsonScript("live", { active: summary.status === "running" || retry?.state === "running" })}`;
}
