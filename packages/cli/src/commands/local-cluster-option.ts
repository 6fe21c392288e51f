import type { LocalClusterInfo } from "@aurora-restore/local/runtime/local-clusters";
import { type CommandOption, escapeControl, UsageError } from "../io";
import { type ParsedArgs, stringFlag } from "./option-values";

/** For a cluster name found in several accounts or regions (the demo's are in one each). */
export const clusterLocationOptions: CommandOption[] = [
  { flags: "--account <id>", description: "the cluster's account, when its name is in several" },
  { flags: "--region <region>", description: "the cluster's region, when its name is in several" },
];

/** The cluster a command's `<cluster>` operand names; unknown or ambiguous: exit 2 listing the known ones. */
export async function namedCluster(parsed: ParsedArgs, stateDir: string): Promise<LocalClusterInfo> {
  const { findLocalCluster, readLocalClusters, UnknownClusterError } = await import(
    "@aurora-restore/local/runtime/local-clusters"
  );
  const [identifier] = parsed.positionals;
  if (!identifier)
    throw new UsageError("give the cluster's identifier (see 'aurora-restore local clusters list')");
  const account = stringFlag(parsed, "account");
  const region = stringFlag(parsed, "region");
  try {
    return findLocalCluster(await readLocalClusters(stateDir), identifier, {
      ...(account ? { accountId: account } : {}),
      ...(region ? { region } : {}),
    });
  } catch (error) {
    if (error instanceof UnknownClusterError) throw new UsageError(escapeControl(error.message));
    throw error;
  }
}

export const clusterPlace = (c: LocalClusterInfo) => `${c.identifier} (${c.accountId}, ${c.region})`;
