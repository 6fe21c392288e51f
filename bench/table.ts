export type Table = string[][];

/** Rows as aligned columns (the first row is the header), two-space indented. */
export function table(rows: Table): string {
  const widths: number[] = [];
  for (const row of rows) {
    row.forEach((cell, i) => {
      widths[i] = Math.max(widths[i] ?? 0, cell.length);
    });
  }
  const line = (row: string[]) =>
    `  ${row
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd()}`;
  const [header, ...body] = rows;
  if (!header) return "";
  return [line(header), line(header.map((_, i) => "-".repeat(widths[i] ?? 0))), ...body.map(line)].join("\n");
}
