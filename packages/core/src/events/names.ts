/**
 * The pipeline's own names on EventBridge, declared once. Every producer, consumer, stack and the local
 * runtime derives its strings from here (a test scans the sources for copies).
 */
export const PIPELINE_SOURCE = "aurora-restore.pipeline";

/** Default name of the pipeline's custom bus (overridable per deployment). */
export const DEFAULT_PIPELINE_BUS = "aurora-restore";
