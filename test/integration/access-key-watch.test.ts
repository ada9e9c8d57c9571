/**
 * The access key watch against moto: accounts of 10 and 1,000 users with
 * managed keys (secrets of the library, made as the rotator leaves them) and
 * unmanaged ones (hand-made, old and young, used and never used, inactive, a
 * secret whose rotation a RETAIN removal turned off). The keys' creation and
 * last-use dates come from moto's settable IAM clock. Metrics and events are
 * checked exactly, and so is the number of calls a run makes: the IAM calls
 * do not grow with the account.
 */
import { CloudWatchClient, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { CreateAccessKeyCommand, CreateUserCommand, IAMClient, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import {
  CreateSecretCommand, PutSecretValueCommand, RotateSecretCommand, SecretsManagerClient, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { EVENT_SOURCE, EventType, Metrics, secretDescription, WatchMetrics } from '../../src/rotation/contract';
import { AwsWatchGateway, defaultWatchClients } from '../../src/watch/aws';
import type { WatchMetric } from '../../src/watch/gateway';
import { AccessKeyWatchRun } from '../../src/watch/watch';
import { MotoServer } from '../support/moto';
import { World } from '../support/world';

jest.setTimeout(240_000);

let moto: MotoServer;
beforeAll(async () => { moto = await MotoServer.start({ clock: true }); });
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => { await moto.reset(); });

const DAY = 86_400_000;
const NOW = new Date('2026-06-01T12:00:00Z');
const daysAgo = (n: number) => new Date(NOW.getTime() - n * DAY);
const ACCOUNT = '123456789012';
const BUS = `arn:aws:events:us-east-1:${ACCOUNT}:event-bus/default`;

/**
 * Each block of 10 users, by the user's index modulo 10: the keys it has (age in days, active or not), whether a
 * secret of the library serves it, and with rotation on or off.
 */
interface Kind {
  /** Keys in creation order: [age in days, active], and whether a secret of the library holds the key. */
  readonly keys: { age: number; active: boolean; held: boolean }[];
  /** A secret of the library names the user; `false`: its rotation is off (a RETAIN removal left it). */
  readonly secret?: boolean;
  /** The first key was last used this many days ago. */
  readonly usedDaysAgo?: number;
}
const KINDS: Kind[] = [
  { keys: [{ age: 200, active: true, held: false }], usedDaysAgo: 5 }, // 0: unmanaged, old, in use
  { keys: [{ age: 100, active: true, held: false }] }, // 1: unmanaged, past IAM.3, never used
  { keys: [{ age: 30, active: true, held: false }] }, // 2: unmanaged, young
  { keys: [{ age: 300, active: false, held: false }] }, // 3: an old inactive key: not counted
  { keys: [] }, // 4: no key
  { keys: [{ age: 20, active: true, held: true }], secret: true }, // 5: managed
  { keys: [{ age: 35, active: true, held: true }, { age: 5, active: true, held: true }], secret: true }, // 6: managed, in its grace period
  { keys: [{ age: 120, active: true, held: false }, { age: 10, active: true, held: true }], secret: true }, // 7: managed, plus a hand-made key
  { keys: [{ age: 95, active: true, held: true }], secret: false }, // 8: its secret no longer rotates: unmanaged
  { keys: [{ age: 95, active: true, held: true }], secret: true }, // 9: managed, past IAM.3 (the rotator's own alarm's business)
];
const REPORT_AFTER_DAYS = 90;

const userName = (i: number) => `user-${String(i).padStart(4, '0')}`;
const userArn = (i: number) => `arn:aws:iam::${ACCOUNT}:user/${userName(i)}`;

/** Runs `work` over items, `width` at a time. */
async function inBatches<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(work));
}

/** The secret access keys of the keys a test uses (to sign a request with, for its last use). */
const keySecrets = new Map<string, string>();

/** An account of `users` users, KINDS in turn. */
async function account(users: number): Promise<void> {
  const iam = new IAMClient({});
  const sm = new SecretsManagerClient({});
  const world = new World();
  const rotationLambdaArn = await world.rotationFunctionArn();
  const indices = Array.from({ length: users }, (_, i) => i);
  const kind = (i: number) => KINDS[i % KINDS.length];
  await inBatches(indices, 50, async (i) => { await iam.send(new CreateUserCommand({ UserName: userName(i) })); });

  // Keys in date order, oldest first (IAM's clock is one for the whole server); a user's keys in their order.
  const keyIds = new Map<number, string[]>();
  const ages = [...new Set(KINDS.flatMap((k) => k.keys.map((key) => key.age)))].sort((a, b) => b - a);
  for (const age of ages) {
    moto.setClock(daysAgo(age));
    await inBatches(indices.filter((i) => kind(i).keys.some((k) => k.age === age)), 50, async (i) => {
      for (const key of kind(i).keys.filter((k) => k.age === age)) {
        const out = await iam.send(new CreateAccessKeyCommand({ UserName: userName(i) }));
        const id = out.AccessKey!.AccessKeyId!;
        keyIds.set(i, [...keyIds.get(i) ?? [], id]);
        if (!key.active) await iam.send(new UpdateAccessKeyCommand({ UserName: userName(i), AccessKeyId: id, Status: 'Inactive' }));
        if (kind(i).usedDaysAgo !== undefined) keySecrets.set(id, out.AccessKey!.SecretAccessKey!);
      }
    });
  }
  // Last use: a request signed with the key, at that time.
  for (const days of [...new Set(KINDS.map((k) => k.usedDaysAgo).filter((d): d is number => d !== undefined))]) {
    moto.setClock(daysAgo(days));
    await inBatches(indices.filter((i) => kind(i).usedDaysAgo === days), 50, async (i) => {
      const accessKeyId = keyIds.get(i)![0];
      const sts = new STSClient({ credentials: { accessKeyId, secretAccessKey: keySecrets.get(accessKeyId)! } });
      await sts.send(new GetCallerIdentityCommand({}));
    });
  }
  moto.setClock(NOW);

  // The library's secrets, as the rotator leaves them: a version per key, labelled with the key's id, rotation on.
  await inBatches(indices.filter((i) => kind(i).secret !== undefined), 50, async (i) => {
    const held = kind(i).keys.map((k, n) => (k.held ? keyIds.get(i)![n] : undefined)).filter((id): id is string => !!id);
    const created = await sm.send(new CreateSecretCommand({
      Name: `access-keys/${userName(i)}`,
      Description: secretDescription(userName(i)),
      SecretString: JSON.stringify({ userName: userName(i), accessKeyId: held[0] }),
    }));
    await sm.send(new UpdateSecretVersionStageCommand({ SecretId: created.ARN, VersionStage: held[0], MoveToVersionId: created.VersionId }));
    for (const id of held.slice(1)) {
      // The older key's version keeps its label (as AWSPREVIOUS's does after a rotation); this one is stored labelled.
      await sm.send(new PutSecretValueCommand({
        SecretId: created.ARN, SecretString: JSON.stringify({ userName: userName(i), accessKeyId: id }), VersionStages: [id],
      }));
    }
    if (kind(i).secret) {
      await sm.send(new RotateSecretCommand({
        SecretId: created.ARN, RotationLambdaARN: rotationLambdaArn, RotationRules: { ScheduleExpression: 'rate(30 days)' }, RotateImmediately: false,
      }));
    }
  });
}
/** A watch run against moto, recording its calls, its metrics and its events. */
async function watch(): Promise<{ calls: string[]; metrics: WatchMetric[]; dimensions: Record<string, string>[]; events: PutEventsRequestEntry[] }> {
  const calls: string[] = [];
  const clients = defaultWatchClients('us-east-1');
  const record = (service: string): InitializeMiddleware<object, MetadataBearer> => (next, context) => async (args) => {
    calls.push(`${service}.${context.commandName?.replace(/Command$/, '')}`);
    return next(args);
  };
  clients.iam.middlewareStack.add(record('IAM'), { step: 'initialize' });
  clients.secretsManager().middlewareStack.add(record('SecretsManager'), { step: 'initialize' });
  clients.cloudWatch.middlewareStack.add(record('CloudWatch'), { step: 'initialize' });
  clients.eventBridge.middlewareStack.add(record('EventBridge'), { step: 'initialize' });
  const metrics: WatchMetric[] = [];
  const dimensions: Record<string, string>[] = [];
  const events: PutEventsRequestEntry[] = [];
  class Recording extends AwsWatchGateway {
    async putMetrics(namespace: string, m: WatchMetric[], d: Record<string, string>, at: Date): Promise<void> {
      expect(namespace).toBe(Metrics.NAMESPACE);
      metrics.push(...m);
      dimensions.push(d);
      await super.putMetrics(namespace, m, d, at);
    }
    async putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
      events.push(...entries);
      await super.putEvents(entries);
    }
  }
  const run = new AccessKeyWatchRun({
    gateway: new Recording(clients),
    clock: () => new Date(NOW),
    log: () => undefined,
    account: ACCOUNT,
    eventBus: BUS,
    reportAfterSeconds: REPORT_AFTER_DAYS * 86_400,
    reportPollDelayMs: 10,
  });
  await run.run();
  return { calls, metrics, dimensions, events };
}

/** What the watch must find in an account of `users` users (a multiple of 10). */
function expected(users: number) {
  const blocks = users / KINDS.length;
  const reported: { i: number; slot: number; age: number; used?: number }[] = [];
  for (let i = 0; i < users; i++) {
    const k = i % KINDS.length;
    if (k === 0) reported.push({ i, slot: 1, age: 200, used: 5 });
    if (k === 1) reported.push({ i, slot: 1, age: 100 });
    if (k === 7) reported.push({ i, slot: 1, age: 120 });
    if (k === 8) reported.push({ i, slot: 1, age: 95 });
  }
  reported.sort((a, b) => b.age - a.age || userArn(a.i).localeCompare(userArn(b.i)));
  const metrics: WatchMetric[] = [
    { name: WatchMetrics.ACTIVE_KEYS, value: 10 * blocks, unit: 'Count' },
    { name: WatchMetrics.UNMANAGED_ACTIVE_KEYS, value: 5 * blocks, unit: 'Count' },
    { name: WatchMetrics.OLDEST_MANAGED_KEY_AGE, value: 95, unit: 'None' },
    { name: WatchMetrics.OLDEST_UNMANAGED_KEY_AGE, value: 200, unit: 'None' },
    { name: WatchMetrics.KEYS_PAST_IAM3_AGE, value: 5 * blocks, unit: 'Count' },
  ];
  const events = reported.map(({ i, slot, age, used }) => ({
    Source: EVENT_SOURCE,
    DetailType: EventType.UNMANAGED,
    EventBusName: BUS,
    Resources: [userArn(i)],
    Time: NOW,
    Detail: {
      account: ACCOUNT,
      userName: userName(i),
      userArn: userArn(i),
      keySlot: slot,
      ageDays: age,
      createdAt: daysAgo(age).toISOString(),
      lastUsedAt: used === undefined ? 'never' : daysAgo(used).toISOString(),
      reportGeneratedAt: '2015-02-02T20:02:02.000Z',
      reason: `access key ${slot} of user ${userName(i)} is active, ${age} days old, past IAM.3's 90 days, and no secret of `
        + `cdk-rotating-access-keys serves it (${used === undefined ? 'never used' : `last used ${daysAgo(used).toISOString()}`})`,
    },
  }));
  return { metrics, events, librarySecrets: 5 * blocks };
}

describe.each([10, 1000])('the access key watch in an account of %i users', (users) => {
  test(`GIVEN ${users} users, managed and unmanaged keys of every kind, WHEN the watch runs THEN its metrics, events and calls are exactly as expected`, async () => {
    const started = Date.now();
    await account(users);
    const setUp = Date.now() - started;
    const { calls, metrics, dimensions, events } = await watch();
    const want = expected(users);

    expect(metrics).toEqual(want.metrics);
    expect(dimensions).toEqual([{ [WatchMetrics.DIMENSION]: ACCOUNT }]);
    expect(events.map((e) => ({ ...e, Detail: JSON.parse(e.Detail!) }))).toEqual(want.events);
    // Never a key id (the report has none), never a secret.
    for (const e of events) expect(e.Detail).not.toMatch(/AKIA|ASIA|secretAccessKey/);

    // Calls: the report (generated, then complete, then read), a ListSecrets page per 100 library secrets,
    // one PutMetricData, a PutEvents per 10 events. No IAM call per user.
    const count = (call: string) => calls.filter((c) => c === call).length;
    expect({
      generate: count('IAM.GenerateCredentialReport'),
      get: count('IAM.GetCredentialReport'),
      otherIam: calls.filter((c) => c.startsWith('IAM.') && !/CredentialReport$/.test(c)),
      listSecrets: count('SecretsManager.ListSecrets'),
      putMetricData: count('CloudWatch.PutMetricData'),
      putEvents: count('EventBridge.PutEvents'),
      total: calls.length,
    }).toEqual({
      generate: 2,
      get: 1,
      otherIam: [],
      listSecrets: Math.max(1, Math.ceil(want.librarySecrets / 100)),
      putMetricData: 1,
      putEvents: Math.ceil(want.events.length / 10),
      total: 2 + 1 + Math.max(1, Math.ceil(want.librarySecrets / 100)) + 1 + Math.ceil(want.events.length / 10),
    });
    // eslint-disable-next-line no-console
    console.log(`watch, ${users} users: ${calls.length} calls (${JSON.stringify(calls.reduce<Record<string, number>>((a, c) => ({ ...a, [c]: (a[c] ?? 0) + 1 }), {}))}); `
      + `set-up ${setUp} ms, run ${Date.now() - started - setUp} ms`);
  });
});

describe('the watch function as it ships (the esbuild bundle, configured by its environment)', () => {
  const ASSET = '../../assets/watch/watch.lambda/index.js';

  test('GIVEN an unmanaged key of 100 days WHEN the bundled handler runs THEN moto holds its metrics under the account and the event names the user', async () => {
    const iam = new IAMClient({});
    await iam.send(new CreateUserCommand({ UserName: 'legacy' }));
    moto.setClock(new Date(Date.now() - 100 * DAY - 60_000));
    await iam.send(new CreateAccessKeyCommand({ UserName: 'legacy' }));
    moto.useRealClock();
    Object.assign(process.env, {
      WATCH_EVENT_BUS: BUS, WATCH_REPORT_UNMANAGED_AFTER_SECONDS: String(90 * 86_400), WATCH_ACCOUNT: ACCOUNT, WATCH_SECRET_REGIONS: 'us-east-1',
    });
    await moto.restartRecording();
    let handler: (event: unknown, context: unknown) => Promise<Record<string, unknown>>;
    jest.isolateModules(() => {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- the built file, loaded as Lambda loads it
      handler = require(ASSET).handler;
    });
    const summary = await handler!({}, { getRemainingTimeInMillis: () => 300_000 });
    expect(summary).toMatchObject({ activeKeys: 1, unmanagedActiveKeys: 1, oldestUnmanagedKeyAgeDays: 100, keysPastIam3Age: 1, reported: 1 });

    const requests = await moto.requests({ queryProtocol: true });
    const putEvents = requests.filter((r) => r.action === 'PutEvents');
    expect(putEvents).toHaveLength(1);
    const [entry] = (putEvents[0].body as { Entries: { DetailType: string; Detail: string; EventBusName: string }[] }).Entries;
    expect(entry).toMatchObject({ DetailType: 'Access Key Unmanaged', EventBusName: BUS });
    expect(JSON.parse(entry.Detail)).toMatchObject({ userName: 'legacy', keySlot: 1, ageDays: 100, lastUsedAt: 'never' });
    // The metrics reached CloudWatch (moto), under the library's namespace and the account's dimension.
    const listed = await new CloudWatchClient({}).send(new ListMetricsCommand({ Namespace: Metrics.NAMESPACE }));
    expect(listed.Metrics?.map((m) => [m.MetricName, m.Dimensions]).sort()).toEqual(Object.values(WatchMetrics)
      .filter((name) => name !== WatchMetrics.DIMENSION).map((name) => [name, [{ Name: 'Account', Value: ACCOUNT }]]).sort());
  });
});
