/**
 * The whole rotation function (the `Rotator` façade) against an in-memory AWS
 * (`FakeAws`), driven by fast-check through random histories: rotations (some
 * with a fault injected at a gateway call, retried with the same token as
 * Secrets Manager does), lifecycle runs after random spans of simulated time,
 * emergency revokes, a consumer still using the old key, and an operator
 * re-activating it (or, in one property, deleting it). Attackers and operators
 * move too: tag edits of every library tag on the registered secret, a foreign
 * secret dressed up as a managed one and pointed at the function, forged
 * CloudFormation events, and a DESTROY↔RETAIN flip done the way CloudFormation
 * does it. After every command the system-wide invariants are checked, and
 * at the moment of every deactivation or deletion the key is checked not to be
 * any registered secret's AWSCURRENT key. Further properties: one fault at each
 * gateway call of a rotation (state, and audit events), and a lifecycle run
 * concurrent with a rotation in any interleaving of their AWS calls. Then the
 * deployer's moves over a stack of several registrations (rename, re-user,
 * move, flip, schedule change, each possibly rolled back), played through the
 * custom resources in CloudFormation's phases, between rotations, lifecycle
 * runs, revokes and the tagger's edits: a user that stays never has zero
 * Active keys that are AWSCURRENT of its secrets, at any phase boundary, and
 * each deployment (or rollback) ends with the named secret serving a promoted,
 * Active key of its user that authenticates. Last,
 * focused tests of attacks and races that still work (reported, `test.failing`
 * until fixed in src).
 *
 * Where the function rightly refuses to guess, the test plays the operator the
 * failure addresses: a key an attempt made but could not record (its answer
 * lost) is named as foreign, and the operator deletes it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import fc from 'fast-check';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import {
  DEPARTURE_FIELD_SEPARATOR, DEPARTURES_RESOURCE_TYPE, DEPARTURES_SEPARATOR, DeparturesProperties, EventType, REGISTRY_VERSION, Registration,
  RegistryDocument, Removal, ROTATION_RESOURCE_TYPE, RotationProperties, secretDescription, Stage, Tags, userNameOf,
} from '../../src/rotation/contract';
import { rotationPhysicalId } from '../../src/rotation/custom-resources';
import { CLOCK_TOLERANCE_MS } from '../../src/rotation/decide';
import {
  decodeFields, formatRevokeRequest, parseCredentials, parseCurrentKeyHint, parseKeyProgress, parsePreviousKeyHint, progressKeyOf, StoredCredentials,
} from '../../src/rotation/model';
import { StaticRegistrySource } from '../../src/rotation/registry';
import { Rotator } from '../../src/rotation/rotator';
import type { RotationStep } from '../../src/rotation/steps';
import { ACCOUNT_ID, FakeAws, FaultTiming, GatewayMethod, RetireCall, STACK_ID } from '../support/fake-aws';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = new Date('2025-01-01T00:00:00.000Z');
const USER = 'alice';
const USER_ARN = `arn:aws:iam::${ACCOUNT_ID}:user/${USER}`;
/** Another user with a key of its own: the function must never touch it. */
const BYSTANDER = 'bob';
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT_ID}:function:access-key-rotation`;
const ROTATION_LOGICAL_ID = 'AliceAccessKeyRotation';
const OTHER_LOGICAL_ID = 'SomeOtherResource';
const RESPONSE_URL = 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x';
const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
/** Secrets Manager retries a failed rotation with the same token; bounded here. */
const MAX_ROTATION_ATTEMPTS = 4;
const RETRY_DELAY_MS = 5 * 60_000;
/** Tag values that are far from any real time: a tag may carry anything. */
const FAR_PAST = new Date('2000-01-01T00:00:00.000Z');
const FAR_FUTURE = new Date('2100-01-01T00:00:00.000Z');

/** Gateway calls a rotation can make. */
const ROTATION_METHODS: readonly GatewayMethod[] = [
  'describeSecret', 'readVersion', 'listAccessKeys', 'lastUse', 'listVersions', 'tag', 'untag', 'createAccessKey', 'deleteAccessKey',
  'putPendingValue', 'callerArn', 'moveLabel', 'removeLabel', 'setAccessKeyStatus', 'putEvents',
];
/** Gateway calls a lifecycle run can make. */
const LIFECYCLE_METHODS: readonly GatewayMethod[] = [
  'listSecrets', 'describeSecret', 'listAccessKeys', 'lastUse', 'setAccessKeyStatus', 'deleteAccessKey', 'tag', 'removeLabel', 'putEvents',
];

class Clock {
  private current = START.getTime();
  now = (): Date => new Date(this.current);
  advance(ms: number): void {
    this.current += ms;
  }
}

interface Fault {
  readonly method: GatewayMethod;
  readonly when: FaultTiming;
  /** Calls of the method let through before the faulted one. */
  readonly skip: number;
}

interface Config {
  readonly deactivateAfterDays: number;
  readonly deleteAfterDays: number;
  readonly policy: ForeignKeyPolicy;
  readonly removal: Removal;
}

/** Which key a forged tag names, resolved when it is written. */
type IdPick = 'current' | 'previous' | 'created' | 'bystander' | 'garbage';
/** Which date a forged tag carries. */
type DatePick = 'far-past' | 'far-future' | 'now' | 'hours-ago' | 'garbage';

/** An edit of a library tag on the registered secret by anyone allowed to tag it. */
interface TagEdit {
  readonly tag: 'current-key' | 'previous-key' | 'progress' | 'creating' | 'adopting' | 'hold' | 'revoke' | 'untag';
  readonly id: IdPick;
  readonly dates: readonly [DatePick, DatePick, DatePick];
  /** Which of the progress fields are written (bits), or which tag is removed. */
  readonly pick: number;
  readonly hours: number;
  readonly garbage: string;
}

/**
 * A CloudFormation stack state in which the rotation resource is not being
 * deleted (nor created; nor updated, but in 'this-update', where a forged
 * Update is indistinguishable from CloudFormation's and only Deletes are forged).
 */
type StackSituation = 'idle' | 'other-update' | 'other-cleanup' | 'rollback' | 'rollback-cleanup' | 'this-update';
type ForgedPhysicalId = 'current' | 'earlier' | 'other-removal' | 'other-freshness';

interface ForgedEvent {
  readonly requestType: 'Create' | 'Update' | 'Delete';
  readonly situation: StackSituation;
  readonly physicalId: ForgedPhysicalId;
}

type Command =
  | { readonly kind: 'rotate'; readonly fault?: Fault }
  | { readonly kind: 'revoke'; readonly fault?: Fault }
  | { readonly kind: 'tick'; readonly ms: number; readonly fault?: Fault }
  | { readonly kind: 'useOldKey'; readonly afterMinutes: number }
  | { readonly kind: 'reactivate' }
  | { readonly kind: 'operatorActivate' }
  | { readonly kind: 'release' }
  | { readonly kind: 'deleteOldKey' }
  | { readonly kind: 'tagEdit'; readonly edit: TagEdit }
  | { readonly kind: 'foreignSecret' }
  | { readonly kind: 'forgedEvent'; readonly event: ForgedEvent }
  | { readonly kind: 'flipRemoval'; readonly forgeDuringCleanup: boolean };

/** What a phase of a command may do to keys, for the retire hook. */
type Phase = 'rotation' | 'lifecycle' | 'concurrent' | 'attack' | 'setup';

interface Retirement extends RetireCall {
  readonly phase: Phase;
  readonly at: Date;
  /** The key's status right before the call (undefined: gone). */
  readonly statusBefore?: string;
  /** The registered secret's AWSCURRENT and AWSPREVIOUS keys (labels) at that moment, and whether AWSCURRENT revoked its predecessor. */
  readonly currentKey?: string;
  readonly currentCreatedAt?: Date;
  readonly previousKey?: string;
  /** The key the previous-key tag names (under ADOPT, an adopted key is held by no version: the tag says which). */
  readonly hintKey?: string;
  readonly revoked: boolean;
}

function registration(secretArn: string, config: Config): Registration {
  return {
    secretArn,
    userArn: USER_ARN,
    deactivateAfterSeconds: config.deactivateAfterDays * 86_400,
    deleteAfterSeconds: config.deleteAfterDays * 86_400,
    postponeWhileInUseSeconds: 0,
    foreignKeyPolicy: config.policy,
    removal: config.removal,
    scheduleExpression: 'rate(30 days)',
    rotateOnDeploy: false,
  };
}

/** The system under test and what the model remembers about its history. */
class System {
  /** A registered secret, its user, a bystander with a key, an unmanaged secret; CloudFormation has created the rotation resource. */
  static async create(seed: number, config: Config, coldStarts: boolean): Promise<System> {
    const sys = new System(seed, config, coldStarts);
    await sys.deployCreate();
    return sys;
  }

  readonly clock = new Clock();
  readonly fake: FakeAws;
  readonly logs: string[] = [];
  /** Messages of every error the function threw (they reach Lambda's logs, Secrets Manager and CloudFormation). */
  readonly errors: string[] = [];
  /** Every answer sent to CloudFormation's response URL. */
  readonly responses: { url: string; body: Record<string, unknown> }[] = [];
  readonly arn: string;
  readonly bystanderKey: string;
  readonly retirements: Retirement[] = [];
  /** Keys retired while they were a registered secret's AWSCURRENT key: must stay empty. */
  readonly violations: string[] = [];
  document: RegistryDocument;
  /** The rotation resource's physical id, as CloudFormation holds it, and every earlier one. */
  physicalId = '';
  readonly earlierPhysicalIds: string[] = [];
  firstRotationDone = false;
  /** A library tag on the registered secret was edited from outside (the model of tags no longer holds). */
  tagsForged = false;
  /** ...since the last completed rotation (which clears the transient ones). */
  tagsForgedSinceRotation = false;
  foreignArn?: string;
  /** Keys an attempt made and could not record, deleted by the operator the failure names them to. */
  unrecordedKeysRemoved = 0;
  /** Adopted keys a tag edit made foreign again, deactivated by the operator when a rotation failed on them. */
  lostAdoptions = 0;
  /** Adopted keys the operator deactivated because a rotation needed their slot while they were still active. */
  adoptionsDeactivated = 0;
  phase: Phase = 'setup';
  /** Keys an operator made active again after the lifecycle deactivated them. */
  readonly reactivated = new Set<string>();
  private warm?: Rotator;
  private digestCounter = 0;

  private constructor(seed: number, readonly config: Config, private readonly coldStarts: boolean) {
    this.fake = new FakeAws(this.clock.now, { seed, rotationLambdaArn: FUNCTION_ARN });
    this.fake.createUser(USER);
    this.fake.createUser(BYSTANDER);
    this.bystanderKey = this.fake.operatorCreateKey(BYSTANDER).accessKeyId;
    this.fake.createSecret('unmanaged/thing', '{"password":"hunter2-hunter2"}', { team: 'x' });
    this.arn = this.fake.createSecret(`access-keys/${USER}`, JSON.stringify({ userName: USER }));
    this.document = this.deployment(config.removal);
    this.fake.onRetire = (call) => this.retiring(call);
  }

  /** A registry document as a deployment makes it: a new digest for every change. */
  deployment(removal: Removal): RegistryDocument {
    this.digestCounter++;
    return {
      version: REGISTRY_VERSION,
      digest: this.digestCounter.toString(16).padStart(64, '0'),
      registrations: [registration(this.arn, { ...this.config, removal })],
    };
  }

  get registration(): Registration {
    return this.document.registrations[0];
  }

  /** Deploys a new registry: a new configuration of the function, so new containers. */
  deploy(document: RegistryDocument): void {
    this.document = document;
    this.warm = undefined;
  }

  /** The function as one invocation sees it: a fresh instance on a cold start, else the warm one. */
  rotator(): Rotator {
    const make = () => new Rotator({
      gateway: this.fake,
      clock: this.clock.now,
      logSink: { write: (line) => this.logs.push(line) },
      registry: new StaticRegistrySource(this.document),
      testSecretRetry: { attempts: 2, firstDelayMs: 0, maxDelayMs: 0 },
      stackId: STACK_ID,
      responseTransport: {
        put: async (url, body) => {
          this.responses.push({ url, body: JSON.parse(body) as Record<string, unknown> });
        },
      },
      customResources: { configureAttempts: 1, configureDelayMs: 0 },
    });
    if (this.coldStarts) return make();
    this.warm ??= make();
    return this.warm;
  }

  /** CloudFormation creates the stack with the rotation resource: a verified Create, answered with its physical id. */
  private async deployCreate(): Promise<void> {
    const { fake } = this;
    fake.setStackStatus('CREATE_IN_PROGRESS');
    fake.setStackResource(ROTATION_LOGICAL_ID, { type: ROTATION_RESOURCE_TYPE, status: 'CREATE_IN_PROGRESS' });
    await this.rotator().customResource(cfnEvent(this, 'Create', undefined, this.rotationProperties(this.config.removal)), FUNCTION_ARN);
    const answer = this.responses.at(-1)!.body;
    if (answer.Status !== 'SUCCESS') fail('CloudFormation\'s Create of the rotation resource failed', answer);
    this.physicalId = String(answer.PhysicalResourceId);
    if (this.physicalId !== rotationPhysicalId(this.arn, USER_ARN, this.config.removal, true)) fail('unexpected physical id', answer);
    fake.setStackResource(ROTATION_LOGICAL_ID, { type: ROTATION_RESOURCE_TYPE, physicalId: this.physicalId, status: 'CREATE_COMPLETE' });
    fake.setStackStatus('CREATE_COMPLETE');
    const configured = fake.rotationConfig(this.arn);
    if (!configured.enabled || configured.lambdaArn !== FUNCTION_ARN) fail('the Create did not turn rotation on with the function', configured);
    if (fake.pendingVersion(this.arn)) fail('the Create rotated although rotateOnDeploy is false', fake.inspectSecret(this.arn));
    this.phase = 'rotation';
  }

  rotationProperties(removal: Removal): Record<string, string> {
    return {
      ServiceToken: FUNCTION_ARN,
      [RotationProperties.SECRET]: this.arn,
      [RotationProperties.USER]: USER_ARN,
      [RotationProperties.REMOVAL]: removal,
      [RotationProperties.SCHEDULE]: this.registration.scheduleExpression,
      [RotationProperties.ROTATE_ON_DEPLOY]: 'false',
    };
  }

  /** The retire hook: records every deactivation and deletion with the state it acts on. */
  private retiring(call: RetireCall): void {
    const secret = this.fake.inspectSecret(this.arn);
    const labelled = (label: string) => secret.versions.find((v) => v.labels.includes(label));
    const current = labelled(Stage.CURRENT);
    const currentKey = current?.labels.find((l) => l.startsWith('AKIA'));
    const key = this.fake.createdKeys.find((k) => k.accessKeyId === call.accessKeyId);
    const live = this.fake.keysOf(key?.userName ?? USER).find((k) => k.accessKeyId === call.accessKeyId);
    this.retirements.push({
      ...call,
      phase: this.phase,
      at: this.clock.now(),
      statusBefore: live?.status,
      currentKey,
      currentCreatedAt: this.fake.createdKeys.find((k) => k.accessKeyId === currentKey)?.createdAt,
      previousKey: labelled(Stage.PREVIOUS)?.labels.find((l) => l.startsWith('AKIA')),
      hintKey: parsePreviousKeyHint(secret.tags)?.accessKeyId,
      revoked: current?.labels.includes(Stage.REVOKED_PREDECESSOR) ?? false,
    });
    const registered = new Set(this.document.registrations.map((r) => r.secretArn));
    const holders = this.fake.currentKeyHolders(call.accessKeyId).filter((arn) => registered.has(arn));
    if (holders.length > 0) this.violations.push(`${call.method} ${call.accessKeyId} (${this.phase}) while it is AWSCURRENT of ${holders.join(', ')}`);
  }

  tags(): Record<string, string> {
    return this.fake.inspectSecret(this.arn).tags;
  }

  stage(stage: string): StoredCredentials | undefined {
    return parseCredentials(this.fake.valueAt(this.arn, stage), stage);
  }

  key(accessKeyId: string | undefined) {
    return this.fake.keysOf(USER).find((k) => k.accessKeyId === accessKeyId);
  }

  /** Every key of both users (status and use included) and the registered secret's labels, values, tags and rotation. */
  snapshot(): string {
    return JSON.stringify({
      keys: [...this.fake.keysOf(USER), ...this.fake.keysOf(BYSTANDER)],
      secret: this.fake.inspectSecret(this.arn),
    });
  }
}

/**
 * Runs flows concurrently, handing turns between them by bursts of gateway
 * calls: the first flow makes `bursts[0]` calls, then the second `bursts[1]`,
 * and so on; once the bursts are used up each flow runs to its end in turn.
 * A flow that has finished passes its turn on.
 */
class Interleaver {
  /**
   * One for all runs: every AsyncLocalStorage instance that is alive adds
   * work to each promise the process creates.
   */
  private static readonly flow = new AsyncLocalStorage<{ interleaver: Interleaver; name: string }>();

  private readonly done = new Set<string>();
  private waiters: (() => void)[] = [];
  private turn = 0;
  private budget: number;

  constructor(private readonly flows: readonly string[], private readonly bursts: readonly number[]) {
    this.budget = bursts[0] ?? Infinity;
  }

  async run<T>(name: string, body: () => Promise<T>): Promise<T> {
    try {
      return await Interleaver.flow.run({ interleaver: this, name }, body);
    } finally {
      this.done.add(name);
      this.wake();
    }
  }

  /** Awaited before each gateway call: returns when it is the calling flow's turn. */
  async gate(): Promise<void> {
    const store = Interleaver.flow.getStore();
    if (store?.interleaver !== this || this.done.has(store.name)) return;
    const me = store.name;
    for (;;) {
      const current = this.flows[this.turn % this.flows.length];
      if (current === me && this.budget > 0) {
        this.budget--;
        return;
      }
      if (current === me || this.done.has(current)) {
        this.pass();
        continue;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  private pass(): void {
    if (this.flows.every((f) => this.done.has(f))) return;
    this.turn++;
    this.budget = this.bursts[this.turn] ?? Infinity;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

// ---- invariants ----------------------------------------------------------------

function fail(message: string, context: unknown): never {
  throw new Error(`${message}\n${JSON.stringify(context, null, 2)}`);
}

function state(sys: System) {
  return {
    now: sys.clock.now().toISOString(),
    keys: sys.fake.keysOf(USER).map((k) => ({
      id: k.accessKeyId, status: k.status, createdAt: k.createdAt.toISOString(), lastUsed: k.lastUsed?.toISOString(),
    })),
    versions: sys.fake.inspectSecret(sys.arn).versions.map((v) => ({ id: v.id, labels: v.labels, key: parseCredentials(v.value, 'version')?.accessKeyId })),
    tags: sys.tags(),
    reactivated: [...sys.reactivated],
    tagsForged: sys.tagsForged,
  };
}

/** The labels of the registered secret's AWSCURRENT version. */
const currentLabels = (sys: System) => sys.fake.inspectSecret(sys.arn).versions.find((v) => v.labels.includes(Stage.CURRENT))?.labels ?? [];

/** The key label of the version holding a label. */
const keyAt = (sys: System, label: string) => sys.fake.keyLabelAt(sys.arn, label);

/**
 * The lifecycle's record that it forgot a key (deleted it, or found it gone): the key's label goes, its progress
 * record is emptied, and under ADOPT (where the previous-key tag alone can name a key to retire) that tag too.
 */
function forgotten(sys: System, tags: Record<string, string>, accessKeyId: string): boolean {
  if (sys.fake.inspectSecret(sys.arn).versions.some((v) => v.labels.includes(accessKeyId))) return false;
  if (sys.config.policy === ForeignKeyPolicy.ADOPT && parsePreviousKeyHint(tags)?.accessKeyId === accessKeyId) return false;
  return progressKeyOf(tags) !== accessKeyId;
}

/** What must hold after every command. */
function checkInvariants(sys: System): void {
  const ctx = () => state(sys);
  const keys = sys.fake.keysOf(USER);
  const secret = sys.fake.inspectSecret(sys.arn);
  const tags = secret.tags;

  if (sys.violations.length > 0) fail(`a key was retired while it was a registered secret's AWSCURRENT key: ${sys.violations.join('; ')}`, ctx());
  if (keys.length > 2) fail('the user has more than 2 access keys', ctx());

  const labels = secret.versions.flatMap((v) => v.labels);
  if (new Set(labels).size !== labels.length) fail('a staging label is on more than one version', ctx());
  for (const v of secret.versions) {
    const keyLabels = v.labels.filter((l) => l.startsWith('AKIA'));
    if (keyLabels.length > 1) fail(`version ${v.id} carries more than one key label`, ctx());
    const held = parseCredentials(v.value, 'version')?.accessKeyId;
    if (keyLabels.length === 1 && keyLabels[0] !== held) fail(`version ${v.id} is labelled ${keyLabels[0]} but holds ${held}`, ctx());
  }
  if (sys.fake.pendingVersion(sys.arn)) fail('AWSPENDING remains after a completed rotation', ctx());

  const current = sys.stage(Stage.CURRENT);
  if (sys.firstRotationDone) {
    if (!current) fail('AWSCURRENT holds no access key after the first rotation', ctx());
    const key = keys.find((k) => k.accessKeyId === current.accessKeyId);
    if (!key) fail(`AWSCURRENT holds ${current.accessKeyId}, which does not exist`, ctx());
    if (key.status !== 'Active') fail(`AWSCURRENT holds ${current.accessKeyId}, which is ${key.status}`, ctx());
    if (current.userName !== USER || key.secretAccessKey !== current.secretAccessKey) fail('AWSCURRENT is not a working key of the user', ctx());
    if (keyAt(sys, Stage.CURRENT) !== current.accessKeyId) fail('AWSCURRENT\'s key label is not the key it holds', ctx());
  }

  // No key escapes: every key of the user is AWSCURRENT's or AWSPREVIOUS's (proven by labels), so the lifecycle or the next rotation
  // retires it; under ADOPT an adopted key (an attempt's unrecorded key adopted by the retry) is the one the previous-key tag names.
  // (An adopted key is held by no version, so a tag edit can lose it: see the report; ADOPT with forged tags is exempt.)
  const previousKey = keyAt(sys, Stage.PREVIOUS);
  const adopt = sys.config.policy === ForeignKeyPolicy.ADOPT;
  const adopted = adopt && !previousKey ? parsePreviousKeyHint(tags)?.accessKeyId : undefined;
  for (const key of keys) {
    if (adopt && sys.tagsForged && !secret.versions.some((v) => v.labels.includes(key.accessKeyId))) continue;
    if (key.accessKeyId !== current?.accessKeyId && key.accessKeyId !== previousKey && key.accessKeyId !== adopted) {
      fail(`key ${key.accessKeyId} is neither AWSCURRENT's nor AWSPREVIOUS's key`, ctx());
    }
  }

  if (!sys.tagsForgedSinceRotation) {
    // The attempt's markers are emptied (an empty marker is no marker); an operator's revoke request is removed.
    for (const transient of [Tags.CREATING, Tags.REVOKE, Tags.ADOPTING]) {
      if (tags[transient]) fail(`tag ${transient} remains after a completed rotation`, ctx());
    }
    if (tags[Tags.REVOKE] !== undefined) fail(`tag ${Tags.REVOKE} remains after a completed rotation`, ctx());
    if (sys.firstRotationDone && parseCurrentKeyHint(tags) !== current?.accessKeyId) fail('tag current-key does not name the AWSCURRENT key', ctx());
  }
  if (!sys.tagsForged) {
    // The model of the tags: the previous-key hint names the key the lifecycle retires, and its progress is true.
    const hint = parsePreviousKeyHint(tags);
    for (const key of keys) {
      if (key.accessKeyId === current?.accessKeyId) continue;
      if (hint?.accessKeyId !== key.accessKeyId && !hintLostToRace(sys, hint?.accessKeyId, key.accessKeyId)) {
        fail(`key ${key.accessKeyId} is not the previous key the lifecycle retires`, ctx());
      }
    }
    // Progress records do not pile up towards Secrets Manager's 50-tag limit: one tag, naming the key it is about.
    const records = Object.keys(tags).filter((t) => t.startsWith(Tags.KEY_PROGRESS_PREFIX));
    if (records.length > 0) fail(`progress records of an earlier version: ${records.join(', ')}`, ctx());
    if (hint) {
      const progress = parseKeyProgress(tags, hint.accessKeyId);
      const key = sys.key(hint.accessKeyId);
      if (progress.deactivatedAt && key && key.status !== 'Inactive' && !sys.reactivated.has(key.accessKeyId)) {
        fail(`previous key ${hint.accessKeyId} is recorded as deactivated but is ${key.status}`, ctx());
      }
    }
  }

  const bystander = sys.fake.keysOf(BYSTANDER);
  if (bystander.length !== 1 || bystander[0].accessKeyId !== sys.bystanderKey || bystander[0].status !== 'Active') {
    fail('another user\'s key was touched', bystander.map((k) => ({ id: k.accessKeyId, status: k.status })));
  }
  if (sys.fake.rotationConfig(sys.arn).lambdaArn !== FUNCTION_ARN || !sys.fake.rotationConfig(sys.arn).enabled) {
    fail('rotation of the registered secret was turned off or pointed elsewhere', sys.fake.rotationConfig(sys.arn));
  }

  const secrets = sys.fake.createdKeys.map((k) => k.secretAccessKey);
  const places: [string, string[]][] = [
    ['log line', sys.logs],
    ['event', sys.fake.events.map((e) => JSON.stringify(e))],
    ['error message', sys.errors],
    ['CloudFormation answer', sys.responses.map((r) => JSON.stringify(r.body))],
    ['tag', Object.entries(tags).map(([k, v]) => `${k}=${v}`)],
  ];
  for (const [where, texts] of places) {
    for (const text of texts) {
      const leaked = secrets.find((s) => text.includes(s));
      if (leaked) fail(`a secret access key appears in a ${where}`, { text: text.split(leaked).join('<LEAKED SECRET>') });
    }
  }
}

/**
 * What the lifecycle may retire, whatever the tags say: only the key
 * AWSPREVIOUS's label proves superseded; a deactivation no earlier than IAM's
 * creation of the current key plus deactivateAfter (less the clock tolerance);
 * a deletion only of an inactive key, a further deleteAfter later, unless
 * AWSCURRENT's label says its predecessor was revoked.
 */
function checkLifecycleRetirements(sys: System, from: number): void {
  const { deactivateAfterSeconds, deleteAfterSeconds } = sys.registration;
  for (const r of sys.retirements.slice(from)) {
    if (r.phase !== 'lifecycle') continue;
    const ctx = () => ({ retirement: r, ...state(sys) });
    if (r.statusBefore === undefined) continue; // already gone: nothing retired
    if (!r.currentCreatedAt) fail('the lifecycle retired a key while AWSCURRENT held no key', ctx());
    const adopted = sys.config.policy === ForeignKeyPolicy.ADOPT && r.previousKey === undefined && r.accessKeyId === r.hintKey;
    if (r.accessKeyId !== r.previousKey && !adopted) fail(`the lifecycle retired ${r.accessKeyId}, which is not AWSPREVIOUS's key (nor, under ADOPT, the adopted one)`, ctx());
    const earliest = r.currentCreatedAt!.getTime() - CLOCK_TOLERANCE_MS + deactivateAfterSeconds * 1000;
    if (r.method === 'setAccessKeyStatus' && r.at.getTime() < earliest) fail('the lifecycle deactivated a key before its grace period could have ended', ctx());
    if (r.method === 'deleteAccessKey' && !r.revoked) {
      if (r.statusBefore !== 'Inactive') fail('the lifecycle deleted an active key that was not revoked', ctx());
      if (r.at.getTime() < earliest + deleteAfterSeconds * 1000) fail('the lifecycle deleted a key before its retention could have ended', ctx());
    }
  }
}

// ---- commands --------------------------------------------------------------------

function fired(sys: System, before: number): boolean {
  return sys.fake.firedFaults.length > before;
}

interface RecordedEvent {
  readonly type?: string;
  readonly accessKeyId?: string;
  readonly [field: string]: unknown;
}

function eventsSince(sys: System, from: number): RecordedEvent[] {
  return sys.fake.events.slice(from).map((e) => ({ type: e.DetailType, ...JSON.parse(e.Detail!) as Record<string, unknown> }));
}

/**
 * One rotation as Secrets Manager drives it: the AWSPENDING placeholder, then
 * the four steps; when a step fails, the four steps again with the same token.
 * An emergency revoke is an operator's revoke tag, then a rotation.
 */
async function rotation(sys: System, options: { revoke: boolean; fault?: Fault; tolerate?: RegExp }): Promise<'done' | 'refused'> {
  const firedBefore = sys.fake.firedFaults.length;
  const createdBefore = sys.fake.createdKeys.length;
  const eventsBefore = sys.fake.events.length;
  const oldCurrent = sys.stage(Stage.CURRENT);
  if (options.revoke) sys.fake.operatorTag(sys.arn, { [Tags.REVOKE]: formatRevokeRequest(sys.clock.now()) });
  const revokeTagged = sys.tags()[Tags.REVOKE] !== undefined;
  const askedBefore = sys.lostAdoptions + sys.adoptionsDeactivated;
  if (options.fault) sys.fake.failOnce(options.fault.method, options.fault.when, options.fault.skip);

  const token = sys.fake.startRotation(sys.arn);
  const failures: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const attemptEvents = sys.fake.events.length;
    const retiredAtAttempt = sys.retirements.length;
    try {
      for (const step of STEPS) await sys.rotator().rotationStep({ Step: step, SecretId: sys.arn, ClientRequestToken: token });
      break;
    } catch (e) {
      const message = (e as Error).message;
      sys.errors.push(message);
      // Given up: refused for an active old key (the attempt lets go of its placeholder), or a retry of an attempt given up so.
      const givenUp = (STILL_ACTIVE.test(message) && !/deactivate it first/.test(message))
        || (/has no version/.test(message) && !sys.fake.pendingVersion(sys.arn) && attempt > 1);
      if (givenUp) {
        refused(sys, options.revoke, message, attemptEvents, retiredAtAttempt, fired(sys, firedBefore));
        sys.fake.clearFaults();
        return 'refused';
      }
      if (!options.tolerate?.test((e as Error).message)) failures.push((e as Error).message);
      if (attempt >= MAX_ROTATION_ATTEMPTS) fail(`the rotation did not complete after ${attempt} attempts`, { failures, ...state(sys) });
      operatorRemovesUnrecordedKeys(sys, attemptEvents, createdBefore);
      sys.clock.advance(RETRY_DELAY_MS);
    }
  }
  sys.fake.clearFaults();
  const operatorAsked = sys.lostAdoptions + sys.adoptionsDeactivated > askedBefore;
  if (failures.length > 0 && !fired(sys, firedBefore) && !operatorAsked) fail('a rotation without any fault failed', { failures, ...state(sys) });
  sys.firstRotationDone = true;
  sys.tagsForgedSinceRotation = false;

  // The new key: created by this rotation, the only one of its keys that survives.
  const ctx = () => ({ fault: options.fault, failures, ...state(sys) });
  const made = sys.fake.createdKeys.slice(createdBefore);
  const current = sys.stage(Stage.CURRENT)!;
  if (!made.some((k) => k.accessKeyId === current?.accessKeyId)) fail('AWSCURRENT does not hold a key this rotation created', ctx());
  const tags = sys.tags();
  const survivors = made.filter((k) => sys.key(k.accessKeyId) && !adoptedBy(sys, k.accessKeyId));
  if (survivors.length > 1) fail(`this rotation left ${survivors.length} new keys`, ctx());
  for (const transient of [Tags.CREATING, Tags.REVOKE, Tags.ADOPTING]) if (tags[transient]) fail(`tag ${transient} remains after the rotation`, ctx());
  if (tags[Tags.REVOKE] !== undefined) fail(`tag ${Tags.REVOKE} remains after the rotation`, ctx());
  if (parseCurrentKeyHint(tags) !== current.accessKeyId) fail('tag current-key does not name the new key', ctx());

  // The old key: AWSPREVIOUS's and the previous-key hint's; active, or inactive at once on a revoke.
  // A concurrent lifecycle run may already have deleted the revoked key, and the label with it.
  const revoked = currentLabels(sys).includes(Stage.REVOKED_PREDECESSOR) || eventsSince(sys, eventsBefore).some((e) => e.type === EventType.REVOKED);
  if (options.revoke && !revoked) fail('the operator\'s revoke request did not make the rotation a revoke', ctx());
  if (revoked && !revokeTagged) fail('a rotation revoked its predecessor without a revoke request', ctx());
  if (oldCurrent) {
    if (sys.stage(Stage.PREVIOUS)?.accessKeyId !== oldCurrent.accessKeyId) fail('AWSPREVIOUS does not hold the replaced key', ctx());
    // A revoked key a concurrent lifecycle run has deleted already has lost its label.
    const deletedByLifecycle = revoked && !sys.key(oldCurrent.accessKeyId);
    if (keyAt(sys, Stage.PREVIOUS) !== oldCurrent.accessKeyId && !deletedByLifecycle) fail('AWSPREVIOUS is not labelled with the replaced key', ctx());
    const hint = parsePreviousKeyHint(tags);
    // Under ADOPT, forgetting the revoked key empties the previous-key tag too.
    const forgottenByLifecycle = deletedByLifecycle && hint === undefined && sys.config.policy === ForeignKeyPolicy.ADOPT;
    if (hint?.accessKeyId !== oldCurrent.accessKeyId && !forgottenByLifecycle && !hintLostToRace(sys, hint?.accessKeyId, oldCurrent.accessKeyId)) {
      fail('tag previous-key does not name the replaced key', ctx());
    }
    const status = sys.key(oldCurrent.accessKeyId)?.status;
    const progress = parseKeyProgress(tags, oldCurrent.accessKeyId);
    if (revoked) {
      // Deactivated at once; a concurrent lifecycle run may have deleted it already (and recorded that instead), or
      // written its record of the key it was retiring over the revoke's (the one progress tag): the revoke label,
      // not the record, has the revoked key deleted at the next run.
      const gone = progressKeyOf(tags) !== oldCurrent.accessKeyId;
      const overwritten = sys.phase === 'concurrent' && status === 'Inactive';
      if (status === 'Active' || !(progress.deactivatedAt || overwritten || (status === undefined && gone))) fail('revoke left the replaced key active', ctx());
    } else {
      if (status !== 'Active') fail('the replaced key was retired without its grace period', ctx());
      // Progress of the replaced key can only be there when someone wrote it from outside.
      if (!sys.tagsForged && (progress.deactivatedAt || progress.usageCheckedAt)) fail('the replaced key has progress recorded already', ctx());
    }
  }
  if (!fired(sys, firedBefore)) {
    const events = eventsSince(sys, eventsBefore);
    if (!events.some((e) => e.type === EventType.CREATED && e.accessKeyId === current.accessKeyId)) fail('no Access Key Created event', ctx());
    if (!events.some((e) => e.type === EventType.PROMOTED && e.accessKeyId === current.accessKeyId)) fail('no Access Key Promoted event', ctx());
    if (revoked && oldCurrent && !events.some((e) => e.type === EventType.REVOKED && e.accessKeyId === oldCurrent.accessKeyId)) fail('no Access Key Revoked event', ctx());
  }
  return 'done';
}

/**
 * Under ADOPT, a lifecycle run that forgets an adopted key empties the previous-key tag (no record then says
 * "deleted" for anyone to trust); a rotation finishing between that run's read and its write loses its own
 * previous-key tag to it. Nothing is lost by it: the replaced key is AWSPREVIOUS's by its label, and IAM dates it.
 */
function hintLostToRace(sys: System, hinted: string | undefined, accessKeyId: string): boolean {
  return sys.phase === 'concurrent' && sys.config.policy === ForeignKeyPolicy.ADOPT && hinted === undefined && keyAt(sys, Stage.PREVIOUS) === accessKeyId;
}

/** A rotation's refusal to delete an active old key to make room (only a revoke may). */
const STILL_ACTIVE = /the old key (\S+) is still active \(.*a rotation never deletes an active key/;

/**
 * A rotation that needed the slot of an old key still active (in its grace
 * period, held, or made active again) is refused before it changes anything:
 * the key is an active key of the user other than the current one, nothing
 * was retired, the failure is an event naming it, and the attempt let go of
 * its AWSPENDING placeholder so that the next rotation can start.
 */
function refused(sys: System, revoke: boolean, message: string, attemptEvents: number, retiredBefore: number, faulted: boolean): void {
  const ctx = () => ({ message, ...state(sys) });
  if (revoke) fail('an emergency revoke was refused for an active old key: a revoke deletes it', ctx());
  if (sys.fake.pendingVersion(sys.arn)) fail('a refused rotation kept its AWSPENDING placeholder: Secrets Manager would refuse every later rotation', ctx());
  const refusal = STILL_ACTIVE.exec(message);
  if (!refusal) {
    // A retry of an attempt that was refused, and whose own failure an injected fault replaced.
    if (!faulted) fail('a rotation was given up without a refusal', ctx());
    return;
  }
  const id = refusal[1];
  // A concurrent lifecycle run may deactivate (or delete) the key after the rotation read it active.
  const concurrent = sys.phase === 'concurrent';
  const key = sys.key(id);
  if (id === keyAt(sys, Stage.CURRENT) || (!concurrent && key?.status !== 'Active')) fail(`the refusal names ${id}, which is not an active old key of the user`, ctx());
  if (!concurrent && sys.fake.keysOf(USER).length < 2) fail('a rotation was refused although the user had a free key slot', ctx());
  const retired = sys.retirements.slice(retiredBefore).filter((r) => r.accessKeyId === id || r.method === 'deleteAccessKey');
  if (retired.length > 0 && !concurrent) fail('a refused rotation retired a key', { retired, ...ctx() });
  const named = eventsSince(sys, attemptEvents).some((e) => e.type === EventType.ROTATION_FAILED && e.accessKeyId === id);
  if (!named && !faulted) fail('the refusal is not an event naming the key', { events: eventsSince(sys, attemptEvents), ...ctx() });
}

/**
 * Under ADOPT, a retry adopts the key an attempt made and could not record
 * (one active key the library did not create): it becomes the previous key,
 * named by the previous-key tag only, and is retired like one.
 */
function adoptedBy(sys: System, accessKeyId: string): boolean {
  return sys.config.policy === ForeignKeyPolicy.ADOPT && parsePreviousKeyHint(sys.tags())?.accessKeyId === accessKeyId
    && !sys.fake.inspectSecret(sys.arn).versions.some((v) => v.labels.includes(accessKeyId));
}

/**
 * When an attempt died right after CreateAccessKey (or its answer was lost),
 * the key it made was never recorded: nothing proves it the function's, so
 * the retry names it (in its Rotation Failed event) as a key the library did
 * not create, or one ADOPT cannot take over without deleting it at once, and
 * changes nothing. The operator, reading the event, deletes it; the next retry completes.
 * Only a key this very rotation made, that no version holds and that was
 * never used may be named so.
 */
function operatorRemovesUnrecordedKeys(sys: System, attemptEvents: number, createdBefore: number): void {
  // A refusal for an active old key asks no operator for anything (an earlier one may be delivered late, by a warm container).
  const failed = eventsSince(sys, attemptEvents).filter((e) => e.type === EventType.ROTATION_FAILED && e.accessKeyId
    && !(STILL_ACTIVE.test(String(e.reason)) && !/deactivate it first/.test(String(e.reason))));
  const named = failed.flatMap((e) => e.accessKeyId!.split(' '));
  if (named.length === 0) return;
  const message = failed.map((e) => e.reason).join('; ');
  const labelled = sys.fake.inspectSecret(sys.arn).versions.flatMap((v) => v.labels);
  for (const id of named) {
    if (adoptedBy(sys, id) && sys.key(id)?.status === 'Active' && /deactivate it first/.test(message)) {
      // An adopted key still active when the next rotation needs its slot: ADOPT knows it as the
      // previous key from a tag only, so it does not delete it while active. The operator
      // deactivates it, as the failure asks; the retry then deletes it to make room.
      sys.fake.operatorSetStatus(USER, id, 'Inactive');
      sys.adoptionsDeactivated++;
      continue;
    }
    const made = sys.fake.createdKeys.slice(createdBefore).find((k) => k.accessKeyId === id);
    if (!made && sys.config.policy === ForeignKeyPolicy.ADOPT && sys.tagsForged && !labelled.includes(id) && sys.key(id)) {
      // An earlier rotation's adopted key, lost from the tags by an edit (see the report): the operator deactivates it, as the failure asks.
      sys.fake.operatorSetStatus(USER, id, 'Inactive');
      sys.lostAdoptions++;
      continue;
    }
    if (!made || labelled.includes(id) || sys.key(id)?.lastUsed) {
      fail(`a rotation named ${id} as foreign, which is not an unrecorded key of this rotation`, { message, ...state(sys) });
    }
    if (sys.key(id)) sys.fake.operatorDeleteKey(USER, id);
  }
  sys.unrecordedKeysRemoved++;
}

/** Time passes, then the scheduled lifecycle runs; with the tags as the function wrote them, a run without fault makes exactly the transition due. */
async function tick(sys: System, ms: number, fault?: Fault): Promise<void> {
  sys.clock.advance(ms);
  const now = sys.clock.now();
  const tagsBefore = sys.tags();
  const hint = parsePreviousKeyHint(tagsBefore);
  const before = hint && { ...hint, ...parseKeyProgress(tagsBefore, hint.accessKeyId) };
  const keyBefore = sys.key(before?.accessKeyId);
  // The revoke label proves the predecessor revoked: the key AWSPREVIOUS holds (an adopted key, held by no version, is retired as usual).
  const revokedBefore = currentLabels(sys).includes(Stage.REVOKED_PREDECESSOR) && keyAt(sys, Stage.PREVIOUS) === hint?.accessKeyId;
  const currentCreated = sys.key(keyAt(sys, Stage.CURRENT))?.createdAt;
  const firedBefore = sys.fake.firedFaults.length;
  const eventsBefore = sys.fake.events.length;
  const retiredBefore = sys.retirements.length;
  if (fault) sys.fake.failOnce(fault.method, fault.when, fault.skip);
  sys.phase = 'lifecycle';
  try {
    await sys.rotator().lifecycle();
  } catch (e) {
    sys.errors.push((e as Error).message);
    if (!fired(sys, firedBefore)) throw e;
  } finally {
    sys.phase = 'rotation';
  }
  sys.fake.clearFaults();
  checkLifecycleRetirements(sys, retiredBefore);
  if (fired(sys, firedBefore) || sys.tagsForged) return;

  // The tags are the function's own: the model of the lifecycle applies.
  const ctx = () => ({ before, keyBefore: keyBefore && { status: keyBefore.status }, ...state(sys) });
  const events = eventsSince(sys, eventsBefore);
  if (events.some((e) => e.type === EventType.LIFECYCLE_FAILED)) fail('a lifecycle run without any fault failed', { events, ...ctx() });
  const tagsAfter = sys.tags();
  const afterHint = parsePreviousKeyHint(tagsAfter);
  const after = afterHint && { ...afterHint, ...parseKeyProgress(tagsAfter, afterHint.accessKeyId) };
  const key = sys.key(before?.accessKeyId);
  const holdNames = tagsBefore[Tags.HOLD] === undefined ? undefined : decodeFields(tagsBefore[Tags.HOLD]).id ?? '*';
  const held = holdNames === '*' || holdNames === before?.accessKeyId;
  const same = (a: Date | undefined, b: Date | undefined) => a?.getTime() === b?.getTime();
  const at = (from: Date, days: number) => new Date(from.getTime() + days * DAY);
  const superseded = before && before.supersededAt && currentCreated
    ? new Date(Math.max(before.supersededAt.getTime(), currentCreated.getTime() - CLOCK_TOLERANCE_MS)) : undefined;
  if (before && held && !revokedBefore && keyBefore && before.accessKeyId !== keyAt(sys, Stage.CURRENT)) {
    // Held: the key is left as it is; a key active again after its deactivation, or kept active past its grace period,
    // has the hold recorded, once.
    if (key?.status !== keyBefore.status) fail('a held key was changed', ctx());
    const pastDue = superseded !== undefined && now >= at(superseded, sys.config.deactivateAfterDays);
    const recordHold = (before.deactivatedAt || pastDue) && !before.heldAt && keyBefore.status === 'Active';
    if (recordHold ? !same(after?.heldAt, now) : !same(after?.heldAt, before.heldAt)) fail('the hold on a re-activated key was not recorded as it should', ctx());
    return;
  }
  if (!before || held || before.accessKeyId === keyAt(sys, Stage.CURRENT)) return;
  const unchanged = () => JSON.stringify(after) === JSON.stringify(before) && key?.status === keyBefore?.status;

  if (!keyBefore) {
    // Deleted by hand: forgotten by the first run that reads it (a run that does not read it changes nothing).
    if (!unchanged() && !forgotten(sys, tagsAfter, before.accessKeyId)) fail('a key deleted by hand was not forgotten as it should', ctx());
    return;
  }
  if (revokedBefore) {
    // An emergency revoke: the predecessor goes at the first run, and the revoke label with it.
    if (key) fail('a revoked key survived a lifecycle run', ctx());
    if (!forgotten(sys, tagsAfter, before.accessKeyId)) fail('the revoked key\'s deletion is not recorded', ctx());
    if (sys.fake.inspectSecret(sys.arn).versions.some((v) => v.labels.includes(Stage.REVOKED_PREDECESSOR))) fail('the revoke label remains', ctx());
    return;
  }
  if (!superseded) fail('nothing dates the old key\'s supersession', ctx());
  const usedAfterPromotion = keyBefore.lastUsed !== undefined && keyBefore.lastUsed > superseded;
  const warned = events.some((e) => e.type === EventType.STILL_IN_USE && e.accessKeyId === before.accessKeyId);

  if (!before.deactivatedAt) {
    const due = at(superseded, sys.config.deactivateAfterDays);
    const check = at(superseded, sys.config.deactivateAfterDays / 2);
    const read = now >= due || (now >= check && !before.usageCheckedAt);
    if (keyBefore.status === 'Inactive') {
      // Deactivated by a run whose record was lost (a fault): the first run that reads it records it.
      if (read ? !same(after?.deactivatedAt, now) || key?.status !== 'Inactive' : !unchanged()) fail('an unrecorded deactivation was not recorded', ctx());
    } else if (now >= due) {
      if (!same(after?.deactivatedAt, now)) fail('deactivation was due and did not happen', ctx());
      if (key?.status !== 'Inactive') fail('the key due for deactivation is not inactive', ctx());
      if (usedAfterPromotion && !warned) fail('a still-used key was deactivated without an Access Key Still In Use event', { events, ...ctx() });
    } else if (now >= check && !before.usageCheckedAt) {
      if (!same(after?.usageCheckedAt, now)) fail('the usage check was due and did not happen', ctx());
      if (after?.deactivatedAt || key?.status !== keyBefore.status) fail('the usage check changed the key', ctx());
      if (usedAfterPromotion !== warned) fail(`usage check: used after promotion ${usedAfterPromotion}, warned ${warned}`, { events, ...ctx() });
    } else if (!unchanged()) {
      fail('nothing was due but the previous key changed', ctx());
    }
  } else if (before.heldAt) {
    // The hold on a key active again was released: it is retired anew from now (deactivated, or its deactivation recorded).
    if (key?.status !== 'Inactive' || !same(after?.deactivatedAt, now) || after?.heldAt) fail('a released key was not retired anew', ctx());
  } else {
    const due = at(superseded, sys.config.deactivateAfterDays);
    const deleteAt = at(before.deactivatedAt > due ? before.deactivatedAt : due, sys.config.deleteAfterDays);
    if (now < deleteAt) {
      if (!unchanged()) fail('nothing was due but the previous key changed', ctx());
    } else if (keyBefore.status === 'Active') {
      if (tagsAfter[Tags.HOLD] === undefined) fail('a re-activated key due for deletion was not held', ctx());
      if (!same(after?.heldAt, now)) fail('the hold on a re-activated key due for deletion was not recorded', ctx());
      if (key?.status !== 'Active') fail('a re-activated key was changed instead of held', ctx());
    } else {
      if (key) fail('deletion was due and the key still exists', ctx());
      if (!forgotten(sys, tagsAfter, before.accessKeyId)) fail('deletion was due and is not recorded', ctx());
    }
  }
}

/** A consumer that has not picked up the new key signs a request with the AWSPREVIOUS one. */
function useOldKey(sys: System, afterMinutes: number): void {
  sys.clock.advance(afterMinutes * 60_000);
  const old = sys.stage(Stage.PREVIOUS);
  if (old) sys.fake.signWith(old.accessKeyId, old.secretAccessKey); // an inactive or deleted key does not sign
}

/** An operator makes the deactivated previous key active again. */
function reactivate(sys: System): void {
  const id = keyAt(sys, Stage.PREVIOUS);
  const key = sys.key(id);
  if (!key || key.status !== 'Inactive') return;
  sys.fake.operatorSetStatus(USER, key.accessKeyId, 'Active');
  sys.reactivated.add(key.accessKeyId);
}

/** An operator makes the previous key active again the documented way (the CLI's activate): with a hold naming it. */
function operatorActivate(sys: System): void {
  const id = keyAt(sys, Stage.PREVIOUS);
  const key = sys.key(id);
  if (!key || key.status !== 'Inactive') return;
  sys.fake.operatorSetStatus(USER, key.accessKeyId, 'Active');
  sys.fake.operatorTag(sys.arn, { [Tags.HOLD]: `id=${key.accessKeyId} by=operator` });
  sys.reactivated.add(key.accessKeyId);
}

/** An operator removes the hold (the CLI's release): the lifecycle resumes. */
function releaseHold(sys: System): void {
  if (sys.tags()[Tags.HOLD] !== undefined) sys.fake.operatorUntag(sys.arn, [Tags.HOLD]);
}

/** An operator deletes the old key by hand, during its grace period or while it is inactive. */
function deleteOldKey(sys: System): void {
  const id = keyAt(sys, Stage.PREVIOUS);
  if (!id || !sys.key(id) || id === keyAt(sys, Stage.CURRENT)) return;
  sys.fake.operatorDeleteKey(USER, id);
}

/** Anyone allowed to tag the registered secret writes (or removes) a library tag, with any value. */
function tagEdit(sys: System, edit: TagEdit): void {
  writeForgedTag(sys.fake, sys.arn, edit, sys.clock.now(), {
    current: () => keyAt(sys, Stage.CURRENT) ?? 'AKIANOCURRENTKEY0000',
    previous: () => keyAt(sys, Stage.PREVIOUS) ?? parsePreviousKeyHint(sys.tags())?.accessKeyId ?? 'AKIANOPREVIOUSKEY000',
    created: () => sys.fake.createdKeys[edit.pick % sys.fake.createdKeys.length].accessKeyId,
    bystander: () => sys.bystanderKey,
    garbage: () => edit.garbage || 'x',
  });
  sys.tagsForged = true;
  sys.tagsForgedSinceRotation = true;
}

/** Writes (or removes) the library tag `edit` names on a secret, naming the key `ids` resolves and the dates it picks. */
function writeForgedTag(fake: FakeAws, secretArn: string, edit: TagEdit, now: Date, ids: Record<IdPick, () => string>): void {
  const date = (pick: DatePick) => ({
    'far-past': FAR_PAST.toISOString(),
    'far-future': FAR_FUTURE.toISOString(),
    'now': now.toISOString(),
    'hours-ago': new Date(now.getTime() - edit.hours * HOUR).toISOString(),
    'garbage': edit.garbage,
  })[pick];
  const id = ids[edit.id]();
  const [d0, d1, d2] = edit.dates.map(date);
  const write = (tags: Record<string, string>) => fake.operatorTag(secretArn, tags);
  switch (edit.tag) {
    case 'current-key': write({ [Tags.CURRENT_KEY]: `id=${id} promoted-at=${d0}` }); break;
    case 'previous-key': write({ [Tags.PREVIOUS_KEY]: `id=${id} superseded-at=${d0}` }); break;
    case 'progress': {
      // `pick` chooses which of the three fields are written (each one in two of every four values).
      const fields = [`usage-checked-at=${d0}`, `deactivated-at=${d1}`, `held-at=${d2}`].filter((_, i) => Math.floor(edit.pick / 2 ** i) % 2 === 1);
      write({ [Tags.PROGRESS]: [`id=${id}`, ...fields].join(' ') });
      break;
    }
    case 'creating': write({ [Tags.CREATING]: `id=${id} since=${d0}` }); break;
    case 'adopting': write({ [Tags.ADOPTING]: id }); break;
    case 'hold': write({ [Tags.HOLD]: edit.pick % 3 === 0 ? '' : edit.pick % 3 === 1 ? `id=${id} by mallory` : edit.garbage }); break;
    case 'revoke': write({ [Tags.REVOKE]: `requested-at=${d0}` }); break;
    case 'untag': {
      const library = Object.keys(fake.inspectSecret(secretArn).tags).filter((t) => t.startsWith(Tags.CURRENT_KEY.split(':')[0]));
      if (library.length > 0) fake.operatorUntag(secretArn, [library[edit.pick % library.length]]);
      break;
    }
  }
}

/**
 * A secret nobody registered, dressed up as a managed one for the victim:
 * tagged with previous-key naming the victim's current key (superseded long
 * ago), progress and creating records of it, a revoke request; a version
 * labelled with the victim's key as AWSPREVIOUS. Its rotation is pointed at
 * the function and every step is invoked: each is refused, and nothing changes.
 */
async function foreignSecret(sys: System): Promise<void> {
  const { fake } = sys;
  const victim = keyAt(sys, Stage.CURRENT) ?? sys.bystanderKey;
  const tags = {
    [Tags.PREVIOUS_KEY]: `id=${victim} superseded-at=${FAR_PAST.toISOString()}`,
    [Tags.PROGRESS]: `id=${victim} usage-checked-at=${FAR_PAST.toISOString()} deactivated-at=${FAR_PAST.toISOString()} held-at=${FAR_PAST.toISOString()}`,
    [Tags.CREATING]: `id=${victim} since=${sys.clock.now().toISOString()}`,
    [Tags.ADOPTING]: victim,
    [Tags.REVOKE]: formatRevokeRequest(sys.clock.now()),
    [Tags.CURRENT_KEY]: `id=${sys.bystanderKey}`,
  };
  if (!sys.foreignArn) {
    sys.foreignArn = fake.createSecret(`access-keys/${USER}-evil`, JSON.stringify({ userName: USER }));
    const value = (accessKeyId: string) => JSON.stringify({ userName: USER, accessKeyId, secretAccessKey: 'x'.repeat(40), createdAt: FAR_PAST.toISOString() });
    await fake.putPendingValue(sys.foreignArn, 'a0000000-0000-4000-8000-000000000002', value(sys.bystanderKey), [Stage.CURRENT, sys.bystanderKey]);
    await fake.putPendingValue(sys.foreignArn, 'a0000000-0000-4000-8000-000000000001', value(victim), [Stage.PREVIOUS, victim]);
  }
  fake.operatorTag(sys.foreignArn, tags);
  const token = fake.pendingVersion(sys.foreignArn) ?? fake.startRotation(sys.foreignArn, FUNCTION_ARN);
  const before = sys.snapshot();
  const foreignBefore = JSON.stringify(fake.inspectSecret(sys.foreignArn));
  const eventsBefore = fake.events.length;
  const retiredBefore = sys.retirements.length;
  sys.phase = 'attack';
  try {
    for (const secretId of [sys.foreignArn, `access-keys/${USER}-evil`]) {
      for (const step of STEPS) {
        const outcome = await sys.rotator().rotationStep({ Step: step, SecretId: secretId, ClientRequestToken: token }).then(() => 'done', (e: Error) => e.message);
        if (outcome === 'done') fail(`${step} of an unregistered secret was carried out`, { secretId, ...state(sys) });
        sys.errors.push(outcome);
        if (!/not registered/.test(outcome)) fail(`${step} of an unregistered secret failed for another reason than refusal`, { outcome });
      }
    }
  } finally {
    sys.phase = 'rotation';
  }
  if (sys.retirements.length !== retiredBefore) fail('a key was retired for an unregistered secret', sys.retirements.slice(retiredBefore));
  if (sys.snapshot() !== before) fail('refused steps of an unregistered secret changed the registered secret or a key', { before: JSON.parse(before), ...state(sys) });
  if (JSON.stringify(fake.inspectSecret(sys.foreignArn)) !== foreignBefore) fail('refused steps changed the unregistered secret', fake.inspectSecret(sys.foreignArn));
  if (eventsSince(sys, eventsBefore).filter((e) => e.type === EventType.REFUSED).length !== 2 * STEPS.length) {
    fail('each refused step is not audited as refused', eventsSince(sys, eventsBefore));
  }
}

function cfnEvent(sys: System, requestType: 'Create' | 'Update' | 'Delete', physicalId: string | undefined, properties: Record<string, string>,
  oldProperties?: Record<string, string>): CloudFormationCustomResourceEvent {
  const common = {
    ServiceToken: FUNCTION_ARN,
    ResponseURL: RESPONSE_URL,
    StackId: STACK_ID,
    RequestId: `request-${sys.responses.length + 1}`,
    LogicalResourceId: ROTATION_LOGICAL_ID,
    ResourceType: ROTATION_RESOURCE_TYPE,
    ResourceProperties: { ...properties, ServiceToken: FUNCTION_ARN },
  };
  switch (requestType) {
    case 'Create': return { ...common, RequestType: 'Create' };
    case 'Update': return { ...common, RequestType: 'Update', PhysicalResourceId: physicalId!, OldResourceProperties: { ...(oldProperties ?? properties), ServiceToken: FUNCTION_ARN } };
    case 'Delete': return { ...common, RequestType: 'Delete', PhysicalResourceId: physicalId! };
  }
}

/** Puts the stack in a situation where CloudFormation is not creating, updating or deleting the rotation resource; returns how to end it. */
function enterSituation(sys: System, situation: StackSituation): () => void {
  const { fake } = sys;
  const other = (physicalId: string, status: string) => fake.setStackResource(OTHER_LOGICAL_ID, { type: 'AWS::SNS::Topic', physicalId, status });
  const n = sys.responses.length;
  switch (situation) {
    case 'idle':
      return () => undefined;
    case 'other-update':
      fake.setStackStatus('UPDATE_IN_PROGRESS');
      other(`topic-${n}`, 'UPDATE_IN_PROGRESS');
      return () => {
        other(`topic-${n}`, 'UPDATE_COMPLETE');
        fake.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        fake.setStackStatus('UPDATE_COMPLETE');
      };
    case 'other-cleanup':
      fake.setStackStatus('UPDATE_IN_PROGRESS');
      other(`topic-${n}-new`, 'UPDATE_COMPLETE');
      fake.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
      fake.logStackEvent({ logicalId: OTHER_LOGICAL_ID, physicalId: `topic-${n}-old`, resourceType: 'AWS::SNS::Topic', status: 'DELETE_IN_PROGRESS' });
      return () => {
        fake.logStackEvent({ logicalId: OTHER_LOGICAL_ID, physicalId: `topic-${n}-old`, resourceType: 'AWS::SNS::Topic', status: 'DELETE_COMPLETE' });
        fake.setStackStatus('UPDATE_COMPLETE');
      };
    case 'rollback':
      fake.setStackStatus('UPDATE_IN_PROGRESS');
      other(`topic-${n}`, 'UPDATE_FAILED');
      fake.setStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      other(`topic-${n}`, 'UPDATE_IN_PROGRESS');
      return () => {
        other(`topic-${n}`, 'UPDATE_COMPLETE');
        fake.setStackStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
        fake.setStackStatus('UPDATE_ROLLBACK_COMPLETE');
      };
    case 'this-update':
      fake.setStackStatus('UPDATE_IN_PROGRESS');
      fake.setStackResource(ROTATION_LOGICAL_ID, { type: ROTATION_RESOURCE_TYPE, physicalId: sys.physicalId, status: 'UPDATE_IN_PROGRESS' });
      return () => {
        fake.setStackResource(ROTATION_LOGICAL_ID, { type: ROTATION_RESOURCE_TYPE, physicalId: sys.physicalId, status: 'UPDATE_COMPLETE' });
        fake.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
        fake.setStackStatus('UPDATE_COMPLETE');
      };
    case 'rollback-cleanup':
      fake.setStackStatus('UPDATE_IN_PROGRESS');
      other(`topic-${n}-new`, 'CREATE_COMPLETE');
      fake.setStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
      fake.setStackStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
      fake.logStackEvent({ logicalId: OTHER_LOGICAL_ID, physicalId: `topic-${n}-new`, resourceType: 'AWS::SNS::Topic', status: 'DELETE_IN_PROGRESS' });
      return () => {
        fake.logStackEvent({ logicalId: OTHER_LOGICAL_ID, physicalId: `topic-${n}-new`, resourceType: 'AWS::SNS::Topic', status: 'DELETE_COMPLETE' });
        fake.setStackStatus('UPDATE_ROLLBACK_COMPLETE');
      };
  }
}

/** Sends a custom resource event that must be refused, and checks that it changed nothing. */
async function expectRefusedEvent(sys: System, event: CloudFormationCustomResourceEvent, what: string): Promise<void> {
  const before = sys.snapshot();
  const callsBefore = sys.fake.calls.length;
  const answersBefore = sys.responses.length;
  const retiredBefore = sys.retirements.length;
  const phase = sys.phase;
  sys.phase = 'attack';
  let outcome: string;
  try {
    outcome = await sys.rotator().customResource(event, FUNCTION_ARN).then(() => 'done', (e: Error) => `${e.name}: ${e.message}`);
  } finally {
    sys.phase = phase;
  }
  const ctx = () => ({ what, event, outcome, answers: sys.responses.slice(answersBefore), calls: sys.fake.calls.slice(callsBefore), ...state(sys) });
  if (outcome === 'done') fail(`a forged CloudFormation event was carried out: ${what}`, ctx());
  sys.errors.push(outcome);
  if (!/^Refused/.test(outcome)) fail(`a forged CloudFormation event failed for another reason than refusal: ${what}`, ctx());
  const effects = sys.fake.calls.slice(callsBefore).filter((m) => !['stackResource', 'stack', 'stackEvents', 'putEvents', 'describeSecret'].includes(m));
  if (effects.length > 0) fail(`a refused CloudFormation event made calls that change things: ${effects.join(', ')}`, ctx());
  if (sys.retirements.length !== retiredBefore || sys.snapshot() !== before) fail(`a refused CloudFormation event changed a key or the secret: ${what}`, ctx());
  const answers = sys.responses.slice(answersBefore);
  if (answers.some((a) => a.body.Status !== 'FAILED')) fail('a refused CloudFormation event was answered SUCCESS', ctx());
}

/**
 * Someone allowed to invoke the function sends CloudFormation events for the
 * registered secret and user, with a plausible physical id, while the stack is
 * not creating, updating or deleting that resource: each is refused and
 * changes nothing.
 */
async function forgedEvent(sys: System, forged: ForgedEvent): Promise<void> {
  const end = enterSituation(sys, forged.situation);
  const parsed = /^rotation\.([0-9a-f]{32})\.(DESTROY|RETAIN)\.(new-secret|existing-secret)$/.exec(sys.physicalId)!;
  const removal = parsed[2] as Removal;
  const fresh = parsed[3] === 'new-secret';
  const flipped = removal === Removal.DESTROY ? Removal.RETAIN : Removal.DESTROY;
  const choice: Record<ForgedPhysicalId, [string, Removal]> = {
    'current': [sys.physicalId, removal],
    'earlier': sys.earlierPhysicalIds.length > 0
      ? [sys.earlierPhysicalIds[sys.earlierPhysicalIds.length - 1], /\.DESTROY\./.test(sys.earlierPhysicalIds[sys.earlierPhysicalIds.length - 1]) ? Removal.DESTROY : Removal.RETAIN]
      : [rotationPhysicalId(sys.arn, USER_ARN, flipped, fresh), flipped],
    'other-removal': [rotationPhysicalId(sys.arn, USER_ARN, flipped, fresh), flipped],
    'other-freshness': [rotationPhysicalId(sys.arn, USER_ARN, removal, !fresh), removal],
  };
  const [physicalId, claimed] = choice[forged.physicalId];
  const requestType = forged.situation === 'this-update' && forged.requestType === 'Update' ? 'Delete' : forged.requestType;
  // The properties match the physical id (what CloudFormation would send for it), so only CloudFormation's own state can refuse it.
  const other = claimed === Removal.DESTROY ? Removal.RETAIN : Removal.DESTROY;
  const event = cfnEvent(sys, requestType, physicalId, sys.rotationProperties(claimed), sys.rotationProperties(other));
  try {
    await expectRefusedEvent(sys, event, `${requestType} of ${physicalId} while the stack is ${sys.fake.stackStatus} (${forged.situation})`);
  } finally {
    end();
  }
}

/**
 * A deployment that flips the registration's removal policy, as CloudFormation
 * carries it out: the stack updates the resource (the function answers a new
 * physical id: a replacement), then cleans up by deleting the old physical id.
 * Neither step deletes or deactivates a key, and rotation stays on.
 */
async function flipRemoval(sys: System, forgeDuringCleanup: boolean): Promise<void> {
  const { fake } = sys;
  const oldRemoval = sys.registration.removal;
  const newRemoval = oldRemoval === Removal.DESTROY ? Removal.RETAIN : Removal.DESTROY;
  const oldId = sys.physicalId;
  const before = sys.snapshot();
  const retiredBefore = sys.retirements.length;
  const callsBefore = fake.calls.length;
  const answersBefore = sys.responses.length;
  const ctx = () => ({ oldId, newRemoval, answers: sys.responses.slice(answersBefore), calls: fake.calls.slice(callsBefore), ...state(sys) });

  sys.deploy(sys.deployment(newRemoval));
  fake.setStackStatus('UPDATE_IN_PROGRESS');
  fake.setStackResource(ROTATION_LOGICAL_ID, { type: ROTATION_RESOURCE_TYPE, physicalId: oldId, status: 'UPDATE_IN_PROGRESS' });
  sys.phase = 'attack';
  try {
    await sys.rotator().customResource(cfnEvent(sys, 'Update', oldId, sys.rotationProperties(newRemoval), sys.rotationProperties(oldRemoval)), FUNCTION_ARN);
    const update = sys.responses.at(-1)!.body;
    if (update.Status !== 'SUCCESS') fail('the Update of a removal flip failed', ctx());
    const newId = String(update.PhysicalResourceId);
    if (newId === oldId || !newId.includes(`.${newRemoval}.`)) fail('the Update of a removal flip did not answer a new physical id for the new policy', ctx());

    fake.setStackResource(ROTATION_LOGICAL_ID, { type: ROTATION_RESOURCE_TYPE, physicalId: newId, status: 'UPDATE_COMPLETE' });
    fake.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    fake.logStackEvent({ logicalId: ROTATION_LOGICAL_ID, physicalId: oldId, resourceType: ROTATION_RESOURCE_TYPE, status: 'DELETE_IN_PROGRESS' });
    if (forgeDuringCleanup) {
      // The new resource is not being deleted: a Delete of it now is forged.
      await expectRefusedEvent(sys, cfnEvent(sys, 'Delete', newId, sys.rotationProperties(newRemoval)), `Delete of the new ${newId} during the cleanup`);
    }
    await sys.rotator().customResource(cfnEvent(sys, 'Delete', oldId, sys.rotationProperties(oldRemoval)), FUNCTION_ARN);
    const deleted = sys.responses.at(-1)!.body;
    if (deleted.Status !== 'SUCCESS' || deleted.PhysicalResourceId !== oldId) fail('the cleanup Delete of a removal flip failed', ctx());
    fake.logStackEvent({ logicalId: ROTATION_LOGICAL_ID, physicalId: oldId, resourceType: ROTATION_RESOURCE_TYPE, status: 'DELETE_COMPLETE' });
    fake.setStackStatus('UPDATE_COMPLETE');
    sys.earlierPhysicalIds.push(oldId);
    sys.physicalId = newId;
  } finally {
    sys.phase = 'rotation';
  }
  const effects = fake.calls.slice(callsBefore).filter((m) => ['deleteAccessKey', 'setAccessKeyStatus', 'cancelRotation', 'configureRotation', 'createAccessKey'].includes(m));
  if (effects.length > 0) fail(`a removal flip made calls that change keys or rotation: ${effects.join(', ')}`, ctx());
  if (sys.retirements.length !== retiredBefore || sys.snapshot() !== before) fail('a removal flip changed a key or the secret', { before: JSON.parse(before), ...ctx() });
}

async function apply(sys: System, command: Command): Promise<void> {
  switch (command.kind) {
    case 'rotate': await rotation(sys, { revoke: false, fault: command.fault }); return;
    case 'revoke': await rotation(sys, { revoke: true, fault: command.fault }); return;
    case 'tick': return tick(sys, command.ms, command.fault);
    case 'useOldKey': return useOldKey(sys, command.afterMinutes);
    case 'reactivate': return reactivate(sys);
    case 'operatorActivate': return operatorActivate(sys);
    case 'release': return releaseHold(sys);
    case 'deleteOldKey': return deleteOldKey(sys);
    case 'tagEdit': return tagEdit(sys, command.edit);
    case 'foreignSecret': return foreignSecret(sys);
    case 'forgedEvent': return forgedEvent(sys, command.event);
    case 'flipRemoval': return flipRemoval(sys, command.forgeDuringCleanup);
  }
}

// ---- arbitraries -------------------------------------------------------------------

const configArb: fc.Arbitrary<Config> = fc.record({
  deactivateAfterDays: fc.integer({ min: 1, max: 10 }),
  deleteAfterDays: fc.integer({ min: 1, max: 10 }),
  policy: fc.constantFrom(...Object.values(ForeignKeyPolicy)),
  removal: fc.constantFrom(Removal.DESTROY, Removal.RETAIN),
});

const faultArb = (methods: readonly GatewayMethod[]) => fc.option(fc.record({
  method: fc.constantFrom(...methods),
  when: fc.constantFrom<FaultTiming>('before', 'after'),
  skip: fc.nat({ max: 2 }),
}), { nil: undefined, freq: 2 });

const datePickArb = fc.constantFrom<DatePick>('far-past', 'far-future', 'now', 'hours-ago', 'garbage');
const tagEditArb: fc.Arbitrary<TagEdit> = fc.record({
  tag: fc.constantFrom<TagEdit['tag']>('current-key', 'previous-key', 'progress', 'creating', 'adopting', 'hold', 'revoke', 'untag'),
  id: fc.constantFrom<IdPick>('current', 'previous', 'created', 'bystander', 'garbage'),
  dates: fc.tuple(datePickArb, datePickArb, datePickArb),
  pick: fc.nat({ max: 7 }),
  hours: fc.integer({ min: 1, max: 24 * 400 }),
  garbage: fc.stringMatching(/^[A-Za-z0-9_.:/=+@-]{0,40}$/),
});

const forgedEventArb: fc.Arbitrary<ForgedEvent> = fc.record({
  requestType: fc.constantFrom<ForgedEvent['requestType']>('Create', 'Update', 'Delete'),
  situation: fc.constantFrom<StackSituation>('idle', 'other-update', 'other-cleanup', 'rollback', 'rollback-cleanup', 'this-update'),
  physicalId: fc.constantFrom<ForgedPhysicalId>('current', 'earlier', 'other-removal', 'other-freshness'),
});

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('rotate' as const), fault: faultArb(ROTATION_METHODS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), fault: faultArb(ROTATION_METHODS) }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: HOUR, max: 20 * DAY }), fault: faultArb(LIFECYCLE_METHODS) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('useOldKey' as const), afterMinutes: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reactivate' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('operatorActivate' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('release' as const) }) },
);

/** The same, with an operator who also deletes old keys by hand. */
const commandWithOperatorDeletionArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: commandArb },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'deleteOldKey' }) },
);

/** Moves that leave the registered secret's tags alone: the model of the tags still holds. */
const untaggedMoveArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'foreignSecret' }) },
  { weight: 2, arbitrary: forgedEventArb.map((event): Command => ({ kind: 'forgedEvent', event })) },
  { weight: 1, arbitrary: fc.boolean().map((forgeDuringCleanup): Command => ({ kind: 'flipRemoval', forgeDuringCleanup })) },
);

/** Attackers and operators on top of everything else: tag edits, a foreign secret, forged events, removal flips. */
const commandWithAttacksArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 10, arbitrary: commandWithOperatorDeletionArb },
  { weight: 4, arbitrary: tagEditArb.map((edit): Command => ({ kind: 'tagEdit', edit })) },
  { weight: 2, arbitrary: untaggedMoveArb },
);

/** Commands with no fault, to build the state a focused property starts from. */
const cleanCommandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Command>({ kind: 'rotate' }) },
  { weight: 3, arbitrary: fc.integer({ min: HOUR, max: 20 * DAY }).map((ms): Command => ({ kind: 'tick', ms })) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 600 }).map((afterMinutes): Command => ({ kind: 'useOldKey', afterMinutes })) },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'reactivate' }) },
);

const seedArb = fc.integer({ min: 1, max: 2_000_000_000 });

/** Random histories of commands, every invariant checked after each. */
function historyProperty(commands: fc.Arbitrary<Command>, maxLength = 25) {
  return fc.asyncProperty(
    // Lengths drawn up to the maximum (fast-check's default size keeps arrays short): long histories reach deep states.
    seedArb, configArb, fc.boolean(), fc.array(commands, { minLength: 1, maxLength, size: 'max' }),
    async (seed, config, coldStarts, history) => {
      const sys = await System.create(seed, config, coldStarts);
      for (const [i, command] of history.entries()) {
        try {
          await apply(sys, command);
          checkInvariants(sys);
        } catch (e) {
          (e as Error).message = `after command #${i} ${JSON.stringify(command)}: ${(e as Error).message}`;
          throw e;
        }
      }
    },
  );
}

/**
 * One rotation (or revoke) after a clean history, with one fault at one of its
 * gateway calls: a dry run lists the calls, then the same history replays
 * exactly (the fake is seeded, the clock simulated) and call `pick` fails.
 */
async function rotationWithFault(
  seed: number, config: Config, coldStarts: boolean, history: Command[], revoke: boolean, pick: number, when: FaultTiming,
  eligible: (method: GatewayMethod) => boolean = () => true,
) {
  const build = async () => {
    const sys = await System.create(seed, config, coldStarts);
    for (const command of history) await apply(sys, command);
    return sys;
  };
  const dry = await build();
  const start = dry.fake.calls.length;
  // A rotation refused (an old key still active) makes no key: not the subject here.
  fc.pre(await rotation(dry, { revoke }) === 'done');
  const trace = dry.fake.calls.slice(start);
  const points = trace.map((method, index) => ({ method, index })).filter((p) => eligible(p.method));
  const { method, index } = points[pick % points.length];
  const fault: Fault = { method, when, skip: trace.slice(0, index).filter((m) => m === method).length };

  const sys = await build();
  const createdBefore = sys.fake.createdKeys.length;
  const eventsBefore = sys.fake.events.length;
  const oldCurrent = sys.stage(Stage.CURRENT);
  await rotation(sys, { revoke, fault });
  if (!sys.fake.firedFaults.some((f) => f.method === method && f.when === when)) {
    fail('the fault did not fire: the replay diverged from the dry run', { fault, trace });
  }
  return { sys, fault, createdBefore, eventsBefore, oldCurrent };
}

const faultPointArgs = [
  seedArb, configArb, fc.boolean(), fc.array(cleanCommandArb, { maxLength: 6 }), fc.boolean(), fc.nat(),
  fc.constantFrom<FaultTiming>('before', 'after'),
] as const;

// ---- properties --------------------------------------------------------------------

/** Run counts, scaled by PROPERTY_RUNS_SCALE (e.g. 10 for a deeper search than the default). */
const runs = (n: number) => Math.max(1, Math.round(n * Number(process.env.PROPERTY_RUNS_SCALE ?? 1)));

/*
 * Run counts: the whole file takes 10 to 15 s on a 2-core machine (histories
 * of up to 25 or 30 commands, a rotation a few dozen in-memory gateway calls),
 * far under the 90 s budget, so the counts are higher than before (histories
 * 1000/600/600/1000, faults 1000 each, interleavings 3000). PROPERTY_RUNS_SCALE=8
 * searches eight times deeper in about 75 s. The deployer's histories (below) take
 * about 25 ms each: 400 of each kind add about 17 s.
 */
describe('rotation, lifecycle and revoke over random histories (in-memory AWS)', () => {
  test('every invariant holds after every command', async () => {
    await fc.assert(historyProperty(commandArb), { numRuns: runs(1000) });
  });

  test('an operator deleting the old key by hand does not break the lifecycle', async () => {
    await fc.assert(historyProperty(commandWithOperatorDeletionArb), { numRuns: runs(600) });
  });

  test('forged CloudFormation events, a foreign secret and removal flips are refused or harmless, and the model of the lifecycle still holds', async () => {
    const commands = fc.oneof({ weight: 3, arbitrary: commandArb }, { weight: 1, arbitrary: untaggedMoveArb });
    await fc.assert(historyProperty(commands), { numRuns: runs(600) });
  });

  test('with attackers editing the tags as well, no key is retired early or while AWSCURRENT, and nothing unregistered is touched', async () => {
    await fc.assert(historyProperty(commandWithAttacksArb, 30), { numRuns: runs(1000) });
  });

  test('a single fault at any gateway call of one rotation: the retried rotation ends consistent, with one new key', async () => {
    await fc.assert(fc.asyncProperty(...faultPointArgs, async (seed, config, coldStarts, history, revoke, pick, when) => {
      const { sys, createdBefore } = await rotationWithFault(seed, config, coldStarts, history, revoke, pick, when);
      checkInvariants(sys);
      const survivors = sys.fake.createdKeys.slice(createdBefore).filter((k) => sys.key(k.accessKeyId) && !adoptedBy(sys, k.accessKeyId));
      expect(survivors.map((k) => k.accessKeyId)).toEqual([sys.stage(Stage.CURRENT)!.accessKeyId]);
    }), { numRuns: runs(1000) });
  });

  test('a single fault outside EventBridge at any gateway call of one rotation: the new key is audited as Created and Promoted, a revoke as Revoked', async () => {
    await fc.assert(fc.asyncProperty(...faultPointArgs, async (seed, config, coldStarts, history, revoke, pick, when) => {
      const { sys, fault, eventsBefore, oldCurrent } = await rotationWithFault(
        seed, config, coldStarts, history, revoke, pick, when, (method) => method !== 'putEvents');
      const current = sys.stage(Stage.CURRENT)!.accessKeyId;
      const events = eventsSince(sys, eventsBefore);
      const audited = (type: string, accessKeyId: string) => events.some((e) => e.type === type && e.accessKeyId === accessKeyId);
      const missing = [
        ...audited(EventType.CREATED, current) ? [] : [`${EventType.CREATED} ${current}`],
        ...audited(EventType.PROMOTED, current) ? [] : [`${EventType.PROMOTED} ${current}`],
        ...!revoke || !oldCurrent || audited(EventType.REVOKED, oldCurrent.accessKeyId) ? [] : [`${EventType.REVOKED} ${oldCurrent.accessKeyId}`],
      ];
      if (missing.length > 0) fail(`audit events missing: ${missing.join(', ')}`, { fault, events: events.map((e) => `${e.type} ${e.accessKeyId}`) });
    }), { numRuns: runs(1000) });
  });

  test('a scheduled lifecycle run concurrent with a rotation, in any interleaving of their AWS calls, leaves every invariant intact', async () => {
    await fc.assert(fc.asyncProperty(
      seedArb, configArb, fc.array(cleanCommandArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: HOUR, max: 20 * DAY }), fc.boolean(),
      // Bursts short (a call or a few) and long (a whole step or more) expose the races best.
      fc.array(fc.oneof(fc.nat({ max: 4 }), fc.integer({ min: 5, max: 30 })), { maxLength: 6 }),
      async (seed, config, history, ms, revoke, bursts) => {
        const sys = await System.create(seed, config, true);
        for (const command of history) await apply(sys, command);
        sys.clock.advance(ms);
        // Secrets Manager's rotation and the schedule's run are separate invocations: their calls interleave.
        const interleaver = new Interleaver(['rotation', 'lifecycle'], bursts);
        sys.fake.beforeCall = () => interleaver.gate();
        sys.phase = 'concurrent';
        await Promise.all([
          interleaver.run('rotation', () => rotation(sys, { revoke })),
          interleaver.run('lifecycle', () => sys.rotator().lifecycle()),
        ]);
        sys.fake.beforeCall = undefined;
        checkInvariants(sys);
      },
    ), { numRuns: runs(3000) });
  });
});

// ---- deployer moves, played the way CloudFormation plays them ---------------------------------------

/*
 * A stack of several registrations, changed by its deployer the way CloudFormation carries each change out
 * (test/support/deployment.ts documents the model): the function's registry (its Metadata) and the departures
 * resource are updated before the rotation resources; an Update answered with a new physical id is a replacement
 * whose old id is deleted in UPDATE_COMPLETE_CLEANUP_IN_PROGRESS, as are the resources and secrets the new
 * template removed. A rolled-back update puts back what it changed in the reverse order (the rotation resources,
 * then the departures, then the function's registry) in UPDATE_ROLLBACK_IN_PROGRESS, then deletes what it created
 * in UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS. Whether CloudFormation sends a replaced custom resource a
 * rollback Update (its properties reversed) is not documented: both are played. Rotations, lifecycle runs, revokes
 * and the tagger's edits of the library's tags happen between deployments.
 */

const DEPARTURES_LOGICAL_ID = 'AccessKeyDepartures';
const FUNCTION_LOGICAL_ID = 'AccessKeyRotationFunction';
/** A resource after the rotation resources, whose failure rolls an update back. */
const LATER_LOGICAL_ID = 'LaterResource';
const SCHEDULES = ['rate(30 days)', 'rate(20 days)', 'cron(0 3 1 * ? *)'] as const;

type MoveKind = 'rename' | 'reUser' | 'move' | 'flip' | 'schedule';

/** One registration as the template in force states it, and its rotation resource as CloudFormation holds it. */
interface StackRegistration {
  readonly logicalId: string;
  readonly secretArn: string;
  readonly userName: string;
  readonly removal: Removal;
  readonly schedule: string;
  physicalId: string;
}

type DeployCommand =
  | { readonly kind: 'deploy'; readonly move: MoveKind; readonly pick: number; readonly rollback: boolean }
  | { readonly kind: 'rotate'; readonly pick: number; readonly revoke: boolean }
  | { readonly kind: 'tick'; readonly ms: number }
  | { readonly kind: 'forgeTag'; readonly pick: number; readonly edit: TagEdit };

interface DeployConfig {
  readonly deactivateAfterDays: number;
  readonly deleteAfterDays: number;
  readonly policy: ForeignKeyPolicy;
  readonly removals: readonly Removal[];
  /** A replaced custom resource gets a rollback Update with its properties reversed (else CloudFormation goes back to the old id silently). */
  readonly rollbackUpdatesReplaced: boolean;
}

const userArnOf = (userName: string) => `arn:aws:iam::${ACCOUNT_ID}:user/${userName}`;

/** The in-memory AWS with one stack of registrations, its deployer, and the function as CloudFormation and Secrets Manager call it. */
class DeployWorld {
  readonly clock = new Clock();
  readonly fake: FakeAws;
  readonly logs: string[] = [];
  readonly errors: string[] = [];
  readonly responses: { url: string; body: Record<string, unknown> }[] = [];
  /** Keys retired while AWSCURRENT of a secret the template names (before or after the deployment in progress). */
  readonly violations: string[] = [];
  readonly bystanderKey: string;
  regs: StackRegistration[] = [];
  document!: RegistryDocument;
  /** The registries of the deployment in progress (before and after), whose secrets count as registered. */
  deploying: RegistryDocument[] = [];
  /** What is being played, for failure messages. */
  where = 'setup';
  tagsForged = false;
  private warm?: Rotator;
  private counter = 0;

  constructor(seed: number, readonly config: DeployConfig, private readonly coldStarts: boolean) {
    this.fake = new FakeAws(this.clock.now, { seed, rotationLambdaArn: FUNCTION_ARN });
    this.fake.createUser(BYSTANDER);
    this.bystanderKey = this.fake.operatorCreateKey(BYSTANDER).accessKeyId;
    this.fake.onRetire = (call) => {
      const registered = new Set([this.document, ...this.deploying].flatMap((d) => d.registrations.map((r) => r.secretArn)));
      const holders = this.fake.currentKeyHolders(call.accessKeyId).filter((arn) => registered.has(arn));
      if (holders.length > 0) this.violations.push(`${call.method} ${call.accessKeyId} (${this.where}) while it is AWSCURRENT of ${holders.join(', ')}`);
    };
  }

  /** A user that has never been registered (a user that left is not registered again here: its keys are its own business). */
  freshUser(): string {
    const name = `user${++this.counter}`;
    this.fake.createUser(name);
    return name;
  }

  /** A secret as the constructs make it: metadata only, described with its user's name. */
  freshSecret(userName: string): string {
    return this.fake.createSecret(`access-keys/${userName}-${++this.counter}`, JSON.stringify({ userName }), {}, secretDescription(userName));
  }

  freshLogicalId(userName: string): string {
    return `${userName[0].toUpperCase()}${userName.slice(1)}Rotation${++this.counter}`;
  }

  registryOf(regs: readonly Omit<StackRegistration, 'physicalId'>[]): RegistryDocument {
    return {
      version: REGISTRY_VERSION,
      digest: (++this.counter).toString(16).padStart(64, '0'),
      registrations: regs.map((r) => ({
        secretArn: r.secretArn,
        userArn: userArnOf(r.userName),
        deactivateAfterSeconds: this.config.deactivateAfterDays * 86_400,
        deleteAfterSeconds: this.config.deleteAfterDays * 86_400,
        postponeWhileInUseSeconds: 0,
        foreignKeyPolicy: this.config.policy,
        removal: r.removal,
        scheduleExpression: r.schedule,
        rotateOnDeploy: true,
      })),
    };
  }

  /** A new configuration of the function (its registry): new execution environments. */
  deployRegistry(document: RegistryDocument): void {
    this.document = document;
    this.warm = undefined;
    this.fake.setStackResource(FUNCTION_LOGICAL_ID, { type: 'AWS::Lambda::Function', physicalId: 'access-key-rotation', status: 'UPDATE_COMPLETE' });
  }

  rotator(): Rotator {
    const make = () => new Rotator({
      gateway: this.fake,
      clock: this.clock.now,
      logSink: { write: (line) => this.logs.push(line) },
      registry: new StaticRegistrySource(this.document),
      testSecretRetry: { attempts: 2, firstDelayMs: 0, maxDelayMs: 0 },
      stackId: STACK_ID,
      responseTransport: { put: async (url, body) => { this.responses.push({ url, body: JSON.parse(body) as Record<string, unknown> }); } },
      customResources: { configureAttempts: 1, configureDelayMs: 0 },
    });
    if (this.coldStarts) return make();
    this.warm ??= make();
    return this.warm;
  }

  properties(r: Omit<StackRegistration, 'physicalId'>): Record<string, string> {
    return {
      ServiceToken: FUNCTION_ARN,
      [RotationProperties.SECRET]: r.secretArn,
      [RotationProperties.USER]: userArnOf(r.userName),
      [RotationProperties.REMOVAL]: r.removal,
      [RotationProperties.SCHEDULE]: r.schedule,
      [RotationProperties.ROTATE_ON_DEPLOY]: 'true',
    };
  }

  departuresProperties(regs: readonly Omit<StackRegistration, 'physicalId'>[]): Record<string, string> {
    return {
      ServiceToken: FUNCTION_ARN,
      [DeparturesProperties.REGISTRATIONS]: regs.map((r) => `${r.secretArn}${DEPARTURE_FIELD_SEPARATOR}${userArnOf(r.userName)}${DEPARTURES_SEPARATOR}`).join(''),
    };
  }

  /**
   * One request of CloudFormation to the function; the answer must be SUCCESS. Then Secrets Manager's part: a
   * RotateSecret with RotateImmediately left an AWSPENDING placeholder, and the four steps run with its token.
   */
  async request(
    logicalId: string, type: string, requestType: 'Create' | 'Update' | 'Delete', properties: Record<string, string>,
    physicalId?: string, oldProperties?: Record<string, string>,
  ): Promise<string> {
    const event = {
      RequestType: requestType,
      ServiceToken: FUNCTION_ARN,
      ResponseURL: RESPONSE_URL,
      StackId: STACK_ID,
      RequestId: `request-${this.responses.length + 1}`,
      LogicalResourceId: logicalId,
      ResourceType: type,
      ResourceProperties: properties,
      ...physicalId === undefined ? {} : { PhysicalResourceId: physicalId },
      ...oldProperties === undefined ? {} : { OldResourceProperties: oldProperties },
    } as unknown as CloudFormationCustomResourceEvent;
    const answersBefore = this.responses.length;
    const pendingBefore = new Set(this.pendingSecrets());
    await this.rotator().customResource(event, FUNCTION_ARN).catch((e: Error) => this.errors.push(e.message));
    const answer = this.responses.slice(answersBefore).at(-1)?.body;
    if (answer?.Status !== 'SUCCESS') {
      fail(`CloudFormation's ${requestType} of ${logicalId} (${physicalId ?? 'new'}) failed (${this.where})`,
        { answer, errors: this.errors.slice(-3), log: this.logs.slice(-5), stack: this.fake.stackStatus });
    }
    for (const secretArn of this.pendingSecrets().filter((s) => !pendingBefore.has(s))) {
      const outcome = await this.rotation(secretArn, this.fake.pendingVersion(secretArn)!);
      if (outcome !== 'done') fail(`the rotation ${requestType} of ${logicalId} started failed (${this.where})`, { outcome, ...this.state() });
    }
    return String(answer.PhysicalResourceId);
  }

  private pendingSecrets(): string[] {
    const arns = new Set([this.document, ...this.deploying].flatMap((d) => d?.registrations.map((r) => r.secretArn) ?? []));
    return [...arns].filter((arn) => this.exists(arn) && this.fake.pendingVersion(arn));
  }

  exists(secretArn: string): boolean {
    try {
      this.fake.inspectSecret(secretArn);
      return true;
    } catch {
      return false;
    }
  }

  /** The four steps of one rotation, as Secrets Manager invokes them; a refusal (an old key still active) lets go of its placeholder. */
  async rotation(secretArn: string, token: string): Promise<'done' | 'refused' | string> {
    try {
      for (const step of STEPS) await this.rotator().rotationStep({ Step: step, SecretId: secretArn, ClientRequestToken: token });
      return 'done';
    } catch (e) {
      const message = (e as Error).message;
      this.errors.push(message);
      if (STILL_ACTIVE.test(message) && !/deactivate it first/.test(message)) {
        if (this.fake.pendingVersion(secretArn)) fail('a refused rotation kept its AWSPENDING placeholder', { message, ...this.state() });
        return 'refused';
      }
      return message;
    }
  }

  state() {
    const users = [...new Set([this.document, ...this.deploying].flatMap((d) => d.registrations.map((r) => userNameOf(r.userArn))))];
    return {
      where: this.where,
      now: this.clock.now().toISOString(),
      stack: this.fake.stackStatus,
      registry: this.document.registrations.map((r) => `${r.secretArn} ${userNameOf(r.userArn)} ${r.removal} ${r.scheduleExpression}`),
      regs: this.regs,
      keys: Object.fromEntries(users.map((u) => [u, this.fake.keysOf(u).map((k) => `${k.accessKeyId} ${k.status}`)])),
      secrets: Object.fromEntries(this.regs.filter((r) => this.exists(r.secretArn)).map((r) => [r.secretArn,
        this.fake.inspectSecret(r.secretArn).versions.map((v) => `${v.id.slice(0, 8)} ${v.labels.join(',')}`)])),
      errors: this.errors.slice(-3),
    };
  }
}

/** The key a secret's AWSCURRENT holds, if it is an Active key of the user that authenticates as that user (what STS would accept). */
function servingKey(world: DeployWorld, secretArn: string, userName: string): string | undefined {
  if (!world.exists(secretArn)) return undefined;
  const current = parseCredentials(world.fake.valueAt(secretArn, Stage.CURRENT), Stage.CURRENT);
  if (!current || current.userName !== userName) return undefined;
  const key = world.fake.keysOf(userName).find((k) => k.accessKeyId === current.accessKeyId);
  return key?.status === 'Active' && key.secretAccessKey === current.secretAccessKey ? key.accessKeyId : undefined;
}

/**
 * Never zero Active keys for a user that stays: each user registered before and after the deployment in progress
 * (or, between deployments, in the registry in force) has an Active key that is AWSCURRENT of one of its secrets
 * (those the registries of the moment register for it); and no key was retired while AWSCURRENT of a named secret.
 */
function checkStays(world: DeployWorld, documents: readonly RegistryDocument[]): void {
  if (world.violations.length > 0) fail(`a key was retired while AWSCURRENT of a secret the template names: ${world.violations.join('; ')}`, world.state());
  const usersOf = (d: RegistryDocument) => new Set(d.registrations.map((r) => userNameOf(r.userArn)));
  const staying = [...usersOf(documents[0])].filter((u) => documents.every((d) => usersOf(d).has(u)));
  for (const userName of staying) {
    const secrets = [...new Set(documents.flatMap((d) => d.registrations.filter((r) => userNameOf(r.userArn) === userName).map((r) => r.secretArn)))];
    const activeCurrent = world.fake.keysOf(userName).filter((k) => k.status === 'Active'
      && secrets.some((s) => world.exists(s) && world.fake.currentKeyHolders(k.accessKeyId).includes(s)));
    if (activeCurrent.length === 0) fail(`${userName}, a user that stays, has no Active key that is AWSCURRENT of one of its secrets (${world.where})`, world.state());
  }
  const bystander = world.fake.keysOf(BYSTANDER);
  if (bystander.length !== 1 || bystander[0].accessKeyId !== world.bystanderKey || bystander[0].status !== 'Active') {
    fail('another user\'s key was touched', world.state());
  }
}

/**
 * When a deployment (or its rollback) ends, and between deployments: the secret each registration names holds, as
 * AWSCURRENT, a promoted key (its key label) of the user it names that is Active and authenticates; rotation is on,
 * with the function and the registration's schedule; no rotation is left half done; no secret access key leaked.
 */
function checkServes(world: DeployWorld): void {
  checkStays(world, [world.document]);
  for (const r of world.document.registrations) {
    const userName = userNameOf(r.userArn);
    const key = servingKey(world, r.secretArn, userName);
    if (!key) fail(`the secret ${r.secretArn} the template names holds no Active key of ${userName} that authenticates (${world.where})`, world.state());
    if (world.fake.keyLabelAt(r.secretArn, Stage.CURRENT) !== key) fail(`AWSCURRENT of ${r.secretArn} is not labelled with the key it holds`, world.state());
    if (world.fake.pendingVersion(r.secretArn)) fail(`${r.secretArn} has a rotation left half done`, world.state());
    const configured = world.fake.rotationConfig(r.secretArn);
    if (!configured.enabled || configured.lambdaArn !== FUNCTION_ARN || configured.rules?.scheduleExpression !== r.scheduleExpression) {
      fail(`rotation of ${r.secretArn} is not the registry's`, { configured, ...world.state() });
    }
    if (world.fake.keysOf(userName).length > 2) fail(`${userName} has more than 2 keys`, world.state());
  }
  const secrets = world.fake.createdKeys.map((k) => k.secretAccessKey);
  const texts = [...world.logs, ...world.errors, ...world.fake.events.map((e) => JSON.stringify(e))];
  texts.push(...world.responses.map((a) => JSON.stringify(a.body)));
  for (const text of texts) {
    if (secrets.some((s) => text.includes(s))) fail('a secret access key appears in a log line, an error, an event or an answer', world.where);
  }
}

/** The stack created with its registrations: the function, the departures, then each rotation resource (which rotates at once). */
async function createStack(seed: number, config: DeployConfig, coldStarts: boolean): Promise<DeployWorld> {
  const world = new DeployWorld(seed, config, coldStarts);
  const { fake } = world;
  const regs = config.removals.map((removal, i) => {
    const userName = world.freshUser();
    return { logicalId: world.freshLogicalId(userName), secretArn: world.freshSecret(userName), userName, removal, schedule: SCHEDULES[i % 2] };
  });
  world.where = 'stack creation';
  fake.setStackStatus('CREATE_IN_PROGRESS');
  world.document = world.registryOf(regs);
  world.deployRegistry(world.document);
  fake.setStackResource(DEPARTURES_LOGICAL_ID, { type: DEPARTURES_RESOURCE_TYPE, status: 'CREATE_IN_PROGRESS' });
  const departures = await world.request(DEPARTURES_LOGICAL_ID, DEPARTURES_RESOURCE_TYPE, 'Create', world.departuresProperties(regs));
  fake.setStackResource(DEPARTURES_LOGICAL_ID, { type: DEPARTURES_RESOURCE_TYPE, physicalId: departures, status: 'CREATE_COMPLETE' });
  for (const r of regs) {
    fake.setStackResource(r.logicalId, { type: ROTATION_RESOURCE_TYPE, status: 'CREATE_IN_PROGRESS' });
    const physicalId = await world.request(r.logicalId, ROTATION_RESOURCE_TYPE, 'Create', world.properties(r));
    fake.setStackResource(r.logicalId, { type: ROTATION_RESOURCE_TYPE, physicalId, status: 'CREATE_COMPLETE' });
    world.regs.push({ ...r, physicalId });
  }
  fake.setStackStatus('CREATE_COMPLETE');
  checkServes(world);
  return world;
}

/** The template after a deployer's move of one registration, and the secrets CloudFormation creates for it. */
function nextTemplate(world: DeployWorld, move: MoveKind, pick: number): { next: Omit<StackRegistration, 'physicalId'>[]; newSecrets: string[] } {
  const index = pick % world.regs.length;
  const next = world.regs.map(({ physicalId, ...r }) => ({ ...r }));
  const r = next[index];
  const newSecrets: string[] = [];
  switch (move) {
    case 'rename': {
      // A new secret name: CloudFormation creates the new secret (a replacement); the rotation resource names it.
      const secretArn = world.freshSecret(r.userName);
      newSecrets.push(secretArn);
      next[index] = { ...r, secretArn };
      break;
    }
    case 'reUser': {
      // Another user for the same secret: the secret's description (updated in place) names it.
      const userName = world.freshUser();
      next[index] = { ...r, userName };
      break;
    }
    case 'move': {
      // A new construct id: new logical ids for the secret and the rotation resource.
      const secretArn = world.freshSecret(r.userName);
      newSecrets.push(secretArn);
      next.splice(index, 1);
      next.push({ ...r, secretArn, logicalId: world.freshLogicalId(r.userName) });
      break;
    }
    case 'flip':
      next[index] = { ...r, removal: r.removal === Removal.DESTROY ? Removal.RETAIN : Removal.DESTROY };
      break;
    case 'schedule':
      // Another schedule, chosen by the pick's high part.
      next[index] = { ...r, schedule: SCHEDULES.filter((s) => s !== r.schedule)[Math.floor(pick / 8) % 2] };
      break;
  }
  return { next, newSecrets };
}

/** A deployer's move, played as CloudFormation plays an update (and, when a later resource fails, its rollback). */
async function deploy(world: DeployWorld, move: MoveKind, pick: number, rollback: boolean): Promise<void> {
  const { fake } = world;
  const before = world.regs.map((r) => ({ ...r }));
  const oldDocument = world.document;
  const { next, newSecrets } = nextTemplate(world, move, pick);
  const newDocument = world.registryOf(next);
  world.deploying = [oldDocument, newDocument];
  const boundary = (phase: string) => {
    world.where = `${move}${rollback ? ' rolled back' : ''}: ${phase}`;
    checkStays(world, [oldDocument, newDocument]);
  };
  const describedBefore = new Map(before.map((r) => [r.secretArn, r.userName]));

  // UPDATE_IN_PROGRESS: new secrets (created before the deployment's first request, above), descriptions, the function, the departures, the rotation resources.
  fake.setStackStatus('UPDATE_IN_PROGRESS');
  boundary(fake.stackStatus);
  for (const r of next) {
    const described = describedBefore.get(r.secretArn);
    if (described !== undefined && described !== r.userName) fake.updateDescription(r.secretArn, secretDescription(r.userName));
  }
  world.deployRegistry(newDocument);
  const oldDepartures = world.departuresProperties(before);
  const newDepartures = world.departuresProperties(next);
  const departuresChanged = JSON.stringify(oldDepartures) !== JSON.stringify(newDepartures);
  const updateDepartures = async (properties: Record<string, string>, old: Record<string, string>) => {
    world.where = `${move}${rollback ? ' rolled back' : ''}: Update of the departures in ${fake.stackStatus}`;
    fake.setStackResource(DEPARTURES_LOGICAL_ID, { type: DEPARTURES_RESOURCE_TYPE, physicalId: 'access-key-departures', status: 'UPDATE_IN_PROGRESS' });
    const id = await world.request(DEPARTURES_LOGICAL_ID, DEPARTURES_RESOURCE_TYPE, 'Update', properties, 'access-key-departures', old);
    fake.setStackResource(DEPARTURES_LOGICAL_ID, { type: DEPARTURES_RESOURCE_TYPE, physicalId: id, status: 'UPDATE_COMPLETE' });
  };
  if (departuresChanged) await updateDepartures(newDepartures, oldDepartures);

  /** What the update did to rotation resources, in order. */
  const changes: { logicalId: string; from?: StackRegistration; to: StackRegistration }[] = [];
  for (const r of next) {
    const old = before.find((b) => b.logicalId === r.logicalId);
    world.where = `${move}${rollback ? ' rolled back' : ''}: ${old ? 'Update' : 'Create'} of ${r.logicalId}`;
    if (!old) {
      fake.setStackResource(r.logicalId, { type: ROTATION_RESOURCE_TYPE, status: 'CREATE_IN_PROGRESS' });
      const physicalId = await world.request(r.logicalId, ROTATION_RESOURCE_TYPE, 'Create', world.properties(r));
      fake.setStackResource(r.logicalId, { type: ROTATION_RESOURCE_TYPE, physicalId, status: 'CREATE_COMPLETE' });
      changes.push({ logicalId: r.logicalId, to: { ...r, physicalId } });
    } else if (JSON.stringify(world.properties(old)) !== JSON.stringify(world.properties(r))) {
      fake.setStackResource(r.logicalId, { type: ROTATION_RESOURCE_TYPE, physicalId: old.physicalId, status: 'UPDATE_IN_PROGRESS' });
      const physicalId = await world.request(r.logicalId, ROTATION_RESOURCE_TYPE, 'Update', world.properties(r), old.physicalId, world.properties(old));
      fake.setStackResource(r.logicalId, { type: ROTATION_RESOURCE_TYPE, physicalId, status: 'UPDATE_COMPLETE' });
      changes.push({ logicalId: r.logicalId, from: old, to: { ...r, physicalId } });
    }
    checkStays(world, [oldDocument, newDocument]);
  }
  const deleteResource = async (r: StackRegistration, leaves: boolean) => {
    world.where = `${move}${rollback ? ' rolled back' : ''}: Delete of ${r.logicalId} (${r.physicalId}) in ${fake.stackStatus}`;
    if (leaves) fake.setStackResource(r.logicalId, { type: ROTATION_RESOURCE_TYPE, physicalId: r.physicalId, status: 'DELETE_IN_PROGRESS' });
    else fake.logStackEvent({ logicalId: r.logicalId, physicalId: r.physicalId, resourceType: ROTATION_RESOURCE_TYPE, status: 'DELETE_IN_PROGRESS' });
    await world.request(r.logicalId, ROTATION_RESOURCE_TYPE, 'Delete', world.properties(r), r.physicalId);
    fake.logStackEvent({ logicalId: r.logicalId, physicalId: r.physicalId, resourceType: ROTATION_RESOURCE_TYPE, status: 'DELETE_COMPLETE' });
    if (leaves) fake.stackResources.delete(r.logicalId);
    checkStays(world, [oldDocument, newDocument]);
  };

  if (!rollback) {
    fake.setStackStatus('UPDATE_COMPLETE_CLEANUP_IN_PROGRESS');
    boundary(fake.stackStatus);
    // Old physical ids of replaced resources, and resources the new template removed, in reverse order of the old template; then the secrets.
    for (const old of [...before].reverse()) {
      const change = changes.find((c) => c.from?.logicalId === old.logicalId);
      if (change && change.to.physicalId !== old.physicalId) await deleteResource(old, false);
      if (!next.some((r) => r.logicalId === old.logicalId)) await deleteResource(old, true);
    }
    for (const old of before) if (!next.some((r) => r.secretArn === old.secretArn)) fake.deleteSecret(old.secretArn);
    const physicalIdOf = (logicalId: string) => changes.find((c) => c.logicalId === logicalId)?.to.physicalId
      ?? before.find((b) => b.logicalId === logicalId)!.physicalId;
    world.regs = next.map((r) => ({ ...r, physicalId: physicalIdOf(r.logicalId) }));
    fake.setStackStatus('UPDATE_COMPLETE');
  } else {
    fake.setStackResource(LATER_LOGICAL_ID, { type: 'AWS::SNS::Topic', status: 'CREATE_FAILED' });
    fake.setStackStatus('UPDATE_ROLLBACK_IN_PROGRESS');
    boundary(fake.stackStatus);
    // Put back in the reverse of the order changed: the rotation resources, the departures, the descriptions, the function.
    for (const change of [...changes].reverse()) {
      const { from, to } = change;
      if (!from) continue; // created: deleted in the cleanup
      world.where = `${move} rolled back: rollback of ${to.logicalId}`;
      if (from.physicalId === to.physicalId || world.config.rollbackUpdatesReplaced) {
        fake.setStackResource(to.logicalId, { type: ROTATION_RESOURCE_TYPE, physicalId: to.physicalId, status: 'UPDATE_IN_PROGRESS' });
        const back = await world.request(to.logicalId, ROTATION_RESOURCE_TYPE, 'Update', world.properties(from), to.physicalId, world.properties(to));
        if (back !== from.physicalId) fail(`the rollback Update of ${to.logicalId} answered ${back}, not the physical id it had (${from.physicalId})`, world.state());
      }
      fake.setStackResource(to.logicalId, { type: ROTATION_RESOURCE_TYPE, physicalId: from.physicalId, status: 'UPDATE_COMPLETE' });
      checkStays(world, [oldDocument, newDocument]);
    }
    if (departuresChanged) await updateDepartures(oldDepartures, newDepartures);
    for (const r of before) fake.updateDescription(r.secretArn, secretDescription(r.userName));
    world.deployRegistry(oldDocument);
    checkStays(world, [oldDocument, newDocument]);
    fake.setStackStatus('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    boundary(fake.stackStatus);
    // What the update created, in reverse order of the new template: new physical ids of replacements, new resources; then the new secrets.
    for (const change of [...changes].reverse()) {
      if (!change.from) await deleteResource(change.to, true);
      else if (change.from.physicalId !== change.to.physicalId) await deleteResource(change.to, false);
    }
    fake.logStackEvent({ logicalId: LATER_LOGICAL_ID, resourceType: 'AWS::SNS::Topic', status: 'DELETE_COMPLETE' });
    fake.stackResources.delete(LATER_LOGICAL_ID);
    for (const arn of newSecrets) fake.deleteSecret(arn);
    world.regs = before;
    fake.setStackStatus('UPDATE_ROLLBACK_COMPLETE');
  }
  world.where = `${move}${rollback ? ' rolled back' : ''}: ${fake.stackStatus}`;
  checkStays(world, [oldDocument, newDocument]);
  world.deploying = [];
  checkServes(world);
}

/** The tagger: anyone allowed to tag a registered secret writes (or removes) one of the library's tags, with any value. */
function forgeTag(world: DeployWorld, pick: number, edit: TagEdit): void {
  const r = world.regs[pick % world.regs.length];
  const keys = world.fake.createdKeys;
  writeForgedTag(world.fake, r.secretArn, edit, world.clock.now(), {
    current: () => world.fake.keyLabelAt(r.secretArn, Stage.CURRENT) ?? 'AKIANOCURRENTKEY0000',
    previous: () => world.fake.keyLabelAt(r.secretArn, Stage.PREVIOUS) ?? 'AKIANOPREVIOUSKEY000',
    created: () => keys[edit.pick % keys.length].accessKeyId,
    bystander: () => world.bystanderKey,
    garbage: () => edit.garbage || 'x',
  });
  world.tagsForged = true;
}

async function applyDeployCommand(world: DeployWorld, command: DeployCommand): Promise<void> {
  // Deployments and rotations are minutes apart at least (IAM dates keys to the second).
  world.clock.advance(10 * 60_000);
  switch (command.kind) {
    case 'deploy': return deploy(world, command.move, command.pick, command.rollback);
    case 'rotate': {
      // Secrets Manager's schedule (or an operator's revoke, a tag then RotateSecret): refused while the old key's slot is needed.
      const r = world.regs[command.pick % world.regs.length];
      world.where = `rotation of ${r.secretArn}`;
      if (command.revoke) world.fake.operatorTag(r.secretArn, { [Tags.REVOKE]: formatRevokeRequest(world.clock.now()) });
      const outcome = await world.rotation(r.secretArn, world.fake.startRotation(r.secretArn));
      if (outcome !== 'done' && outcome !== 'refused') {
        // What the tagger wrote may fail a rotation loudly (never silently, never with an outage); a clean history may not.
        if (!world.tagsForged) fail('a rotation failed', { outcome, ...world.state() });
        if (world.fake.pendingVersion(r.secretArn)) {
          // Secrets Manager keeps retrying; the operator the failure names removes the forged tag and the attempt's placeholder goes with the next success.
          world.fake.operatorUntag(r.secretArn, [Tags.CREATING, Tags.ADOPTING, Tags.REVOKE]);
          const retried = await world.rotation(r.secretArn, world.fake.pendingVersion(r.secretArn)!);
          if (retried !== 'done' && retried !== 'refused') fail('a rotation failed again once the forged tags were removed', { retried, ...world.state() });
        }
      }
      return;
    }
    case 'tick':
      world.clock.advance(command.ms);
      world.where = 'lifecycle run';
      await world.rotator().lifecycle().catch((e: Error) => world.errors.push(e.message));
      return;
    case 'forgeTag': return forgeTag(world, command.pick, command.edit);
  }
}

const moveArb = fc.constantFrom<MoveKind>('rename', 'reUser', 'move', 'flip', 'schedule');
const deployCommandArb = (tagger: boolean): fc.Arbitrary<DeployCommand> => fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('deploy' as const), move: moveArb, pick: fc.nat({ max: 63 }), rollback: fc.boolean() }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('rotate' as const), pick: fc.nat({ max: 7 }), revoke: fc.nat({ max: 4 }).map((n) => n === 0) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: HOUR, max: 20 * DAY }) }) },
  { weight: tagger ? 2 : 0, arbitrary: fc.record({ kind: fc.constant('forgeTag' as const), pick: fc.nat({ max: 7 }), edit: tagEditArb }) },
);

const deployConfigArb: fc.Arbitrary<DeployConfig> = fc.record({
  deactivateAfterDays: fc.integer({ min: 1, max: 10 }),
  deleteAfterDays: fc.integer({ min: 1, max: 10 }),
  policy: fc.constantFrom(...Object.values(ForeignKeyPolicy)),
  removals: fc.array(fc.constantFrom(Removal.DESTROY, Removal.RETAIN), { minLength: 1, maxLength: 3 }),
  rollbackUpdatesReplaced: fc.boolean(),
});

function deployerHistoryProperty(tagger: boolean, maxLength: number) {
  return fc.asyncProperty(
    seedArb, deployConfigArb, fc.boolean(), fc.array(deployCommandArb(tagger), { minLength: 1, maxLength, size: 'max' }),
    async (seed, config, coldStarts, history) => {
      const world = await createStack(seed, config, coldStarts);
      for (const [i, command] of history.entries()) {
        try {
          await applyDeployCommand(world, command);
          world.where = `after ${command.kind}`;
          checkServes(world);
        } catch (e) {
          (e as Error).message = `after command #${i} ${JSON.stringify(command)}: ${(e as Error).message}`;
          throw e;
        }
      }
    },
  );
}

describe('deployer moves: what the random histories found (red before the fix in src)', () => {
  const oneDestroy = (rollbackUpdatesReplaced: boolean): DeployConfig => ({
    deactivateAfterDays: 1, deleteAfterDays: 1, policy: ForeignKeyPolicy.FAIL, removals: [Removal.DESTROY], rollbackUpdatesReplaced,
  });

  test('GIVEN a rotated registration WHEN an update that gives its secret another user is rolled back (a rollback Update of the replaced resource) '
    + 'THEN AWSPREVIOUS is back on the user\'s previous key, so the lifecycle retires it and the next rotation succeeds', async () => {
    const world = await createStack(51, oneDestroy(true), true);
    await applyDeployCommand(world, { kind: 'rotate', pick: 0, revoke: false });
    const [current, previous] = [Stage.CURRENT, Stage.PREVIOUS].map((l) => world.fake.keyLabelAt(world.regs[0].secretArn, l));
    await deploy(world, 'reUser', 0, true);
    expect([Stage.CURRENT, Stage.PREVIOUS].map((l) => world.fake.keyLabelAt(world.regs[0].secretArn, l))).toEqual([current, previous]);
    world.clock.advance(10 * 60_000);
    expect(await world.rotation(world.regs[0].secretArn, world.fake.startRotation(world.regs[0].secretArn))).toBe('refused');
    world.clock.advance(2 * DAY);
    await world.rotator().lifecycle();
    expect(world.fake.keysOf(world.regs[0].userName).find((k) => k.accessKeyId === previous)?.status).toBe('Inactive');
    expect(await world.rotation(world.regs[0].secretArn, world.fake.startRotation(world.regs[0].secretArn))).toBe('done');
  });

  test('GIVEN a registration WHEN an update that gives its secret another user is rolled back, CloudFormation going back to the old physical id '
    + 'without a request THEN the put-back departures give the secret back its user\'s key before releasing the other user\'s', async () => {
    const world = await createStack(52, oneDestroy(false), true);
    await deploy(world, 'reUser', 0, true);
    expect(servingKey(world, world.regs[0].secretArn, world.regs[0].userName)).toBeDefined();
  });

  test('GIVEN a registration WHEN an update that flips its removal policy is rolled back with a rollback Update THEN the answer is the physical id '
    + 'of the policy put back', async () => {
    const world = await createStack(53, oneDestroy(true), true);
    const before = world.regs[0].physicalId;
    await deploy(world, 'flip', 0, true);
    expect(world.regs[0].physicalId).toBe(before);
    expect(world.fake.stackResources.get(world.regs[0].logicalId)?.physicalId).toBe(before);
  });
});

describe('deployer moves over random histories (in-memory AWS, CloudFormation\'s phases)', () => {
  test('renames, re-users, moves, flips and schedule changes, each possibly rolled back, between rotations and lifecycle runs: users that stay are never without a key, and the named secrets serve', async () => {
    await fc.assert(deployerHistoryProperty(false, 12), { numRuns: runs(400) });
  });

  test('the same with the tagger editing the library\'s tags', async () => {
    await fc.assert(deployerHistoryProperty(true, 12), { numRuns: runs(400) });
  });
});

// ---- attacks and races that still work (reported; test.failing until src is fixed) ----------------

/** Holds the `nth` call (from 1) of a gateway method until released; `reached` resolves when it is held. */
function pauseAt(sys: System, method: GatewayMethod, nth: number) {
  let seen = 0;
  let reach!: () => void;
  let release!: () => void;
  const reached = new Promise<void>((r) => { reach = r; });
  const released = new Promise<void>((r) => { release = r; });
  const previous = sys.fake.beforeCall;
  sys.fake.beforeCall = async (m) => {
    await previous?.(m);
    if (m === method && ++seen === nth) {
      reach();
      await released;
    }
  };
  return { reached, release };
}

const STRICT: Config = { deactivateAfterDays: 1, deleteAfterDays: 1, policy: ForeignKeyPolicy.FAIL, removal: Removal.RETAIN };

async function invokeStep(sys: System, name: RotationStep, token: string): Promise<void> {
  await sys.rotator().rotationStep({ Step: name, SecretId: sys.arn, ClientRequestToken: token });
}

describe('attacks and races that still work (reported)', () => {
  /**
   * Alice's secret after two rotations: the lifecycle has deactivated the previous key (so a rotation may delete it to
   * make room), and its deletion is due at the next run (which reads the keys).
   */
  async function twoRotationsLater(seed: number): Promise<{ sys: System; previous: string }> {
    const sys = await System.create(seed, STRICT, true);
    await rotation(sys, { revoke: false });
    await rotation(sys, { revoke: false });
    sys.clock.advance(25 * HOUR);
    await sys.rotator().lifecycle();
    const previous = keyAt(sys, Stage.PREVIOUS)!;
    expect(sys.key(previous)?.status).toBe('Inactive');
    sys.clock.advance(25 * HOUR);
    return { sys, previous };
  }

  test('GIVEN a rotation making room by deleting the previous key WHEN the lifecycle forgets that key (removing its label) first THEN the rotation still succeeds', async () => {
    const { sys, previous } = await twoRotationsLater(21);
    const token = sys.fake.startRotation(sys.arn);
    // The rotation deletes the previous key, then is held before it removes the key's label.
    const rotationHeld = pauseAt(sys, 'removeLabel', 1);
    const create = invokeStep(sys, 'createSecret', token).then(() => 'done', (e: Error) => e.message);
    await rotationHeld.reached;
    expect(sys.key(previous)).toBeUndefined();
    // The scheduled run reads the key gone and forgets it: it removes the label first.
    const summary = await sys.rotator().lifecycle();
    expect(summary).toMatchObject({ recorded: 1, failed: 0 });
    rotationHeld.release();
    expect(await create).toBe('done');
  });

  test('GIVEN a rotation making room by deleting the previous key WHEN it removes the key\'s label before a concurrent lifecycle run does THEN the lifecycle run does not fail', async () => {
    const { sys, previous } = await twoRotationsLater(22);
    const token = sys.fake.startRotation(sys.arn);
    const rotationHeld = pauseAt(sys, 'removeLabel', 1);
    const create = invokeStep(sys, 'createSecret', token);
    await rotationHeld.reached;
    expect(sys.key(previous)).toBeUndefined();
    // The lifecycle reads the key gone, then is held before it removes the label; the rotation removes it first.
    const lifecycleHeld = pauseAt(sys, 'removeLabel', 1);
    const run = sys.rotator().lifecycle();
    await lifecycleHeld.reached;
    rotationHeld.release();
    await create;
    lifecycleHeld.release();
    expect(await run).toMatchObject({ failed: 0 });
  });

  /** A rotation whose createSecret and testSecret ran; someone allowed to tag the secret then marks finishSecret's work as done. */
  async function forgedDoneBeforeFinish(seed: number, revoke: boolean) {
    const sys = await System.create(seed, STRICT, true);
    await rotation(sys, { revoke: false });
    const old = keyAt(sys, Stage.CURRENT)!;
    if (revoke) sys.fake.operatorTag(sys.arn, { [Tags.REVOKE]: formatRevokeRequest(sys.clock.now()) });
    const token = sys.fake.startRotation(sys.arn);
    for (const name of ['createSecret', 'setSecret', 'testSecret'] as const) await invokeStep(sys, name, token);
    // The new key's id is in the creating tag (and in the pending version's label): forge "done".
    const created = decodeFields(sys.tags()[Tags.CREATING]).id;
    sys.fake.operatorTag(sys.arn, { [Tags.CURRENT_KEY]: `id=${created}` });
    sys.fake.operatorUntag(sys.arn, [Tags.CREATING, Tags.REVOKE]);
    const eventsBefore = sys.fake.events.length;
    await invokeStep(sys, 'finishSecret', token);
    return { sys, old, created, events: eventsSince(sys, eventsBefore) };
  }

  test('GIVEN a forged current-key tag naming the pending key before finishSecret WHEN the rotation finishes THEN the new key is still promoted by its label', async () => {
    const { sys, created } = await forgedDoneBeforeFinish(31, false);
    expect(keyAt(sys, Stage.CURRENT)).toBe(created);
  });

  test('GIVEN a forged current-key tag naming the pending key before finishSecret WHEN the rotation finishes THEN the promotion is audited and the old key recorded for the lifecycle', async () => {
    const { sys, old, created, events } = await forgedDoneBeforeFinish(32, false);
    expect(events.map((e) => `${e.type} ${e.accessKeyId}`)).toContain(`${EventType.PROMOTED} ${created}`);
    expect(parsePreviousKeyHint(sys.tags())?.accessKeyId).toBe(old);
  });

  test('GIVEN an emergency revoke and a forged current-key tag before finishSecret WHEN the rotation finishes THEN the revoked key is deactivated at once and deleted by the next lifecycle run', async () => {
    const { sys, old, events } = await forgedDoneBeforeFinish(33, true);
    // The new version carries the revoke label: the revoke was proven, yet nothing acted on it.
    expect(sys.fake.inspectSecret(sys.arn).versions.find((v) => v.labels.includes(Stage.CURRENT))!.labels).toContain(Stage.REVOKED_PREDECESSOR);
    expect(events.map((e) => `${e.type} ${e.accessKeyId}`)).toContain(`${EventType.REVOKED} ${old}`);
    expect(sys.key(old)?.status).toBe('Inactive');
    sys.clock.advance(HOUR);
    await sys.rotator().lifecycle();
    expect(sys.key(old)).toBeUndefined();
  });

  /** Under ADOPT, alice's secret with its current key, and an active key made by hand next to it (in use). */
  async function handMadeKeyUnderAdopt(seed: number) {
    const sys = await System.create(seed, { ...STRICT, policy: ForeignKeyPolicy.ADOPT }, true);
    await rotation(sys, { revoke: false });
    const handMade = sys.fake.operatorCreateKey(USER);
    sys.fake.signWith(handMade.accessKeyId, handMade.secretAccessKey);
    return { sys, handMade: handMade.accessKeyId, token: sys.fake.startRotation(sys.arn) };
  }

  test('GIVEN an active hand-made key next to the current key under ADOPT WHEN a rotation starts THEN it refuses to adopt it by deleting it at once', async () => {
    const { sys, handMade, token } = await handMadeKeyUnderAdopt(41);
    await expect(invokeStep(sys, 'createSecret', token)).rejects.toThrow(/deactivate it first/);
    expect(sys.key(handMade)?.status).toBe('Active');
  });

  test.each([
    ['previous-key', (id: string) => ({ [Tags.PREVIOUS_KEY]: `id=${id} superseded-at=${FAR_PAST.toISOString()}` })],
    ['adopting', (id: string) => ({ [Tags.ADOPTING]: id })],
  ])('GIVEN an active hand-made key under ADOPT and a forged %s tag naming it WHEN a rotation runs THEN the key is not deleted at once', async (_, forged) => {
    const { sys, handMade, token } = await handMadeKeyUnderAdopt(42);
    sys.fake.operatorTag(sys.arn, forged(handMade));
    await invokeStep(sys, 'createSecret', token).catch(() => undefined);
    expect(sys.key(handMade)?.status).toBe('Active');
  });
});
