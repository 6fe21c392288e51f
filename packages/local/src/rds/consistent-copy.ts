import { randomBytes } from "node:crypto";
import { copyFile, mkdir, readdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { PostgresServer } from "./postgres-server";
import type { TarWriter } from "./tar-writer";

/** Directories whose contents a base backup leaves out (PostgreSQL recreates or does not need them). */
const skippedContents = new Set([
  "pg_wal",
  "pg_stat_tmp",
  "pg_replslot",
  "pg_dynshmem",
  "pg_notify",
  "pg_serial",
  "pg_snapshots",
  "pg_subtrans",
]);
/** Files of the running server, or written from the backup's own results, or this machine's settings. */
const skippedFiles = new Set([
  "postmaster.pid",
  "postmaster.opts",
  "backup_label",
  "tablespace_map",
  "postgresql.auto.conf.tmp",
  "current_logfiles",
  "local-rds.conf",
]);

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException).code === code;
}

const walFileName = /^[0-9A-F]{24}$/;

/** Where a walk of the live data directory puts what it keeps: a clone's directory or a snapshot's archive. */
interface LiveTreeSink {
  /** A directory at `path` (relative to the data directory), kept, perhaps without its contents. */
  directory(path: string): Promise<void>;
  /** A file at `path`, read from `from`; one that vanished meanwhile (a dropped relation) is skipped. */
  file(path: string, from: string): Promise<void>;
}

/** Walks a tree that the server is writing to, keeping what a base backup keeps (the sets above). */
async function walkLiveTree(source: string, path: string, sink: LiveTreeSink): Promise<void> {
  const top = path === "";
  let entries: import("node:fs").Dirent[];
  try {
    entries = await readdir(source, { withFileTypes: true });
  } catch (error) {
    if (isErrno(error, "ENOENT")) return;
    throw error;
  }
  for (const entry of entries) {
    const from = join(source, entry.name);
    const to = top ? entry.name : `${path}/${entry.name}`;
    if (entry.isDirectory()) {
      if (top && skippedContents.has(entry.name)) {
        await sink.directory(to);
      } else if (!entry.name.startsWith("pgsql_tmp")) {
        await sink.directory(to);
        await walkLiveTree(from, to, sink);
      }
    } else if (entry.isSymbolicLink()) {
      throw new Error(
        `${from} is a symbolic link (a tablespace?): the local RDS supports the default tablespace only`,
      );
    } else if (entry.isFile()) {
      if ((top && skippedFiles.has(entry.name)) || entry.name.startsWith("pg_internal.init")) continue;
      await sink.file(to, from);
    }
  }
}

/** Copies the live tree into `destination`. */
async function copyLiveTree(source: string, destination: string): Promise<void> {
  await mkdir(destination, { recursive: true, mode: 0o700 });
  await walkLiveTree(source, "", {
    directory: async (path) => {
      await mkdir(join(destination, path), { recursive: true, mode: 0o700 });
    },
    file: async (path, from) => {
      try {
        await copyFile(from, join(destination, path));
      } catch (error) {
        if (!isErrno(error, "ENOENT")) throw error;
      }
    },
  });
}

/** Adds the live tree to `archive`, as copyLiveTree copies it. */
async function archiveLiveTree(source: string, archive: TarWriter): Promise<void> {
  await walkLiveTree(source, "", {
    directory: (path) => archive.directory(path, 0o700),
    file: async (path, from) => {
      await archive.file(path, from);
    },
  });
}

/** What pg_backup_stop returned, and the WAL segments (in pg_wal) that replay from the backup needs. */
interface BackupEnd {
  labelfile: string;
  spcmapfile: string | null;
  walFiles: string[];
}

/**
 * PostgreSQL's low-level backup API: in one session, a temporary physical replication slot keeps the WAL
 * written from now on, `pg_backup_start` forces a checkpoint, `copyFiles` copies the data directory (torn pages
 * are repaired from the full-page images in the WAL), `pg_backup_stop` ends the backup and switches WAL
 * segment, and `finish` adds the returned backup_label and the WAL from the backup's start to its end. A server
 * started on the copy replays that WAL and opens at the moment the backup ended: every committed transaction
 * up to then, none after.
 */
async function baseBackup(
  server: PostgresServer,
  label: string,
  copyFiles: (dataDir: string) => Promise<void>,
  finish: (end: BackupEnd) => Promise<void>,
): Promise<void> {
  const dataDir = server.options.dataDir;
  await server.admin(async (client) => {
    const slot = `local_rds_backup_${randomBytes(6).toString("hex")}`;
    await client.query("SELECT pg_create_physical_replication_slot($1, true, true)", [slot]);
    await client.query("SELECT pg_backup_start($1, true)", [label]);
    let stopped = false;
    try {
      await copyFiles(dataDir);
      const stop = await client.query<{ lsn: string; labelfile: string; spcmapfile: string | null }>(
        "SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(false)",
      );
      stopped = true;
      const result = stop.rows[0];
      if (!result) throw new Error("pg_backup_stop returned no row");
      const first = /START WAL LOCATION: .* \(file ([0-9A-F]{24})\)/.exec(result.labelfile)?.[1];
      const lastRow = await client.query<{ name: string }>("SELECT pg_walfile_name($1::pg_lsn) AS name", [
        result.lsn,
      ]);
      const last = lastRow.rows[0]?.name;
      if (!first || !last)
        throw new Error(`cannot tell which WAL the backup needs (label: ${result.labelfile})`);
      const needed = (await readdir(join(dataDir, "pg_wal"))).filter(
        (name) => (walFileName.test(name) && name >= first && name <= last) || name.endsWith(".history"),
      );
      if (!needed.includes(first) || !needed.includes(last)) {
        throw new Error(`WAL segments ${first}..${last} are not all in ${join(dataDir, "pg_wal")}`);
      }
      await finish({ labelfile: result.labelfile, spcmapfile: result.spcmapfile, walFiles: needed });
    } finally {
      // Leaves the session's backup state clean when the copy failed; the slot is dropped with the session.
      if (!stopped) await client.query("SELECT pg_backup_stop(false)").catch(() => undefined);
    }
  });
}

/** A consistent copy of a running server's data directory into `destination` (a clone's data directory). */
export async function copyRunningServer(
  server: PostgresServer,
  destination: string,
  label: string,
): Promise<void> {
  await baseBackup(
    server,
    label,
    (dataDir) => copyLiveTree(dataDir, destination),
    async ({ labelfile, spcmapfile, walFiles }) => {
      await writeFile(join(destination, "backup_label"), labelfile, { mode: 0o600 });
      if (spcmapfile) await writeFile(join(destination, "tablespace_map"), spcmapfile, { mode: 0o600 });
      const walDir = join(destination, "pg_wal");
      await mkdir(join(walDir, "archive_status"), { recursive: true, mode: 0o700 });
      const from = join(server.options.dataDir, "pg_wal");
      for (const name of walFiles) await copyFile(join(from, name), join(walDir, name));
    },
  );
}

/**
 * The same consistent copy written as a tar archive to `archive` (a snapshot), streamed from the data
 * directory: no staging copy, so nothing is created on disk but the snapshot file.
 */
export async function archiveRunningServer(
  server: PostgresServer,
  archive: TarWriter,
  label: string,
): Promise<void> {
  await baseBackup(
    server,
    label,
    (dataDir) => archiveLiveTree(dataDir, archive),
    async ({ labelfile, spcmapfile, walFiles }) => {
      await archive.content("backup_label", Buffer.from(labelfile, "utf8"), 0o600);
      if (spcmapfile) await archive.content("tablespace_map", Buffer.from(spcmapfile, "utf8"), 0o600);
      await archive.directory("pg_wal/archive_status", 0o700);
      const from = join(server.options.dataDir, "pg_wal");
      for (const name of walFiles) {
        if (!(await archive.file(`pg_wal/${name}`, join(from, name)))) {
          throw new Error(`WAL segment ${name} vanished from ${from} during the backup`);
        }
      }
    },
  );
  await archive.end();
}
