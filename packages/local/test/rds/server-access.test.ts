import { chmod, mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { assertProgramsReachable } from "../../src/rds/processes";

const base = await mkdtemp(join(tmpdir(), "aurora-access-"));
afterAll(() => rm(base, { recursive: true, force: true }));

describe("the servers' account must reach PostgreSQL's programs", () => {
  const other = { ids: { uid: 65534, gid: 65534 } };

  it("names the folder that stops it and the fix, before any server is started", async () => {
    const bin = join(base, "private", "node_modules", "bin");
    await mkdir(bin, { recursive: true });
    await chmod(base, 0o755);
    await chmod(join(base, "private"), 0o700);
    await expect(assertProgramsReachable(bin, other)).rejects.toThrow(
      `cannot reach their programs in ${bin} through ${join(base, "private")}: allow it (chmod o+x ${join(base, "private")})`,
    );
    await chmod(join(base, "private"), 0o711);
    await expect(assertProgramsReachable(bin, other)).resolves.toBeUndefined();
  });

  it("checks nothing when the servers run as this process's user", async () => {
    await chmod(join(base, "private"), 0o700);
    await expect(
      assertProgramsReachable(join(base, "private", "node_modules", "bin"), {}),
    ).resolves.toBeUndefined();
  });
});
