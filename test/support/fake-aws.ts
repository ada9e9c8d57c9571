/**
 * An in-memory AWS account for property-based tests: IAM users and access
 * keys, STS GetCallerIdentity, Secrets Manager secrets with versions and
 * staging labels, EventBridge, and one CloudFormation stack. It implements the
 * rotation's `Gateway` port (`src/rotation/gateway.ts`: its method names, its
 * documented returns, and the service errors `AwsGateway` converts into
 * `NotFound`, `KeyNotAccepted`, `false`, `undefined` or `{ gone: true }`), with
 * the semantics of real AWS:
 *
 * - PutSecretValue with VersionStages attaches those labels to the version,
 *   moving any label already on another version (labels are unique per
 *   secret); AWSCURRENT moving gives the version it left AWSPREVIOUS. The
 *   first version of a secret always gets AWSCURRENT.
 * - UpdateSecretVersionStage moves (a label on another version must be named
 *   in RemoveFromVersionId) or removes a label; AWSCURRENT cannot be removed.
 * - RotateSecret with RotateImmediately creates the AWSPENDING placeholder (a
 *   version without a value), refusing while an earlier rotation's AWSPENDING
 *   sits on a version other than AWSCURRENT; without it, it records the
 *   configuration only.
 * - STS refuses a key pair IAM does not know, or an inactive key.
 *
 * Faults: `failOnce(method, 'before' | 'after')` makes the next call of a
 * method throw an `InjectedFault`, either before it takes effect (the request
 * never arrived) or after it took effect (the answer was lost, or the function
 * died right after the call).
 *
 * Watching: `onRetire` is called at the moment of every call that deactivates
 * or deletes a key (synchronously, right before it takes effect), so a test can
 * check the key against the state of every secret at that very moment.
 *
 * Deterministic: identifiers come from a seeded generator and time from the
 * injected clock, so a counterexample replays exactly.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { isKeyLabel, secretDescription, Stage } from '../../src/rotation/contract';
import {
  AccessKey, Gateway, InvocationResult, KeyNotAccepted, LastUse, ListedSecret, NotFound, ReportedKey, RotationRules, SecretDescription, SecretVersion,
  SecretVersionValue, StackEvent, StackInfo, StackResource, VersionLabels,
} from '../../src/rotation/gateway';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
export const STACK_NAME = 'AccessKeys';
export const STACK_ID = `arn:aws:cloudformation:${REGION}:${ACCOUNT_ID}:stack/${STACK_NAME}/6f1c2a10-0000-4000-8000-000000000001`;
/** IAM's quota of access keys per user. */
export const ACCESS_KEYS_PER_USER = 2;
/** Secrets Manager's quota of staging labels per version. */
export const LABELS_PER_VERSION = 20;

export type GatewayMethod = keyof Gateway;
export type FaultTiming = 'before' | 'after';

/** Every method of the gateway port, for tests that enumerate fault points. */
export const GATEWAY_METHODS: readonly GatewayMethod[] = [
  'describeSecret', 'getSecretString', 'readVersion', 'putPendingValue', 'moveLabel', 'removeLabel', 'listVersions', 'tag', 'untag', 'configureRotation',
  'cancelRotation', 'listSecrets', 'listAccessKeys', 'createAccessKey', 'setAccessKeyStatus', 'deleteAccessKey', 'lastUse', 'callerArn',
  'invokeFunction', 'putEvents', 'putMetric', 'stackResource', 'stack', 'stackEvents', 'listStackResources',
];

/** An AWS-style error: what the SDK throws, with the service's error code as `name`. */
export function awsError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

export interface FakeKey {
  readonly userName: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  status: 'Active' | 'Inactive';
  readonly createdAt: Date;
  lastUsed?: Date;
}

interface FakeUser {
  readonly name: string;
  readonly path: string;
  readonly arn: string;
  readonly keys: FakeKey[];
}

interface FakeVersion {
  readonly id: string;
  labels: string[];
  value?: string;
  readonly createdAt: Date;
}

export interface RotationConfig {
  readonly enabled: boolean;
  readonly lambdaArn?: string;
  readonly rules?: RotationRules;
}

interface FakeSecret {
  readonly name: string;
  readonly arn: string;
  description: string;
  readonly createdAt: Date;
  tags: Record<string, string>;
  /** Insertion-ordered, as Secrets Manager lists them. */
  readonly versions: Map<string, FakeVersion>;
  rotation: RotationConfig;
}

export interface FakeStackResource {
  readonly type: string;
  physicalId?: string;
  status: string;
  metadata?: unknown;
}

/** A call that retires a key, as `onRetire` sees it. */
export interface RetireCall {
  readonly method: 'setAccessKeyStatus' | 'deleteAccessKey';
  readonly userName: string;
  readonly accessKeyId: string;
}

interface ArmedFault {
  readonly method: GatewayMethod;
  readonly when: FaultTiming;
  /** Calls of the method to let through before the one that fails. */
  skip: number;
}

export interface FiredFault {
  readonly method: GatewayMethod;
  readonly when: FaultTiming;
  /** Index of the failed call in `calls`. */
  readonly callIndex: number;
}

const ALNUM_UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
const SECRET_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const HEX = '0123456789abcdef';
const MAX_TAGS = 50;
const MAX_EVENT_DETAIL_BYTES = 256 * 1024;

export interface FakeAwsOptions {
  readonly seed?: number;
  /** The ARN `startRotation` records as the secret's rotation function when it has none. */
  readonly rotationLambdaArn?: string;
}

export class FakeAws implements Gateway {
  /** Every gateway call, by method name, in order (faulted calls included). */
  readonly calls: GatewayMethod[] = [];
  /** Every EventBridge entry accepted by `putEvents`. */
  readonly events: PutEventsRequestEntry[] = [];
  /** Every metric datum put, in order. */
  readonly metrics: { name: string; value: number; dimensions: Record<string, string> }[] = [];
  /** Every access key ever created (through the gateway or the operator helpers), deleted ones included. */
  readonly createdKeys: FakeKey[] = [];
  /** Every invocation of a function, in order: its ARN and its payload as sent. */
  readonly invocations: { functionArn: string; payload: string }[] = [];
  /** How an invoked function answers (it succeeds by default). */
  answerInvocation?: (functionArn: string, payload: string) => InvocationResult;
  /** Faults that actually fired. */
  readonly firedFaults: FiredFault[] = [];
  readonly rotationLambdaArn: string;
  /**
   * Awaited at the start of every gateway call, before it takes effect: a
   * test can hand the order of concurrent calls to a scheduler.
   */
  beforeCall?: (method: GatewayMethod) => Promise<void>;
  /**
   * Called at the moment of every `setAccessKeyStatus(..., 'Inactive')` and
   * `deleteAccessKey` call, right before it takes effect (and whether or not
   * a fault is injected into it): the state it sees is the state the call acts on.
   */
  onRetire?: (call: RetireCall) => void;

  // The one CloudFormation stack (the rotation function's own).
  readonly stackId = STACK_ID;
  stackStatus = 'CREATE_COMPLETE';
  stackCreatedAt: Date;
  stackUpdatedAt?: Date;
  /** The stack's resources by logical id. */
  readonly stackResources = new Map<string, FakeStackResource>();
  /** The stack's event history, newest first (as DescribeStackEvents lists it). */
  stackEventLog: StackEvent[] = [];

  private readonly users = new Map<string, FakeUser>();
  private readonly secrets = new Map<string, FakeSecret>();
  private faults: ArmedFault[] = [];
  private seed: number;

  constructor(private readonly clock: () => Date, options: FakeAwsOptions = {}) {
    // Park–Miller: state in [1, 2^31 - 2].
    this.seed = 1 + Math.abs(Math.floor(options.seed ?? 1)) % 2_147_483_646;
    this.rotationLambdaArn = options.rotationLambdaArn ?? `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:access-key-rotation`;
    this.stackCreatedAt = clock();
  }

  // ---- fault injection ------------------------------------------------------

  /**
   * The next call of `method` (after `skip` calls that are let through) throws
   * an `InjectedFault`: `before` it takes effect, or `after` it took effect.
   */
  failOnce(method: GatewayMethod, when: FaultTiming, skip = 0): void {
    this.faults.push({ method, when, skip });
  }

  /** Disarms faults that have not fired. */
  clearFaults(): void {
    this.faults = [];
  }

  get armedFaults(): number {
    return this.faults.length;
  }

  // ---- set-up and inspection (not gateway calls: never faulted, never recorded) --

  createUser(name: string, path = '/'): string {
    if (this.users.has(name)) throw awsError('EntityAlreadyExistsException', `User with name ${name} already exists.`);
    const arn = `arn:aws:iam::${ACCOUNT_ID}:user${path}${name}`;
    this.users.set(name, { name, path, arn, keys: [] });
    return arn;
  }

  /** CreateSecret: one version holding AWSCURRENT with the value (none without a value). */
  /** CreateSecret, described as the constructs describe a managed secret unless told otherwise. */
  createSecret(name: string, value: string | undefined, tags: Record<string, string> = {}, description = secretDescription(name)): string {
    if ([...this.secrets.values()].some((s) => s.name === name)) {
      throw awsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    validateTags(tags);
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}-${this.random('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 6)}`;
    const versions = new Map<string, FakeVersion>();
    if (value !== undefined) {
      const id = this.uuid();
      versions.set(id, { id, labels: [Stage.CURRENT], value, createdAt: this.clock() });
    }
    this.secrets.set(arn, { name, arn, description, createdAt: this.clock(), tags: { ...tags }, versions, rotation: { enabled: false } });
    return arn;
  }

  /**
   * What Secrets Manager does when a rotation is due (or RotateSecret is
   * called): the AWSPENDING placeholder; returns its version id, the token the
   * steps are invoked with. Refused while an earlier rotation is incomplete.
   */
  startRotation(secretId: string, rotationLambdaArn?: string): string {
    const secret = this.secret(secretId);
    const token = this.placeholder(secret);
    secret.rotation = { ...secret.rotation, enabled: true, lambdaArn: rotationLambdaArn ?? secret.rotation.lambdaArn ?? this.rotationLambdaArn };
    return token;
  }

  /** The version holding AWSPENDING without AWSCURRENT: a rotation in progress. */
  pendingVersion(secretId: string): string | undefined {
    return [...this.secret(secretId).versions.values()].find((v) => v.labels.includes(Stage.PENDING) && !v.labels.includes(Stage.CURRENT))?.id;
  }

  rotationConfig(secretId: string): RotationConfig {
    const r = this.secret(secretId).rotation;
    return { ...r, rules: r.rules && { ...r.rules } };
  }

  /** The user's keys as IAM holds them (secrets included), in creation order. */
  keysOf(userName: string): FakeKey[] {
    return this.user(userName).keys.map((k) => ({ ...k }));
  }

  /** An operator changing a key's status in the console. */
  operatorSetStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): void {
    this.key(userName, accessKeyId).status = status;
  }

  /** UpdateSecret with a new Description (CloudFormation updating a secret's description in place). */
  updateDescription(secretId: string, description: string): void {
    this.secret(secretId).description = description;
  }

  /** DeleteSecret with ForceDeleteWithoutRecovery (CloudFormation deleting a secret it replaced or removed): gone at once, versions and all. */
  deleteSecret(secretId: string): void {
    this.secrets.delete(this.secret(secretId).arn);
  }

  /** An operator deleting a key in the console. */
  operatorDeleteKey(userName: string, accessKeyId: string): void {
    const user = this.user(userName);
    user.keys.splice(user.keys.indexOf(this.key(userName, accessKeyId)), 1);
  }

  /** An operator creating a key by hand. */
  operatorCreateKey(userName: string): FakeKey {
    const user = this.user(userName);
    if (user.keys.length >= ACCESS_KEYS_PER_USER) throw awsError('LimitExceededException', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
    return this.newKey(user);
  }

  /** Someone allowed to tag the secret (TagResource outside the function). */
  operatorTag(secretId: string, tags: Record<string, string>): void {
    const s = this.secret(secretId);
    const merged = { ...s.tags, ...tags };
    validateTags(merged);
    s.tags = merged;
  }

  operatorUntag(secretId: string, keys: string[]): void {
    const s = this.secret(secretId);
    s.tags = Object.fromEntries(Object.entries(s.tags).filter(([k]) => !keys.includes(k)));
  }

  /** A consumer signing a request with a key pair: the caller's ARN, or undefined when STS refuses it. Records the key's use. */
  signWith(accessKeyId: string, secretAccessKey: string): string | undefined {
    const found = this.accepted(accessKeyId, secretAccessKey);
    if (!found) return undefined;
    found.key.lastUsed = this.clock();
    return found.user.arn;
  }

  /** A deep copy of a secret's state: tags, rotation, and per version its labels and value. */
  inspectSecret(secretId: string): {
    arn: string;
    tags: Record<string, string>;
    rotation: RotationConfig;
    versions: { id: string; labels: string[]; value?: string; createdAt: Date }[];
  } {
    const s = this.secret(secretId);
    return {
      arn: s.arn,
      tags: { ...s.tags },
      rotation: this.rotationConfig(s.arn),
      versions: [...s.versions.values()].map((v) => ({ id: v.id, labels: [...v.labels], value: v.value, createdAt: new Date(v.createdAt) })),
    };
  }

  /** The value of the version holding a label, read directly (GetSecretValue without the gateway). */
  valueAt(secretId: string, label: string): string | undefined {
    return [...this.secret(secretId).versions.values()].find((v) => v.labels.includes(label))?.value;
  }

  /** The key id the version holding a label holds (its key label). */
  keyLabelAt(secretId: string, label: string): string | undefined {
    return [...this.secret(secretId).versions.values()].find((v) => v.labels.includes(label))?.labels.find(isKeyLabel);
  }

  /**
   * Every secret whose AWSCURRENT version holds the key, by its key label or
   * by its value: the secrets whose consumers depend on the key right now.
   */
  currentKeyHolders(accessKeyId: string): string[] {
    return [...this.secrets.values()].filter((s) => {
      const current = [...s.versions.values()].find((v) => v.labels.includes(Stage.CURRENT));
      if (!current) return false;
      if (current.labels.includes(accessKeyId)) return true;
      try {
        return (JSON.parse(current.value ?? '{}') as { accessKeyId?: unknown }).accessKeyId === accessKeyId;
      } catch {
        return false;
      }
    }).map((s) => s.arn);
  }

  // ---- CloudFormation set-up (the stack as CloudFormation would show it) ----------

  /** Sets the stack's status and logs the stack's own event, as CloudFormation does. */
  setStackStatus(status: string): void {
    this.stackStatus = status;
    if (status !== 'CREATE_IN_PROGRESS') this.stackUpdatedAt = this.clock();
    this.logStackEvent({ logicalId: STACK_NAME, physicalId: this.stackId, resourceType: 'AWS::CloudFormation::Stack', status });
  }

  /** Sets a resource's state (and logs its event unless `log` is false). */
  setStackResource(logicalId: string, resource: FakeStackResource, log = true): void {
    this.stackResources.set(logicalId, { ...resource });
    if (log) this.logStackEvent({ logicalId, physicalId: resource.physicalId, resourceType: resource.type, status: resource.status });
  }

  /** Adds an event at the head of the history, timestamped now. */
  logStackEvent(event: Omit<StackEvent, 'timestamp'> & { timestamp?: Date }): void {
    this.stackEventLog.unshift({ ...event, timestamp: event.timestamp ?? this.clock() });
  }

  // ---- Secrets Manager --------------------------------------------------------

  /** DescribeSecret; `NotFound` for no such secret. Versions without a label are not listed. */
  async describeSecret(secretId: string): Promise<SecretDescription> {
    return this.call('describeSecret', () => {
      const s = this.secretOrNotFound(secretId);
      return {
        arn: s.arn,
        name: s.name,
        tags: { ...s.tags },
        versions: labelledVersions(s),
        rotationLambdaArn: s.rotation.lambdaArn || undefined,
        createdAt: toSecond(s.createdAt),
      };
    });
  }

  /**
   * GetSecretValue by stage (and version id). As `AwsGateway` does, a
   * ResourceNotFoundException (no such secret, no version with the stage, or
   * a version without a value) is `undefined`. A version id that exists but
   * does not hold the stage is `undefined` too.
   */
  async getSecretString(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    return this.call('getSecretString', () => {
      const s = this.secrets.get(this.resolve(secretId) ?? '');
      if (!s) return undefined;
      const version = versionId !== undefined ? s.versions.get(versionId) : [...s.versions.values()].find((v) => v.labels.includes(stage));
      if (!version || !version.labels.includes(stage)) return undefined;
      return version.value;
    });
  }

  /**
   * GetSecretValue by version id: the secret's ARN, the version's labels and
   * value. As `AwsGateway` does, a ResourceNotFoundException (no such secret
   * or version, or a version without a value) is `undefined`.
   */
  async readVersion(secretId: string, versionId: string): Promise<SecretVersionValue | undefined> {
    return this.call('readVersion', () => {
      const s = this.secrets.get(this.resolve(secretId) ?? '');
      const version = s?.versions.get(versionId);
      if (!s || !version || version.value === undefined) return undefined;
      return { arn: s.arn, labels: [...version.labels], value: version.value };
    });
  }

  /**
   * PutSecretValue with the token as the version id and `labels` as
   * VersionStages: fills the placeholder (or creates the version) and attaches
   * each label, moving it off any other version. The same token with the same
   * value succeeds and changes nothing; with another value it is refused,
   * since versions are immutable.
   */
  async putPendingValue(secretId: string, token: string, value: string, labels: string[]): Promise<void> {
    return this.call('putPendingValue', () => {
      const s = this.secret(secretId);
      validateToken(token);
      for (const label of labels) validateLabel(label);
      const existing = s.versions.get(token);
      if (existing?.value !== undefined) {
        if (existing.value === value) return;
        throw awsError('ResourceExistsException',
          `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${s.arn}.`);
      }
      const firstVersion = s.versions.size === 0;
      const version = existing ?? { id: token, labels: [], createdAt: this.clock() };
      const wanted = [...new Set([...labels, ...(firstVersion ? [Stage.CURRENT] : [])])];
      if (new Set([...version.labels, ...wanted]).size > LABELS_PER_VERSION) {
        throw awsError('LimitExceededException', `A version can have at most ${LABELS_PER_VERSION} staging labels.`);
      }
      version.value = value;
      if (!existing) s.versions.set(token, version);
      for (const label of wanted) attach(s, label, version);
    });
  }

  /**
   * UpdateSecretVersionStage with MoveToVersionId: moves a label. When the
   * label is attached to another version, that version must be named in
   * RemoveFromVersionId. Moving AWSCURRENT gives the version it left
   * AWSPREVIOUS (taken from wherever it was).
   */
  async moveLabel(secretId: string, label: string, toVersionId: string, fromVersionId?: string): Promise<void> {
    return this.call('moveLabel', () => {
      const s = this.secret(secretId);
      validateLabel(label);
      const to = s.versions.get(toVersionId);
      if (!to) throw awsError('InvalidParameterException', `Not a valid version: ${toVersionId}`);
      const from = fromVersionId !== undefined ? s.versions.get(fromVersionId) : undefined;
      if (fromVersionId !== undefined) {
        if (!from) throw awsError('InvalidParameterException', `Not a valid version: ${fromVersionId}`);
        if (!from.labels.includes(label)) throw awsError('InvalidParameterException', `Version stage ${label} not found in version ${fromVersionId}`);
      }
      const holder = holderOf(s, label);
      if (holder && holder !== to && holder !== from) {
        throw awsError('InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${label} is currently attached to version ${holder.id}, `
          + 'so you must explicitly reference that version in RemoveFromVersionId.');
      }
      if (!to.labels.includes(label) && to.labels.length >= LABELS_PER_VERSION) {
        throw awsError('LimitExceededException', `A version can have at most ${LABELS_PER_VERSION} staging labels.`);
      }
      attach(s, label, to);
    });
  }

  /** UpdateSecretVersionStage with only RemoveFromVersionId. AWSCURRENT can only be moved, never removed. */
  async removeLabel(secretId: string, label: string, fromVersionId: string): Promise<void> {
    return this.call('removeLabel', () => {
      const s = this.secret(secretId);
      const from = s.versions.get(fromVersionId);
      if (!from) throw awsError('InvalidParameterException', `Not a valid version: ${fromVersionId}`);
      // As `AwsGateway` documents it: a label already gone from the version is the outcome wanted.
      if (!from.labels.includes(label)) return;
      if (label === Stage.CURRENT) {
        throw awsError('InvalidParameterException', 'You can only move staging label AWSCURRENT to a different secret version. It can\'t be completely removed.');
      }
      from.labels = from.labels.filter((x) => x !== label);
    });
  }

  /** ListSecretVersionIds: the versions with a staging label, with their creation dates (to the second, as Secrets Manager keeps them). */
  async listVersions(secretId: string): Promise<SecretVersion[]> {
    return this.call('listVersions', () => [...this.secret(secretId).versions.values()]
      .filter((v) => v.labels.length > 0)
      .map((v) => ({ versionId: v.id, labels: [...v.labels], createdAt: toSecond(v.createdAt) })));
  }

  async tag(secretId: string, tags: Record<string, string>): Promise<void> {
    return this.call('tag', () => this.operatorTag(secretId, tags));
  }

  async untag(secretId: string, keys: string[]): Promise<void> {
    return this.call('untag', () => this.operatorUntag(secretId, keys));
  }

  /**
   * RotateSecret: records the function and the rules; with RotateImmediately
   * also the AWSPENDING placeholder, as `startRotation` makes it.
   */
  async configureRotation(secretId: string, rotationLambdaArn: string, rules: RotationRules, rotateNow: boolean): Promise<void> {
    return this.call('configureRotation', () => {
      const s = this.secret(secretId);
      if (rotateNow) this.placeholder(s);
      s.rotation = { enabled: true, lambdaArn: rotationLambdaArn, rules: { ...rules } };
    });
  }

  /** CancelRotateSecret; as `AwsGateway` does, nothing happens when the secret is gone or rotation was off. Labels stay as they are. */
  async cancelRotation(secretId: string): Promise<void> {
    return this.call('cancelRotation', () => {
      const s = this.secrets.get(this.resolve(secretId) ?? '');
      if (s) s.rotation = { ...s.rotation, enabled: false };
    });
  }

  /** ListSecrets filtered by a description prefix (as Secrets Manager documents it). */
  async *listSecrets(descriptionPrefix: string): AsyncGenerator<ListedSecret> {
    await this.beforeCall?.('listSecrets');
    const fault = this.enter('listSecrets');
    await Promise.resolve();
    if (fault === 'before') throw this.fire('listSecrets', fault);
    const listed = [...this.secrets.values()]
      .filter((s) => s.description.toLowerCase().startsWith(descriptionPrefix.toLowerCase()))
      .map((s): ListedSecret => ({
        arn: s.arn,
        tags: { ...s.tags },
        versions: labelledVersions(s),
        rotationLambdaArn: s.rotation.lambdaArn || undefined,
        rotationEnabled: s.rotation.enabled,
        rotationRules: s.rotation.rules && {
          scheduleExpression: s.rotation.rules.scheduleExpression,
          duration: s.rotation.rules.windowHours === undefined ? undefined : `${s.rotation.rules.windowHours}h`,
        },
      }));
    for (const s of listed) yield s;
    if (fault === 'after') throw this.fire('listSecrets', fault);
  }

  // ---- IAM --------------------------------------------------------------------

  /** ListAccessKeys; CreateDate to the second, as IAM keeps it. */
  async listAccessKeys(userName: string): Promise<AccessKey[]> {
    return this.call('listAccessKeys', () =>
      this.user(userName).keys.map((k) => ({ accessKeyId: k.accessKeyId, status: k.status, createdAt: toSecond(k.createdAt) })));
  }

  /** Every user's keys, as the report shows them (no ids), current at the call: not among the faults the histories inject. */
  async credentialReport(): Promise<Map<string, ReportedKey[]> | undefined> {
    return new Map([...this.users.values()].map((u) => [u.arn, u.keys.map((k) => ({ active: k.status === 'Active', createdAt: toSecond(k.createdAt) }))]));
  }

  async createAccessKey(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    return this.call('createAccessKey', () => {
      const user = this.user(userName);
      if (user.keys.length >= ACCESS_KEYS_PER_USER) {
        throw awsError('LimitExceededException', `Cannot exceed quota for AccessKeysPerUser: ${ACCESS_KEYS_PER_USER}`);
      }
      const key = this.newKey(user);
      return { accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey };
    });
  }

  /** UpdateAccessKey; as `AwsGateway` documents, `false` when the key (or the user) no longer exists. */
  async setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
    return this.call('setAccessKeyStatus', () => {
      if (status !== 'Active' && status !== 'Inactive') {
        throw awsError('ValidationError', `1 validation error detected: Value '${String(status)}' at 'status' failed to satisfy constraint`);
      }
      const key = this.users.get(userName)?.keys.find((k) => k.accessKeyId === accessKeyId);
      if (!key) return false;
      key.status = status;
      return true;
    }, status === 'Inactive' ? { method: 'setAccessKeyStatus', userName, accessKeyId } : undefined);
  }

  /** DeleteAccessKey; as `AwsGateway` documents, `false` when it (or the user) is already gone. */
  async deleteAccessKey(userName: string, accessKeyId: string): Promise<boolean> {
    return this.call('deleteAccessKey', () => {
      const user = this.users.get(userName);
      const index = user?.keys.findIndex((k) => k.accessKeyId === accessKeyId) ?? -1;
      if (!user || index < 0) return false;
      user.keys.splice(index, 1);
      return true;
    }, { method: 'deleteAccessKey', userName, accessKeyId });
  }

  /** GetAccessKeyLastUsed: `{ gone: true }` for a key IAM does not know (any more). */
  async lastUse(accessKeyId: string): Promise<LastUse> {
    return this.call('lastUse', (): LastUse => {
      for (const user of this.users.values()) {
        const key = user.keys.find((k) => k.accessKeyId === accessKeyId);
        if (key) return key.lastUsed ? { gone: false, at: new Date(key.lastUsed), service: 'sts', region: REGION } : { gone: false };
      }
      return { gone: true };
    });
  }

  // ---- STS --------------------------------------------------------------------

  /**
   * GetCallerIdentity signed with a key pair: the user's ARN when the pair is
   * an existing active key (recording its use); `KeyNotAccepted` otherwise,
   * as STS answers InvalidClientTokenId for an unknown or inactive key.
   */
  async callerArn(accessKeyId: string, secretAccessKey: string): Promise<string> {
    return this.call('callerArn', () => {
      const arn = this.signWith(accessKeyId, secretAccessKey);
      if (!arn) throw new KeyNotAccepted(`STS does not accept key ${accessKeyId} (yet): InvalidClientTokenId`);
      return arn;
    });
  }

  // ---- CloudWatch -------------------------------------------------------------

  async putMetric(name: string, value: number, dimensions: Record<string, string>): Promise<void> {
    return this.call('putMetric', () => {
      this.metrics.push({ name, value, dimensions });
    });
  }

  // ---- Lambda ------------------------------------------------------------------

  async invokeFunction(functionArn: string, payload: string): Promise<InvocationResult> {
    return this.call('invokeFunction', () => {
      this.invocations.push({ functionArn, payload });
      return this.answerInvocation?.(functionArn, payload) ?? {};
    });
  }

  // ---- EventBridge ------------------------------------------------------------

  /** PutEvents: a rejected entry fails the call, as `AwsGateway` reports it. */
  async putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
    return this.call('putEvents', () => {
      const problems: string[] = [];
      for (const e of entries) {
        if (!e.Source || !e.DetailType || e.Detail === undefined) {
          problems.push('MalformedDetail: Source, DetailType and Detail are required');
          continue;
        }
        let detail: unknown;
        try {
          detail = JSON.parse(e.Detail);
        } catch {
          problems.push('MalformedDetail: Detail is malformed.');
          continue;
        }
        if (typeof detail !== 'object' || detail === null || Array.isArray(detail)) {
          problems.push('MalformedDetail: Detail is malformed.');
        } else if (Buffer.byteLength(e.Detail) > MAX_EVENT_DETAIL_BYTES) {
          problems.push('ValidationException: Total size of the entries in the request is over the limit.');
        }
      }
      if (problems.length > 0) throw new Error(`EventBridge rejected ${problems.length} audit event(s): ${problems.join('; ')}`);
      this.events.push(...entries.map((e) => ({ ...e })));
    });
  }

  // ---- CloudFormation ---------------------------------------------------------

  /** DescribeStackResource; `undefined` for another stack or a logical id the stack does not have. */
  async stackResource(stackId: string, logicalId: string): Promise<StackResource | undefined> {
    return this.call('stackResource', () => {
      const r = stackId === this.stackId ? this.stackResources.get(logicalId) : undefined;
      if (!r) return undefined;
      const metadata = r.metadata === undefined ? undefined : structuredClone(r.metadata);
      return { type: r.type, physicalId: r.physicalId, status: r.status, metadata };
    });
  }

  /** DescribeStacks; `NotFound` for any other stack. */
  async stack(stackId: string): Promise<StackInfo> {
    return this.call('stack', () => {
      if (stackId !== this.stackId) throw new NotFound(`stack ${stackId} does not exist`);
      return { status: this.stackStatus, createdAt: new Date(this.stackCreatedAt), updatedAt: this.stackUpdatedAt && new Date(this.stackUpdatedAt) };
    });
  }

  /** DescribeStackEvents, newest first, read lazily (as pages are). */
  async *stackEvents(stackId: string): AsyncGenerator<StackEvent> {
    await this.beforeCall?.('stackEvents');
    const fault = this.enter('stackEvents');
    await Promise.resolve();
    if (fault === 'before') throw this.fire('stackEvents', fault);
    if (stackId !== this.stackId) throw awsError('ValidationError', `Stack [${stackId}] does not exist`);
    const events = this.stackEventLog.map((e) => ({ ...e, timestamp: new Date(e.timestamp) }));
    for (const e of events) yield e;
    if (fault === 'after') throw this.fire('stackEvents', fault);
  }

  /** ListStackResources (no Metadata), read lazily (as pages are). */
  async *listStackResources(stackId: string): AsyncGenerator<StackResource & { logicalId: string }> {
    await this.beforeCall?.('listStackResources');
    const fault = this.enter('listStackResources');
    await Promise.resolve();
    if (fault === 'before') throw this.fire('listStackResources', fault);
    if (stackId !== this.stackId) throw awsError('ValidationError', `Stack [${stackId}] does not exist`);
    const resources = [...this.stackResources.entries()]
      .map(([logicalId, r]) => ({ logicalId, type: r.type, physicalId: r.physicalId, status: r.status }));
    for (const r of resources) yield r;
    if (fault === 'after') throw this.fire('listStackResources', fault);
  }

  // ---- internals --------------------------------------------------------------

  /** Records the call and takes the fault armed for it, if this is its turn. */
  private enter(method: GatewayMethod): FaultTiming | undefined {
    this.calls.push(method);
    const index = this.faults.findIndex((f) => f.method === method);
    if (index < 0) return undefined;
    const fault = this.faults[index];
    if (fault.skip > 0) {
      fault.skip--;
      return undefined;
    }
    this.faults.splice(index, 1);
    return fault.when;
  }

  private fire(method: GatewayMethod, when: FaultTiming): Error {
    this.firedFaults.push({ method, when, callIndex: this.calls.length - 1 });
    return awsError('InjectedFault', `injected fault ${when} ${method}`);
  }

  private async call<T>(method: GatewayMethod, effect: () => T, retire?: RetireCall): Promise<T> {
    await this.beforeCall?.(method);
    const fault = this.enter(method);
    await Promise.resolve();
    if (retire) this.onRetire?.(retire);
    if (fault === 'before') throw this.fire(method, fault);
    const result = effect();
    if (fault === 'after') throw this.fire(method, fault);
    return result;
  }

  /** RotateSecret's AWSPENDING placeholder: a version without a value; returns its id. */
  private placeholder(secret: FakeSecret): string {
    const pending = holderOf(secret, Stage.PENDING);
    if (pending && !pending.labels.includes(Stage.CURRENT)) {
      // Secrets Manager refuses while an earlier rotation left AWSPENDING on another version.
      throw awsError('InvalidRequestException', 'A previous rotation isn\'t complete. That rotation will be reattempted.');
    }
    if (pending) pending.labels = pending.labels.filter((x) => x !== Stage.PENDING);
    const id = this.uuid();
    secret.versions.set(id, { id, labels: [Stage.PENDING], createdAt: this.clock() });
    return id;
  }

  private newKey(user: FakeUser): FakeKey {
    let accessKeyId: string;
    do accessKeyId = `AKIA${this.random(ALNUM_UPPER, 16)}`;
    while (this.createdKeys.some((k) => k.accessKeyId === accessKeyId));
    const key: FakeKey = {
      userName: user.name,
      accessKeyId,
      secretAccessKey: this.random(SECRET_CHARS, 40),
      status: 'Active',
      createdAt: this.clock(),
    };
    user.keys.push(key);
    this.createdKeys.push(key);
    return key;
  }

  private accepted(accessKeyId: string, secretAccessKey: string): { user: FakeUser; key: FakeKey } | undefined {
    for (const user of this.users.values()) {
      const key = user.keys.find((k) => k.accessKeyId === accessKeyId && k.secretAccessKey === secretAccessKey);
      if (key) return key.status === 'Active' ? { user, key } : undefined;
    }
    return undefined;
  }

  private user(userName: string): FakeUser {
    const user = this.users.get(userName);
    if (!user) throw awsError('NoSuchEntityException', `The user with name ${userName} cannot be found.`);
    return user;
  }

  private key(userName: string, accessKeyId: string): FakeKey {
    const key = this.user(userName).keys.find((k) => k.accessKeyId === accessKeyId);
    if (!key) throw awsError('NoSuchEntityException', `The Access Key with id ${accessKeyId} cannot be found`);
    return key;
  }

  private resolve(secretId: string): string | undefined {
    if (this.secrets.has(secretId)) return secretId;
    // By name, or by partial ARN (without the random suffix).
    return [...this.secrets.values()].find((s) => s.name === secretId || s.arn.replace(/-[A-Za-z]{6}$/, '') === secretId)?.arn;
  }

  private secret(secretId: string): FakeSecret {
    const arn = this.resolve(secretId);
    const s = arn ? this.secrets.get(arn) : undefined;
    if (!s) throw awsError('ResourceNotFoundException', 'Secrets Manager can\'t find the specified secret.');
    return s;
  }

  /** As `AwsGateway.describeSecret` converts ResourceNotFoundException. */
  private secretOrNotFound(secretId: string): FakeSecret {
    const arn = this.resolve(secretId);
    const s = arn ? this.secrets.get(arn) : undefined;
    if (!s) throw new NotFound(`secret ${secretId} does not exist`);
    return s;
  }

  private next(): number {
    this.seed = (this.seed * 48_271) % 2_147_483_647;
    return (this.seed - 1) / 2_147_483_646;
  }

  private random(alphabet: string, length: number): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[Math.floor(this.next() * alphabet.length)];
    return out;
  }

  private uuid(): string {
    const h = (n: number) => this.random(HEX, n);
    return `${h(8)}-${h(4)}-4${h(3)}-${'89ab'[Math.floor(this.next() * 4)]}${h(3)}-${h(12)}`;
  }
}

/** IAM and Secrets Manager keep creation dates to the second, rounded down. */
function toSecond(d: Date): Date {
  return new Date(Math.floor(d.getTime() / 1000) * 1000);
}

function holderOf(s: FakeSecret, label: string): FakeVersion | undefined {
  return [...s.versions.values()].find((v) => v.labels.includes(label));
}

/**
 * Attaches a label to a version, taking it off the version that held it
 * (labels are unique per secret). When AWSCURRENT moves, the version it left
 * gets AWSPREVIOUS, and the version it reaches loses AWSPREVIOUS.
 */
function attach(s: FakeSecret, label: string, to: FakeVersion): void {
  const holder = holderOf(s, label);
  if (holder === to) return;
  if (holder) holder.labels = holder.labels.filter((x) => x !== label);
  to.labels.push(label);
  if (label === Stage.CURRENT) {
    for (const v of s.versions.values()) v.labels = v.labels.filter((x) => x !== Stage.PREVIOUS);
    if (holder) holder.labels.push(Stage.PREVIOUS);
  }
}

/** VersionIdsToStages: only versions with a staging label (the others are deprecated). */
function labelledVersions(s: FakeSecret): VersionLabels {
  const out: VersionLabels = {};
  for (const v of s.versions.values()) if (v.labels.length > 0) out[v.id] = [...v.labels];
  return out;
}

function validateToken(token: string): void {
  if (token.length < 32 || token.length > 64) throw awsError('InvalidParameterException', 'ClientRequestToken must be 32-64 characters long.');
}

function validateLabel(label: string): void {
  if (label.length < 1 || label.length > 256) throw awsError('InvalidParameterException', 'A staging label must be 1-256 characters long.');
}

/**
 * TagResource's limits: 50 tags, keys of 1 to 128 and values of up to 256
 * characters, no `aws:` prefix. Secrets Manager's API sets no pattern on
 * either (unlike the Resource Groups Tagging API), so any character goes.
 */
function validateTags(tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS) throw awsError('ValidationException', `A secret can have at most ${MAX_TAGS} tags.`);
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128) throw awsError('ValidationException', `Tag key '${k}' must be 1-128 characters long.`);
    if (v.length > 256) throw awsError('ValidationException', `Tag value of '${k}' must be at most 256 characters long.`);
    if (k.toLowerCase().startsWith('aws:')) throw awsError('InvalidParameterException', 'Tag keys starting with aws: are reserved.');
  }
}
