/**
 * Delivery (issue 15, item 4) through the shipped bundle, played as
 * CloudFormation and Secrets Manager play it against moto: a registration
 * names a delivery function of the stack, which a stand-in runs where Lambda
 * would (test/support/delivery-stand-in.ts). Every call of the rotation
 * function is judged against its role as deployed, and every read of the
 * delivery function against its own: the grant allows the AWSPENDING version
 * of its own secret, and nothing else.
 */
import { ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { RotatingAccessKeyUser } from '../../src';
import { EventType, Stage } from '../../src/rotation/contract';
import { judge } from '../support/authorization';
import { buildBundle } from '../support/bundle';
import { DeliveryStandIn } from '../support/delivery-stand-in';
import { DeploymentPlayer, expectEveryCallAuthorized, StackTemplate, synthesize } from '../support/deployment';
import { TEST_ENV } from '../support/intrinsics';
import { MotoServer } from '../support/moto';

let moto: MotoServer;
let standIn: DeliveryStandIn;
let player: DeploymentPlayer;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  standIn = await DeliveryStandIn.start(moto);
  player = await DeploymentPlayer.start(moto, { upstream: standIn.endpoint });
  standIn.attach(player);
});
afterEach(() => expect(standIn.errors).toEqual([]));
afterAll(async () => {
  await player?.stop();
  await standIn?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await player.reset();
  standIn.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

/** alice's key is delivered by the stack's function `Delivery`; bob's is not (his secret is the one the function must not read). */
const STACK: StackTemplate = synthesize((stack) => {
  const delivery = new lambda.Function(stack, 'Delivery', {
    runtime: lambda.Runtime.NODEJS_20_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => {};'),
    timeout: Duration.seconds(30),
  });
  new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice', removalPolicy: RemovalPolicy.DESTROY, deliveryFunction: delivery });
  new RotatingAccessKeyUser(stack, 'Bob', { userName: 'bob', removalPolicy: RemovalPolicy.DESTROY });
});

const secretOf = (user: string) => player.registrations().find((r) => r.userArn.endsWith(`/${user}`))!.secretArn;
/** The key AWSCURRENT holds (by its stage: moto may answer a read without one with a stale version). */
const current = async (secretArn: string) => JSON.parse((await player.secretsManager.send(new GetSecretValueCommand({
  SecretId: secretArn, VersionStage: Stage.CURRENT,
}))).SecretString!) as { accessKeyId: string; secretAccessKey: string };

/** The events the function sent, in order: their type and detail. */
function sent(): { type: string; accessKeyId?: string; step?: string; reason: string; deliveredTo?: string }[] {
  return player.recorder.calls.filter((c) => c.call === 'events:PutEvents')
    .flatMap((c) => (c.params.Entries as { DetailType: string; Detail: string }[]))
    .map((e) => ({ type: e.DetailType, ...JSON.parse(e.Detail) }));
}

/** A rotation as Secrets Manager starts it on schedule, played step by step. */
async function rotateOnSchedule(secretArn: string): Promise<{ token: string; failed?: { step: string; error: string } }> {
  const started = await player.secretsManager.send(new RotateSecretCommand({
    SecretId: secretArn, RotationLambdaARN: player.deployedFunction!.arn, RotationRules: { ScheduleExpression: 'rate(30 days)' }, RotateImmediately: true,
  }));
  const played = await player.playRotation(secretArn, started.VersionId!);
  return { token: started.VersionId!, failed: played.failed };
}

test('GIVEN a registration with a delivery function WHEN the stack is created THEN the first key is delivered before it is promoted, the payload names the version (never the secret), and every call is authorized', async () => {
  const created = await player.create(STACK);

  expectEveryCallAuthorized(created);
  expect(created.status).toBe('CREATE_COMPLETE');
  expect(await player.currentKeysServe()).toEqual([]);
  const alice = secretOf('alice');
  const key = await current(alice);
  // One delivery, alice's; bob has none.
  expect(standIn.deliveries).toHaveLength(1);
  const [delivery] = standIn.deliveries;
  expect(delivery.outcome).toBe('ok');
  expect(delivery.functionName).toBe(standIn.deployed()!.arn);
  const payload = JSON.parse(delivery.payload);
  expect(Object.keys(payload).sort()).toEqual(['accessKeyId', 'secretArn', 'userArn', 'userName', 'versionId', 'versionStage']);
  expect(payload).toMatchObject({ secretArn: alice, versionStage: Stage.PENDING, userName: 'alice', accessKeyId: key.accessKeyId });
  expect(delivery.payload).not.toContain(key.secretAccessKey);
  // What the function read with its own grant is the key that became current.
  expect(delivery.delivered).toEqual({ accessKeyId: key.accessKeyId, secretAccessKey: key.secretAccessKey });
  const aliceEvents = sent().filter((e) => e.accessKeyId === key.accessKeyId).map((e) => e.type);
  expect(aliceEvents).toEqual([EventType.CREATED, EventType.DELIVERED, EventType.PROMOTED]);
  expect(sent().find((e) => e.type === EventType.DELIVERED)?.deliveredTo).toBe(delivery.functionName);
  expect(player.recorder.calls.filter((c) => c.call === 'lambda:InvokeFunction')).toHaveLength(1);
});

test('GIVEN the deployed roles THEN the delivery function may read only its secret\'s AWSPENDING version, and the rotation function may invoke only the registered delivery function (policy simulation)', async () => {
  expect((await player.create(STACK)).status).toBe('CREATE_COMPLETE');
  const alice = secretOf('alice');
  const bob = secretOf('bob');
  expect(await standIn.verdict(alice, Stage.PENDING)).toBe('Allowed');
  expect(await standIn.verdict(alice, Stage.PENDING, 'a1b2c3d4-0000-4000-8000-000000000000')).toBe('Allowed');
  expect(await standIn.verdict(alice, Stage.CURRENT)).toBe('ImplicitlyDenied');
  expect(await standIn.verdict(alice, Stage.PREVIOUS)).toBe('ImplicitlyDenied');
  // Without a stage Secrets Manager reads AWSCURRENT: denied, as is a version named by its id alone.
  expect(await standIn.verdict(alice)).toBe('ImplicitlyDenied');
  expect(await standIn.verdict(alice, undefined, 'a1b2c3d4-0000-4000-8000-000000000000')).toBe('ImplicitlyDenied');
  expect(await standIn.verdict(bob, Stage.PENDING)).toBe('ImplicitlyDenied');

  const { region, account } = TEST_ENV;
  const invoke = (resource: string) => judge({ action: 'lambda:InvokeFunction', resource, context: {} }, player.role()).then((j) => j.verdict);
  expect(await invoke(standIn.deployed()!.arn)).toBe('Allowed');
  expect(await invoke(`arn:aws:lambda:${region}:${account}:function:another-function`)).toBe('ImplicitlyDenied');
});

test('GIVEN a delivery function that fails WHEN a rotation runs THEN it fails at setSecret, the current key stays current and Active; WHEN Secrets Manager retries and the function works again THEN the same key is delivered and promoted', async () => {
  expect((await player.create(STACK)).status).toBe('CREATE_COMPLETE');
  const alice = secretOf('alice');
  const before = await current(alice);
  standIn.failWith = 'GitHub answered 502 Bad Gateway';

  const { token, failed } = await rotateOnSchedule(alice);

  expect(failed).toEqual({ step: 'setSecret', error: expect.stringContaining('failed: it failed: Error: GitHub answered 502 Bad Gateway. The key stays pending') });
  expect((await current(alice)).accessKeyId).toBe(before.accessKeyId);
  const keys = (await player.iam.send(new ListAccessKeysCommand({ UserName: 'alice' }))).AccessKeyMetadata!;
  expect(keys.find((k) => k.AccessKeyId === before.accessKeyId)?.Status).toBe('Active');
  const pending = keys.find((k) => k.AccessKeyId !== before.accessKeyId)!.AccessKeyId!;
  expect(sent().filter((e) => e.type === EventType.ROTATION_FAILED)).toEqual([
    expect.objectContaining({ step: 'setSecret', accessKeyId: pending, reason: expect.stringContaining('GitHub answered 502') }),
  ]);
  expect(player.recorder.calls.filter((c) => c.call === 'cloudwatch:PutMetricData')).toHaveLength(1);

  standIn.failWith = undefined;
  const retried = await player.playRotation(alice, token);

  expect(retried.failed).toBeUndefined();
  expect((await current(alice)).accessKeyId).toBe(pending);
  expect(standIn.deliveries.map((d) => [JSON.parse(d.payload).accessKeyId, d.outcome])).toEqual([
    [before.accessKeyId, 'ok'], [pending, 'GitHub answered 502 Bad Gateway'], [pending, 'ok'],
  ]);
  expect(standIn.deliveries[2].delivered?.accessKeyId).toBe(pending);
  expect(player.recorder.calls.filter((c) => c.call === 'iam:CreateAccessKey')).toHaveLength(3);
  expect(player.recorder.denied()).toEqual([]);
});

test('GIVEN a slow delivery function WHEN it answers within the rotation function\'s time THEN the rotation waits for it and promotes the key', async () => {
  expect((await player.create(STACK)).status).toBe('CREATE_COMPLETE');
  const alice = secretOf('alice');
  standIn.delayMs = 3_000;
  const slow = await rotateOnSchedule(alice);
  expect(slow.failed).toBeUndefined();
  expect(standIn.deliveries.map((d) => d.outcome)).toEqual(['ok', 'ok']);
  expect((await current(alice)).accessKeyId).toBe(standIn.deliveries[1].delivered!.accessKeyId);
});

test('GIVEN a delivery function slower than the rotation function\'s time left THEN setSecret fails in time, saying so, and the current key stays current', async () => {
  expect((await player.create(STACK)).status).toBe('CREATE_COMPLETE');
  const alice = secretOf('alice');
  const before = await current(alice);
  // 13 s of function time: the step leaves itself 10 s to report a failure, so the delivery gets 3 s, and takes 6.
  player.functionTimeoutMs = 13_000;
  standIn.delayMs = 6_000;
  const late = await rotateOnSchedule(alice);
  expect(late.failed).toEqual({ step: 'setSecret', error: expect.stringMatching(/it did not answer within [23] s \(the rotation function's time left\)/) });
  expect((await current(alice)).accessKeyId).toBe(before.accessKeyId);
  // The stand-in finishes its late delivery before the next test resets it.
  while (standIn.deliveries.length < 2) await new Promise((r) => setTimeout(r, 250));
});

test('GIVEN a delivery function that reads the version by the wrong stage THEN its read is denied and the rotation fails: the grant is what the payload says', async () => {
  expect((await player.create(STACK)).status).toBe('CREATE_COMPLETE');
  const alice = secretOf('alice');
  standIn.readStage = Stage.CURRENT;
  const { failed } = await rotateOnSchedule(alice);
  expect(failed).toEqual({ step: 'setSecret', error: expect.stringContaining('AccessDeniedException') });
  expect(standIn.reads.at(-1)).toMatchObject({ verdict: 'ImplicitlyDenied' });
});

test('GIVEN a deployed registration WHEN a delivery function is added THEN nothing rotates at the update and the next rotation delivers; WHEN it is removed with its function THEN the update completes, the function is gone and the current key still serves', async () => {
  const plain = synthesize((stack) => {
    new RotatingAccessKeyUser(stack, 'Alice', { userName: 'alice', removalPolicy: RemovalPolicy.DESTROY });
  });
  expect((await player.create(plain)).status).toBe('CREATE_COMPLETE');
  const alice = secretOf('alice');
  const first = await current(alice);
  const withDelivery = synthesize((stack) => {
    const delivery = new lambda.Function(stack, 'Delivery', {
      runtime: lambda.Runtime.NODEJS_20_X, handler: 'index.handler', code: lambda.Code.fromInline('exports.handler = async () => {};'),
    });
    new RotatingAccessKeyUser(stack, 'Alice', {
      userName: 'alice', removalPolicy: RemovalPolicy.DESTROY, deliveryFunction: delivery,
    });
  });
  const added = await player.update(withDelivery);
  expectEveryCallAuthorized(added);
  expect(added.status).toBe('UPDATE_COMPLETE');
  expect(standIn.deliveries).toEqual([]);
  expect((await current(alice)).accessKeyId).toBe(first.accessKeyId);
  expect((await rotateOnSchedule(alice)).failed).toBeUndefined();
  expect(standIn.deliveries.map((d) => d.outcome)).toEqual(['ok']);

  const removed = await player.update(plain);
  expectEveryCallAuthorized(removed);
  expect(removed.status).toBe('UPDATE_COMPLETE');
  expect(standIn.deployed()).toBeUndefined();
  expect(await player.currentKeysServe()).toEqual([]);
  expect(player.recorder.calls.filter((c) => c.call === 'lambda:InvokeFunction')).toHaveLength(1);
});
