import { userInfo } from "node:os";
import type { StateReader } from "../state-reader";
import { type DashboardSource, type LocalRetryProgress, RetryRefused, sharedOpen } from "./source";

/**
 * The local state folder: read per request (openLocalState, closed after), so `restore`, `demo` or
 * `operations retry` can run while the dashboard is open. A retry starts the local runtime for the time
 * the operation runs, then stops it, as `operations retry` does.
 */
export function localSource(stateDir: string): DashboardSource {
  const read = sharedOpen(async (): Promise<StateReader> => {
    const { openLocalState } = await import("@aurora-restore/local/runtime/open-state");
    const state = await openLocalState({ stateDir });
    return {
      where: state.stateDir,
      noOperationsHint: "Run 'npm start' to refresh the demo target.",
      store: state.store,
      audit: state.audit,
      close: () => state.close(),
    };
  });
  const progress = new Map<string, LocalRetryProgress>();
  /** Runtimes started for retries still running: stopped with the dashboard (the retry then stops too). */
  const runtimes = new Set<{ stop(): Promise<unknown> }>();
  let closed = false;

  return {
    kind: "local",
    where: stateDir,
    noOperationsHint: "Run 'npm start' to refresh the demo target.",
    retry: { allowed: true },
    read,
    retries: () => [...progress.values()],
    async retryOperation(operationId) {
      if (closed) throw new RetryRefused("the dashboard is stopping", 409);
      if ([...progress.values()].some((p) => p.state === "running")) {
        throw new RetryRefused("a retry started from this dashboard is still running: wait for it", 409);
      }
      const operation = await read((s) => s.store.get(operationId));
      if (!operation) throw new RetryRefused(`no operation ${operationId} in ${stateDir}`, 404);
      if (operation.status !== "failed") {
        throw new RetryRefused(
          `operation ${operationId} is ${operation.status}: only a failed operation is retried`,
          409,
        );
      }
      const { startLocalRuntime } = await import("@aurora-restore/local/runtime/start-local-runtime");
      const { StateFolderBusyError } = await import("@aurora-restore/local/state-lock");
      const { requestRetry, RetryRefusedLocallyError } = await import(
        "@aurora-restore/local/runtime/retry-request"
      );
      const { waitForOperation } = await import("@aurora-restore/local/runtime/operation-progress");
      let runtime: Awaited<ReturnType<typeof startLocalRuntime>>;
      try {
        runtime = await startLocalRuntime({ stateDir });
      } catch (error) {
        if (error instanceof StateFolderBusyError) throw new RetryRefused(error.message, 409);
        throw error;
      }
      let answer: Awaited<ReturnType<typeof requestRetry>>;
      try {
        answer = await requestRetry(runtime, {
          operationId,
          fromStart: false,
          requestedBy: `dashboard:${userInfo().username}`,
        });
      } catch (error) {
        await runtime.stop();
        if (error instanceof RetryRefusedLocallyError) throw new RetryRefused(error.message, 409);
        throw error;
      }
      const entry: LocalRetryProgress = {
        operationId: answer.operationId,
        state: "running",
        since: new Date().toISOString(),
      };
      progress.set(answer.operationId, entry);
      // The operation runs in this process's runtime: follow it to its end, then stop the runtime.
      const follow = waitForOperation(runtime.store, answer.operationId, { timeoutMs: 30 * 60_000 })
        .then(async (final) => {
          await runtime.idle();
          entry.state = "ended";
          entry.message = `${final.operationId} ${final.status}`;
        })
        .catch((error: Error) => {
          entry.state = "error";
          entry.message = error.message;
        })
        .finally(() => {
          runtimes.delete(runtime);
          return runtime.stop();
        });
      runtimes.add(runtime);
      void follow.catch(() => undefined);
      return answer;
    },
    async close() {
      closed = true;
      await Promise.allSettled([...runtimes].map((r) => r.stop()));
    },
  };
}
