import {
  CopyCompleted,
  RestoreRequested,
  SnapshotAvailable,
  SourceSnapshotCopied,
} from "../../src/events/domain";
import type { ClusterSnapshot } from "../../src/ports/rds";
import { onSnapshotAvailable } from "../../src/stages/copy";
import { onRestoreRequested, onSourceSnapshotCopied } from "../../src/stages/prepare";
import { onRdsEvent } from "../../src/stages/trigger";
import { checkWatches } from "../../src/stages/watcher";
import { snapshotCreatedEvent, type World } from "../support/world";

/** Drives a fresh operation up to a stage's input event, through the real stages before it. */

export async function untilSnapshotAvailable(w: World, snapshot?: ClusterSnapshot) {
  const source = snapshot ?? w.automatedSnapshot();
  const [started] = await onRdsEvent(w.deps, snapshotCreatedEvent(source));
  await onRestoreRequested(w.deps, w.publisher.only(RestoreRequested));
  w.rds.settle();
  await checkWatches(w.deps, "tick-share");
  // A target in the source's account gets SnapshotAvailable straight from prepare.
  const copied = w.publisher.delivered(SourceSnapshotCopied)[0];
  if (copied) await onSourceSnapshotCopied(w.deps, copied);
  return { operationId: started!.operationId, event: w.publisher.only(SnapshotAvailable) };
}

export async function untilCopyCompleted(w: World) {
  const { operationId, event } = await untilSnapshotAvailable(w);
  await onSnapshotAvailable(w.deps, event);
  w.rds.settle();
  await checkWatches(w.deps, "tick-copy");
  const hop = w.publisher.delivered(SnapshotAvailable)[1];
  if (hop) {
    await onSnapshotAvailable(w.deps, hop);
    w.rds.settle();
    await checkWatches(w.deps, "tick-hop");
  }
  return { operationId, event: w.publisher.only(CopyCompleted) };
}
