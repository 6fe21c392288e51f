import type { AccountRegion } from "./location";

export interface KmsKeyInfo extends AccountRegion {
  keyId: string;
  arn: string;
  /** AWS for the `aws/rds` default key, CUSTOMER for customer managed keys. */
  keyManager: "AWS" | "CUSTOMER";
  enabled: boolean;
  aliases: string[];
}

/** KMS as the pipeline sees it: checking a plan's keys before using them. */
export interface KmsPort {
  readonly location: AccountRegion;
  /** Key id, key ARN, alias name or alias ARN. */
  describeKey(keyRef: string): Promise<KmsKeyInfo>;
}
