/**
 * The port between the rotation function's behaviour and AWS: every call it
 * makes, in the product's words, with the service's errors already turned into
 * results (`false`, `undefined`, `gone`) or the few domain errors below.
 * `aws.ts` implements it with the AWS SDK; tests implement it in memory.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';

/** Staging labels of each version that has any: VersionId → labels. */
export type VersionLabels = Record<string, string[]>;

export interface SecretDescription {
  readonly arn: string;
  readonly name: string;
  readonly tags: Record<string, string>;
  readonly versions: VersionLabels;
  /** The function Secrets Manager calls to rotate the secret, if one is configured. */
  readonly rotationLambdaArn?: string;
  readonly createdAt?: Date;
  /** When Secrets Manager will rotate it next, if it says. */
  readonly nextRotationAt?: Date;
  readonly description?: string;
}

/** Rotation rules as Secrets Manager reports them (a `rate(N days)` schedule may come back as `AutomaticallyAfterDays`). */
export interface ReportedRotationRules {
  readonly scheduleExpression?: string;
  readonly automaticallyAfterDays?: number;
  /** The window, as Secrets Manager writes it (`2h`). */
  readonly duration?: string;
}

/** A secret as ListSecrets shows it: no value, just tags, labels and its rotation set-up. */
export interface ListedSecret {
  readonly arn: string;
  readonly name?: string;
  /** The function Secrets Manager calls to rotate it, if one is configured. */
  readonly rotationLambdaArn?: string;
  /** Whether Secrets Manager rotates it on a schedule. */
  readonly rotationEnabled?: boolean;
  readonly rotationRules?: ReportedRotationRules;
  readonly tags: Record<string, string>;
  readonly versions: VersionLabels;
}

/** One version as GetSecretValue returns it: the secret it belongs to, its staging labels and its value. */
export interface SecretVersionValue {
  readonly arn: string;
  readonly labels: string[];
  readonly value?: string;
}

export interface SecretVersion {
  readonly versionId: string;
  readonly labels: string[];
  readonly createdAt?: Date;
}

/** An IAM access key as ListAccessKeys reports it (the secret is never listed). */
export interface AccessKey {
  readonly accessKeyId: string;
  readonly status: string;
  readonly createdAt?: Date;
}

/** A user's access key as IAM's credential report shows it: no key id, its status and creation date only. */
export interface ReportedKey {
  readonly active: boolean;
  /** `access_key_N_last_rotated`: when the key was created. */
  readonly createdAt?: Date;
  /** N of the report's `access_key_N_...` columns (1 or 2): the only name the report gives a key. */
  readonly slot?: number;
  /** `access_key_N_last_used_date`: when the key was last used (none: never, or not known). */
  readonly lastUsedAt?: Date;
  /** `access_key_N_last_used_service`, when the report names one. */
  readonly lastUsedService?: string;
  /** `access_key_N_last_used_region`, when the report names one. */
  readonly lastUsedRegion?: string;
}

/** GetAccessKeyLastUsed's answer: the key no longer exists, or when (if ever) it was last used. */
export type LastUse =
  | { readonly gone: true }
  | { readonly gone: false; readonly at?: Date; readonly service?: string; readonly region?: string };

export interface RotationRules {
  readonly scheduleExpression: string;
  readonly windowHours?: number;
}

export interface StackResource {
  readonly type: string;
  readonly physicalId?: string;
  readonly status: string;
  /** The resource's Metadata, parsed, with CloudFormation's intrinsic functions resolved. */
  readonly metadata?: unknown;
}

/** One entry of a stack's event history. */
export interface StackEvent {
  readonly logicalId: string;
  readonly physicalId?: string;
  readonly resourceType: string;
  readonly status: string;
  readonly timestamp: Date;
}

export interface StackInfo {
  readonly status: string;
  readonly createdAt: Date;
  readonly updatedAt?: Date;
}

/** The secret (or the stack, or its resource) does not exist. */
export class NotFound extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NotFound';
  }
}

/** IAM denied the call: right after a deployment, possibly only until it propagates the new permissions. */
export class PermissionDenied extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermissionDenied';
  }
}

/** How an invoked function answered. */
export interface InvocationResult {
  /** Set when the function failed (an error it threw, a timeout, a crash): what Lambda reported. */
  readonly failure?: { readonly type: string; readonly message: string };
}

/** STS does not accept a key yet: IAM has not propagated it (retry), or the pair is wrong. */
export class KeyNotAccepted extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyNotAccepted';
  }
}

export interface Gateway {
  // ---- Secrets Manager ----
  /** @throws NotFound */
  describeSecret(secretId: string): Promise<SecretDescription>;
  /** The value of a version; `undefined` when there is none (Secrets Manager's pending placeholder, or no such stage). */
  getSecretString(secretId: string, stage: string, versionId?: string): Promise<string | undefined>;
  /**
   * A version's value with its staging labels (one GetSecretValue); `undefined`
   * when the version has no value (Secrets Manager's pending placeholder) or does not exist.
   */
  readVersion(secretId: string, versionId: string): Promise<SecretVersionValue | undefined>;
  /** Stores a value as the version `token`, with these staging labels. */
  putPendingValue(secretId: string, token: string, value: string, labels: string[]): Promise<void>;
  /** Moves a staging label to a version (from the version that holds it, if any). */
  moveLabel(secretId: string, label: string, toVersionId: string, fromVersionId?: string): Promise<void>;
  /** Removes a staging label from a version; nothing happens when the version no longer has it. */
  removeLabel(secretId: string, label: string, fromVersionId: string): Promise<void>;
  /** Every version with a staging label, with its creation date. */
  listVersions(secretId: string): Promise<SecretVersion[]>;
  tag(secretId: string, tags: Record<string, string>): Promise<void>;
  untag(secretId: string, keys: string[]): Promise<void>;
  /** Turns rotation on with this function and these rules; `rotateNow` starts one at once. @throws PermissionDenied */
  configureRotation(secretId: string, rotationLambdaArn: string, rules: RotationRules, rotateNow: boolean): Promise<void>;
  /** Turns rotation off; nothing happens when it was not on. */
  cancelRotation(secretId: string): Promise<void>;
  /** Every secret in the account whose description starts with a prefix, following every page. */
  listSecrets(descriptionPrefix: string): AsyncIterable<ListedSecret>;

  // ---- IAM ----
  listAccessKeys(userName: string): Promise<AccessKey[]>;
  /** The only call that ever returns a secret access key. */
  createAccessKey(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** `false` when the key no longer exists. */
  setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean>;
  /** `false` when the key was already gone. */
  deleteAccessKey(userName: string, accessKeyId: string): Promise<boolean>;
  lastUse(accessKeyId: string): Promise<LastUse>;
  /**
   * IAM's credential report (read-only, every user of the account, up to 4 hours old), by user ARN:
   * GenerateCredentialReport until it is complete, then GetCredentialReport. `undefined` when IAM had
   * not finished it within the attempts given.
   */
  credentialReport(attempts?: number, delayMs?: number): Promise<Map<string, ReportedKey[]> | undefined>;

  // ---- STS ----
  /** Who AWS says a key pair is. One attempt. @throws KeyNotAccepted */
  callerArn(accessKeyId: string, secretAccessKey: string): Promise<string>;

  // ---- Lambda ----
  /**
   * Invokes a function and waits for its answer (RequestResponse), at most `timeoutMs`. The function's own
   * failure comes back as `failure` (its error type and message, untrusted text); a call Lambda refuses throws.
   */
  invokeFunction(functionArn: string, payload: string, timeoutMs: number): Promise<InvocationResult>;

  // ---- EventBridge ----
  putEvents(entries: PutEventsRequestEntry[]): Promise<void>;

  // ---- CloudWatch ----
  /** Adds to a metric of the library's namespace (a count, this instant). */
  putMetric(name: string, value: number, dimensions: Record<string, string>): Promise<void>;

  // ---- CloudFormation ----
  /** A resource of a stack; `undefined` when the stack has no such resource. */
  stackResource(stackId: string, logicalId: string): Promise<StackResource | undefined>;
  /** @throws NotFound */
  stack(stackId: string): Promise<StackInfo>;
  /** The stack's events, newest first, following pages as they are read. */
  stackEvents(stackId: string): AsyncIterable<StackEvent>;
  /** The stack's resources (no Metadata), following pages as they are read. */
  listStackResources(stackId: string): AsyncIterable<StackResource & { readonly logicalId: string }>;
}
