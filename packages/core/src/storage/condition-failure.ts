/** Whether a DynamoDB write was refused by its condition (ElectroDB wraps the SDK's error). */
export function isConditionFailure(error: unknown): boolean {
  const text = `${(error as Error)?.message ?? ""} ${String((error as { cause?: { name?: string } })?.cause?.name)}`;
  return /ConditionalCheckFailed|conditional request failed/i.test(text);
}
