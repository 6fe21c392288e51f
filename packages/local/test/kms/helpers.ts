import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AwsCallError, type AwsErrorCode } from "@aurora-restore/core/ports/index";
import { expect } from "vitest";

export const prod = { accountId: "111111111111", region: "us-east-1" };
export const staging = { accountId: "222222222222", region: "eu-west-1" };
/** Staging's account in production's region: same region as prod, different account. */
export const stagingInProdRegion = { accountId: "222222222222", region: "us-east-1" };
export const outsider = { accountId: "333333333333", region: "us-east-1" };

export async function tempStateDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), "aurora-restore-local-"));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Awaits a rejection and checks it is the port error AWS would raise. */
export async function expectAwsError(
  promise: Promise<unknown>,
  code: AwsErrorCode,
  service: AwsCallError["service"],
  message?: RegExp,
): Promise<AwsCallError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(AwsCallError);
  const awsError = error as AwsCallError;
  expect(awsError.code).toBe(code);
  expect(awsError.service).toBe(service);
  if (message) expect(awsError.message).toMatch(message);
  return awsError;
}

export function fileMode(mode: number): number {
  return mode & 0o777;
}
