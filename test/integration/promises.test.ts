/**
 * The promises of docs/SECURITY.md that the rotation and the lifecycle keep,
 * through the function exactly as it ships, against moto:
 *
 * - a rotation never deletes or deactivates an active key (a revoke
 *   excepted); when it would need to, it fails before it changes anything,
 *   says which key and the way out, and lets go of its attempt so that the
 *   next rotation can start;
 * - tags can be read, never steer: what someone allowed to tag a registered
 *   secret writes can neither bring a transition forward nor hide one, and a
 *   revoke comes before any tag;
 * - the tag quota cannot stop a rotation, and a tag write it refuses names the cause.
 */
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import { EventType, Removal, ROTATION_RESOURCE_TYPE, RotationProperties, Stage, Tags } from '../../src/rotation/contract';
import { buildBundle, captureAnswers, fakeDateOnly, Handler, loadBundle } from '../support/bundle';
import { CloudFormationDriver } from '../support/cloudformation';
import { expectInvariants } from '../support/invariants';
import { MotoServer } from '../support/moto';
import { MotoProxy } from '../support/moto-proxy';
import { STEPS, World } from '../support/world';

const DAY = 86_400_000;

const HOUR = 3_600_000;

let moto: MotoServer;
let proxy: MotoProxy;
let lines: string[];
beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  // The function reaches AWS through a proxy that enforces what moto does not (the tag quota); fixtures go to moto.
  proxy = await MotoProxy.start(moto.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  lines = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
});
afterEach(() => { jest.useRealTimers(); });

/** The audit events the function recorded (each is also a log line), by detail-type. */
function events(type: string): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as { message?: string; event?: Record<string, unknown> })
    .filter((l) => l.message === type && l.event).map((l) => l.event!);
}

/** Alice's secret after two rotations: the current key, and the previous one, active in its grace period (7 days). */
async function twoRotations() {
  const world = new World();
  await world.createUser('alice');
  const arn = await world.createManagedSecret('alice');
  const handler: Handler = loadBundle({ AWS_ENDPOINT_URL: proxy.endpoint });
  const rotate = async (token?: string) => {
    const t = token ?? await world.startRotation(arn);
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: t });
  };
  await rotate();
  const previous = (await world.stages(arn))[Stage.CURRENT]!;
  await rotate();
  const current = (await world.stages(arn))[Stage.CURRENT]!;
  return { world, arn, handler, rotate, previous, current };
}

describe('a rotation never deletes an active key', () => {
  test('GIVEN the previous key in its grace period WHEN someone allowed to rotate starts a rotation THEN it fails before changing anything, naming the key and the way out, and the next rotation can start', async () => {
    const { world, arn, handler, previous, current } = await twoRotations();
    const keysBefore = await world.keys('alice');

    const token = await world.startRotation(arn);
    await expect(handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }))
      .rejects.toThrow(new RegExp(`the old key ${previous} is still active \\(its grace period ends at .*, when the lifecycle deactivates it\\).*`
        + 'rotate after it is deactivated, or revoke'));

    expect(await world.keys('alice')).toEqual(keysBefore);
    expect(await world.stages(arn)).toEqual({ [Stage.CURRENT]: current, [Stage.PENDING]: undefined, [Stage.PREVIOUS]: previous });
    expect(await world.pendingToken(arn)).toBeUndefined();
    expect(events(EventType.ROTATION_FAILED)).toEqual([expect.objectContaining({ accessKeyId: previous, step: 'createSecret' })]);
    await expectInvariants(world, arn, 'alice');
  });

  test('GIVEN a refused rotation WHEN the lifecycle has deactivated the previous key THEN a rotation deletes that inactive key to make room and succeeds', async () => {
    fakeDateOnly(Date.now());
    const { world, arn, handler, rotate, previous, current } = await twoRotations();
    const token = await world.startRotation(arn);
    await expect(handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(/still active/);

    jest.setSystemTime(Date.now() + 8 * DAY);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deactivated: 1, failed: 0 });
    await rotate();

    const keys = await world.keys('alice');
    expect(keys.map((k) => k.accessKeyId)).not.toContain(previous);
    expect((await world.stages(arn))[Stage.PREVIOUS]).toBe(current);
    expect(events(EventType.DELETED)).toEqual([expect.objectContaining({ accessKeyId: previous, wasActive: false })]);
    await expectInvariants(world, arn, 'alice');
  });

  test('GIVEN the previous key in its grace period WHEN an operator revokes THEN the revoke deletes it at once and deactivates the current key', async () => {
    const { world, arn, handler, previous, current } = await twoRotations();

    const token = await world.revoke(arn, new Date());
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });

    const keys = await world.keys('alice');
    expect(keys.map((k) => k.accessKeyId)).not.toContain(previous);
    expect(await world.keyStatus('alice', current)).toBe('Inactive');
    expect(events(EventType.DELETED)).toEqual([expect.objectContaining({ accessKeyId: previous, wasActive: true, reason: expect.stringMatching(/emergency revoke/) })]);
    await expectInvariants(world, arn, 'alice');
  });
});

/** Someone allowed to tag the registered secret (and nothing else) writes library tags. */
async function forge(world: World, arn: string, tags: Record<string, string>): Promise<void> {
  await world.secretsManager.send(new TagResourceCommand({ SecretId: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}

describe('a key another secret of the library serves is never taken over', () => {
  test.each([
    ['ADOPT takes over an active hand-made key', ForeignKeyPolicy.ADOPT, 'Active'],
    ['DELETE_INACTIVE deletes an inactive hand-made key', ForeignKeyPolicy.DELETE_INACTIVE, 'Inactive'],
  ])('GIVEN another stack\'s secret serving alice\'s key WHEN a registration whose policy %s rotates THEN it fails naming that secret, and the key stays', async (
    _, foreignKeyPolicy, status,
  ) => {
    const world = new World();
    await world.createUser('alice');
    // Another stack registered alice too: its secret serves her key as AWSCURRENT (labelled with the key, as the function labels it).
    const theirs = await world.createSecret('access-keys/alice-elsewhere', 'alice');
    const key = await world.createForeignKey('alice');
    await world.serve(theirs, key);
    if (status === 'Inactive') await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: key.accessKeyId, Status: 'Inactive' }));
    const arn = await world.createManagedSecret('alice', { foreignKeyPolicy });
    const handler: Handler = loadBundle({ AWS_ENDPOINT_URL: proxy.endpoint });

    const token = await world.startRotation(arn);
    await expect(handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(
      new RegExp(`access key ${key.accessKeyId} is AWSCURRENT of secret ${theirs.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, `
        + 'another registration of user alice: .*one registration only'));

    expect(await world.keys('alice')).toEqual([{ accessKeyId: key.accessKeyId, status }]);
    expect(await world.pendingToken(arn)).toBeUndefined();
    expect(events(EventType.ROTATION_FAILED)).toEqual([expect.objectContaining({ accessKeyId: key.accessKeyId, step: 'createSecret' })]);
  });
});

describe('tags can be read, never steer', () => {
  test.each([
    ['today\'s progress tag', (id: string, at: string) => ({ [Tags.PROGRESS]: `id=${id} deactivated-at=${at} held-at=${at}` })],
    ['an earlier version\'s per-key tag', (id: string, at: string) => ({ [`${Tags.KEY_PROGRESS_PREFIX}${id}`]: `deactivated-at=${at} held-at=${at}` })],
  ])('GIVEN the previous key in its grace period WHEN a tagger forges, in %s, a record of its deactivation and of a released hold THEN it is deactivated no earlier than its grace period allows', async (_, record) => {
    fakeDateOnly(Date.now());
    const { world, arn, handler, previous } = await twoRotations();
    await forge(world, arn, record(previous, new Date().toISOString()));

    jest.setSystemTime(Date.now() + HOUR);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deactivated: 0, failed: 0 });
    expect(await world.keyStatus('alice', previous)).toBe('Active');

    jest.setSystemTime(Date.now() + 7 * DAY);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deactivated: 1, failed: 0 });
    expect(events(EventType.DEACTIVATED)).toEqual([expect.objectContaining({ accessKeyId: previous, reason: expect.stringMatching(/grace period of 7 days/) })]);
  });

  test.each([
    ['today\'s progress tag', (id: string, at: string) => ({ [Tags.PROGRESS]: `id=${id} deleted-at=${at}` })],
    ['an earlier version\'s per-key tag', (id: string, at: string) => ({ [`${Tags.KEY_PROGRESS_PREFIX}${id}`]: `deleted-at=${at}` })],
  ])('GIVEN an emergency revoke WHEN a tagger forges, in %s, a record that the revoked key was deleted, and it is made active again THEN the next lifecycle run deletes it anyway', async (_, record) => {
    const { world, arn, handler, current } = await twoRotations();
    const token = await world.revoke(arn, new Date());
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
    expect(await world.keyStatus('alice', current)).toBe('Inactive');
    await forge(world, arn, record(current, new Date().toISOString()));
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: current, Status: 'Active' }));

    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deleted: 1, failed: 0 });
    expect(await world.keyStatus('alice', current)).toBeUndefined();
  });

  test('GIVEN a forged record that the previous key was deleted WHEN its grace period ends THEN it is deactivated: retirement is not silently stopped', async () => {
    fakeDateOnly(Date.now());
    const { world, arn, handler, previous } = await twoRotations();
    await forge(world, arn, { [Tags.PROGRESS]: `id=${previous} deleted-at=${new Date().toISOString()}` });

    jest.setSystemTime(Date.now() + 7 * DAY + HOUR);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deactivated: 1, failed: 0 });
    expect(await world.keyStatus('alice', previous)).toBe('Inactive');
  });

  test('GIVEN a previous-key tag forged to date the promotion a year ahead WHEN the lifecycle runs THEN the date is held to a day after IAM created the current key', async () => {
    fakeDateOnly(Date.now());
    const { world, arn, handler, previous } = await twoRotations();
    await forge(world, arn, { [Tags.PREVIOUS_KEY]: `id=${previous} superseded-at=${new Date(Date.now() + 365 * DAY).toISOString()}` });

    jest.setSystemTime(Date.now() + 7 * DAY + HOUR);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deactivated: 0, failed: 0 });
    jest.setSystemTime(Date.now() + DAY);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deactivated: 1, failed: 0 });
    expect(await world.keyStatus('alice', previous)).toBe('Inactive');
  });

  test('GIVEN a hold that keeps the previous key active past its grace period THEN the lifecycle says so once, in an event naming the hold, and leaves the key active', async () => {
    fakeDateOnly(Date.now());
    const { world, arn, handler, previous } = await twoRotations();
    await forge(world, arn, { [Tags.HOLD]: 'by=mallory' });

    jest.setSystemTime(Date.now() + 7 * DAY + HOUR);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ held: 1, deactivated: 0, failed: 0 });
    jest.setSystemTime(Date.now() + HOUR);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ held: 0, deactivated: 0, failed: 0 });

    expect(await world.keyStatus('alice', previous)).toBe('Active');
    expect(events(EventType.HELD)).toEqual([expect.objectContaining({ accessKeyId: previous, reason: expect.stringMatching(/past its grace period .*by=mallory/) })]);
  });
});

describe('the tag quota', () => {
  test('GIVEN a deployed registration whose secret someone fills to Secrets Manager\'s 50 tags THEN rotations and the lifecycle go on, and a tag write the quota refuses names the cause', async () => {
    fakeDateOnly(Date.now());
    const world = new World();
    const functionArn = await world.rotationFunctionArn();
    await world.createUser('alice');
    const arn = await world.createManagedSecret('alice', { removal: Removal.RETAIN });
    const handler = loadBundle({ AWS_ENDPOINT_URL: proxy.endpoint });
    const invoke = (event: unknown) => handler(event, { invokedFunctionArn: functionArn });
    const cfn = new CloudFormationDriver(moto.cloudFormation, invoke, captureAnswers().answers);
    moto.cloudFormation.begin('CREATE_IN_PROGRESS');
    expect(await cfn.create('aliceRotation', ROTATION_RESOURCE_TYPE, {
      [RotationProperties.SECRET]: arn,
      [RotationProperties.USER]: world.userArn('alice'),
      [RotationProperties.REMOVAL]: Removal.RETAIN,
      [RotationProperties.SCHEDULE]: 'rate(30 days)',
    })).toMatchObject({ Status: 'SUCCESS' });
    moto.cloudFormation.status = 'CREATE_COMPLETE';
    const filler = Object.fromEntries(Array.from({ length: 50 - Object.keys(await world.tags(arn)).length }, (_, i) => [`team:${i}`, 'x']));
    await forge(world, arn, filler);
    expect(Object.keys(await world.tags(arn))).toHaveLength(50);
    const rotate = async () => {
      const token = (await world.pendingToken(arn)) ?? await world.startRotation(arn);
      for (const step of STEPS) await invoke({ Step: step, SecretId: arn, ClientRequestToken: token });
    };

    await rotate();
    await rotate();
    const previous = (await world.stages(arn))[Stage.PREVIOUS]!;
    jest.setSystemTime(Date.now() + 7 * DAY + HOUR);
    expect(await invoke({ action: 'lifecycle' })).toMatchObject({ deactivated: 1, failed: 0 });
    await expectInvariants(world, arn, 'alice');

    // Made active again by hand: at its deletion time the lifecycle would set a hold, a tag the secret has no room for.
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: previous, Status: 'Active' }));
    jest.setSystemTime(Date.now() + 15 * DAY);
    await expect(invoke({ action: 'lifecycle' })).rejects.toThrow(/1 secret\(s\) failed/);
    expect(events(EventType.LIFECYCLE_FAILED)).toEqual([expect.objectContaining({
      reason: expect.stringMatching(new RegExp(`${Tags.HOLD}.*the secret has 50 tags and Secrets Manager allows 50; remove tags that are not this library's`)),
    })]);
    expect(await world.keyStatus('alice', previous)).toBe('Active');
  });
});
