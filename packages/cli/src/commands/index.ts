import type { Command } from "../io";
import { auditCommand } from "./audit";
import { dashboardCommand } from "./dashboard";
import { demoCommand } from "./demo";
import { deployPoliciesCommand } from "./deploy-policies";
import { deployValidateCommand } from "./deploy-validate";
import { dlqListCommand } from "./dlq-list";
import { dlqPurgeCommand } from "./dlq-purge";
import { dlqRedriveCommand } from "./dlq-redrive";
import { eventsTestPatternCommand } from "./events-test-pattern";
import { localClustersDeleteCommand, localClustersListCommand } from "./local-clusters";
import { localDlqListCommand, localDlqPurgeCommand, localDlqRedriveCommand } from "./local-dlq";
import { localPsqlCommand } from "./local-psql";
import { localSecretGetCommand } from "./local-secret-get";
import { localSnapshotCommand } from "./local-snapshot";
import { localUpCommand } from "./local-up";
import { operationsListCommand, operationsShowCommand } from "./operations";
import { operationsRetryCommand } from "./operations-retry";
import { planValidateCommand } from "./plan-validate";
import { plansListCommand, plansRemoveCommand } from "./plans";
import { replayCommand } from "./replay";
import { restoreCommand } from "./restore";

/** Every command of the CLI; each lives in its own module under commands/. */
export const commands: Command[] = [
  demoCommand,
  restoreCommand,
  operationsListCommand,
  operationsShowCommand,
  operationsRetryCommand,
  auditCommand,
  replayCommand,
  dashboardCommand,
  planValidateCommand,
  plansListCommand,
  plansRemoveCommand,
  deployValidateCommand,
  deployPoliciesCommand,
  eventsTestPatternCommand,
  localUpCommand,
  localSnapshotCommand,
  localPsqlCommand,
  localClustersListCommand,
  localClustersDeleteCommand,
  localSecretGetCommand,
  localDlqListCommand,
  localDlqRedriveCommand,
  dlqListCommand,
  dlqRedriveCommand,
  dlqPurgeCommand,
  localDlqPurgeCommand,
];
