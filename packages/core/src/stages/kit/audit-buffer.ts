import { AsyncLocalStorage } from "node:async_hooks";
import type { ComplianceProfile } from "../../plan/schema";
import type { AuditLog, AuditRecord } from "../../storage/audit";

/**
 * One audit item per operation per delivery, not one per action: a delivery's records are kept here and
 * written together when it ends (asDelivery), whether it succeeded or failed, and before each write that
 * marks the work done (a transition, a recorded handoff, a pending watch, a completed effect: `flushAudit`),
 * since a resumed delivery does not do that work again. A process killed before then loses what it kept, as
 * an action cut short between its effect and its record always did: the resumed delivery does (or finds, by
 * its deterministic names) the work again and records it. A stage that journals in the trail (configure's
 * crash-resume reads it) flushes after an action it must not repeat. Outside a delivery (the CLI, a test
 * calling a stage directly) records are written at once.
 */
interface PendingRun {
  compliance: ComplianceProfile;
  records: (AuditRecord & { at: string })[];
  bytes: number;
}

/** `closed` once the delivery ended: work it started that outlives it (a timer) writes its records at once. */
type DeliveryRecords = { log: AuditLog; runs: Map<string, PendingRun>; closed: boolean };

const buffers = new AsyncLocalStorage<DeliveryRecords>();

/** An item stays well under DynamoDB's 400 KB: a run whose records grow past this is written in parts. */
const MAX_RUN_BYTES = 200_000;

/** Keeps `record` for the delivery's item, or writes it now outside a delivery. */
export async function recordAudit(
  log: AuditLog,
  record: AuditRecord & { at: string },
  compliance: ComplianceProfile,
): Promise<void> {
  const buffer = buffers.getStore();
  if (!buffer || buffer.closed || buffer.log !== log) {
    await log.appendRun([record], { compliance });
    return;
  }
  const bytes = JSON.stringify(record).length;
  const run = buffer.runs.get(record.operationId);
  if (run && run.compliance === compliance && run.bytes + bytes <= MAX_RUN_BYTES) {
    run.records.push(record);
    run.bytes += bytes;
    return;
  }
  if (run) await writeRun(buffer, record.operationId);
  buffer.runs.set(record.operationId, { compliance, records: [record], bytes });
}

async function writeRun(buffer: DeliveryRecords, operationId: string): Promise<void> {
  const run = buffer.runs.get(operationId);
  if (!run) return;
  buffer.runs.delete(operationId);
  await buffer.log.appendRun(run.records, { compliance: run.compliance });
}

/** Writes what this delivery kept for `operationId` now (a journal entry a resumed delivery must find). */
export async function flushAudit(operationId: string): Promise<void> {
  const buffer = buffers.getStore();
  if (buffer) await writeRun(buffer, operationId);
}

/**
 * Runs one delivery with its audit records kept, then writes one item per operation it touched — also when
 * the delivery throws (its failure is recorded), before the error goes on to the bus's retry.
 */
export async function withAuditBuffer<T>(log: AuditLog, run: () => Promise<T>): Promise<T> {
  const buffer: DeliveryRecords = { log, runs: new Map(), closed: false };
  const flushAll = async () => {
    buffer.closed = true;
    for (const operationId of [...buffer.runs.keys()]) await writeRun(buffer, operationId);
  };
  let result: T;
  try {
    result = await buffers.run(buffer, run);
  } catch (error) {
    await flushAll().catch(() => undefined);
    throw error;
  }
  await flushAll();
  return result;
}
