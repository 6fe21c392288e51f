import type { CliIo } from "../io";
import { UsageError } from "../io";
import type { StageAddress } from "../remote/stage-address";
import { type DashboardSource, RetryRefused } from "./source";

/**
 * A deployed stage: its tables through the CLI's deployed-stage reader (one set of clients for the
 * dashboard's life). Retry publishes RetryRequested on the stage's bus exactly as
 * `operations retry --stage <s> --no-wait` does, and only with --allow-actions.
 */
export async function stageSource(address: StageAddress, allowActions: boolean): Promise<DashboardSource> {
  const { openDeployedStage } = await import("../remote/deployed-stage");
  const stage = await openDeployedStage(address);
  return {
    kind: "stage",
    where: stage.state.where,
    noOperationsHint: stage.state.noOperationsHint,
    retry: allowActions
      ? { allowed: true }
      : { allowed: false, reason: "read-only: start the dashboard with --allow-actions to retry on a stage" },
    read: (read) => read(stage.state),
    retries: () => [],
    async retryOperation(operationId) {
      if (!allowActions) {
        throw new RetryRefused(
          "retrying on a deployed stage needs the dashboard started with --allow-actions",
          403,
        );
      }
      const { retryOnStage } = await import("../remote/retry-on-stage");
      let stdout = "";
      const io: CliIo = {
        stdout: {
          write: (chunk: string) => {
            stdout += chunk;
          },
        },
        stderr: { write: () => undefined },
      };
      const parsed = {
        positionals: [operationId],
        flags: new Map<string, string | true>([
          ["no-wait", true],
          ["json", true],
        ]),
      };
      try {
        await retryOnStage(parsed, io, address);
      } catch (error) {
        if (error instanceof UsageError) {
          throw new RetryRefused(error.message, error.exitCode === 1 ? 409 : 403);
        }
        throw error;
      }
      const published = JSON.parse(stdout) as { operationId: string; eventId: string };
      return { outcome: "published", ...published };
    },
    close: () => stage.close(),
  };
}
