import { h } from "../html";
import type { PipelineGraph } from "../pipeline";

const chips = (names: string[]) => names.map((n) => h`<a class="chip" href="#stage-${n}">${n}</a>`);

/** The pipeline: one lane per event (producers → event → consumers), then each stage with its rules. */
export function pipelinePage(graph: PipelineGraph) {
  return h`<h1>The pipeline</h1>
<p class="muted">Generated from the stage declarations (<code>packages/functions/src/&lt;stage&gt;/stage.ts</code>)
and the event contracts' producers, the lists the stacks and the local runtime are wired from.</p>
<div id="pipeline" class="lanes">
${graph.lanes.map(
  (lane) => h`<div class="lane bus-${lane.bus}" data-event="${lane.event}">
<div class="from">${chips(lane.producers)}</div><div class="arrow">→</div>
<div class="event" title="${lane.description}">${lane.event}</div><div class="arrow">→</div>
<div class="to">${lane.consumers.length > 0 ? chips(lane.consumers) : h`<span class="muted">(no subscriber: read by the CLI)</span>`}</div></div>`,
)}
</div>
<h2>Stages</h2>
<div class="stages">
${graph.stages.map(
  (s) => h`<section class="stage-card" id="stage-${s.name}"><h3>${s.name}</h3><p>${s.description}</p>
<p class="muted">${s.reachesDatabase ? "reaches the database (VPC). " : ""}${s.schedule ? `Runs on ${s.schedule}.` : ""}</p>
<ul>${s.rules.map((r) => h`<li class="mono">${r}</li>`)}</ul></section>`,
)}
</div>`;
}
