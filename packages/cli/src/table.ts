import Table from "cli-table3";
import { escapeControl } from "./io";

/**
 * A table for stdout: no colour (results may go to a file or a pipe) and no borders, so a line of it
 * stays a line of text that grep and cut can take apart. Cells are escaped first, so widths are counted on
 * what is printed.
 */
export function textTable(head: string[], rows: string[][]): string {
  const table = new Table({
    head: head.map(escapeControl),
    chars: {
      top: "",
      "top-mid": "",
      "top-left": "",
      "top-right": "",
      bottom: "",
      "bottom-mid": "",
      "bottom-left": "",
      "bottom-right": "",
      left: "",
      "left-mid": "",
      mid: "",
      "mid-mid": "",
      right: "",
      "right-mid": "",
      middle: "  ",
    },
    style: { head: [], border: [], "padding-left": 0, "padding-right": 0 },
  });
  table.push(...rows.map((row) => row.map(escapeControl)));
  return `${table
    .toString()
    .split("\n")
    .map((line) => line.trimEnd())
    .join("\n")}\n`;
}
