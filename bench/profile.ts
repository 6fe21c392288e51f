import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** A V8 CPU profile (`node --cpu-prof`), as much of it as the summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    hitCount?: number;
    children?: number[];
  }[];
  /** µs on the monotonic clock process.hrtime reads. */
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  file: string;
  /** Sampled time in the window (ms). */
  totalMs: number;
  /** Self time by package: a node_modules package, a workspace package, node's internals, GC, idle. */
  packages: { name: string; selfMs: number; percent: number }[];
  /**
   * The same self time with node's internals, native code and GC attributed to the nearest package up the
   * synchronous stack (e.g. an HTTP parser's time to the SDK client that made the request).
   */
  packagesWithCallers: { name: string; selfMs: number; percent: number }[];
  /** packagesWithCallers in a few groups: the DynamoDB path, the pipeline's code, validation, the rest. */
  groups: { name: string; selfMs: number; percent: number }[];
  functions: { name: string; where: string; package: string; selfMs: number; percent: number }[];
  /** Inclusive time of the repository's own files (each file counted once per sample it is on the stack of). */
  repositoryFiles: { file: string; inclusiveMs: number; percent: number }[];
}

const repositoryRoot = fileURLToPath(new URL("../", import.meta.url));

function pathOf(url: string): string {
  return url.startsWith("file://") ? fileURLToPath(url) : url;
}

/** The group a package's time belongs to (see ProfileSummary.groups). */
export function groupOf(pkg: string): string {
  if (
    /^@aws-sdk\/|^@smithy\/|^@aws-crypto\/|^dynalite$|level|^electrodb$|^lazy$|^async$|^big\.js$/.test(pkg)
  ) {
    return "DynamoDB path (ElectroDB, AWS SDK client + HTTP, dynalite, LevelDB)";
  }
  if (pkg.startsWith("@aurora-restore/")) return `${pkg} (pipeline and local services)`;
  if (pkg === "zod") return "zod (event and plan validation)";
  if (pkg === "(idle)") return "(idle)";
  return "other (node internals, GC, native, tsx, ...)";
}

/** Which package a frame's script belongs to. */
export function packageOf(url: string, functionName: string): string {
  if (!url) {
    if (["(garbage collector)", "(idle)", "(program)", "(root)"].includes(functionName)) return functionName;
    return "(native)";
  }
  if (url.startsWith("node:")) return "node (internals)";
  const path = pathOf(url);
  const modules = path.lastIndexOf("node_modules/");
  if (modules >= 0) {
    const [first = "", second = ""] = path.slice(modules + "node_modules/".length).split("/");
    return first.startsWith("@") ? `${first}/${second}` : first;
  }
  const workspace = /(?:^|\/)packages\/([^/]+)\//.exec(path);
  if (workspace) return `@aurora-restore/${workspace[1]}`;
  if (path.startsWith(repositoryRoot)) return path.slice(repositoryRoot.length).split("/")[0] ?? path;
  return path;
}

/**
 * Self time per function and per package, and inclusive time per repository file, from the samples taken
 * within `window` (µs, the clock of process.hrtime; default: the whole profile).
 */
export function summarizeProfile(
  file: string,
  profile: CpuProfile,
  options: { top?: number; window?: [number, number] } = {},
): ProfileSummary {
  const top = options.top ?? 15;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const self = new Map<number, number>();
  const inclusive = new Map<string, number>();
  const withCallers = new Map<string, number>();
  const unattributed = new Set(["node (internals)", "(native)", "(garbage collector)", "(program)"]);
  const [from, to] = options.window ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  let at = profile.startTime;
  for (let i = 0; i < profile.samples.length; i++) {
    at += profile.timeDeltas[i] ?? 0;
    // The time until the next sample is attributed to this one.
    const us = Math.max(0, profile.timeDeltas[i + 1] ?? 0);
    if (at < from || at > to) continue;
    const id = profile.samples[i]!;
    self.set(id, (self.get(id) ?? 0) + us);
    const files = new Set<string>();
    let owner: string | undefined;
    for (let n: number | undefined = id; n !== undefined; n = parent.get(n)) {
      const frame = byId.get(n)?.callFrame;
      const url = frame?.url ?? "";
      const pkg = packageOf(url, frame?.functionName ?? "");
      if (owner === undefined && !unattributed.has(pkg) && pkg !== "(root)") owner = pkg;
      const path = url ? pathOf(url) : "";
      // The bench's own wrappers are on every handler's stack: leave them out of the inclusive view.
      if (path.startsWith(repositoryRoot) && !path.includes("node_modules/") && !path.includes("/bench/")) {
        files.add(path.slice(repositoryRoot.length));
      }
    }
    const self0 = byId.get(id)?.callFrame;
    const own = packageOf(self0?.url ?? "", self0?.functionName ?? "");
    const key = unattributed.has(own) && owner ? owner : own;
    withCallers.set(key, (withCallers.get(key) ?? 0) + us);
    for (const f of files) inclusive.set(f, (inclusive.get(f) ?? 0) + us);
  }
  const totalUs = [...self.values()].reduce((a, b) => a + b, 0);
  const packages = new Map<string, number>();
  const functions = new Map<string, { name: string; where: string; package: string; us: number }>();
  for (const [id, us] of self) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const pkg = packageOf(url, functionName);
    packages.set(pkg, (packages.get(pkg) ?? 0) + us);
    const where = url ? `${pathOf(url).replace(repositoryRoot, "")}:${lineNumber + 1}` : "";
    const name = functionName || "(anonymous)";
    const key = `${name} ${where}`;
    const entry = functions.get(key) ?? { name, where, package: pkg, us: 0 };
    entry.us += us;
    functions.set(key, entry);
  }
  const ms = (us: number) => Math.round(us / 1000);
  const pct = (us: number) => Math.round((us / Math.max(1, totalUs)) * 1000) / 10;
  return {
    file,
    totalMs: ms(totalUs),
    packages: [...packages]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: ms(us), percent: pct(us) })),
    groups: [
      ...[...withCallers].reduce((groups, [pkg, us]) => {
        const group = groupOf(pkg);
        groups.set(group, (groups.get(group) ?? 0) + us);
        return groups;
      }, new Map<string, number>()),
    ]
      .sort((a, b) => b[1] - a[1])
      .map(([name, us]) => ({ name, selfMs: ms(us), percent: pct(us) })),
    packagesWithCallers: [...withCallers]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({ name, selfMs: ms(us), percent: pct(us) })),
    functions: [...functions.values()]
      .sort((a, b) => b.us - a.us)
      .slice(0, top)
      .map((f) => ({
        name: f.name,
        where: f.where,
        package: f.package,
        selfMs: ms(f.us),
        percent: pct(f.us),
      })),
    repositoryFiles: [...inclusive]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([f, us]) => ({ file: f, inclusiveMs: ms(us), percent: pct(us) })),
  };
}

/**
 * The main thread's newest profile in `dir` (node names them CPU.<date>.<time>.<pid>.<thread>.<n>.cpuprofile;
 * tsx's module loader thread writes its own, thread 1), summarized.
 */
export async function summarizeMainThreadProfile(
  dir: string,
  options: { top?: number; window?: [number, number] } = {},
): Promise<ProfileSummary> {
  const files = (await readdir(dir)).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)).sort();
  const newest = files.at(-1);
  if (!newest) throw new Error(`no main-thread .cpuprofile in ${dir}`);
  const file = join(dir, newest);
  return summarizeProfile(file, JSON.parse(await readFile(file, "utf8")) as CpuProfile, options);
}

export function printProfile(summary: ProfileSummary, write: (line: string) => void): void {
  write(`CPU profile ${summary.file} (${(summary.totalMs / 1000).toFixed(1)} s sampled in the window)`);
  write("  self time by package:");
  for (const p of summary.packages) {
    write(
      `    ${p.name.padEnd(36)} ${String(p.selfMs).padStart(7)} ms ${p.percent.toFixed(1).padStart(5)} %`,
    );
  }
  write("  self time by group (node internals, native code and GC charged to the package that called them):");
  for (const g of summary.groups) {
    write(
      `    ${g.name.padEnd(66)} ${String(g.selfMs).padStart(7)} ms ${g.percent.toFixed(1).padStart(5)} %`,
    );
  }
  write("  self time by package, node internals/native/GC charged to the nearest package up the stack:");
  for (const p of summary.packagesWithCallers) {
    write(
      `    ${p.name.padEnd(52)} ${String(p.selfMs).padStart(7)} ms ${p.percent.toFixed(1).padStart(5)} %`,
    );
  }
  write("  self time by function:");
  for (const f of summary.functions) {
    write(
      `    ${f.name.slice(0, 36).padEnd(36)} ${String(f.selfMs).padStart(7)} ms ${f.percent.toFixed(1).padStart(5)} %  ${f.where}`,
    );
  }
  write("  inclusive time of the repository's files:");
  for (const f of summary.repositoryFiles) {
    write(
      `    ${f.file.padEnd(56)} ${String(f.inclusiveMs).padStart(7)} ms ${f.percent.toFixed(1).padStart(5)} %`,
    );
  }
}
