import type { AuditLog } from "@aurora-restore/core/storage/audit";
import type { OperationStore } from "@aurora-restore/core/storage/operations";
import { openLocalState } from "../runtime/open-state";
import { PlanRegistry } from "../runtime/plan-registry";
import {
  type LocalRuntime,
  type LocalRuntimeOptions,
  startLocalRuntime,
} from "../runtime/start-local-runtime";
import { currentLockHolder, StateFolderBusyError, type StateLockHolder } from "../state-lock";
import {
  handleLocalRequest,
  type LocalRequestKind,
  type LocalRequestOf,
  type LocalRequestResults,
} from "./local-requests";
import { sendRequest } from "./request-channel";

/**
 * Where a command's work on the local runtime happens: handed to the `local up` that holds the state folder
 * ("served"), or on a runtime this process starts and stops ("own"). Either way the command reads the
 * operations it starts from the same tables.
 */
export interface LocalRuntimeAccess {
  mode: "served" | "own";
  /** The `local up` process the work is handed to (served). */
  servedBy?: StateLockHolder;
  /** The runtime this process started (own). */
  runtime?: LocalRuntime;
  stateDir: string;
  store: OperationStore;
  audit: AuditLog;
  plans: PlanRegistry;
  request<K extends LocalRequestKind>(request: LocalRequestOf<K>): Promise<LocalRequestResults[K]>;
  /** Own runtime: waits until what the pipeline does after an operation ends (notify, cleanup) is done. */
  settle(): Promise<void>;
  /** Stops the own runtime, or lets go of the served one's tables. Safe to call twice. */
  close(): Promise<void>;
}

/** How long a served request may take: an automated snapshot may wait for the next minute. */
const servedRequestTimeoutMs = 180_000;

async function served(stateDir: string, holder: StateLockHolder): Promise<LocalRuntimeAccess> {
  const state = await openLocalState({ stateDir });
  return {
    mode: "served",
    servedBy: holder,
    stateDir: state.stateDir,
    store: state.store,
    audit: state.audit,
    plans: new PlanRegistry(state.stateDir),
    request: async (request) =>
      (await sendRequest(state.stateDir, holder, request, { timeoutMs: servedRequestTimeoutMs })) as never,
    settle: async () => undefined,
    close: () => state.close(),
  };
}

/**
 * Hands work to `local up` when it holds the folder; otherwise starts the runtime here (`say` gets the
 * notices of requests it handles). Another runtime holding the folder (a demo) refuses with
 * StateFolderBusyError, as before.
 */
export async function openRuntimeAccess(options: {
  stateDir: string;
  runtime?: Omit<LocalRuntimeOptions, "stateDir">;
  say(line: string): void;
}): Promise<LocalRuntimeAccess> {
  const holder = await currentLockHolder(options.stateDir);
  if (holder?.servesRequests) return served(options.stateDir, holder);
  let runtime: LocalRuntime;
  try {
    runtime = await startLocalRuntime({ ...options.runtime, stateDir: options.stateDir });
  } catch (error) {
    // `local up` took the folder meanwhile: hand the work to it after all.
    if (error instanceof StateFolderBusyError && error.holder.servesRequests) {
      return served(options.stateDir, error.holder);
    }
    throw error;
  }
  return {
    mode: "own",
    runtime,
    stateDir: runtime.stateDir,
    store: runtime.store,
    audit: runtime.audit,
    plans: runtime.plans,
    request: (request) => handleLocalRequest(runtime, request, options.say),
    settle: () => runtime.idle(),
    close: () => runtime.stop(),
  };
}
