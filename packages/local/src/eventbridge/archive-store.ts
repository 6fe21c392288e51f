/**
 * Archives on disk: per archive, a metadata file and a JSON-lines file of the events it received, under
 * `<stateDir>/eventbridge/archives/<account>/<region>/`. Appends are synchronous so an event acknowledged
 * as archived is on disk, and a torn last line (crash mid-write) is skipped on read rather than fatal.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import type { EventBridgeEvent } from "./envelope";

export interface ArchiveDefinition {
  archiveName: string;
  archiveArn: string;
  eventSourceArn: string;
  account: string;
  region: string;
  /** The archive's own filter, as given (JSON text); undefined archives every event. */
  eventPattern?: string;
  /** 0 keeps events forever (AWS's default). */
  retentionDays: number;
  description?: string;
  creationTime: string;
}

export interface ArchivedEvent {
  archivedAt: string;
  event: EventBridgeEvent;
  /** The bus the event was forwarded from, so a replay does not forward it a second hop. */
  forwardedFrom?: string;
}

export class ArchiveStore {
  constructor(readonly root: string) {}

  private dir(account: string, region: string): string {
    return path.join(this.root, account, region);
  }

  private files(def: Pick<ArchiveDefinition, "account" | "region" | "archiveName">) {
    const dir = this.dir(def.account, def.region);
    return {
      dir,
      meta: path.join(dir, `${def.archiveName}.json`),
      events: path.join(dir, `${def.archiveName}.jsonl`),
    };
  }

  save(def: ArchiveDefinition): void {
    const { dir, meta } = this.files(def);
    mkdirSync(dir, { recursive: true });
    writeFileSync(meta, `${JSON.stringify(def, null, 2)}\n`);
  }

  delete(def: ArchiveDefinition): void {
    const { meta, events } = this.files(def);
    rmSync(meta, { force: true });
    rmSync(events, { force: true });
  }

  /** Every archive defined under the root, for reloading them when the bus restarts. */
  loadAll(): ArchiveDefinition[] {
    if (!existsSync(this.root)) return [];
    const defs: ArchiveDefinition[] = [];
    for (const account of readdirSync(this.root)) {
      for (const region of readdirSync(path.join(this.root, account))) {
        for (const name of readdirSync(this.dir(account, region))) {
          if (name.endsWith(".json")) {
            defs.push(
              JSON.parse(
                readFileSync(path.join(this.dir(account, region), name), "utf8"),
              ) as ArchiveDefinition,
            );
          }
        }
      }
    }
    return defs;
  }

  append(def: ArchiveDefinition, record: ArchivedEvent): void {
    const { dir, events } = this.files(def);
    mkdirSync(dir, { recursive: true });
    appendFileSync(events, `${JSON.stringify(record)}\n`);
  }

  /** The archived events still within retention at `now`, in archive order. */
  read(def: ArchiveDefinition, now: Date): ArchivedEvent[] {
    const { events } = this.files(def);
    if (!existsSync(events)) return [];
    const oldest = def.retentionDays > 0 ? now.getTime() - def.retentionDays * 86_400_000 : -Infinity;
    const records: ArchivedEvent[] = [];
    for (const line of readFileSync(events, "utf8").split("\n")) {
      if (!line.trim()) continue;
      try {
        const record = JSON.parse(line) as ArchivedEvent;
        if (new Date(record.archivedAt).getTime() >= oldest) records.push(record);
      } catch {
        // A torn line from an interrupted append: that event was never acknowledged as archived.
      }
    }
    return records;
  }
}
