import { afterAll, beforeAll } from "vitest";
import { type DynamoBackend, startDynalite } from "./dynamo";

/**
 * One in-process dynalite for the test file that calls this at its top level (each world then makes fresh
 * tables on it). Returns the running backend; reading it outside a test is a mistake and throws.
 */
export function useDynalite(): () => DynamoBackend {
  let backend: DynamoBackend | undefined;
  beforeAll(async () => {
    backend = await startDynalite();
  });
  afterAll(async () => {
    await backend?.stop();
  });
  return () => {
    if (!backend) throw new Error("dynalite runs only inside the tests of the file that uses it");
    return backend;
  };
}
