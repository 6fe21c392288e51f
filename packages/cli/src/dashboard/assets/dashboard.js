// The dashboard's only script: draws the charts from the JSON the server put in the page, refreshes a page
// while an operation on it is running, and posts a retry. No data is inserted as HTML (textContent only).

function data(id) {
  const element = document.getElementById(id);
  return element ? JSON.parse(element.textContent) : undefined;
}

const colours = { work: "#0969da", wait: "#d4a72c", failed: "#cf222e" };

function drawTimeline() {
  const stages = data("timeline");
  const canvas = document.getElementById("timeline-chart");
  if (!stages || !canvas || typeof Chart === "undefined") return;
  // Its height from the number of stages (set here: the page's policy allows no inline style).
  canvas.parentElement.style.height = `${60 + 34 * Number(canvas.parentElement.dataset.rows)}px`;
  const labels = stages.map((s) => s.name);
  const datasets = ["work", "wait"].map((kind) => ({
    label: kind === "work" ? "work" : "waiting for AWS",
    data: stages.flatMap((s) =>
      s.segments
        .filter((g) => g.kind === kind)
        .map((g) => ({
          y: s.name,
          x: [g.from, Math.max(g.to, g.from + 0.05)],
          what: g.label,
          failed: s.failed,
        })),
    ),
    backgroundColor: (ctx) => (ctx.raw?.failed && kind === "work" ? colours.failed : colours[kind]),
    borderSkipped: false,
    barPercentage: 0.7,
    categoryPercentage: 1,
    grouped: false,
  }));
  new Chart(canvas, {
    type: "bar",
    data: { labels, datasets },
    options: {
      indexAxis: "y",
      animation: false,
      maintainAspectRatio: false,
      scales: {
        x: { type: "linear", min: 0, title: { display: true, text: "seconds since the operation started" } },
        y: { type: "category", labels },
      },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            label: (ctx) => {
              const [from, to] = ctx.raw.x;
              return `${ctx.dataset.label}${ctx.raw.what ? ` (${ctx.raw.what})` : ""}: ${from.toFixed(1)}s → ${to.toFixed(1)}s`;
            },
          },
        },
      },
    },
  });
  canvas.dataset.drawn = String(stages.length);
}

function drawTrends() {
  const trends = data("trends");
  const canvas = document.getElementById("trend-chart");
  if (!trends || !canvas || typeof Chart === "undefined") return;
  const names = [...new Set(trends.operations.flatMap((o) => Object.keys(o.stages)))];
  const palette = [
    "#0969da",
    "#1a7f37",
    "#cf222e",
    "#8250df",
    "#bf8700",
    "#1b7c83",
    "#bc4c00",
    "#57606a",
    "#e16f24",
    "#6639ba",
  ];
  new Chart(canvas, {
    type: "line",
    data: {
      labels: trends.operations.map(
        (o) => `${o.createdAt.slice(5, 16).replace("T", " ")} ${o.status === "succeeded" ? "" : o.status}`,
      ),
      datasets: names.map((name, i) => ({
        label: name,
        data: trends.operations.map((o) => (o.stages[name] === undefined ? null : o.stages[name] / 1000)),
        borderColor: palette[i % palette.length],
        backgroundColor: palette[i % palette.length],
        spanGaps: true,
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { title: { display: true, text: "seconds" }, beginAtZero: true } },
    },
  });
  canvas.dataset.drawn = String(names.length);
}

function liveRefresh() {
  const live = data("live");
  if (live?.active) setTimeout(() => window.location.reload(), 2000);
}

function retryButton() {
  const button = document.getElementById("retry");
  if (!button) return;
  const result = document.getElementById("retry-result");
  button.addEventListener("click", async () => {
    button.disabled = true;
    result.textContent = "asking the pipeline to retry…";
    const id = encodeURIComponent(button.dataset.operation);
    try {
      const response = await fetch(`/api/operations/${id}/retry`, { method: "POST" });
      const body = await response.json();
      if (!response.ok) {
        result.textContent = `refused: ${body.error}`;
        button.disabled = false;
        return;
      }
      result.textContent =
        body.outcome === "resumed" ? `resumed at ${body.resumeAt}` : `retry ${body.outcome}`;
      const next = body.operationId
        ? `/operations/${encodeURIComponent(body.operationId)}`
        : window.location.pathname;
      setTimeout(() => window.location.assign(next), 800);
    } catch (error) {
      result.textContent = `failed: ${error.message}`;
      button.disabled = false;
    }
  });
}

drawTimeline();
drawTrends();
liveRefresh();
retryButton();
