/**
 * Field names that could hold a secret value. References to secrets (an ARN, a name, an id) are fine; the
 * secret itself never goes into an event, an audit entry or a log line.
 */
const secretLike =
  /(password|passwd|pwd|secret|token|credential|private[-_]?key|key[-_]?material|plaintext|apikey|api[-_]key)/i;
const reference = /(arn|name|id|ids|ref|stage|path)$/i;

export function isSecretFieldName(name: string): boolean {
  return secretLike.test(name) && !reference.test(name);
}

export const REDACTED = "[redacted]";

/** Deep copy with secret-like fields replaced and long strings cut, for audit details and logs. */
export function sanitize(value: unknown, depth = 0): unknown {
  if (depth > 8) return "[too deep]";
  if (Array.isArray(value)) return value.slice(0, 100).map((v) => sanitize(v, depth + 1));
  if (value instanceof Error) return { name: value.name, message: sanitize(value.message, depth + 1) };
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = isSecretFieldName(key) ? REDACTED : sanitize(v, depth + 1);
    }
    return out;
  }
  if (typeof value === "string" && value.length > 2000) return `${value.slice(0, 2000)}...`;
  return value;
}
