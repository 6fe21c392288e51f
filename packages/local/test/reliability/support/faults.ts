import { toAwsCallError } from "@aurora-restore/aws/errors";
import { RDS_SOURCE } from "@aurora-restore/core/events/rds";
import type { AwsCallError } from "@aurora-restore/core/ports/errors";
import { listAllOperations } from "../../../src/runtime/open-state";
import type { CountedPort, PortCall } from "../../../src/runtime/port-counters";
import type { LocalRuntime } from "../../../src/runtime/start-local-runtime";
import type { ReliabilityWorld } from "./world";

/**
 * AWS errors for the fault hook (`runtime.calls.faults`), made by the AWS adapters' own mapping
 * (packages/aws/src/errors.ts) from what the SDK throws, so a stage sees exactly what it would see in AWS:
 * the same code, `retryable` flag and message (with the adapter's hint of what to fix).
 */

const services = {
  rds: "rds",
  kms: "kms",
  secrets: "secretsmanager",
  sns: "sns",
  events: "events",
} as const satisfies Partial<Record<CountedPort, AwsCallError["service"]>>;

export type AwsPort = keyof typeof services;

export function isAwsPort(port: CountedPort): port is AwsPort {
  return port in services;
}

/** What the SDK throws for an AWS error response: the exception name, its message and the HTTP status. */
export interface SdkErrorShape {
  name: string;
  message: string;
  status: number;
  throttling?: boolean;
}

export const sdkErrors = {
  throttling: { name: "ThrottlingException", message: "Rate exceeded", status: 400, throttling: true },
  internalFailure: {
    name: "InternalFailure",
    message: "The request processing has failed because of an unknown error, exception or failure.",
    status: 500,
  },
  serviceUnavailable: { name: "ServiceUnavailable", message: "Service is unavailable", status: 503 },
  accessDenied: {
    name: "AccessDenied",
    message:
      "User: arn:aws:sts::222222222222:assumed-role/aurora-restore-copy/fn is not authorized to perform this action",
    status: 403,
  },
  accessDeniedException: {
    name: "AccessDeniedException",
    message: "User is not authorized to perform kms:CreateGrant on this resource",
    status: 400,
  },
  kmsKeyNotAccessible: {
    name: "KMSKeyNotAccessibleFault",
    message: "The specified KMS key is not accessible",
    status: 400,
  },
  instanceQuota: {
    name: "InstanceQuotaExceeded",
    message: "Cannot create more than 40 DB instances in this region",
    status: 400,
  },
  snapshotQuota: {
    name: "SnapshotQuotaExceeded",
    message: "Cannot create more than 100 manual snapshots",
    status: 400,
  },
} as const satisfies Record<string, SdkErrorShape>;

/** The error the adapter of `call.port` throws when the SDK call behind `call` fails with `sdk`. */
export function awsFault(call: Pick<PortCall, "port" | "call" | "location" | "subject">, sdk: SdkErrorShape) {
  if (!isAwsPort(call.port)) throw new Error(`${call.port} is not an AWS port`);
  const [accountId = "222222222222", region = "eu-west-1"] = (call.location ?? "").split("/");
  const thrown = Object.assign(new Error(sdk.message), {
    name: sdk.name,
    $metadata: { httpStatusCode: sdk.status },
    ...(sdk.throttling ? { $retryable: { throttling: true } } : {}),
  });
  return toAwsCallError(thrown, {
    service: services[call.port],
    operation: call.call,
    location: { accountId, region },
    ...(call.subject ? { resource: call.subject } : {}),
  });
}

/** A small seeded PRNG (mulberry32): the same seed injects the same faults in the same call order. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Where the plan's running operations stand and why (for a failure message): step, lease, handoff, DLQ. */
export async function whyStuck(world: Pick<ReliabilityWorld, "runtime">, planId: string): Promise<string> {
  const { runtime } = world;
  const running = (await listAllOperations(runtime.store)).filter(
    (o) => o.planId === planId && o.status === "running",
  );
  const now = Date.now();
  const lines = await Promise.all(
    running.map(async (o) => {
      const watch = o.watch ? `waits on ${o.watch.watchId} (${o.watch.resource})` : "waits on no watch";
      const lease = o.lease
        ? `lease ${o.lease.from}->${o.lease.step} ${Date.parse(o.lease.expiresAt) > now ? "live" : "expired"}`
        : "no lease";
      const handoff = o.handoff
        ? `handoff ${o.handoff.step}/${o.handoff.detailType} republished ${o.handoff.republished ?? 0}` +
          (o.handoff.publishFailed ? " (its publish failed)" : "")
        : "no handoff";
      const trail = (await runtime.audit.listByOperation(o.operationId))
        .sort((a, b) => a.entryId.localeCompare(b.entryId))
        .slice(-12)
        .map(
          (e) =>
            `    ${e.at.slice(11, 23)} ${e.stage} ${e.action} ${e.outcome} ${JSON.stringify(e.details ?? {})}`,
        );
      return [`${o.target.clusterIdentifier} at ${o.step}: ${lease}; ${handoff}; ${watch}`, ...trail].join(
        "\n",
      );
    }),
  );
  const dead = runtime.bridge
    .listDeadLetters()
    .map(
      (m) => `${m.targetId} ${m.event["detail-type"]} ${m.errorCode} after ${m.attempts}: ${m.errorMessage}`,
    );
  return [...lines, `dead letters (${dead.length}):`, ...dead.slice(0, 20)].join("\n");
}

/**
 * Drops the RDS events `drop` selects, as an RDS event that never comes (RDS delivers its events best effort):
 * the local RDS publishes through `bridge.putEvents` with its RDS_SOURCE, which this intercepts.
 * Returns the events dropped so far (their EventIDs and sources) and a function that stops dropping.
 */
export function dropRdsEvents(
  runtime: Pick<LocalRuntime, "bridge">,
  drop: (detail: { EventID: string; SourceIdentifier: string }) => boolean,
): { dropped: string[]; restore(): void } {
  const { bridge } = runtime;
  const original = bridge.putEvents;
  const dropped: string[] = [];
  bridge.putEvents = async (entries, sender, options) => {
    if (options?.awsServiceSource !== RDS_SOURCE) return original.call(bridge, entries, sender, options);
    const kept = entries.filter((entry) => {
      const detail = JSON.parse(entry.Detail ?? "{}") as { EventID: string; SourceIdentifier: string };
      if (!drop(detail)) return true;
      dropped.push(`${detail.EventID} ${detail.SourceIdentifier}`);
      return false;
    });
    if (kept.length > 0) return original.call(bridge, kept, sender, options);
    // As AWS answers a publisher whose event is then lost: accepted.
    return { FailedEntryCount: 0, Entries: entries.map((_, i) => ({ EventId: `dropped-${i}` })) };
  };
  return {
    dropped,
    restore: () => {
      bridge.putEvents = original;
    },
  };
}
