/** The pipeline's CloudWatch metrics, named once: the stages emit them, the stacks chart and alarm on them. */
export const METRICS_NAMESPACE = "AuroraRestore";

export const pipelineMetrics = {
  started: "OperationsStarted",
  succeeded: "OperationsSucceeded",
  failed: "OperationsFailed",
  /** Per stage (dimension `stage`), in milliseconds. */
  stageDuration: "StageDuration",
} as const;
