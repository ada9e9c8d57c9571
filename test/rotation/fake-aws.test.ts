/**
 * The in-memory AWS the property tests run against (`test/support/fake-aws.ts`)
 * behaves as the services do where the rotation depends on it: staging labels
 * (unique per secret, AWSCURRENT taking AWSPREVIOUS along), RotateSecret's
 * placeholder, the gateway's converted errors, CloudFormation's event order,
 * the retire hook, and fault injection. A property proven against a fake that
 * is wrong proves nothing.
 */
import { Stage } from '../../src/rotation/contract';
import { KeyNotAccepted, NotFound } from '../../src/rotation/gateway';
import { FakeAws, RetireCall, STACK_ID } from '../support/fake-aws';

const T0 = new Date('2025-01-01T00:00:00.000Z');
const TOKEN_A = 'a0000000-0000-4000-8000-00000000000a';
const TOKEN_B = 'b0000000-0000-4000-8000-00000000000b';

function world() {
  let now = T0.getTime();
  const clock = () => new Date(now);
  const fake = new FakeAws(clock, { seed: 7 });
  fake.createUser('alice');
  const arn = fake.createSecret('access-keys/alice', '{"userName":"alice"}');
  return { fake, arn, advance: (ms: number) => { now += ms; } };
}

const labels = (fake: FakeAws, arn: string) => Object.fromEntries(fake.inspectSecret(arn).versions.map((v) => [v.id, v.labels]));

describe('Secrets Manager: staging labels', () => {
  test('GIVEN a new secret WHEN described THEN its one version holds AWSCURRENT', async () => {
    const { fake, arn } = world();
    expect(Object.values((await fake.describeSecret(arn)).versions)).toEqual([[Stage.CURRENT]]);
  });

  test('GIVEN a label on one version WHEN PutSecretValue names it for another THEN it moves (labels are unique per secret)', async () => {
    const { fake, arn } = world();
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.PENDING, 'AKIAAAAAAAAAAAAAAAAA']);
    await fake.putPendingValue(arn, TOKEN_B, 'b', [Stage.PENDING, 'AKIAAAAAAAAAAAAAAAAA']);
    expect(labels(fake, arn)[TOKEN_A]).toEqual([]);
    expect(labels(fake, arn)[TOKEN_B]).toEqual([Stage.PENDING, 'AKIAAAAAAAAAAAAAAAAA']);
    expect(Object.keys((await fake.describeSecret(arn)).versions)).not.toContain(TOKEN_A);
  });

  test('GIVEN AWSCURRENT WHEN PutSecretValue moves it THEN the version it left gets AWSPREVIOUS', async () => {
    const { fake, arn } = world();
    const first = fake.inspectSecret(arn).versions[0].id;
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.CURRENT]);
    expect(labels(fake, arn)).toEqual({ [first]: [Stage.PREVIOUS], [TOKEN_A]: [Stage.CURRENT] });
  });

  test('GIVEN AWSCURRENT WHEN UpdateSecretVersionStage moves it THEN AWSPREVIOUS follows, and the target loses AWSPREVIOUS', async () => {
    const { fake, arn } = world();
    const first = fake.inspectSecret(arn).versions[0].id;
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.CURRENT]);
    await fake.moveLabel(arn, Stage.CURRENT, first, TOKEN_A);
    expect(labels(fake, arn)).toEqual({ [first]: [Stage.CURRENT], [TOKEN_A]: [Stage.PREVIOUS] });
  });

  test('GIVEN a label on another version WHEN it is moved without naming that version THEN the call is refused', async () => {
    const { fake, arn } = world();
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.PENDING]);
    await expect(fake.moveLabel(arn, Stage.CURRENT, TOKEN_A)).rejects.toThrow(/RemoveFromVersionId can't be empty/);
  });

  test('GIVEN a label WHEN removed from a version that no longer holds it THEN nothing happens (as AwsGateway documents); AWSCURRENT cannot be removed', async () => {
    const { fake, arn } = world();
    const first = fake.inspectSecret(arn).versions[0].id;
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.PENDING]);
    await fake.removeLabel(arn, Stage.PENDING, first);
    expect(labels(fake, arn)[first]).toEqual([Stage.CURRENT]);
    await expect(fake.removeLabel(arn, Stage.CURRENT, first)).rejects.toThrow(/can't be completely removed/);
    await fake.removeLabel(arn, Stage.PENDING, TOKEN_A);
    expect(labels(fake, arn)[TOKEN_A]).toEqual([]);
  });

  test('GIVEN a version with a value WHEN the same token is put again THEN the same value is a no-op and another value is refused', async () => {
    const { fake, arn } = world();
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.PENDING]);
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.PENDING, 'AKIAAAAAAAAAAAAAAAAA']);
    expect(labels(fake, arn)[TOKEN_A]).toEqual([Stage.PENDING]);
    await expect(fake.putPendingValue(arn, TOKEN_A, 'b', [Stage.PENDING])).rejects.toMatchObject({ name: 'ResourceExistsException' });
  });

  test('GIVEN versions WHEN listed THEN only labelled ones come back, dated to the second by the injected clock', async () => {
    const { fake, arn, advance } = world();
    advance(1500);
    await fake.putPendingValue(arn, TOKEN_A, 'a', [Stage.PENDING]);
    const listed = await fake.listVersions(arn);
    const created = new Date(T0.getTime() + 1000);
    expect(listed.find((v) => v.versionId === TOKEN_A)).toEqual({ versionId: TOKEN_A, labels: [Stage.PENDING], createdAt: created });
  });

  test('GIVEN no such secret WHEN described THEN NotFound, and a value read is undefined', async () => {
    const { fake } = world();
    await expect(fake.describeSecret('nope')).rejects.toBeInstanceOf(NotFound);
    expect(await fake.getSecretString('nope', Stage.CURRENT)).toBeUndefined();
  });
});

describe('Secrets Manager: rotation and listing', () => {
  test('GIVEN RotateSecret with rotateNow WHEN called THEN an AWSPENDING placeholder without a value appears, and a second is refused while it is pending', async () => {
    const { fake, arn } = world();
    await fake.configureRotation(arn, 'arn:aws:lambda:us-east-1:123456789012:function:f', { scheduleExpression: 'rate(30 days)' }, true);
    const pending = fake.pendingVersion(arn)!;
    expect(labels(fake, arn)[pending]).toEqual([Stage.PENDING]);
    expect(await fake.getSecretString(arn, Stage.PENDING)).toBeUndefined();
    expect(fake.rotationConfig(arn)).toEqual({
      enabled: true, lambdaArn: 'arn:aws:lambda:us-east-1:123456789012:function:f', rules: { scheduleExpression: 'rate(30 days)' },
    });
    await expect(fake.configureRotation(arn, 'x', { scheduleExpression: 'rate(1 day)' }, true)).rejects.toThrow(/previous rotation isn't complete/);
  });

  test('GIVEN RotateSecret without rotateNow WHEN called THEN only the configuration is recorded; CancelRotateSecret turns it off', async () => {
    const { fake, arn } = world();
    await fake.configureRotation(arn, 'f', { scheduleExpression: 'rate(1 day)', windowHours: 4 }, false);
    expect(fake.pendingVersion(arn)).toBeUndefined();
    expect(fake.rotationConfig(arn)).toMatchObject({ enabled: true, rules: { windowHours: 4 } });
    await fake.cancelRotation(arn);
    await fake.cancelRotation('gone');
    expect(fake.rotationConfig(arn).enabled).toBe(false);
  });

  test('GIVEN descriptions WHEN secrets are listed by a description prefix THEN only those starting with it match, whatever their tags', async () => {
    const { fake, arn } = world();
    const other = fake.createSecret('other', '{}', { 'access-key-rotation:previous-key': 'id=AKIA' }, 'an unrelated secret, not cdk-rotating-access-keys');
    const listed: string[] = [];
    for await (const s of fake.listSecrets('cdk-rotating-access-keys')) listed.push(s.arn);
    expect(listed).toEqual([arn]);
    expect(listed).not.toContain(other);
  });

  test('GIVEN tag limits WHEN exceeded THEN TagResource refuses', async () => {
    const { fake, arn } = world();
    await expect(fake.tag(arn, { k: 'v'.repeat(257) })).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(fake.tag(arn, { 'aws:x': 'v' })).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(fake.tag(arn, Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])))).rejects.toMatchObject({ name: 'ValidationException' });
  });
});

describe('IAM and STS', () => {
  test('GIVEN two keys WHEN a third is created THEN IAM refuses', async () => {
    const { fake } = world();
    await fake.createAccessKey('alice');
    await fake.createAccessKey('alice');
    await expect(fake.createAccessKey('alice')).rejects.toMatchObject({ name: 'LimitExceededException' });
  });

  test('GIVEN a key gone WHEN it is deactivated, deleted or asked about THEN the gateway answers false, false and gone', async () => {
    const { fake } = world();
    expect(await fake.setAccessKeyStatus('alice', 'AKIANOSUCHKEY0000000', 'Inactive')).toBe(false);
    expect(await fake.deleteAccessKey('alice', 'AKIANOSUCHKEY0000000')).toBe(false);
    expect(await fake.lastUse('AKIANOSUCHKEY0000000')).toEqual({ gone: true });
  });

  test('GIVEN a key pair WHEN STS is asked THEN an active pair is the user and records its use; an inactive or unknown one is not accepted', async () => {
    const { fake } = world();
    const key = await fake.createAccessKey('alice');
    expect(await fake.lastUse(key.accessKeyId)).toEqual({ gone: false });
    expect(await fake.callerArn(key.accessKeyId, key.secretAccessKey)).toBe('arn:aws:iam::123456789012:user/alice');
    expect(await fake.lastUse(key.accessKeyId)).toMatchObject({ gone: false, at: T0 });
    await expect(fake.callerArn(key.accessKeyId, 'wrong')).rejects.toBeInstanceOf(KeyNotAccepted);
    await fake.setAccessKeyStatus('alice', key.accessKeyId, 'Inactive');
    await expect(fake.callerArn(key.accessKeyId, key.secretAccessKey)).rejects.toBeInstanceOf(KeyNotAccepted);
  });

  test('GIVEN the retire hook WHEN keys are deactivated, re-activated and deleted THEN it sees each deactivation and deletion, before it takes effect', async () => {
    const { fake } = world();
    const key = await fake.createAccessKey('alice');
    const seen: (RetireCall & { status?: string })[] = [];
    fake.onRetire = (call) => seen.push({ ...call, status: fake.keysOf('alice').find((k) => k.accessKeyId === call.accessKeyId)?.status });
    await fake.setAccessKeyStatus('alice', key.accessKeyId, 'Inactive');
    await fake.setAccessKeyStatus('alice', key.accessKeyId, 'Active');
    fake.failOnce('deleteAccessKey', 'before');
    await expect(fake.deleteAccessKey('alice', key.accessKeyId)).rejects.toMatchObject({ name: 'InjectedFault' });
    await fake.deleteAccessKey('alice', key.accessKeyId);
    expect(seen).toEqual([
      { method: 'setAccessKeyStatus', userName: 'alice', accessKeyId: key.accessKeyId, status: 'Active' },
      { method: 'deleteAccessKey', userName: 'alice', accessKeyId: key.accessKeyId, status: 'Active' },
      { method: 'deleteAccessKey', userName: 'alice', accessKeyId: key.accessKeyId, status: 'Active' },
    ]);
  });

  test('GIVEN a secret whose AWSCURRENT version holds a key WHEN its holders are asked for THEN the secret is named', async () => {
    const { fake, arn } = world();
    await fake.putPendingValue(arn, TOKEN_A, '{"accessKeyId":"AKIAAAAAAAAAAAAAAAAA"}', [Stage.CURRENT, 'AKIAAAAAAAAAAAAAAAAA']);
    expect(fake.currentKeyHolders('AKIAAAAAAAAAAAAAAAAA')).toEqual([arn]);
    expect(fake.currentKeyHolders('AKIABBBBBBBBBBBBBBBB')).toEqual([]);
  });
});

describe('CloudFormation', () => {
  test('GIVEN statuses and resources set WHEN read THEN the stack, its resource and its events (newest first) come back; another stack does not exist', async () => {
    const { fake, advance } = world();
    fake.setStackStatus('UPDATE_IN_PROGRESS');
    advance(1000);
    fake.setStackResource('R', { type: 'Custom::X', physicalId: 'p', status: 'UPDATE_IN_PROGRESS' });
    expect(await fake.stack(STACK_ID)).toMatchObject({ status: 'UPDATE_IN_PROGRESS' });
    expect(await fake.stackResource(STACK_ID, 'R')).toEqual({ type: 'Custom::X', physicalId: 'p', status: 'UPDATE_IN_PROGRESS', metadata: undefined });
    expect(await fake.stackResource(STACK_ID, 'Nope')).toBeUndefined();
    const events: string[] = [];
    for await (const e of fake.stackEvents(STACK_ID)) events.push(`${e.logicalId} ${e.status}`);
    expect(events).toEqual(['R UPDATE_IN_PROGRESS', 'AccessKeys UPDATE_IN_PROGRESS']);
    await expect(fake.stack('arn:aws:cloudformation:us-east-1:123456789012:stack/Other/1')).rejects.toBeInstanceOf(NotFound);
  });
});

describe('faults', () => {
  test('GIVEN a fault after a call WHEN the call is made THEN it took effect and still throws; the next call goes through', async () => {
    const { fake } = world();
    fake.failOnce('createAccessKey', 'after');
    await expect(fake.createAccessKey('alice')).rejects.toMatchObject({ name: 'InjectedFault' });
    expect(fake.keysOf('alice')).toHaveLength(1);
    await fake.createAccessKey('alice');
    expect(fake.firedFaults).toEqual([{ method: 'createAccessKey', when: 'after', callIndex: 0 }]);
  });

  test('GIVEN a fault with a skip WHEN the method is called THEN the skipped calls go through and the next one fails before it takes effect', async () => {
    const { fake, arn } = world();
    fake.failOnce('tag', 'before', 1);
    await fake.tag(arn, { a: '1' });
    await expect(fake.tag(arn, { b: '2' })).rejects.toMatchObject({ name: 'InjectedFault' });
    expect(fake.inspectSecret(arn).tags).toEqual({ a: '1' });
  });

  test('GIVEN the same seed WHEN two accounts are built THEN their ids are the same (a counterexample replays)', async () => {
    const a = world();
    const b = world();
    expect(a.arn).toBe(b.arn);
    expect((await a.fake.createAccessKey('alice')).accessKeyId).toBe((await b.fake.createAccessKey('alice')).accessKeyId);
  });
});
