import type { StateReader } from "../state-reader";

/** What a retry started from the dashboard answered (the trigger's answer, or the publish on a stage). */
export type RetryStarted =
  | { outcome: "resumed"; operationId: string; eventId: string; resumeAt: string; reused: string[] }
  | { outcome: "started"; operationId: string; eventId: string; previousOperationId: string }
  | { outcome: "published"; operationId: string; eventId: string };

/** A retry the dashboard refuses, with the reason (HTTP 403 when not allowed, 409 when not possible now). */
export class RetryRefused extends Error {
  override name = "RetryRefused";
  constructor(
    message: string,
    readonly status: 403 | 404 | 409,
  ) {
    super(message);
  }
}

/** A retry this dashboard process runs on the local runtime, while it runs and after. */
export interface LocalRetryProgress {
  operationId: string;
  state: "running" | "ended" | "error";
  since: string;
  message?: string;
}

/**
 * Where the dashboard reads from: the local state folder or a deployed stage, through the CLI's own read
 * functions (openStateReader's tables), and how it retries an operation there.
 */
export interface DashboardSource {
  kind: "local" | "stage";
  /** For the page header: the state folder, or "stage 'dev' in eu-west-1". */
  where: string;
  noOperationsHint: string;
  /** Whether the retry button is shown, and if not why. */
  retry: { allowed: true } | { allowed: false; reason: string };
  /** Runs `read` with the tables open; a local state folder is opened for the read and closed after. */
  read<T>(read: (state: StateReader) => Promise<T>): Promise<T>;
  retryOperation(operationId: string): Promise<RetryStarted>;
  /** Local retries this process started (none on a stage). */
  retries(): LocalRetryProgress[];
  close(): Promise<void>;
}

/**
 * Shares one open of the tables between the requests in flight and closes it when the last one is done: a
 * local state folder is then free for other commands between requests (a reader holds its lock only while
 * it reads, and a runtime holding it serves its tables to readers).
 */
export function sharedOpen(
  open: () => Promise<StateReader>,
): <T>(read: (state: StateReader) => Promise<T>) => Promise<T> {
  let current: { state: Promise<StateReader>; users: number } | undefined;
  return async (read) => {
    if (!current) current = { state: open(), users: 0 };
    const session = current;
    session.users++;
    try {
      return await read(await session.state);
    } finally {
      session.users--;
      if (session.users === 0) {
        if (current === session) current = undefined;
        await session.state.then(
          (s) => s.close(),
          () => undefined,
        );
      }
    }
  };
}
