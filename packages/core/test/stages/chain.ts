import {
  CopyCompleted,
  RestoreRequested,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../src/events/domain";
import type { ClusterSnapshot } from "../../src/ports/rds";
import { copyOnSnapshotAvailable } from "../../src/stages/copy";
import { prepareOnRestoreRequested, prepareOnSourceSnapshotCopied } from "../../src/stages/prepare";
import { triggerFromSnapshotEvent } from "../../src/stages/trigger";
import { checkWatches } from "../../src/stages/watcher";
import { type PipelineWorld, snapshotCreatedEvent } from "../support/pipeline-world";

/** Drives a fresh operation up to a stage's input event, through the real stages before it. */

export async function untilSnapshotAvailable(w: PipelineWorld, snapshot?: ClusterSnapshot) {
  const source = snapshot ?? w.automatedSnapshot();
  const [started] = await triggerFromSnapshotEvent(w.deps, snapshotCreatedEvent(source));
  await prepareOnRestoreRequested(w.deps, w.publisher.only(RestoreRequested));
  w.cloud.settle();
  await checkWatches(w.deps, "tick-share");
  // A target in the source's account gets SnapshotAvailable straight from prepare.
  const copied = w.publisher.delivered(SourceSnapshotCopied)[0];
  if (copied) await prepareOnSourceSnapshotCopied(w.deps, copied);
  return { operationId: started!.operationId, event: w.publisher.only(SnapshotAvailable) };
}

export async function untilCopyCompleted(w: PipelineWorld) {
  const { operationId, event } = await untilSnapshotAvailable(w);
  await copyOnSnapshotAvailable(w.deps, event);
  w.cloud.settle();
  await checkWatches(w.deps, "tick-copy");
  const hop = w.publisher.delivered(SnapshotAvailable)[1];
  if (hop) {
    await copyOnSnapshotAvailable(w.deps, hop);
    w.cloud.settle();
    await checkWatches(w.deps, "tick-hop");
  }
  return { operationId, event: w.publisher.only(CopyCompleted) };
}
