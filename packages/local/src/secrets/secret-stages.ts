import { AwsCallError, type AwsErrorCode, secretStages } from "@aurora-restore/core/ports/index";
import type { StoredSecret, StoredVersion } from "./secret-store";

/**
 * Staging labels as Secrets Manager moves them: each label is on at most one version; moving AWSCURRENT
 * moves AWSPREVIOUS to the version it left; a version left without labels is deprecated (AWS deletes those
 * versions in time; here they go at once, since nothing can read them by label any more).
 */

export const current = secretStages.current;
const previous = secretStages.previous;
const maxStageLength = 256;

export function validateStage(stage: string): void {
  if (stage.length === 0 || stage.length > maxStageLength) {
    throw stageError(
      "InvalidParameterException",
      `Invalid staging label '${stage}': use 1 to ${maxStageLength} characters`,
    );
  }
}

/** PutSecretValue: the new version takes its labels from whichever versions hold them. */
export function addStagedVersion(secret: StoredSecret, version: StoredVersion): void {
  const movesCurrent = version.stages.includes(current);
  for (const existing of secret.versions) {
    const wasCurrent = existing.stages.includes(current);
    existing.stages = existing.stages.filter(
      (stage) => !version.stages.includes(stage) && !(movesCurrent && stage === previous),
    );
    if (movesCurrent && wasCurrent) existing.stages.push(previous);
  }
  secret.versions.push(version);
  dropDeprecated(secret);
}

/**
 * UpdateSecretVersionStage: a label attached elsewhere moves only when the caller names the version it
 * leaves (RemoveFromVersionId), and removing names the version that holds it; AWSCURRENT is never just
 * removed (a secret always has a current version).
 */
export function moveStage(
  secret: StoredSecret,
  input: { versionStage: string; moveToVersionId?: string; removeFromVersionId?: string },
): void {
  const { versionStage: stage, moveToVersionId: moveTo, removeFromVersionId: removeFrom } = input;
  if (moveTo === undefined && removeFrom === undefined) {
    throw stageError(
      "InvalidParameterException",
      `Name the version to attach ${stage} to (MoveToVersionId) or to remove it from (RemoveFromVersionId)`,
    );
  }
  const holder = secret.versions.find((v) => v.stages.includes(stage));
  const target = moveTo === undefined ? undefined : findVersion(secret, moveTo);
  if (removeFrom !== undefined && holder?.versionId !== removeFrom) {
    findVersion(secret, removeFrom);
    throw stageError(
      "InvalidParameterException",
      `The staging label ${stage} is not attached to version ${removeFrom} of ${secret.name}` +
        (holder ? ` (it is attached to ${holder.versionId})` : " (no version holds it)"),
    );
  }
  if (target && holder && holder !== target && removeFrom === undefined) {
    throw stageError(
      "InvalidParameterException",
      `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to ` +
        `version ${holder.versionId}, so you must explicitly reference that version in RemoveFromVersionId.`,
    );
  }
  if (!target) {
    if (stage === current) {
      throw stageError(
        "InvalidParameterException",
        `${current} can't be removed from version ${removeFrom} of ${secret.name}, only moved to another ` +
          "version (MoveToVersionId): a secret always has a current version",
      );
    }
    if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
  } else if (holder !== target) {
    if (holder) holder.stages = holder.stages.filter((s) => s !== stage);
    target.stages.push(stage);
    if (stage === current && holder) {
      for (const version of secret.versions) version.stages = version.stages.filter((s) => s !== previous);
      holder.stages.push(previous);
    }
  }
  dropDeprecated(secret);
}

function findVersion(secret: StoredSecret, versionId: string): StoredVersion {
  const version = secret.versions.find((v) => v.versionId === versionId);
  if (!version) {
    throw stageError(
      "ResourceNotFoundException",
      `Secrets Manager can't find the specified secret version ${versionId} of ${secret.name} ` +
        "(a version left without staging labels is deprecated and removed)",
    );
  }
  return version;
}

function dropDeprecated(secret: StoredSecret): void {
  secret.versions = secret.versions.filter((v) => v.stages.length > 0);
}

function stageError(code: AwsErrorCode, message: string): AwsCallError {
  return new AwsCallError(code, message, "secretsmanager");
}
