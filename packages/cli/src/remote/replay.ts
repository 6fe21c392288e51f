import { randomBytes } from "node:crypto";
import {
  DescribeArchiveCommand,
  DescribeReplayCommand,
  type DescribeReplayCommandOutput,
  StartReplayCommand,
} from "@aws-sdk/client-eventbridge";
import { UsageError } from "../io";
import { awsCall } from "./aws-errors";
import type { DeployedStage } from "./deployed-stage";
import { pause } from "./follow";

/** The archive of the stage's bus and that bus: a replay goes back only to the archive's own bus. */
export async function archiveOf(stage: DeployedStage): Promise<{ archiveArn: string; busArn: string }> {
  const out = await awsCall(
    stage.address,
    { action: "events:DescribeArchive", resource: `archive ${stage.names.archive}` },
    () => stage.clients.eventBridge.send(new DescribeArchiveCommand({ ArchiveName: stage.names.archive })),
  );
  if (!out.ArchiveArn || !out.EventSourceArn) {
    throw new UsageError(`archive ${stage.names.archive} has no ARN or source bus: is it being deleted?`, 1);
  }
  return { archiveArn: out.ArchiveArn, busArn: out.EventSourceArn };
}

/** A name no other replay has (names are unique per account and region, across archives): 1-64 chars. */
export function replayNameFor(stage: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, "").slice(0, 15);
  return `cli-${stage}-${stamp}-${randomBytes(2).toString("hex")}`;
}

export async function startReplay(
  stage: DeployedStage,
  input: { name: string; from: Date; to: Date; archiveArn: string; busArn: string; description: string },
): Promise<void> {
  try {
    await awsCall(
      stage.address,
      { action: "events:StartReplay", resource: `archive ${stage.names.archive}` },
      () =>
        stage.clients.eventBridge.send(
          new StartReplayCommand({
            ReplayName: input.name,
            EventSourceArn: input.archiveArn,
            EventStartTime: input.from,
            EventEndTime: input.to,
            Destination: { Arn: input.busArn },
            Description: input.description,
          }),
        ),
    );
  } catch (error) {
    // At most 10 replays run at once per account and region.
    if (/LimitExceeded/.test((error as Error).message)) {
      throw new UsageError(
        `EventBridge runs at most 10 replays at once in ${stage.address.region}: wait for one to end (aws events list-replays --state RUNNING)`,
        1,
      );
    }
    throw error;
  }
}

const endStates = new Set(["COMPLETED", "FAILED", "CANCELLED"]);

/**
 * Polls DescribeReplay until the replay ends (COMPLETED, FAILED or CANCELLED), calling `onChange` when
 * its state or progress (EventLastReplayedTime) changes. Throws FollowStopped when `signal` aborts.
 */
export async function followReplay(
  stage: DeployedStage,
  name: string,
  options: {
    signal?: AbortSignal;
    onChange(replay: DescribeReplayCommandOutput): void;
    backoff?: { initialMs: number; maxMs: number };
  },
): Promise<DescribeReplayCommandOutput> {
  const backoff = options.backoff ?? { initialMs: 1_000, maxMs: 10_000 };
  let wait = backoff.initialMs;
  let seen = "";
  for (;;) {
    const replay = await awsCall(
      stage.address,
      { action: "events:DescribeReplay", resource: `replay ${name}`, missingMeansNoStage: false },
      () => stage.clients.eventBridge.send(new DescribeReplayCommand({ ReplayName: name })),
    );
    const now = `${replay.State}|${replay.EventLastReplayedTime?.toISOString() ?? ""}`;
    if (now !== seen) options.onChange(replay);
    seen = now;
    if (replay.State && endStates.has(replay.State)) return replay;
    await pause(wait, options.signal);
    wait = Math.min(backoff.maxMs, wait * 1.5);
  }
}
