/** Keys whose string values could be a credential; the pipeline never writes one, this is a second guard. */
const secretKey = /pass(word|wd)?$|^secret(value|string)?$|token$|credential/i;

/**
 * A copy of `value` for the browser with any value under a credential-like key replaced: audit details are
 * written without secrets by the stages, but the dashboard shows them to anyone at the screen.
 */
export function redacted<T>(value: T): T {
  if (Array.isArray(value)) return value.map((v) => redacted(v)) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        secretKey.test(k) && typeof v === "string" ? "[redacted]" : redacted(v),
      ]),
    ) as T;
  }
  return value;
}
