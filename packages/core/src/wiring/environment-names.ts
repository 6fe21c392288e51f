/**
 * The environment variables every deployed function is given (documented in .env.example): the stacks
 * set them (functions' shared/deploy/function-environment.ts) and the handlers read them when called
 * (functions' runtime/aws-deps.ts), from this one list.
 */
export const environmentNames = {
  stateTable: "AURORA_RESTORE_STATE_TABLE",
  auditTable: "AURORA_RESTORE_AUDIT_TABLE",
  busName: "AURORA_RESTORE_BUS_NAME",
  topicArn: "AURORA_RESTORE_TOPIC_ARN",
  /** The plans as one JSON array (running a handler by hand); the deployed functions get `plansFile`. */
  plans: "AURORA_RESTORE_PLANS",
  /** The plans' JSON file in the function's package (relative to LAMBDA_TASK_ROOT, or the working folder). */
  plansFile: "AURORA_RESTORE_PLANS_FILE",
  /** The stage's dead-letter queue, where its handler puts the events it rejects. */
  deadLetterQueueUrl: "AURORA_RESTORE_DEAD_LETTER_QUEUE_URL",
} as const;
