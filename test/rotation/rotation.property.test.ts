/**
 * The whole rotation function against an in-memory AWS (`FakeAws`), driven by
 * fast-check through random histories: rotations (some with a fault injected
 * at a gateway call, retried with the same token as Secrets Manager does),
 * lifecycle runs after random spans of simulated time, emergency revokes, a
 * consumer still using the old key, and an operator re-activating it (or, in
 * one property, deleting it). After every command the system-wide invariants
 * are checked. Further properties: one fault at each gateway call of a
 * rotation (state, and audit events), and a lifecycle run concurrent with a
 * rotation in any interleaving of their AWS calls.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import fc from 'fast-check';
import { EventType } from '../../src/rotation/audit';
import { parseCredentials, parseCurrentKeyId, parsePreviousKey, PreviousKeyState, Stage, StoredCredentials, Tags } from '../../src/rotation/model';
import { Rotator, RotationStep } from '../../src/rotation/rotation';
import { FakeAws, FaultTiming, GatewayMethod } from '../support/fake-aws';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const START = new Date('2025-01-01T00:00:00.000Z');
const USER = 'alice';
/** Another user with a key of its own: the rotation must never touch it. */
const BYSTANDER = 'bob';
const STEPS: readonly RotationStep[] = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'];
/** Secrets Manager retries a failed rotation with the same token; bounded here. */
const MAX_ROTATION_ATTEMPTS = 4;
const RETRY_DELAY_MS = 5 * 60_000;

/** Gateway calls a rotation (or a revoke) can make. */
const ROTATION_METHODS: readonly GatewayMethod[] = [
  'describeSecret', 'getSecretString', 'listAccessKeys', 'tag', 'untag', 'createAccessKey', 'deleteAccessKey',
  'putPendingValue', 'userArn', 'callerArn', 'moveStage', 'removeStage', 'setAccessKeyStatus', 'putEvents',
];
/** Gateway calls a lifecycle run can make. */
const LIFECYCLE_METHODS: readonly GatewayMethod[] = [
  'listManagedSecrets', 'describeSecret', 'accessKeyLastUsed', 'setAccessKeyStatus', 'listAccessKeys', 'deleteAccessKey', 'tag', 'putEvents',
];
/** Gateway calls of `Rotator.revoke` itself. */
const REVOKE_METHODS: readonly GatewayMethod[] = ['describeSecret', 'tag', 'rotateNow'];

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
}

type Command =
  | { readonly kind: 'rotate'; readonly fault?: Fault }
  | { readonly kind: 'revoke'; readonly fault?: Fault }
  | { readonly kind: 'tick'; readonly ms: number; readonly fault?: Fault }
  | { readonly kind: 'useOldKey'; readonly afterMinutes: number }
  | { readonly kind: 'reactivate' }
  | { readonly kind: 'deleteOldKey' };

/** The system under test and what the model remembers about its history. */
class System {
  readonly clock = new Clock();
  readonly fake: FakeAws;
  readonly logs: string[] = [];
  /** Messages of every error the function threw (they reach Lambda's logs and Secrets Manager). */
  readonly errors: string[] = [];
  readonly arn: string;
  readonly bystanderKey: string;
  firstRotationDone = false;
  /** Keys an operator made active again after the lifecycle deactivated them. */
  readonly reactivated = new Set<string>();
  private warm?: Rotator;

  constructor(seed: number, readonly config: Config, private readonly coldStarts: boolean) {
    this.fake = new FakeAws(this.clock.now, { seed });
    this.fake.createUser(USER);
    this.fake.createUser(BYSTANDER);
    this.bystanderKey = this.fake.operatorCreateKey(BYSTANDER).accessKeyId;
    this.fake.createSecret('unmanaged/thing', '{"password":"hunter2-hunter2"}', { team: 'x' });
    this.arn = this.fake.createSecret(`access-keys/${USER}`, JSON.stringify({ userName: USER }), {
      [Tags.USER]: USER,
      [Tags.DEACTIVATE_AFTER]: String(config.deactivateAfterDays * 86_400),
      [Tags.DELETE_AFTER]: String(config.deleteAfterDays * 86_400),
    }, this.fake.rotationLambdaArn);
  }

  /** The function as one invocation sees it: a fresh instance on a cold start, else the warm one. */
  rotator(): Rotator {
    const make = () => new Rotator({
      gateway: this.fake,
      clock: this.clock.now,
      logSink: { write: (line) => this.logs.push(line) },
      testSecretRetry: { attempts: 2, firstDelayMs: 0, maxDelayMs: 0 },
    });
    if (this.coldStarts) return make();
    this.warm ??= make();
    return this.warm;
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
    keys: sys.fake.keysOf(USER).map((k) => ({ id: k.accessKeyId, status: k.status, lastUsed: k.lastUsed?.toISOString() })),
    versions: sys.fake.inspectSecret(sys.arn).versions.map((v) => ({
      id: v.id, stages: v.stages, key: parseCredentials(v.value, 'version')?.accessKeyId,
    })),
    tags: sys.tags(),
    reactivated: [...sys.reactivated],
  };
}

/** What must hold after every command. */
function checkInvariants(sys: System): void {
  const ctx = () => state(sys);
  const keys = sys.fake.keysOf(USER);
  const secret = sys.fake.inspectSecret(sys.arn);
  const tags = secret.tags;

  if (keys.length > 2) fail('the user has more than 2 access keys', ctx());

  for (const stage of [Stage.CURRENT, Stage.PREVIOUS, Stage.PENDING]) {
    if (secret.versions.filter((v) => v.stages.includes(stage)).length > 1) fail(`${stage} is on more than one version`, ctx());
  }
  if (secret.versions.some((v) => v.stages.includes(Stage.PENDING))) fail('AWSPENDING remains after a completed rotation', ctx());
  for (const transient of [Tags.CREATING, Tags.REVOKE, Tags.ADOPTING]) {
    if (tags[transient] !== undefined) fail(`tag ${transient} remains after a completed rotation`, ctx());
  }

  const current = sys.stage(Stage.CURRENT);
  if (sys.firstRotationDone) {
    if (!current) fail('AWSCURRENT holds no access key after the first rotation', ctx());
    const key = keys.find((k) => k.accessKeyId === current.accessKeyId);
    if (!key) fail(`AWSCURRENT holds ${current.accessKeyId}, which does not exist`, ctx());
    if (key.status !== 'Active') fail(`AWSCURRENT holds ${current.accessKeyId}, which is ${key.status}`, ctx());
    if (current.userName !== USER || key.secretAccessKey !== current.secretAccessKey) fail('AWSCURRENT is not a working key of the user', ctx());
    if (parseCurrentKeyId(tags) !== current.accessKeyId) fail('tag current-key does not name the AWSCURRENT key', ctx());
  }

  const referenced = new Set(secret.versions
    .filter((v) => v.stages.some((s) => s === Stage.CURRENT || s === Stage.PENDING || s === Stage.PREVIOUS))
    .map((v) => parseCredentials(v.value, 'version')?.accessKeyId));
  for (const key of keys) {
    if (!referenced.has(key.accessKeyId)) fail(`key ${key.accessKeyId} is held by no AWSCURRENT/AWSPENDING/AWSPREVIOUS version`, ctx());
  }

  // No key escapes the lifecycle: a key other than AWSCURRENT's is the recorded previous key.
  const previous = parsePreviousKey(tags);
  for (const key of keys) {
    if (key.accessKeyId === current?.accessKeyId) continue;
    if (previous?.accessKeyId !== key.accessKeyId || previous.deletedAt) {
      fail(`key ${key.accessKeyId} is neither AWSCURRENT nor the previous key the lifecycle retires`, ctx());
    }
  }
  if (previous?.deletedAt && sys.key(previous.accessKeyId)) fail(`previous key ${previous.accessKeyId} is recorded as deleted but exists`, ctx());
  if (previous?.deactivatedAt && !previous.deletedAt) {
    const key = sys.key(previous.accessKeyId);
    if (key && key.status !== 'Inactive' && !sys.reactivated.has(key.accessKeyId)) {
      fail(`previous key ${previous.accessKeyId} is recorded as deactivated but is ${key.status}`, ctx());
    }
  }

  const bystander = sys.fake.keysOf(BYSTANDER);
  if (bystander.length !== 1 || bystander[0].accessKeyId !== sys.bystanderKey || bystander[0].status !== 'Active') {
    fail('another user\'s key was touched', bystander.map((k) => ({ id: k.accessKeyId, status: k.status })));
  }

  const secrets = sys.fake.createdKeys.map((k) => k.secretAccessKey);
  const places: [string, string[]][] = [
    ['log line', sys.logs],
    ['event', sys.fake.events.map((e) => JSON.stringify(e))],
    ['error message', sys.errors],
    ['tag', Object.entries(tags).map(([k, v]) => `${k}=${v}`)],
  ];
  for (const [where, texts] of places) {
    for (const text of texts) {
      const leaked = secrets.find((s) => text.includes(s));
      if (leaked) fail(`a secret access key appears in a ${where}`, { text: text.split(leaked).join('<LEAKED SECRET>') });
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
 * Revoke as an operator calls it; if the call fails after RotateSecret took
 * effect, Secrets Manager runs the rotation anyway (its token is the pending
 * version), otherwise the operator calls revoke again.
 */
async function startRevoke(sys: System): Promise<string> {
  for (let attempt = 1; ; attempt++) {
    try {
      const token = await sys.rotator().revoke(sys.arn);
      if (!token) fail('revoke returned no token', state(sys));
      return token;
    } catch (e) {
      sys.errors.push((e as Error).message);
      const pending = sys.fake.inspectSecret(sys.arn).versions.find((v) => v.stages.includes(Stage.PENDING) && !v.stages.includes(Stage.CURRENT));
      if (pending) return pending.id;
      if (attempt >= MAX_ROTATION_ATTEMPTS) throw e;
    }
  }
}

/**
 * One rotation as Secrets Manager drives it: the AWSPENDING placeholder, then
 * the four steps; when a step fails, the four steps again with the same token.
 */
async function rotation(sys: System, options: { revoke: boolean; fault?: Fault }): Promise<void> {
  const firedBefore = sys.fake.firedFaults.length;
  const createdBefore = sys.fake.createdKeys.length;
  const eventsBefore = sys.fake.events.length;
  const oldCurrent = sys.stage(Stage.CURRENT);
  if (options.fault) sys.fake.failOnce(options.fault.method, options.fault.when, options.fault.skip);

  const token = options.revoke ? await startRevoke(sys) : sys.fake.startRotation(sys.arn);
  const failures: string[] = [];
  for (let attempt = 1; ; attempt++) {
    try {
      for (const step of STEPS) await sys.rotator().rotationStep({ Step: step, SecretId: sys.arn, ClientRequestToken: token });
      break;
    } catch (e) {
      sys.errors.push((e as Error).message);
      failures.push((e as Error).message);
      if (attempt >= MAX_ROTATION_ATTEMPTS) fail(`the rotation did not complete after ${attempt} attempts`, { failures, ...state(sys) });
      sys.clock.advance(RETRY_DELAY_MS);
    }
  }
  sys.fake.clearFaults();
  if (failures.length > 0 && !fired(sys, firedBefore)) fail('a rotation without any fault failed', { failures, ...state(sys) });
  sys.firstRotationDone = true;

  // The new key: created by this rotation, the only one of its keys that survives.
  const ctx = () => ({ fault: options.fault, failures, ...state(sys) });
  const made = sys.fake.createdKeys.slice(createdBefore);
  const current = sys.stage(Stage.CURRENT)!;
  if (!made.some((k) => k.accessKeyId === current?.accessKeyId)) fail('AWSCURRENT does not hold a key this rotation created', ctx());
  const survivors = made.filter((k) => sys.key(k.accessKeyId));
  if (survivors.length > 1) fail(`this rotation left ${survivors.length} new keys`, ctx());

  // The old key: AWSPREVIOUS and the previous key; active, or inactive at once on revoke.
  const previous = parsePreviousKey(sys.tags());
  if (oldCurrent) {
    if (sys.stage(Stage.PREVIOUS)?.accessKeyId !== oldCurrent.accessKeyId) fail('AWSPREVIOUS does not hold the replaced key', ctx());
    if (previous?.accessKeyId !== oldCurrent.accessKeyId) fail('tag previous-key does not name the replaced key', ctx());
    const status = sys.key(oldCurrent.accessKeyId)?.status;
    if (options.revoke) {
      if (status === 'Active' || !previous.deactivatedAt) fail('revoke left the replaced key active', ctx());
    } else if (status !== 'Active' || previous.deactivatedAt || previous.deletedAt) {
      fail('the replaced key was retired without its grace period', ctx());
    }
  }
  if (!fired(sys, firedBefore)) {
    const events = eventsSince(sys, eventsBefore);
    if (!events.some((e) => e.type === EventType.CREATED && e.accessKeyId === current.accessKeyId)) fail('no Access Key Created event', ctx());
    if (!events.some((e) => e.type === EventType.PROMOTED && e.accessKeyId === current.accessKeyId)) fail('no Access Key Promoted event', ctx());
  }
}

/** Time passes, then the scheduled lifecycle runs; a run without fault makes exactly the transition that is due. */
async function tick(sys: System, ms: number, fault?: Fault): Promise<void> {
  sys.clock.advance(ms);
  const now = sys.clock.now();
  const tagsBefore = sys.tags();
  const before = parsePreviousKey(tagsBefore);
  const keyBefore = sys.key(before?.accessKeyId);
  const firedBefore = sys.fake.firedFaults.length;
  const eventsBefore = sys.fake.events.length;
  if (fault) sys.fake.failOnce(fault.method, fault.when, fault.skip);
  try {
    await sys.rotator().lifecycle();
  } catch (e) {
    sys.errors.push((e as Error).message);
    if (!fired(sys, firedBefore)) throw e;
  }
  sys.fake.clearFaults();
  if (fired(sys, firedBefore)) return;

  const ctx = () => ({ before: tagsBefore[Tags.PREVIOUS_KEY], keyBefore: keyBefore && { status: keyBefore.status }, ...state(sys) });
  const events = eventsSince(sys, eventsBefore);
  if (events.some((e) => e.type === EventType.LIFECYCLE_FAILED)) fail('a lifecycle run without any fault failed', { events, ...ctx() });
  const after = parsePreviousKey(sys.tags());
  const key = sys.key(before?.accessKeyId);
  if (!before || before.deletedAt || tagsBefore[Tags.HOLD] !== undefined || before.accessKeyId === parseCurrentKeyId(tagsBefore)) return;
  const same = (a: Date | undefined, b: Date | undefined) => a?.getTime() === b?.getTime();
  const at = (from: Date, days: number) => new Date(from.getTime() + days * DAY);
  const warned = events.some((e) => e.type === EventType.STILL_IN_USE && e.accessKeyId === before.accessKeyId);
  const usedAfterPromotion = keyBefore?.lastUsed !== undefined && keyBefore.lastUsed > before.supersededAt;

  if (!before.deactivatedAt) {
    const due = at(before.supersededAt, sys.config.deactivateAfterDays);
    const check = at(before.supersededAt, sys.config.deactivateAfterDays / 2);
    if (now >= due) {
      if (!keyBefore && !after?.deletedAt) fail('deactivation was due, the key was already gone, and it is not recorded as deleted', ctx());
      if (!same(after?.deactivatedAt, now)) fail('deactivation was due and did not happen', ctx());
      if (keyBefore && (key?.status !== 'Inactive' || after?.deletedAt)) fail('the key due for deactivation is not inactive', ctx());
      if (usedAfterPromotion && !warned) fail('a still-used key was deactivated without an Access Key Still In Use event', { events, ...ctx() });
    } else if (now >= check && !before.usageCheckedAt) {
      if (!keyBefore) {
        if (!after?.deletedAt && !same(after?.usageCheckedAt, now)) fail('the usage check of a key already gone neither happened nor recorded it as deleted', ctx());
        return;
      }
      if (!same(after?.usageCheckedAt, now)) fail('the usage check was due and did not happen', ctx());
      if (after?.deactivatedAt || key?.status !== keyBefore?.status) fail('the usage check changed the key', ctx());
      if (usedAfterPromotion !== warned) fail(`usage check: used after promotion ${usedAfterPromotion}, warned ${warned}`, { events, ...ctx() });
    } else if (JSON.stringify(after) !== JSON.stringify(before)) {
      fail('nothing was due but the previous key changed', ctx());
    }
  } else {
    const due = at(before.deactivatedAt, sys.config.deleteAfterDays);
    if (now < due) {
      if (JSON.stringify(after) !== JSON.stringify(before) || key?.status !== keyBefore?.status) fail('nothing was due but the previous key changed', ctx());
    } else if (keyBefore?.status === 'Active') {
      if (sys.tags()[Tags.HOLD] === undefined) fail('a re-activated key due for deletion was not held', ctx());
      if (key?.status !== 'Active') fail('a re-activated key was changed instead of held', ctx());
    } else {
      if (key) fail('deletion was due and the key still exists', ctx());
      if (!same(after?.deletedAt, now)) fail('deletion was due and is not recorded', ctx());
    }
  }
}

/** A consumer that has not picked up the new key signs a request with the AWSPREVIOUS one. */
async function useOldKey(sys: System, afterMinutes: number): Promise<void> {
  sys.clock.advance(afterMinutes * 60_000);
  const old = sys.stage(Stage.PREVIOUS);
  if (!old || sys.key(old.accessKeyId)?.status !== 'Active') return; // an inactive or deleted key does not sign
  await sys.fake.callerArn(old.accessKeyId, old.secretAccessKey);
}

/** An operator makes the deactivated previous key active again. */
function reactivate(sys: System): void {
  const previous: PreviousKeyState | undefined = parsePreviousKey(sys.tags());
  const key = sys.key(previous?.accessKeyId);
  if (!previous || !key || key.status !== 'Inactive') return;
  sys.fake.operatorSetStatus(USER, key.accessKeyId, 'Active');
  sys.reactivated.add(key.accessKeyId);
}

/** An operator deletes the old key by hand, during its grace period or while it is inactive. */
function deleteOldKey(sys: System): void {
  const previous = parsePreviousKey(sys.tags());
  if (!previous || previous.deletedAt || !sys.key(previous.accessKeyId) || previous.accessKeyId === sys.stage(Stage.CURRENT)?.accessKeyId) return;
  sys.fake.operatorDeleteKey(USER, previous.accessKeyId);
}

async function apply(sys: System, command: Command): Promise<void> {
  switch (command.kind) {
    case 'rotate': return rotation(sys, { revoke: false, fault: command.fault });
    case 'revoke': return rotation(sys, { revoke: true, fault: command.fault });
    case 'tick': return tick(sys, command.ms, command.fault);
    case 'useOldKey': return useOldKey(sys, command.afterMinutes);
    case 'reactivate': return reactivate(sys);
    case 'deleteOldKey': return deleteOldKey(sys);
  }
}

// ---- arbitraries -------------------------------------------------------------------

const configArb: fc.Arbitrary<Config> = fc.record({
  deactivateAfterDays: fc.integer({ min: 1, max: 10 }),
  deleteAfterDays: fc.integer({ min: 1, max: 10 }),
});

const faultArb = (methods: readonly GatewayMethod[]) => fc.option(fc.record({
  method: fc.constantFrom(...methods),
  when: fc.constantFrom<FaultTiming>('before', 'after'),
  skip: fc.nat({ max: 2 }),
}), { nil: undefined, freq: 2 });

const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('rotate' as const), fault: faultArb(ROTATION_METHODS) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('revoke' as const), fault: faultArb([...ROTATION_METHODS, ...REVOKE_METHODS]) }) },
  {
    weight: 5,
    arbitrary: fc.record({ kind: fc.constant('tick' as const), ms: fc.integer({ min: HOUR, max: 20 * DAY }), fault: faultArb(LIFECYCLE_METHODS) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('useOldKey' as const), afterMinutes: fc.integer({ min: 1, max: 600 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reactivate' as const) }) },
);

/** The same, with an operator who also deletes old keys by hand. */
const commandWithOperatorDeletionArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 12, arbitrary: commandArb },
  { weight: 1, arbitrary: fc.constant<Command>({ kind: 'deleteOldKey' }) },
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
function historyProperty(commands: fc.Arbitrary<Command>) {
  return fc.asyncProperty(
    seedArb, configArb, fc.boolean(), fc.array(commands, { minLength: 1, maxLength: 25 }),
    async (seed, config, coldStarts, history) => {
      const sys = new System(seed, config, coldStarts);
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
    const sys = new System(seed, config, coldStarts);
    for (const command of history) await apply(sys, command);
    return sys;
  };
  const dry = await build();
  const start = dry.fake.calls.length;
  await rotation(dry, { revoke });
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

describe('rotation, lifecycle and revoke over random histories (in-memory AWS)', () => {
  test('every invariant holds after every command', async () => {
    await fc.assert(historyProperty(commandArb), { numRuns: 200 });
  });

  test('an operator deleting the old key by hand does not break the lifecycle', async () => {
    await fc.assert(historyProperty(commandWithOperatorDeletionArb), { numRuns: 200 });
  });

  test('a single fault at any gateway call of one rotation: the retried rotation ends consistent, with one new key', async () => {
    await fc.assert(fc.asyncProperty(...faultPointArgs, async (seed, config, coldStarts, history, revoke, pick, when) => {
      const { sys, createdBefore } = await rotationWithFault(seed, config, coldStarts, history, revoke, pick, when);
      checkInvariants(sys);
      const survivors = sys.fake.createdKeys.slice(createdBefore).filter((k) => sys.key(k.accessKeyId));
      expect(survivors.map((k) => k.accessKeyId)).toEqual([sys.stage(Stage.CURRENT)!.accessKeyId]);
    }), { numRuns: 300 });
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
    }), { numRuns: 300 });
  });

  test('a scheduled lifecycle run concurrent with a rotation, in any interleaving of their AWS calls, leaves every invariant intact', async () => {
    await fc.assert(fc.asyncProperty(
      seedArb, configArb, fc.array(cleanCommandArb, { minLength: 1, maxLength: 6 }), fc.integer({ min: HOUR, max: 20 * DAY }), fc.boolean(),
      // Bursts short (a call or a few) and long (a whole step or more) expose the races best.
      fc.array(fc.oneof(fc.nat({ max: 4 }), fc.integer({ min: 5, max: 30 })), { maxLength: 6 }),
      async (seed, config, history, ms, revoke, bursts) => {
        const sys = new System(seed, config, true);
        for (const command of history) await apply(sys, command);
        sys.clock.advance(ms);
        // Secrets Manager's rotation and the schedule's run are separate invocations: their calls interleave.
        const interleaver = new Interleaver(['rotation', 'lifecycle'], bursts);
        sys.fake.beforeCall = () => interleaver.gate();
        await Promise.all([
          interleaver.run('rotation', () => rotation(sys, { revoke })),
          interleaver.run('lifecycle', () => sys.rotator().lifecycle()),
        ]);
        sys.fake.beforeCall = undefined;
        checkInvariants(sys);
      },
    ), { numRuns: 1000 });
  });
});
