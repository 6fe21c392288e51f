import { AwsCallError, type AwsErrorCode } from "../../src/ports/errors";
import type { AccessScope } from "../../src/ports/location";
import type { SecretsPort } from "../../src/ports/secrets";
import { type CallLog, RecordingFake } from "./call-log";

/** In-memory Secrets Manager: versions with staging labels, moved as AWS moves them on the calls stages make. */

const fault = (code: AwsErrorCode, message: string) => new AwsCallError(code, message, "secretsmanager");

interface StoredSecret {
  name: string;
  arn: string;
  versions: { versionId: string; value: string; stages: string[] }[];
}

export class FakeSecrets extends RecordingFake {
  readonly secrets = new Map<string, StoredSecret>();

  constructor(calls: CallLog) {
    super(calls, "secrets");
  }

  /** The current value, parsed (tests only: stages never print it). */
  current(name: string): Record<string, unknown> | undefined {
    return this.staged(name, "AWSCURRENT");
  }

  /** The value holding `stage` (AWSPENDING, AWSPREVIOUS), parsed; undefined when no version holds it. */
  staged(name: string, stage: string): Record<string, unknown> | undefined {
    const secret = [...this.secrets.values()].find((s) => s.name === name || s.arn === name);
    const value = secret?.versions.find((v) => v.stages.includes(stage))?.value;
    return value === undefined ? undefined : (JSON.parse(value) as Record<string, unknown>);
  }

  /** Seeds a secret as an earlier refresh left it: one AWSCURRENT version. */
  seed(scope: AccessScope, name: string, value: Record<string, unknown>): void {
    const arn = `arn:aws:secretsmanager:${scope.region}:${scope.accountId}:secret:${name}-AbCdEf`;
    this.secrets.set(arn, {
      name,
      arn,
      versions: [{ versionId: `seed-${name}`, value: JSON.stringify(value), stages: ["AWSCURRENT"] }],
    });
  }

  port(scope: AccessScope): SecretsPort {
    const where = { accountId: scope.accountId, region: scope.region };
    const find = (id: string) => {
      const secret = [...this.secrets.values()].find(
        (s) => s.arn === id || (s.name === id && s.arn.includes(`:${where.region}:${where.accountId}:`)),
      );
      if (!secret) throw fault("ResourceNotFoundException", `Secrets Manager can't find ${id}.`);
      return secret;
    };
    const check = (method: string, input: unknown, detail: string) =>
      this.record(method, scope, input, `:${detail}`);
    let version = 0;
    const nextVersion = () => `v${++version}-${Math.random().toString(36).slice(2, 8)}`;
    return {
      location: where,
      createSecret: async (input) => {
        check("createSecret", input, input.name);
        const arn = `arn:aws:secretsmanager:${where.region}:${where.accountId}:secret:${input.name}-AbCdEf`;
        if (this.secrets.has(arn)) {
          throw fault("ResourceExistsException", `The secret ${input.name} already exists.`);
        }
        const versionId = input.clientRequestToken ?? nextVersion();
        this.secrets.set(arn, {
          name: input.name,
          arn,
          versions: [{ versionId, value: input.secretString, stages: ["AWSCURRENT"] }],
        });
        return { arn, name: input.name, versionId };
      },
      putSecretValue: async (input) => {
        const stages = input.versionStages ?? ["AWSCURRENT"];
        check("putSecretValue", input, `${input.secretId}:${stages.join(",")}`);
        const secret = find(input.secretId);
        const token = input.clientRequestToken;
        const same = token === undefined ? undefined : secret.versions.find((v) => v.versionId === token);
        if (same) {
          // As AWS: the same token and value is ignored; another value is refused.
          if (same.value === input.secretString) return { arn: secret.arn, versionId: same.versionId };
          throw fault("ResourceExistsException", `Version ${token} holds another value.`);
        }
        const movesCurrent = stages.includes("AWSCURRENT");
        for (const v of secret.versions) {
          const wasCurrent = v.stages.includes("AWSCURRENT");
          v.stages = v.stages.filter((x) => !stages.includes(x) && !(movesCurrent && x === "AWSPREVIOUS"));
          if (movesCurrent && wasCurrent) v.stages.push("AWSPREVIOUS");
        }
        const versionId = token ?? nextVersion();
        secret.versions.push({ versionId, value: input.secretString, stages: [...stages] });
        secret.versions = secret.versions.filter((v) => v.stages.length > 0);
        return { arn: secret.arn, versionId };
      },
      getSecretValue: async (input) => {
        check("getSecretValue", input, input.secretId);
        const secret = find(input.secretId);
        const stage = input.versionStage ?? "AWSCURRENT";
        const v =
          input.versionId === undefined
            ? secret.versions.find((x) => x.stages.includes(stage))
            : secret.versions.find((x) => x.versionId === input.versionId);
        if (!v) {
          throw fault("ResourceNotFoundException", `No ${input.versionId ?? stage} version.`);
        }
        return { arn: secret.arn, name: secret.name, versionId: v.versionId, secretString: v.value };
      },
      describeSecret: async (id) => {
        check("describeSecret", id, id);
        const secret = find(id);
        return {
          arn: secret.arn,
          name: secret.name,
          versions: Object.fromEntries(secret.versions.map((v) => [v.versionId, [...v.stages]])),
        };
      },
      // Removing a label only (what the stages do); moving one is the local Secrets Manager's business.
      updateSecretVersionStage: async (input) => {
        check("updateSecretVersionStage", input, `${input.secretId}:${input.versionStage}`);
        const secret = find(input.secretId);
        const holder = secret.versions.find((v) => v.stages.includes(input.versionStage));
        if (
          !holder ||
          input.moveToVersionId !== undefined ||
          holder.versionId !== input.removeFromVersionId
        ) {
          throw fault(
            "InvalidParameterException",
            `${input.versionStage} is not attached to version ${input.removeFromVersionId}.`,
          );
        }
        holder.stages = holder.stages.filter((x) => x !== input.versionStage);
        secret.versions = secret.versions.filter((v) => v.stages.length > 0);
      },
    };
  }
}
