/**
 * Mode OBSERVE (issue 15): a stack of registrations that only report, played
 * as CloudFormation plays it against moto and the shipped bundle. Its
 * deployment, a year of daily lifecycle runs and a rotation started by hand
 * make no IAM write (counted on the wire: every call the function makes goes
 * through the player's recorder); the lifecycle says what enforcing would do;
 * then a template change to ENFORCE rotates as usual, and every user keeps a
 * working key (promise 1).
 */
import { CreateAccessKeyCommand, CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { DescribeSecretCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ForeignKeyPolicy, RotationMode } from '../../src';
import { EventType, LIFECYCLE_ACTION } from '../../src/rotation/contract';
import { buildBundle, fakeDateOnly } from '../support/bundle';
import { DeploymentPlayer, expectEveryCallAuthorized, Operation } from '../support/deployment';
import { MotoServer } from '../support/moto';
import { IMPORTED_USERS, Shape, stackOf } from '../support/stack-shapes';

let moto: MotoServer;
let player: DeploymentPlayer;

beforeAll(async () => {
  buildBundle();
  // IAM's clock is set (test/support/moto_server.py): the hand-made key's age is the test's, not the wall clock's.
  moto = await MotoServer.start({ clock: true });
  player = await DeploymentPlayer.start(moto);
});
afterAll(async () => {
  await player?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await player.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  for (const userName of IMPORTED_USERS) await player.iam.send(new CreateUserCommand({ UserName: userName }));
});
afterEach(() => jest.useRealTimers());

const DAY_MS = 86_400_000;
const IAM_WRITES = /^iam:(Create|Update|Delete)AccessKey$/;

/** alice and bob (users the stack creates) and carol (imported, with a hand-made key, taken over under ADOPT), in `mode`. */
function shapeIn(mode: RotationMode): Shape {
  return {
    alice: { mode },
    bob: { mode },
    carol: { mode, foreignKeyPolicy: ForeignKeyPolicy.ADOPT },
  };
}

const iamWrites = () => player.recorder.calls.filter((c) => IAM_WRITES.test(c.call)).map((c) => `${c.phase} ${c.call}`);

function expectClean(operation: Operation, status: string): void {
  expectEveryCallAuthorized(operation);
  expect(operation.phases.flatMap((p) => p.failures)).toEqual([]);
  expect(operation.phases.flatMap((p) => p.rotations.filter((r) => r.failed).map((r) => `${r.secretArn}: ${r.failed!.step}: ${r.failed!.error}`)))
    .toEqual([]);
  expect(operation.status).toBe(status);
}

/** The events the function sent of one type, in order. */
function sent(type: string): { secretArn: string; userName: string; action?: string; reason: string }[] {
  return player.recorder.calls.filter((c) => c.call === 'events:PutEvents')
    .flatMap((c) => (c.params.Entries as { DetailType: string; Detail: string }[]))
    .filter((e) => e.DetailType === type).map((e) => JSON.parse(e.Detail));
}

test('GIVEN a stack whose registrations observe WHEN it is deployed, a year of daily lifecycle runs passes and someone starts a rotation THEN nothing is written in IAM, and the lifecycle says each day what a rotation would do', async () => {
  // Day 0 at ten minutes past midnight UTC (when the daily check runs): carol's key was made by hand an hour before.
  const start = Math.floor(Date.now() / DAY_MS) * DAY_MS + 10 * 60_000;
  moto.setClock(new Date(start - 3_600_000));
  const handMade = (await player.iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }))).AccessKey!.AccessKeyId!;
  moto.setClock(new Date(start));
  player.dailyKeyCheck = true;

  const created = await player.create(stackOf(shapeIn(RotationMode.OBSERVE)));

  expectClean(created, 'CREATE_COMPLETE');
  // No rotation at deploy: Secrets Manager's rotation stays off, so no first key.
  expect(created.phases[0].rotations).toEqual([]);
  const registrations = player.registrations();
  expect(registrations.map((r) => r.mode)).toEqual(['OBSERVE', 'OBSERVE', 'OBSERVE']);
  const carol = registrations.find((r) => r.userArn.endsWith('/carol'))!;

  // Someone with the rights starts a rotation through the function anyway: its createSecret refuses it before any IAM call.
  const started = await player.secretsManager.send(new RotateSecretCommand({
    SecretId: carol.secretArn,
    RotationLambdaARN: player.deployedFunction!.arn,
    RotationRules: { ScheduleExpression: 'rate(30 days)' },
    RotateImmediately: true,
  }));
  const refused = await player.playRotation(carol.secretArn, started.VersionId!);
  expect(refused.failed).toMatchObject({ step: 'createSecret', error: expect.stringContaining('is in mode OBSERVE: the library changes nothing in IAM') });
  expect((await player.secretsManager.send(new DescribeSecretCommand({ SecretId: carol.secretArn }))).RotationEnabled).toBe(true);

  // A year of days, each with its first lifecycle run.
  fakeDateOnly(start + DAY_MS);
  const summaries: Record<string, number>[] = [];
  for (let day = 1; day <= 365; day++) {
    jest.setSystemTime(start + day * DAY_MS);
    const { result, failure } = await player.invokeFunction({ action: LIFECYCLE_ACTION });
    expect(failure).toBeUndefined();
    summaries.push(result as Record<string, number>);
  }
  jest.useRealTimers();

  expect(iamWrites()).toEqual([]);
  expect(await player.iam.send(new ListAccessKeysCommand({ UserName: 'carol' })).then((o) => o.AccessKeyMetadata!.map((k) => `${k.AccessKeyId} ${k.Status}`)))
    .toEqual([`${handMade} Active`]);
  // The rotation turned on by hand is turned off again by the first run; nothing else drifts.
  expect(summaries.map((s) => s.restored)).toEqual([1, ...Array(364).fill(0)]);
  expect(sent(EventType.RESTORED).map((e) => e.reason)).toEqual([
    'rotation was on, in mode OBSERVE: turned off, as the registry says (mode OBSERVE changes nothing in IAM)',
  ]);
  // carol's hand-made key is past the 30-day schedule from day 30 on: each day's first run says what a rotation would do.
  const observed = sent(EventType.OBSERVED);
  expect(summaries.map((s) => s.observed)).toEqual([...Array(29).fill(0), ...Array(336).fill(1)]);
  expect(new Set(observed.map((e) => `${e.userName} ${e.action}`))).toEqual(new Set(['carol rotate']));
  expect(observed[0].reason).toMatch(new RegExp(`is older than the schedule rate\\(30 days\\): a rotation would create a new key; take over ${handMade} `
    + 'as the previous key, deactivated 7 days after the new key\'s promotion and deleted 14 days later \\(mode OBSERVE: nothing changed\\)$'));
  expect(summaries.every((s) => s.failed === 0)).toBe(true);
});

test('GIVEN the observing stack WHEN a template change sets every registration to ENFORCE THEN each rotates as a deployment does, carol\'s hand-made key is taken over, and every user has a working current key', async () => {
  const handMade = (await player.iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }))).AccessKey!.AccessKeyId!;
  expectClean(await player.create(stackOf(shapeIn(RotationMode.OBSERVE))), 'CREATE_COMPLETE');
  expect(iamWrites()).toEqual([]);

  const flipped = await player.update(stackOf(shapeIn(RotationMode.ENFORCE)));

  expectClean(flipped, 'UPDATE_COMPLETE');
  expect(flipped.phases[0].rotations.map((r) => r.secretArn.split(':').pop()!.replace(/-[A-Za-z0-9]{6}$/, '').replace(/[0-9A-F]{8}(-[0-9A-F]+)?$/, '')).sort())
    .toEqual(['AliceAccessKeySecret', 'BobAccessKeySecret', 'CarolSecret']);
  expect(await player.currentKeysServe()).toEqual([]);
  // Nothing active was deleted: carol's hand-made key is still there, now the previous key on the timeline.
  const carolKeys = (await player.iam.send(new ListAccessKeysCommand({ UserName: 'carol' }))).AccessKeyMetadata!;
  expect(carolKeys.find((k) => k.AccessKeyId === handMade)?.Status).toBe('Active');
  expect(iamWrites().filter((w) => !w.endsWith('iam:CreateAccessKey'))).toEqual([]);
});
