/**
 * The access key watch's port to AWS: the few read calls it makes and the two
 * it sends with, in the product's words. `aws.ts` implements it with the AWS
 * SDK; tests may implement it in memory.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { LibrarySecret } from './assess';

/** One metric value, as the watch puts it. */
export interface WatchMetric {
  readonly name: string;
  readonly value: number;
  readonly unit: 'Count' | 'None';
}

export interface WatchGateway {
  /** GenerateCredentialReport: `COMPLETE` when a report (up to 4 hours old) is ready, else `STARTED` or `INPROGRESS`. */
  generateCredentialReport(): Promise<string>;
  /** GetCredentialReport: the CSV and when IAM generated it. */
  getCredentialReport(): Promise<{ readonly csv: string; readonly generatedAt?: Date }>;
  /** ListSecrets of one region filtered on a description prefix, every page (100 secrets a page). */
  listLibrarySecrets(descriptionPrefix: string, region?: string): AsyncIterable<LibrarySecret>;
  /** PutMetricData: every value in one call, with these dimensions, at this time. */
  putMetrics(namespace: string, metrics: WatchMetric[], dimensions: Record<string, string>, at: Date): Promise<void>;
  /** PutEvents, 10 entries a call. */
  putEvents(entries: PutEventsRequestEntry[]): Promise<void>;
}
