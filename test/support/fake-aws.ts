/**
 * An in-memory AWS account for property-based tests: IAM users and access
 * keys, STS GetCallerIdentity, Secrets Manager secrets with versions and
 * staging labels, and EventBridge. It implements the rotation's `Gateway`
 * contract (the method signatures and documented returns of `AwsGateway`,
 * including the errors `AwsGateway` converts), with the service semantics of
 * real AWS; where those are unclear it follows moto 5.2.
 *
 * Faults: `failOnce(method, 'before' | 'after')` makes the next call of a
 * method throw an `InjectedFault`, either before it takes effect (the request
 * never arrived) or after it took effect (the answer was lost, or the function
 * died right after the call).
 *
 * Deterministic: identifiers come from a seeded generator and time from the
 * injected clock, so a counterexample replays exactly.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SecretDescription } from '../../src/rotation/aws';
import { AccessKey, ManagedSecret, Stage, Tags } from '../../src/rotation/model';
import type { Gateway } from '../../src/rotation/rotation';

export const ACCOUNT_ID = '123456789012';
export const REGION = 'us-east-1';
/** IAM's quota of access keys per user. */
export const ACCESS_KEYS_PER_USER = 2;

export type GatewayMethod = keyof Gateway;
export type FaultTiming = 'before' | 'after';

/** Every method of the gateway contract, for tests that enumerate fault points. */
export const GATEWAY_METHODS: readonly GatewayMethod[] = [
  'describeSecret', 'getSecretString', 'putPendingValue', 'moveStage', 'removeStage', 'tag', 'untag', 'rotateNow',
  'listManagedSecrets', 'listAccessKeys', 'createAccessKey', 'setAccessKeyStatus', 'deleteAccessKey',
  'accessKeyLastUsed', 'userArn', 'callerArn', 'putEvents',
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
  stages: string[];
  value?: string;
  readonly createdAt: Date;
}

interface FakeSecret {
  readonly name: string;
  readonly arn: string;
  tags: Record<string, string>;
  /** Insertion-ordered, as Secrets Manager lists them. */
  readonly versions: Map<string, FakeVersion>;
  rotationLambdaArn?: string;
  rotationEnabled: boolean;
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
  /** The ARN `rotateNow`/`startRotation` record as the secret's rotation function. */
  readonly rotationLambdaArn?: string;
}

export class FakeAws implements Gateway {
  /** Every gateway call, by method name, in order (faulted calls included). */
  readonly calls: GatewayMethod[] = [];
  /** Every EventBridge entry accepted by `putEvents`. */
  readonly events: PutEventsRequestEntry[] = [];
  /** Every access key ever created (through the gateway or the operator helpers), deleted ones included. */
  readonly createdKeys: FakeKey[] = [];
  /** Faults that actually fired. */
  readonly firedFaults: FiredFault[] = [];
  readonly rotationLambdaArn: string;
  /**
   * Awaited at the start of every gateway call, before it takes effect: a
   * test can hand the order of concurrent calls to a scheduler (`fc.scheduler`).
   */
  beforeCall?: (method: GatewayMethod) => Promise<void>;

  private readonly users = new Map<string, FakeUser>();
  private readonly secrets = new Map<string, FakeSecret>();
  private faults: ArmedFault[] = [];
  private seed: number;

  constructor(private readonly clock: () => Date, options: FakeAwsOptions = {}) {
    // Park–Miller: state in [1, 2^31 - 2].
    this.seed = 1 + Math.abs(Math.floor(options.seed ?? 1)) % 2_147_483_646;
    this.rotationLambdaArn = options.rotationLambdaArn ?? `arn:aws:lambda:${REGION}:${ACCOUNT_ID}:function:access-key-rotation`;
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

  /** CreateSecret: one version holding AWSCURRENT with the value. */
  createSecret(name: string, value: string | undefined, tags: Record<string, string> = {}, rotationLambdaArn?: string): string {
    if ([...this.secrets.values()].some((s) => s.name === name)) {
      throw awsError('ResourceExistsException', `The operation failed because the secret ${name} already exists.`);
    }
    validateTags(tags);
    const arn = `arn:aws:secretsmanager:${REGION}:${ACCOUNT_ID}:secret:${name}-${this.random('abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ', 6)}`;
    const versions = new Map<string, FakeVersion>();
    if (value !== undefined) {
      const id = this.uuid();
      versions.set(id, { id, stages: [Stage.CURRENT], value, createdAt: this.clock() });
    }
    this.secrets.set(arn, { name, arn, tags: { ...tags }, versions, rotationLambdaArn, rotationEnabled: rotationLambdaArn !== undefined });
    return arn;
  }

  /** What Secrets Manager's RotateSecret does before invoking the function; returns the token. */
  startRotation(secretId: string, rotationLambdaArn?: string): string {
    const secret = this.secret(secretId);
    return this.placeholder(secret, rotationLambdaArn ?? secret.rotationLambdaArn ?? this.rotationLambdaArn);
  }

  /** The user's keys as IAM holds them (secrets included), in creation order. */
  keysOf(userName: string): FakeKey[] {
    return this.user(userName).keys.map((k) => ({ ...k }));
  }

  /** An operator changing a key's status in the console. */
  operatorSetStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): void {
    this.key(userName, accessKeyId).status = status;
  }

  /** An operator deleting a key in the console. */
  operatorDeleteKey(userName: string, accessKeyId: string): void {
    const user = this.user(userName);
    user.keys.splice(user.keys.indexOf(this.key(userName, accessKeyId)), 1);
  }

  /** An operator creating a key by hand. */
  operatorCreateKey(userName: string): FakeKey {
    return this.newKey(this.user(userName));
  }

  /** A deep copy of a secret's state: tags, and per version its stages and value. */
  inspectSecret(secretId: string): { arn: string; tags: Record<string, string>; versions: { id: string; stages: string[]; value?: string }[] } {
    const s = this.secret(secretId);
    return {
      arn: s.arn,
      tags: { ...s.tags },
      versions: [...s.versions.values()].map((v) => ({ id: v.id, stages: [...v.stages], value: v.value })),
    };
  }

  /** The value of the version holding a stage, read directly (GetSecretValue without the gateway). */
  valueAt(secretId: string, stage: string): string | undefined {
    return [...this.secret(secretId).versions.values()].find((v) => v.stages.includes(stage))?.value;
  }

  // ---- Secrets Manager --------------------------------------------------------

  async describeSecret(secretId: string): Promise<SecretDescription> {
    return this.call('describeSecret', () => {
      const s = this.secret(secretId);
      return {
        arn: s.arn,
        name: s.name,
        rotationEnabled: s.rotationEnabled,
        rotationLambdaArn: s.rotationLambdaArn || undefined,
        tags: { ...s.tags },
        versions: labelledVersions(s),
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
      const version = versionId !== undefined
        ? s.versions.get(versionId)
        : [...s.versions.values()].find((v) => v.stages.includes(stage));
      if (!version || !version.stages.includes(stage)) return undefined;
      return version.value;
    });
  }

  /**
   * PutSecretValue with `VersionStages: ['AWSPENDING']` and the token as the
   * version id: fills the placeholder (or creates the version) and moves
   * AWSPENDING to it. The same token with the same value succeeds and changes
   * nothing; with a different value it is refused, since versions are immutable.
   */
  async putPendingValue(secretId: string, token: string, value: string): Promise<void> {
    return this.call('putPendingValue', () => {
      const s = this.secret(secretId);
      validateToken(token);
      const existing = s.versions.get(token);
      if (existing?.value !== undefined) {
        if (existing.value === value) return;
        throw awsError('ResourceExistsException',
          `You can't use ClientRequestToken ${token} because that value is already in use for a version of secret ${s.arn}.`);
      }
      for (const v of s.versions.values()) if (v.id !== token) v.stages = v.stages.filter((x) => x !== Stage.PENDING);
      if (existing) {
        existing.value = value;
        if (!existing.stages.includes(Stage.PENDING)) existing.stages.push(Stage.PENDING);
      } else {
        // The first version of a secret always gets AWSCURRENT too.
        const stages = s.versions.size === 0 ? [Stage.PENDING, Stage.CURRENT] : [Stage.PENDING];
        s.versions.set(token, { id: token, stages, value, createdAt: this.clock() });
      }
    });
  }

  /**
   * UpdateSecretVersionStage with MoveToVersionId: moves a label. When the
   * label is attached to another version, that version must be named in
   * RemoveFromVersionId. Moving AWSCURRENT gives the version it left
   * AWSPREVIOUS (taken from wherever it was).
   */
  async moveStage(secretId: string, stage: string, toVersionId: string, fromVersionId?: string): Promise<void> {
    return this.call('moveStage', () => {
      const s = this.secret(secretId);
      const to = s.versions.get(toVersionId);
      if (!to) throw awsError('InvalidParameterException', `Not a valid version: ${toVersionId}`);
      const from = fromVersionId !== undefined ? s.versions.get(fromVersionId) : undefined;
      if (fromVersionId !== undefined) {
        if (!from) throw awsError('InvalidParameterException', `Not a valid version: ${fromVersionId}`);
        if (!from.stages.includes(stage)) {
          throw awsError('InvalidParameterException', `Version stage ${stage} not found in version ${fromVersionId}`);
        }
      }
      const holder = [...s.versions.values()].find((v) => v.stages.includes(stage));
      if (holder && holder !== to && holder !== from) {
        throw awsError('InvalidParameterException',
          `The parameter RemoveFromVersionId can't be empty. Staging label ${stage} is currently attached to version ${holder.id}, `
          + 'so you must explicitly reference that version in RemoveFromVersionId.');
      }
      if (from && from !== to) from.stages = from.stages.filter((x) => x !== stage);
      if (!to.stages.includes(stage)) to.stages.push(stage);
      if (stage === Stage.CURRENT && from && from !== to) {
        for (const v of s.versions.values()) v.stages = v.stages.filter((x) => x !== Stage.PREVIOUS);
        from.stages.push(Stage.PREVIOUS);
      }
      if (stage === Stage.CURRENT) to.stages = to.stages.filter((x) => x !== Stage.PREVIOUS);
    });
  }

  /** UpdateSecretVersionStage with only RemoveFromVersionId. AWSCURRENT can only be moved, never removed. */
  async removeStage(secretId: string, stage: string, fromVersionId: string): Promise<void> {
    return this.call('removeStage', () => {
      const s = this.secret(secretId);
      const from = s.versions.get(fromVersionId);
      if (!from) throw awsError('InvalidParameterException', `Not a valid version: ${fromVersionId}`);
      if (!from.stages.includes(stage)) {
        throw awsError('InvalidParameterException', `Version stage ${stage} not found in version ${fromVersionId}`);
      }
      if (stage === Stage.CURRENT) {
        throw awsError('InvalidParameterException', 'You can only move staging label AWSCURRENT to a different secret version. It can\'t be completely removed.');
      }
      from.stages = from.stages.filter((x) => x !== stage);
    });
  }

  async tag(secretId: string, tags: Record<string, string>): Promise<void> {
    return this.call('tag', () => {
      const s = this.secret(secretId);
      const merged = { ...s.tags, ...tags };
      validateTags(merged);
      s.tags = merged;
    });
  }

  async untag(secretId: string, keys: string[]): Promise<void> {
    return this.call('untag', () => {
      const s = this.secret(secretId);
      const next = { ...s.tags };
      for (const k of keys) delete next[k];
      s.tags = next;
    });
  }

  /** RotateSecret with RotateImmediately: the AWSPENDING placeholder; returns its version id. */
  async rotateNow(secretId: string, rotationLambdaArn: string): Promise<string | undefined> {
    return this.call('rotateNow', () => this.placeholder(this.secret(secretId), rotationLambdaArn));
  }

  /** ListSecrets filtered by the tag key, exact keys only (as `AwsGateway` keeps them). */
  async *listManagedSecrets(): AsyncGenerator<ManagedSecret> {
    await this.beforeCall?.('listManagedSecrets');
    const fault = this.enter('listManagedSecrets');
    await Promise.resolve();
    if (fault === 'before') throw this.fire('listManagedSecrets', fault);
    const listed = [...this.secrets.values()]
      .filter((s) => s.tags[Tags.USER] !== undefined)
      .map((s) => ({ arn: s.arn, tags: { ...s.tags }, versions: labelledVersions(s) }));
    for (const s of listed) yield s;
    if (fault === 'after') throw this.fire('listManagedSecrets', fault);
  }

  // ---- IAM --------------------------------------------------------------------

  async listAccessKeys(userName: string): Promise<AccessKey[]> {
    return this.call('listAccessKeys', () =>
      this.user(userName).keys.map((k) => ({ accessKeyId: k.accessKeyId, status: k.status, createdAt: new Date(k.createdAt) })));
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

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    return this.call('setAccessKeyStatus', () => {
      if (status !== 'Active' && status !== 'Inactive') {
        throw awsError('ValidationError', `1 validation error detected: Value '${String(status)}' at 'status' failed to satisfy constraint`);
      }
      this.key(userName, accessKeyId).status = status;
    });
  }

  /** DeleteAccessKey; as `AwsGateway` documents, `false` when it (or the user) is already gone. */
  async deleteAccessKey(userName: string, accessKeyId: string): Promise<boolean> {
    return this.call('deleteAccessKey', () => {
      const user = this.users.get(userName);
      const index = user?.keys.findIndex((k) => k.accessKeyId === accessKeyId) ?? -1;
      if (!user || index < 0) return false;
      user.keys.splice(index, 1);
      return true;
    });
  }

  async accessKeyLastUsed(accessKeyId: string): Promise<Date | undefined> {
    return this.call('accessKeyLastUsed', () => {
      for (const user of this.users.values()) {
        const key = user.keys.find((k) => k.accessKeyId === accessKeyId);
        if (key) return key.lastUsed ? new Date(key.lastUsed) : undefined;
      }
      throw awsError('NoSuchEntityException', `The Access Key with id ${accessKeyId} cannot be found`);
    });
  }

  async userArn(userName: string): Promise<string> {
    return this.call('userArn', () => this.user(userName).arn);
  }

  // ---- STS --------------------------------------------------------------------

  /**
   * GetCallerIdentity signed with a key pair: the user's ARN when the pair is
   * an existing key (active or not, as moto answers); records the key's last use.
   */
  async callerArn(accessKeyId: string, secretAccessKey: string): Promise<string> {
    return this.call('callerArn', () => {
      for (const user of this.users.values()) {
        const key = user.keys.find((k) => k.accessKeyId === accessKeyId && k.secretAccessKey === secretAccessKey);
        if (key) {
          key.lastUsed = this.clock();
          return user.arn;
        }
      }
      throw awsError('InvalidClientTokenId', 'The security token included in the request is invalid.');
    });
  }

  // ---- EventBridge ------------------------------------------------------------

  /** PutEvents (in batches, as `AwsGateway` sends them): a rejected entry fails the call, as `AwsGateway` reports it. */
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
      if (problems.length > 0) {
        throw new Error(`EventBridge rejected ${problems.length} audit event(s): ${problems.join('; ')}`);
      }
      this.events.push(...entries.map((e) => ({ ...e })));
    });
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

  private async call<T>(method: GatewayMethod, effect: () => T): Promise<T> {
    await this.beforeCall?.(method);
    const fault = this.enter(method);
    await Promise.resolve();
    if (fault === 'before') throw this.fire(method, fault);
    const result = effect();
    if (fault === 'after') throw this.fire(method, fault);
    return result;
  }

  private placeholder(secret: FakeSecret, rotationLambdaArn: string): string {
    const pending = [...secret.versions.values()].find((v) => v.stages.includes(Stage.PENDING));
    if (pending && !pending.stages.includes(Stage.CURRENT)) {
      // Secrets Manager refuses while an earlier rotation left AWSPENDING on another version.
      throw awsError('InvalidRequestException', 'A previous rotation isn\'t complete. That rotation will be reattempted.');
    }
    if (pending) pending.stages = pending.stages.filter((x) => x !== Stage.PENDING);
    const id = this.uuid();
    secret.versions.set(id, { id, stages: [Stage.PENDING], createdAt: this.clock() });
    secret.rotationLambdaArn = rotationLambdaArn;
    secret.rotationEnabled = true;
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

/** VersionIdsToStages: only versions with a staging label (the others are deprecated). */
function labelledVersions(s: FakeSecret): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const v of s.versions.values()) if (v.stages.length > 0) out[v.id] = [...v.stages];
  return out;
}

function validateToken(token: string): void {
  if (token.length < 32 || token.length > 64) {
    throw awsError('InvalidParameterException', 'ClientRequestToken must be 32-64 characters long.');
  }
}

/** TagResource's limits: 50 tags, keys up to 128 and values up to 256 characters, no `aws:` prefix. */
function validateTags(tags: Record<string, string>): void {
  if (Object.keys(tags).length > MAX_TAGS) throw awsError('ValidationException', `A secret can have at most ${MAX_TAGS} tags.`);
  for (const [k, v] of Object.entries(tags)) {
    if (k.length < 1 || k.length > 128) throw awsError('ValidationException', `Tag key '${k}' must be 1-128 characters long.`);
    if (v.length > 256) throw awsError('ValidationException', `Tag value of '${k}' must be at most 256 characters long.`);
    if (k.toLowerCase().startsWith('aws:')) throw awsError('InvalidParameterException', 'Tag keys starting with aws: are reserved.');
  }
}
