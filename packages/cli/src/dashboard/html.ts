/** HTML this module wrote itself: inserted as is into a template. */
export class SafeHtml {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

const entities: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => entities[c]!);
}

function render(value: unknown): string {
  if (value === undefined || value === null || value === false) return "";
  if (value instanceof SafeHtml) return value.text;
  if (Array.isArray(value)) return value.map(render).join("");
  return escapeHtml(String(value));
}

/** A template whose every interpolated value is escaped, except SafeHtml (other templates) and arrays of it. */
export function h(strings: TemplateStringsArray, ...values: unknown[]): SafeHtml {
  return new SafeHtml(
    strings.reduce((out, s, i) => out + s + (i < values.length ? render(values[i]) : ""), ""),
  );
}

/**
 * Data for the page's script, in a JSON script element: `<` is escaped so no text in it (an operation's
 * error, an audit detail) can close the element.
 */
export function jsonScript(id: string, data: unknown): SafeHtml {
  const json = JSON.stringify(data)
    .replace(/</g, "\\u003c")
    .replace(/\u2028/g, "\\u2028")
    .replace(/\u2029/g, "\\u2029");
  return new SafeHtml(`<script type="application/json" id="${escapeHtml(id)}">${json}</script>`);
}

export function statusBadge(status: string): SafeHtml {
  return h`<span class="status status-${status}">${status}</span>`;
}

export interface Page {
  title: string;
  where: string;
  active: "operations" | "trends" | "pipeline";
  body: SafeHtml;
  /** Loads Chart.js and the dashboard's script. */
  charts?: boolean;
}

export function layout(page: Page): string {
  const tab = (name: Page["active"], href: string, label: string) =>
    h`<a href="${href}"${page.active === name ? new SafeHtml(' class="active"') : ""}>${label}</a>`;
  return `<!doctype html>${h`<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${page.title} · aurora-restore</title>
<link rel="stylesheet" href="/assets/dashboard.css">
${page.charts ? new SafeHtml('<script src="/assets/chart.umd.min.js"></script>') : ""}
<script src="/assets/dashboard.js" defer></script>
</head><body>
<header><strong>aurora-restore</strong> <nav>${tab("operations", "/", "Operations")}${tab("trends", "/trends", "Trends")}${tab("pipeline", "/pipeline", "Pipeline")}</nav>
<span class="where">${page.where}</span></header>
<main>${page.body}</main>
</body></html>`}`;
}
