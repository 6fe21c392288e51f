import type { AuditEntryInfo } from "@aurora-restore/core/storage/audit";
import type { OperationInfo } from "@aurora-restore/core/storage/operations";
import { type CliIo, UsageError } from "../io";
import { writeOperationResult } from "../operation-result";
import type { StageProgress } from "../progress/stage-progress";
import type { DeployedStage } from "./deployed-stage";
import { FollowStopped, followOperation, stopFollowingOnSignal, waitForAnswer } from "./follow";

/** The pipeline's answer to a published request, read from the operation's audit trail. */
/** Accepted may name another operation to follow (a retry from the start starts a new one). */
export type RequestAnswer = { accepted: string; operationId?: string } | { refused: string[] };

export interface PublishedRequest {
  operationId: string;
  json: boolean;
  /** How long to follow the operation, all in all. */
  timeoutMs: number;
  /** The command that shows the operation again, for the messages that stop following. */
  lookAgain: string;
  /** The answer in the trail, or undefined while there is none yet. */
  answer(trail: AuditEntryInfo[]): RequestAnswer | undefined;
  /** The message when no answer came (exit 1). */
  noAnswer: string;
  /** Whether a read of the operation already shows the request's effect (default: any read does). */
  current?(operation: OperationInfo): boolean;
}

/** The stage answers a request within seconds; Lambda's retries of a failed first attempt take minutes. */
const answerTimeoutMs = 5 * 60_000;

/**
 * After a request was published (restore, operations retry): waits for the pipeline's answer, then
 * follows the operation until it ends and prints the result like the local `restore` (exit 0 succeeded,
 * 1 failed or refused). Ctrl-C stops following and cancels nothing: exit 130.
 */
export async function followPublished(
  stage: DeployedStage,
  io: CliIo,
  progress: StageProgress,
  request: PublishedRequest,
): Promise<number> {
  const interrupt = stopFollowingOnSignal();
  const { operationId, lookAgain } = request;
  const signal = interrupt.signal;
  try {
    const answer = await waitForAnswer(
      stage.state.audit,
      operationId,
      (trail) => request.answer(trail),
      { signal, timeoutMs: Math.min(answerTimeoutMs, request.timeoutMs) },
      request.noAnswer,
    );
    if ("refused" in answer) {
      throw new UsageError(
        `the pipeline refused the request for ${operationId}: ${answer.refused.join("; ")}`,
        1,
      );
    }
    progress.line(answer.accepted);
    const followed = answer.operationId ?? operationId;
    const current = followed === operationId ? request.current : undefined;
    const final = await followOperation(
      stage.state.store,
      followed,
      progress,
      { signal, timeoutMs: request.timeoutMs, ...(current ? { current } : {}) },
      lookAgain,
    );
    progress.stop();
    const trail = await stage.state.audit.listByOperation(followed);
    const where = { stage: stage.address.stage, region: stage.address.region };
    return writeOperationResult(io, request.json, final, trail, where);
  } catch (error) {
    if (!(error instanceof FollowStopped)) throw error;
    progress.stop();
    io.stderr.write(
      `Stopped following ${operationId}; nothing was cancelled, it goes on in AWS. ${lookAgain}\n`,
    );
    return interrupt.exitCode();
  } finally {
    interrupt.remove();
  }
}
