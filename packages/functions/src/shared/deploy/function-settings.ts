import { defaultLoginBackoff } from "@aurora-restore/core/stages/configure";
import { FUNCTION_TIMEOUT_SECONDS } from "@aurora-restore/core/stages/kit/lease";
import type { StageDeclaration } from "@aurora-restore/core/wiring/stage-declaration";

/**
 * The one declaration of how long each function may run and what its waits may take. The stacks deploy
 * `functionSettings` (stacks/functions.ts), the handlers build their database port from `databaseTimeouts`
 * (runtime/aws-deps.ts), and core derives its leases from the same FUNCTION_TIMEOUT_SECONDS (lease.ts), so
 * no invocation outlives its lease. A test compares each function's timeout with the longest wait in its
 * code path (test/function-timeouts.test.ts).
 */

/** Async invocations Lambda retries after a function error, before the failure goes to the stage's queue. */
export const ASYNC_RETRIES = 2;

/** Room for a stage's AWS calls (each bounded by the SDK clients' timeouts and retries) and DynamoDB writes. */
export const AWS_CALLS_MARGIN_MS = 30_000;

/**
 * The database waits of configure and verify: one connection attempt, each statement, and all statements of
 * one session together (configure's session starts once the new password is accepted, after at most
 * defaultLoginBackoff.timeoutMs and one attempt): what is left of the function's time.
 */
export const databaseTimeouts = (() => {
  const connectMs = 10_000;
  const statementMs = 60_000;
  const sessionBudgetMs =
    FUNCTION_TIMEOUT_SECONDS * 1000 - defaultLoginBackoff.timeoutMs - connectMs - AWS_CALLS_MARGIN_MS;
  return { connectMs, statementMs, sessionBudgetMs } as const;
})();

export interface FunctionSettings {
  timeoutSeconds: number;
  memory: "512 MB";
  architecture: "arm64";
  retries: number;
  /**
   * `false`: keep running in AWS under `sst dev` (SST's `dev` prop). The functions that reach the database
   * need the plans' VPC and Lambda's CA bundle, which a developer's machine has neither of.
   */
  dev?: false;
  /** SST's `nodejs` bundling options (`sst.aws.Function`); the bench and the bundle test build with the same. */
  nodejs: typeof NODEJS_BUNDLING;
}

/**
 * How SST bundles each handler, beyond its defaults (minified ESM, the AWS SDK bundled: the pinned version,
 * and a faster import than the runtime's copy; bench/README.md, section 5). `splitting`: what a handler
 * imports dynamically goes into chunks of its own, loaded when first used; the SDK loads its credential
 * providers that way (SSO, profiles, web identity, container and instance metadata, and the STS, SSO and
 * sign-in clients they use), and Lambda's credentials are found first in the environment, so a cold start
 * never parses them.
 */
export const NODEJS_BUNDLING = { splitting: true } as const;

export function functionSettings(declaration: Pick<StageDeclaration, "reachesDatabase">): FunctionSettings {
  return {
    timeoutSeconds: FUNCTION_TIMEOUT_SECONDS,
    memory: "512 MB",
    architecture: "arm64",
    retries: ASYNC_RETRIES,
    nodejs: NODEJS_BUNDLING,
    ...(declaration.reachesDatabase ? { dev: false as const } : {}),
  };
}
