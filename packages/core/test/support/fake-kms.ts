import { AwsCallError } from "../../src/ports/errors";
import type { KmsKeyInfo, KmsPort } from "../../src/ports/kms";
import type { AccessScope, AccountRegion } from "../../src/ports/location";
import { type CallLog, RecordingFake } from "./call-log";
import { parseArn } from "./fake-arns";

/** In-memory KMS: keys by ARN; `alias/aws/rds` resolves to the account's AWS-managed default key. */

export function defaultKeyArn(where: AccountRegion): string {
  return `arn:aws:kms:${where.region}:${where.accountId}:key/aws-rds-default`;
}

export class FakeKms extends RecordingFake {
  readonly keys = new Map<string, KmsKeyInfo>();

  constructor(calls: CallLog) {
    super(calls, "kms");
  }

  addKey(arn: string, keyManager: "AWS" | "CUSTOMER" = "CUSTOMER", enabled = true): KmsKeyInfo {
    const parsed = parseArn(arn)!;
    const info: KmsKeyInfo = {
      accountId: parsed.accountId,
      region: parsed.region,
      keyId: parsed.resource.replace(/^key\//, ""),
      arn,
      keyManager,
      enabled,
      aliases: keyManager === "AWS" ? ["alias/aws/rds"] : [],
    };
    this.keys.set(arn, info);
    return info;
  }

  /** The key a reference (ARN or the default alias) names, as seen from `where`; RDS uses it too. */
  resolve(where: AccountRegion, ref: string): KmsKeyInfo {
    if (ref === "alias/aws/rds" || ref.endsWith(":alias/aws/rds")) {
      const arn = defaultKeyArn(parseArn(ref) ?? where);
      return this.keys.get(arn) ?? this.addKey(arn, "AWS");
    }
    const key = this.keys.get(ref);
    if (!key) throw new AwsCallError("NotFoundException", `Key ${ref} does not exist`, "kms");
    return key;
  }

  port(scope: AccessScope): KmsPort {
    const where = { accountId: scope.accountId, region: scope.region };
    return {
      location: where,
      describeKey: async (ref) => {
        this.record("describeKey", scope, ref);
        return structuredClone(this.resolve(where, ref));
      },
    };
  }
}
