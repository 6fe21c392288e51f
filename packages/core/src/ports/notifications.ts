/** SNS publish: how the pipeline tells people an operation ended. */
export interface NotificationPort {
  publish(input: {
    topicArn: string;
    subject: string;
    message: string;
    attributes?: Record<string, string>;
  }): Promise<{ messageId: string }>;
}
