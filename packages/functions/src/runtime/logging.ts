import { sanitize } from "@aurora-restore/core/security/secret-names";
import type { StageLogger } from "@aurora-restore/core/stages/kit/deps";

/** Replaces secret-like keys in every log line's extra fields (see security/secret-names.ts). */
export function sanitizingLogger(base: StageLogger): StageLogger {
  const clean = (extra?: Record<string, unknown>) =>
    extra === undefined ? undefined : (sanitize(extra) as Record<string, unknown>);
  return {
    ...(base.debug ? { debug: (message, extra) => base.debug?.(message, clean(extra)) } : {}),
    info: (message, extra) => base.info(message, clean(extra)),
    warn: (message, extra) => base.warn(message, clean(extra)),
    error: (message, extra) => base.error(message, clean(extra)),
  };
}

/**
 * Adds keys (operation id as correlation key, event id, service) to every line. A wrapper rather than the
 * logger's own appendKeys, so one invocation's keys never leak into the next on a reused logger.
 */
export function withLogKeys(base: StageLogger, keys: Record<string, unknown>): StageLogger {
  const merge = (extra?: Record<string, unknown>) => ({ ...keys, ...(extra ?? {}) });
  return {
    ...(base.debug ? { debug: (message, extra) => base.debug?.(message, merge(extra)) } : {}),
    info: (message, extra) => base.info(message, merge(extra)),
    warn: (message, extra) => base.warn(message, merge(extra)),
    error: (message, extra) => base.error(message, merge(extra)),
  };
}
