/** Small timing helpers for `npm run bench`: figures and ratios, never assertions. */
export interface Measurement {
  name: string;
  ops: number;
  ms: number;
  perSecond: number;
}

export async function measure(name: string, ops: number, run: (i: number) => unknown): Promise<Measurement> {
  // Warm up so the JIT's first tier does not count.
  for (let i = 0; i < Math.min(ops, 200); i++) await run(i);
  const start = process.hrtime.bigint();
  for (let i = 0; i < ops; i++) await run(i);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { name, ops, ms, perSecond: (ops / ms) * 1000 };
}

export function report(title: string, rows: Measurement[], baseline?: Measurement): void {
  console.log(`\n${title}`);
  for (const row of rows) {
    const ratio =
      baseline && row !== baseline
        ? `  (${(row.perSecond / baseline.perSecond).toFixed(2)}x ${baseline.name})`
        : "";
    console.log(
      `  ${row.name.padEnd(48)} ${row.perSecond.toFixed(0).padStart(10)} ops/s  ${row.ms.toFixed(1).padStart(9)} ms for ${row.ops}${ratio}`,
    );
  }
}
