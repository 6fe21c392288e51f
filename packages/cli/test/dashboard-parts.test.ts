import { ClusterAvailable, CopyCompleted } from "@aurora-restore/core/events/domain";
import { stages } from "@aurora-restore/functions/stages";
import { describe, expect, it } from "vitest";
import { h, jsonScript } from "../src/dashboard/html";
import { pipelineGraph } from "../src/dashboard/pipeline";
import { redacted } from "../src/dashboard/redact";
import { stageSegments } from "../src/dashboard/segments";

const entry = (
  at: string,
  stage: string,
  action: string,
  outcome: string,
  details?: Record<string, unknown>,
) =>
  ({
    operationId: "op",
    entryId: at,
    at,
    stage,
    action,
    actor: "a",
    outcome,
    eventId: "e",
    targetKey: "t",
    details,
  }) as never;

describe("dashboard parts", () => {
  it("escapes every interpolated value, and JSON for scripts cannot close its element", () => {
    const evil = `<script>alert("x")</script>&'`;
    expect(String(h`<td>${evil}</td>`)).toBe(
      "<td>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;</td>",
    );
    expect(String(h`<p>${[h`<b>${"<i>"}</b>`, "<u>"]}</p>`)).toBe("<p><b>&lt;i&gt;</b>&lt;u&gt;</p>");
    const script = String(jsonScript("d", { message: "</script><script>alert(1)</script>" }));
    expect(script.match(/<\/script>/g)).toHaveLength(1);
    expect(JSON.parse(script.replace(/^<script[^>]*>/, "").replace(/<\/script>$/, ""))).toEqual({
      message: "</script><script>alert(1)</script>",
    });
  });

  it("tells a stage's waits for AWS from its work by the audit trail", () => {
    const timing = {
      name: "copy" as const,
      startedAt: "2026-01-01T00:00:00.000Z",
      endedAt: "2026-01-01T00:00:10.000Z",
    };
    const trail = [
      entry("2026-01-01T00:00:01.000Z", "copy", "copy-to-target", "started"),
      entry("2026-01-01T00:00:08.000Z", "watcher", "watch target-copy", "succeeded", {
        published: CopyCompleted.detailType,
      }),
    ];
    expect(stageSegments(timing, trail, "2026-01-01T00:01:00.000Z")).toEqual([
      { kind: "work", from: timing.startedAt, to: "2026-01-01T00:00:01.000Z" },
      {
        kind: "wait",
        from: "2026-01-01T00:00:01.000Z",
        to: "2026-01-01T00:00:08.000Z",
        label: "copy-to-target",
      },
      { kind: "work", from: "2026-01-01T00:00:08.000Z", to: timing.endedAt },
    ]);
    const login = [
      entry("2026-01-01T00:00:05.000Z", "copy", "master-login-verified", "succeeded", { waitedMs: 3000 }),
    ];
    expect(stageSegments(timing, login, timing.endedAt).map((s) => s.kind)).toEqual(["work", "wait", "work"]);
    const instant = { name: "notify" as const, startedAt: timing.startedAt, endedAt: timing.startedAt };
    expect(stageSegments(instant, [], timing.endedAt)).toHaveLength(1);
  });

  it("redacts credential-like keys, keeping ARNs and names", () => {
    expect(redacted({ a: [{ password: "p", secretArn: "arn", token: "t", secretName: "n" }] })).toEqual({
      a: [{ password: "[redacted]", secretArn: "arn", token: "[redacted]", secretName: "n" }],
    });
  });

  it("draws the pipeline from the stage declarations: every subscription is a lane's consumer", () => {
    const graph = pipelineGraph(stages);
    expect(graph.stages.map((s) => s.name)).toEqual(stages.map((s) => s.name));
    for (const stage of stages) {
      for (const sub of stage.subscriptions) {
        if (sub.bus !== "pipeline") continue;
        for (const contract of sub.contracts) {
          expect(graph.lanes.find((l) => l.event === contract.detailType)?.consumers).toContain(stage.name);
        }
      }
    }
    expect(graph.lanes.find((l) => l.event === ClusterAvailable.detailType)).toMatchObject({
      consumers: ["configure"],
    });
  });
});
