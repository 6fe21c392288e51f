import { randomBytes } from "node:crypto";
import type { EventOutcome, ReportedEvent } from "@aurora-restore/core/operation/event-outcomes";
import type { ArchiveKey } from "@aurora-restore/core/wiring/archives";
import type { ArchiveDefinition, ReplayDescription } from "../eventbridge/index";
import { outcomesSince } from "./recorded-outcomes";
import { sideEffectTotals } from "./side-effects";
import type { LocalRuntime } from "./start-local-runtime";

/**
 * A replay of the local archives over a time window, as `aurora-restore replay` runs it: StartReplay on each
 * archive, to its own bus (the RDS archive's is the default bus, whose rules deliver to the stages), follow
 * each replay to its end, let the pipeline settle, then read what every replayed event did.
 */

export interface ReplayWindow {
  from: Date;
  /** Exclusive, as StartReplay's EventEndTime. */
  to: Date;
}

export interface ReplayedEvent extends ReportedEvent {
  archive: ArchiveKey;
  source: string;
  time: string;
}

export type ArchiveReplay = ReplayDescription & { archive: ArchiveKey; archiveName: string };

export interface ArchiveReplayResult {
  /** When the replays started: what the stages recorded from then on is the replayed events' doing. */
  since: Date;
  replays: ArchiveReplay[];
  /** What each replayed event did (only the operation's events when one was named). */
  outcomes: (EventOutcome & { archive: ArchiveKey; source: string; time: string })[];
  /** Side-effect calls the stages made meanwhile (`rds.modifyCluster`...): none when nothing was redone. */
  sideEffects: Record<string, number>;
}

const ENDED = new Set(["COMPLETED", "CANCELLED", "FAILED"]);

function archiveOf(runtime: Pick<LocalRuntime, "archives">, key: ArchiveKey): ArchiveDefinition {
  const archive = runtime.archives[key];
  if (!archive) throw new Error(`This runtime has no ${key} archive (no stage subscribes to its events)`);
  return archive;
}

/** The archived events a replay of the window sends again: selected by their own `time`, as StartReplay does. */
export function eventsInWindow(
  runtime: Pick<LocalRuntime, "archives" | "bridge">,
  key: ArchiveKey,
  window: ReplayWindow,
): ReplayedEvent[] {
  return runtime.bridge.archivedEvents(archiveOf(runtime, key).archiveName).flatMap(({ event }) => {
    const time = Date.parse(event.time);
    if (!(time >= window.from.getTime() && time < window.to.getTime())) return [];
    const operationId = event.detail.operationId;
    return [
      {
        archive: key,
        eventId: event.id,
        detailType: event["detail-type"],
        source: event.source,
        time: event.time,
        ...(typeof operationId === "string" ? { operationId } : {}),
      },
    ];
  });
}

export async function replayArchives(
  runtime: LocalRuntime,
  input: ReplayWindow & {
    archives: readonly ArchiveKey[];
    /** Report only the events of this operation (a replay cannot filter: the others are replayed too). */
    operationId?: string;
    /** Told each time a replay's state or count changes. */
    onProgress?: (replay: ArchiveReplay) => void;
    /** Told when every replay ended and the pipeline is left to settle. */
    onSettling?: () => void;
    pollMs?: number;
  },
): Promise<ArchiveReplayResult> {
  const events = input.archives.flatMap((key) => eventsInWindow(runtime, key, input));
  const callsBefore = runtime.calls.calls.length;
  const since = new Date();
  const stamp = since.toISOString().replace(/[-:]|\.\d+/g, "");
  const suffix = randomBytes(3).toString("hex");
  const started = input.archives.map((key) => {
    const archive = archiveOf(runtime, key);
    const replay = runtime.bridge.startReplay({
      replayName: `aurora-restore-${stamp}-${suffix}-${key}`,
      eventSourceArn: archive.archiveArn,
      eventStartTime: input.from,
      eventEndTime: input.to,
      destination: { arn: archive.eventSourceArn },
      description: "aurora-restore replay",
    });
    return { key, archiveName: archive.archiveName, name: replay.replayName };
  });

  const seen = new Map<string, string>();
  const describe = () =>
    started.map(({ key, archiveName, name }) => ({
      ...runtime.bridge.describeReplay(name),
      archive: key,
      archiveName,
    }));
  for (;;) {
    const replays = describe();
    for (const replay of replays) {
      const state = `${replay.state} ${replay.eventsReplayed}`;
      if (seen.get(replay.replayName) !== state) input.onProgress?.(replay);
      seen.set(replay.replayName, state);
    }
    if (replays.every((r) => ENDED.has(r.state))) break;
    await new Promise((resolve) => setTimeout(resolve, input.pollMs ?? 100));
  }
  // The replayed deliveries, the retries of failed ones and the work they started all settle first.
  input.onSettling?.();
  await runtime.idle();

  const outcomes = (await outcomesSince(runtime, events, since, input.operationId)).map((o, i) => ({
    ...o,
    archive: events[i]!.archive,
    source: events[i]!.source,
    time: events[i]!.time,
  }));
  const correlationId = input.operationId
    ? (await runtime.store.get(input.operationId))?.correlationId
    : undefined;
  const mine = (o: EventOutcome) =>
    o.operationId === input.operationId ||
    o.eventId === correlationId ||
    o.effects.some((e) => e.operationId === input.operationId);
  return {
    since,
    replays: describe(),
    outcomes: input.operationId ? outcomes.filter(mine) : outcomes,
    sideEffects: sideEffectTotals(runtime.calls.calls.slice(callsBefore)),
  };
}
