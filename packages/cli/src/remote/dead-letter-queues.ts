import type { StageName } from "@aurora-restore/core/events/shapes";
import {
  ChangeMessageVisibilityBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  type Message,
  PurgeQueueCommand,
  ReceiveMessageCommand,
} from "@aws-sdk/client-sqs";
import { awsCall } from "./aws-errors";
import type { DeployedStage } from "./deployed-stage";

/** One pipeline stage's dead-letter queue of a deployed stage. */
export interface DeadLetterQueue {
  /** The pipeline stage it serves (trigger, prepare...). */
  stage: StageName;
  name: string;
  url: string;
}

/** The queues of `pipelineStages` (each aurora-restore-<stage>-<pipeline stage>-dlq), found by name. */
export async function deadLetterQueues(
  stage: DeployedStage,
  pipelineStages: readonly StageName[],
): Promise<DeadLetterQueue[]> {
  return Promise.all(
    pipelineStages.map(async (name) => {
      const queueName = stage.names.deadLetterQueue(name);
      const out = await awsCall(
        stage.address,
        { action: "sqs:GetQueueUrl", resource: `queue ${queueName}` },
        () => stage.clients.sqs.send(new GetQueueUrlCommand({ QueueName: queueName })),
      );
      return { stage: name, name: queueName, url: out.QueueUrl ?? "" };
    }),
  );
}

/**
 * Every message of the queue (up to `max`), each hidden from other readers for `hideSeconds` so that
 * repeated receives return new ones; the caller deletes or releases them. Long polling (1 s) asks every
 * SQS server, where a short poll may answer empty while messages wait.
 */
export async function receiveAll(
  stage: DeployedStage,
  queue: DeadLetterQueue,
  options: { max: number; hideSeconds: number },
): Promise<Message[]> {
  const seen = new Map<string, Message>();
  while (seen.size < options.max) {
    const out = await awsCall(
      stage.address,
      { action: "sqs:ReceiveMessage", resource: `queue ${queue.name}` },
      () =>
        stage.clients.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: queue.url,
            MaxNumberOfMessages: Math.min(10, options.max - seen.size),
            VisibilityTimeout: options.hideSeconds,
            WaitTimeSeconds: 1,
            MessageAttributeNames: ["All"],
            MessageSystemAttributeNames: ["SentTimestamp", "ApproximateReceiveCount"],
          }),
        ),
    );
    const fresh = (out.Messages ?? []).filter((m) => m.MessageId && !seen.has(m.MessageId));
    if (fresh.length === 0) break;
    for (const message of fresh) seen.set(message.MessageId!, message);
  }
  return [...seen.values()];
}

/**
 * Makes received messages visible again at once (visibility 0), so a list changes nothing. Failures are
 * returned, not thrown: the messages come back by themselves when their visibility timeout ends.
 */
export async function release(
  stage: DeployedStage,
  queue: DeadLetterQueue,
  messages: Message[],
): Promise<string[]> {
  const problems: string[] = [];
  for (let i = 0; i < messages.length; i += 10) {
    const batch = messages.slice(i, i + 10);
    try {
      const out = await awsCall(
        stage.address,
        { action: "sqs:ChangeMessageVisibility", resource: `queue ${queue.name}` },
        () =>
          stage.clients.sqs.send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl: queue.url,
              Entries: batch.map((m, n) => ({
                Id: String(n),
                ReceiptHandle: m.ReceiptHandle,
                VisibilityTimeout: 0,
              })),
            }),
          ),
      );
      for (const failed of out.Failed ?? [])
        problems.push(`${failed.Code ?? "error"}: ${failed.Message ?? ""}`);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  return problems;
}

export async function deleteMessage(
  stage: DeployedStage,
  queue: DeadLetterQueue,
  message: Message,
): Promise<void> {
  await awsCall(stage.address, { action: "sqs:DeleteMessage", resource: `queue ${queue.name}` }, () =>
    stage.clients.sqs.send(
      new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: message.ReceiptHandle }),
    ),
  );
}

/** Messages waiting in the queue (SQS's approximate count), for the purge prompt. */
export async function approximateCount(stage: DeployedStage, queue: DeadLetterQueue): Promise<number> {
  const out = await awsCall(
    stage.address,
    { action: "sqs:GetQueueAttributes", resource: `queue ${queue.name}` },
    () =>
      stage.clients.sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queue.url,
          AttributeNames: ["ApproximateNumberOfMessages"],
        }),
      ),
  );
  return Number(out.Attributes?.ApproximateNumberOfMessages ?? 0);
}

export async function purge(stage: DeployedStage, queue: DeadLetterQueue): Promise<void> {
  await awsCall(stage.address, { action: "sqs:PurgeQueue", resource: `queue ${queue.name}` }, () =>
    stage.clients.sqs.send(new PurgeQueueCommand({ QueueUrl: queue.url })),
  );
}
