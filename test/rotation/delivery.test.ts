/**
 * Delivery (issue 15, item 4) on the in-memory AWS: what the delivery function
 * is told (never the secret), that the key is promoted only after it
 * succeeded, that its answer is untrusted text, and that an emergency revoke
 * is not held back by it. The shipped bundle's delivery against moto, a Lambda
 * stand-in and the deployed roles is test/integration/delivery.test.ts.
 */
import { EventType, Metrics, Stage, Tags } from '../../src/rotation/contract';
import { formatRevokeRequest } from '../../src/rotation/model';
import { fakeRotatorForAlice, STEPS } from '../support/fake-rotator';

const FUNCTION = 'arn:aws:lambda:us-east-1:123456789012:function:to-ci';

function setUp() {
  return fakeRotatorForAlice({ config: { deliveryFunctionArn: FUNCTION } });
}

/** Secrets Manager's rotation: the steps in order until one fails; returns the failure's message. */
async function rotation(rotator: ReturnType<typeof setUp>['rotator'], arn: string, token: string): Promise<string | undefined> {
  for (const step of STEPS) {
    try {
      await rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
    } catch (e) {
      return (e as Error).message;
    }
  }
  return undefined;
}

const detailsOf = (fake: ReturnType<typeof setUp>['fake']) => fake.events.map((e) => ({ type: e.DetailType!, ...JSON.parse(e.Detail!) }));

test('GIVEN a registration with a delivery function WHEN it rotates THEN the function is told the secret, the version, the stage, the user and the key id (nothing else), before the key is promoted', async () => {
  const { fake, arn, rotator, registration } = setUp();
  const token = fake.startRotation(arn);
  expect(await rotation(rotator, arn, token)).toBeUndefined();

  const current = JSON.parse(fake.valueAt(arn, Stage.CURRENT)!);
  expect(fake.invocations).toHaveLength(1);
  expect(fake.invocations[0].functionArn).toBe(FUNCTION);
  expect(JSON.parse(fake.invocations[0].payload)).toStrictEqual({
    secretArn: arn, versionId: token, versionStage: 'AWSPENDING', userName: 'alice', userArn: registration.userArn, accessKeyId: current.accessKeyId,
  });
  expect(fake.invocations[0].payload).not.toContain(current.secretAccessKey);
  // In order: made, delivered, then promoted.
  expect(detailsOf(fake).map((d) => d.type)).toEqual([EventType.CREATED, EventType.DELIVERED, EventType.PROMOTED]);
  expect(detailsOf(fake)[1]).toMatchObject({ accessKeyId: current.accessKeyId, deliveredTo: FUNCTION, userName: 'alice', secretArn: arn });
  // The invocation came after the key was stored as AWSPENDING, and before AWSCURRENT moved.
  const calls = fake.calls;
  expect(calls.indexOf('putPendingValue')).toBeLessThan(calls.indexOf('invokeFunction'));
  expect(calls.indexOf('invokeFunction')).toBeLessThan(calls.indexOf('moveLabel'));
});

test('GIVEN a delivery function that fails THEN setSecret fails, the current key stays current, the failure is counted; Secrets Manager\'s retry delivers and promotes the same key', async () => {
  const { fake, arn, rotator, rotate } = setUp();
  await rotate();
  const before = JSON.parse(fake.valueAt(arn, Stage.CURRENT)!).accessKeyId;
  fake.answerInvocation = () => ({ failure: { type: 'Error', message: 'GitHub answered 502 Bad Gateway' } });
  const token = fake.startRotation(arn);

  const failed = await rotation(rotator, arn, token);
  expect(failed).toMatch(/^setSecret failed for .*: the delivery of key AKIA\w+ to arn:aws:lambda:us-east-1:123456789012:function:to-ci failed: it failed: Error: GitHub answered 502 Bad Gateway\. The key stays pending and the current key current; Secrets Manager retries the rotation$/);
  expect(JSON.parse(fake.valueAt(arn, Stage.CURRENT)!).accessKeyId).toBe(before);
  const pending = JSON.parse(fake.valueAt(arn, Stage.PENDING)!).accessKeyId;
  expect(fake.keysOf('alice').map((k) => [k.accessKeyId, k.status])).toEqual(expect.arrayContaining([[before, 'Active'], [pending, 'Active']]));
  expect(fake.metrics).toEqual([{ name: Metrics.ROTATION_FAILURES, value: 1, dimensions: { FunctionName: 'rotator-fn' } }]);
  expect(detailsOf(fake).filter((d) => d.type === EventType.ROTATION_FAILED)).toEqual([
    expect.objectContaining({ step: 'setSecret', accessKeyId: pending, reason: expect.stringContaining('GitHub answered 502') }),
  ]);

  // Secrets Manager retries the whole rotation with the same token: the stored key is delivered again, then promoted.
  fake.answerInvocation = undefined;
  const created = fake.createdKeys.length;
  expect(await rotation(rotator, arn, token)).toBeUndefined();
  expect(fake.createdKeys).toHaveLength(created);
  expect(JSON.parse(fake.valueAt(arn, Stage.CURRENT)!).accessKeyId).toBe(pending);
  expect(fake.invocations.map((i) => JSON.parse(i.payload).accessKeyId)).toEqual([expect.any(String), pending, pending]);
});

test('GIVEN a delivery function whose error echoes the secret, over many lines THEN the failure, its event and the log carry neither the secret nor the line breaks', async () => {
  const { fake, arn, rotator, logs } = setUp();
  const token = fake.startRotation(arn);
  let secret = '';
  fake.answerInvocation = () => {
    // A careless function: it read the version and put the key in its error.
    secret = JSON.parse(fake.valueAt(arn, Stage.PENDING)!).secretAccessKey;
    return { failure: { type: 'Error\nInjected', message: `could not write ${secret}\n${'x'.repeat(2000)}` } };
  };
  const failed = await rotation(rotator, arn, token);
  expect(secret).not.toBe('');
  for (const text of [failed!, ...logs, ...fake.events.map((e) => e.Detail!)]) expect(text).not.toContain(secret);
  expect(failed).toContain('[REDACTED]');
  expect(failed).not.toMatch(/\n/);
  expect(failed!.length).toBeLessThan(900);
});

test('GIVEN a delivery function that does not answer in the time left THEN the step fails saying so', async () => {
  const { fake, arn, rotator } = setUp();
  const token = fake.startRotation(arn);
  fake.answerInvocation = () => {
    throw Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' });
  };
  await rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token });
  await expect(rotator.rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token }, 42_000))
    .rejects.toThrow(/failed: it did not answer within 42 s \(the rotation function's time left\)/);
});

test('GIVEN an emergency revoke WHEN the delivery fails THEN the revoke goes on: the old key is deactivated, and the failed delivery is reported and counted', async () => {
  const { fake, arn, rotator, rotate, clock } = setUp();
  await rotate();
  const old = JSON.parse(fake.valueAt(arn, Stage.CURRENT)!).accessKeyId;
  fake.answerInvocation = () => ({ failure: { type: 'Error', message: 'CI system down' } });
  await fake.tag(arn, { [Tags.REVOKE]: formatRevokeRequest(clock()) });
  const token = fake.startRotation(arn);

  expect(await rotation(rotator, arn, token)).toBeUndefined();
  const now = JSON.parse(fake.valueAt(arn, Stage.CURRENT)!).accessKeyId;
  expect(now).not.toBe(old);
  expect(fake.keysOf('alice').find((k) => k.accessKeyId === old)?.status).toBe('Inactive');
  expect(detailsOf(fake).filter((d) => d.type === EventType.ROTATION_FAILED)).toEqual([
    expect.objectContaining({ step: 'setSecret', accessKeyId: now, reason: expect.stringContaining('This rotation is an emergency revoke: it goes on') }),
  ]);
  expect(detailsOf(fake).map((d) => d.type)).toContain(EventType.REVOKED);
  expect(fake.metrics).toEqual([{ name: Metrics.ROTATION_FAILURES, value: 1, dimensions: { FunctionName: 'rotator-fn' } }]);
});

test('GIVEN no delivery function THEN setSecret invokes nothing; GIVEN a retry of setSecret after the key was promoted THEN nothing is delivered again', async () => {
  const plain = fakeRotatorForAlice();
  await plain.rotate();
  expect(plain.fake.invocations).toEqual([]);
  expect(plain.fake.calls).not.toContain('invokeFunction');

  const { fake, arn, rotator } = setUp();
  const token = fake.startRotation(arn);
  expect(await rotation(rotator, arn, token)).toBeUndefined();
  await rotator.rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token });
  expect(fake.invocations).toHaveLength(1);
});

test('GIVEN a delivery function THEN setSecret costs two AWS calls and its event: the pending version\'s read and the invocation', async () => {
  const { fake, arn, rotator } = setUp();
  const token = fake.startRotation(arn);
  await rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token });
  const from = fake.calls.length;
  await rotator.rotationStep({ Step: 'setSecret', SecretId: arn, ClientRequestToken: token });
  expect(fake.calls.slice(from)).toEqual(['readVersion', 'invokeFunction', 'putEvents']);
});
