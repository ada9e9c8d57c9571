/**
 * The rotation protocol against moto's server over HTTP, with the real SDK:
 * bootstrap, further rotations, retries, orphans, foreign keys and testSecret.
 * Faults moto cannot produce (a lost response, a crash between two calls, a
 * key IAM has not propagated yet) are injected into the real AWS layer.
 */
import { UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import { Registration, Tags } from '../../src/rotation/contract';
import { KeyNotAccepted } from '../../src/rotation/gateway';
import { parseCreatingMarker } from '../../src/rotation/model';
import { expectInvariants } from '../support/invariants';
import { MotoServer } from '../support/moto';
import { MotoProxy } from '../support/moto-proxy';
import { makeRotator, rotate, STEPS, World } from '../support/world';

let moto: MotoServer;
let proxy: MotoProxy;
beforeAll(async () => {
  moto = await MotoServer.start();
  // Dates secret versions as Secrets Manager does (at creation, to the millisecond), which moto does not.
  proxy = await MotoProxy.start(moto.endpoint);
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => { await moto.reset(); });
afterEach(() => { process.env.AWS_ENDPOINT_URL = moto.endpoint; });

async function setup(config: Partial<Registration> = {}) {
  const world = new World();
  await world.createUser('alice');
  const arn = await world.createManagedSecret('alice', config);
  const h = makeRotator();
  const check = () => expectInvariants(world, arn, 'alice');
  return { world, arn, h, check };
}

const types = (h: ReturnType<typeof makeRotator>) => h.gateway.events.map((e) => e.DetailType);
const details = (h: ReturnType<typeof makeRotator>) => h.gateway.events.map((e) => JSON.parse(e.Detail!));
const count = (calls: string[], op: string) => calls.filter((c) => c === op).length;

describe('bootstrap', () => {
  test('GIVEN a metadata-only secret WHEN it rotates THEN AWSCURRENT holds a working key of the user', async () => {
    const { world, arn, h, check } = await setup();

    await rotate(world, h.rotator, arn, check);

    const current = await world.credentials(arn, 'AWSCURRENT');
    expect(Object.keys(current!).sort()).toEqual(['accessKeyId', 'createdAt', 'secretAccessKey', 'userName']);
    expect(current!.userName).toBe('alice');
    expect(current!.createdAt).toBe(h.clock.now().toISOString());
    expect(await world.keys('alice')).toEqual([{ accessKeyId: current!.accessKeyId, status: 'Active' }]);
    expect(types(h)).toEqual(['Access Key Created', 'Access Key Promoted']);
    const tags = await world.tags(arn);
    expect(tags[Tags.CURRENT_KEY]).toContain(`id=${current!.accessKeyId}`);
    expect(tags[Tags.PREVIOUS_KEY]).toBeUndefined();
    expect(parseCreatingMarker(tags)).toBeUndefined(); // emptied with the state, in one TagResource
  });

  test('GIVEN a user in a path WHEN it rotates THEN testSecret accepts the ARN with the path', async () => {
    const world = new World();
    await world.createUser('ci', '/service/build/');
    const arn = await world.createManagedSecret('ci');
    const h = makeRotator();
    await rotate(world, h.rotator, arn);
    expect(h.logs.join('\n')).toContain('arn:aws:iam::123456789012:user/service/build/ci');
  });

  test('the AWS calls of one happy-path rotation', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    expect(h.calls).toEqual([
      // createSecret (the registry is read once per cold start)
      'CloudFormation.DescribeStackResource',
      'SecretsManager.DescribeSecret', 'IAM.ListAccessKeys', 'IAM.CreateAccessKey', 'SecretsManager.TagResource',
      'EventBridge.PutEvents', 'SecretsManager.PutSecretValue',
      // setSecret: nothing
      // testSecret: the version's labels and value in one read (+ STS.GetCallerIdentity signed with the new key)
      'SecretsManager.GetSecretValue',
      // finishSecret
      'SecretsManager.DescribeSecret', 'SecretsManager.UpdateSecretVersionStage', 'SecretsManager.UpdateSecretVersionStage',
      'EventBridge.PutEvents', 'SecretsManager.TagResource',
    ]);
  });

  test('GIVEN a rotated secret THEN each version holding a key carries the key id as a staging label', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const current = (await world.credentials(arn, 'AWSCURRENT'))!.accessKeyId;
    const out = await world.secretsManager.send(new DescribeSecretCommand({ SecretId: arn }));
    expect(Object.values(out.VersionIdsToStages!).map((labels) => [...labels].sort())).toContainEqual([current, 'AWSCURRENT'].sort());
  });
});

describe('further rotations', () => {
  test('GIVEN a rotated secret WHEN it rotates again THEN the old key is AWSPREVIOUS, still active, and enters the lifecycle', async () => {
    const { world, arn, h, check } = await setup();
    await rotate(world, h.rotator, arn);
    const first = (await world.credentials(arn, 'AWSCURRENT'))!.accessKeyId;
    const promotedAt = h.clock.advance(30 * 86_400_000);

    await rotate(world, h.rotator, arn, check);

    const stages = await world.stages(arn);
    expect(stages.AWSPREVIOUS).toBe(first);
    expect(stages.AWSCURRENT).not.toBe(first);
    expect(stages.AWSPENDING).toBeUndefined();
    expect(await world.keyStatus('alice', first)).toBe('Active');
    expect((await world.tags(arn))[Tags.PREVIOUS_KEY]).toBe(`id=${first} superseded-at=${promotedAt.toISOString()}`);
  });

  test('GIVEN two keys, the oldest deactivated WHEN a third rotation comes before the lifecycle deleted it THEN the oldest is deleted to make room', async () => {
    const { world, arn, h, check } = await setup();
    await rotate(world, h.rotator, arn);
    const first = (await world.credentials(arn, 'AWSCURRENT'))!.accessKeyId;
    await rotate(world, h.rotator, arn);
    const second = (await world.credentials(arn, 'AWSCURRENT'))!.accessKeyId;
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: first, Status: 'Inactive' }));

    await rotate(world, h.rotator, arn, check);

    const keys = (await world.keys('alice')).map((k) => k.accessKeyId);
    expect(keys).toHaveLength(2);
    expect(keys).not.toContain(first);
    expect((await world.stages(arn)).AWSPREVIOUS).toBe(second);
    expect(details(h)).toContainEqual(expect.objectContaining({
      accessKeyId: first, wasActive: false, reason: expect.stringContaining('make room'),
    }));
  });
});

describe('retries with the same ClientRequestToken', () => {
  test('GIVEN every step is delivered twice THEN one key is created and the result is the same', async () => {
    const { world, arn, h, check } = await setup();
    await rotate(world, h.rotator, arn);
    const token = await world.startRotation(arn);

    for (const step of STEPS) {
      await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
      await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
      await check();
    }

    expect(count(h.calls, 'IAM.CreateAccessKey')).toBe(2);
    expect(types(h).filter((t) => t === 'Access Key Created')).toHaveLength(2);
    expect(types(h).filter((t) => t === 'Access Key Promoted')).toHaveLength(2);
    expect(await world.keys('alice')).toHaveLength(2);
  });

  test('GIVEN an attempt that recorded its new key and died before storing it WHEN Secrets Manager retries THEN the key is proven an orphan and deleted first', async () => {
    // Versions dated at their creation, to the millisecond, and keys to the whole second: the proof compares at IAM's precision.
    process.env.AWS_ENDPOINT_URL = proxy.endpoint;
    const { world, arn, h, check } = await setup();
    await rotate(world, h.rotator, arn);
    const token = await world.startRotation(arn);
    // The attempt dies after recording the key: it cannot store it, nor delete it.
    jest.spyOn(h.gateway, 'putPendingValue').mockRejectedValueOnce(Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'TimeoutError' }));
    jest.spyOn(h.gateway, 'deleteAccessKey').mockRejectedValueOnce(Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'TimeoutError' }));

    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }))
      .rejects.toThrow(/createSecret failed .*Task timed out/);
    const keys = await world.keys('alice');
    expect(keys).toHaveLength(2); // current + orphan: no room left
    const current = (await world.stages(arn)).AWSCURRENT;
    const orphan = keys.find((k) => k.accessKeyId !== current)!;
    expect((await world.tags(arn))[Tags.CREATING]).toContain(`id=${orphan.accessKeyId}`);
    for (const step of STEPS) {
      await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
      await check();
    }

    const after = (await world.keys('alice')).map((k) => k.accessKeyId);
    expect(after).not.toContain(orphan.accessKeyId);
    expect(after).toHaveLength(2);
    expect(details(h)).toContainEqual(expect.objectContaining({ accessKeyId: orphan.accessKeyId, reason: expect.stringContaining('orphan') }));
    expect(parseCreatingMarker(await world.tags(arn))).toBeUndefined();
  });

  test('GIVEN an attempt that died right after CreateAccessKey, before recording it WHEN retried THEN the key cannot be proven its own: it is foreign and FAIL names it', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const token = await world.startRotation(arn);
    const made: string[] = [];
    const create = h.gateway.createAccessKey.bind(h.gateway);
    jest.spyOn(h.gateway, 'createAccessKey').mockImplementationOnce(async (user) => {
      made.push((await create(user)).accessKeyId);
      throw Object.assign(new Error('Task timed out after 30.00 seconds'), { name: 'TimeoutError' });
    });

    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(/Task timed out/);
    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }))
      .rejects.toThrow(new RegExp(`keys this library did not create: ${made[0]} \\(Active\\)`));
    expect(await world.keyStatus('alice', made[0])).toBe('Active');
  });

  test('GIVEN PutSecretValue fails while the function still runs THEN the unstored key is deleted at once, audited', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const token = await world.startRotation(arn);
    jest.spyOn(h.gateway, 'putPendingValue').mockRejectedValueOnce(Object.assign(new Error('Access to KMS is not allowed'), { name: 'AccessDeniedException' }));

    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(/KMS/);

    expect(await world.keys('alice')).toHaveLength(1);
    expect(details(h)).toContainEqual(expect.objectContaining({ reason: expect.stringContaining('could not store it'), wasActive: true }));
  });

  test('GIVEN PutSecretValue succeeded but its answer was lost WHEN retried THEN no second key is created', async () => {
    const { world, arn, h, check } = await setup();
    const token = await world.startRotation(arn);
    const put = h.gateway.putPendingValue.bind(h.gateway);
    jest.spyOn(h.gateway, 'putPendingValue').mockImplementationOnce(async (...args) => {
      await put(...args);
      throw Object.assign(new Error('socket hang up'), { name: 'Error', code: 'ECONNRESET' });
    });

    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow();
    for (const step of STEPS) await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
    await check();

    expect(count(h.calls, 'IAM.CreateAccessKey')).toBe(1);
    expect(await world.keys('alice')).toHaveLength(1);
    expect(parseCreatingMarker(await world.tags(arn))).toBeUndefined();
  });

  test('GIVEN finishSecret died after moving AWSCURRENT WHEN retried THEN the lifecycle state is still recorded', async () => {
    const { world, arn, h, check } = await setup();
    await rotate(world, h.rotator, arn);
    const first = (await world.credentials(arn, 'AWSCURRENT'))!.accessKeyId;
    const token = await world.startRotation(arn);
    for (const step of STEPS.slice(0, 3)) await h.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
    jest.spyOn(h.gateway, 'tag').mockRejectedValueOnce(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    await expect(h.rotator.rotationStep({ Step: 'finishSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(/Rate exceeded/);
    await h.rotator.rotationStep({ Step: 'finishSecret', SecretId: arn, ClientRequestToken: token });
    await check();

    expect((await world.tags(arn))[Tags.PREVIOUS_KEY]).toContain(`id=${first}`);
    expect((await world.stages(arn)).AWSPREVIOUS).toBe(first);
  });
});

describe('keys this library did not create', () => {
  test('GIVEN the user has its own key and a hand-made one WHEN policy FAIL THEN the rotation fails naming the key and changes nothing', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const foreign = await world.createForeignKey('alice');
    const before = await world.keys('alice');

    const token = await world.startRotation(arn);
    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }))
      .rejects.toThrow(new RegExp(`user alice has access keys this library did not create: ${foreign.accessKeyId} \\(Active\\)`));

    expect(await world.keys('alice')).toEqual(before);
    const failed = h.gateway.events.find((e) => e.DetailType === 'Access Key Rotation Failed')!;
    expect(JSON.parse(failed.Detail!)).toMatchObject({ userName: 'alice', accessKeyId: foreign.accessKeyId, step: 'createSecret', secretArn: arn });
    await expectInvariants(world, arn, 'alice', { unreferenced: [foreign.accessKeyId] });
  });

  test('GIVEN an inactive hand-made key WHEN policy DELETE_INACTIVE THEN it is deleted and audited', async () => {
    const { world, arn, h, check } = await setup({ foreignKeyPolicy: ForeignKeyPolicy.DELETE_INACTIVE });
    const foreign = await world.createForeignKey('alice');
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: foreign.accessKeyId, Status: 'Inactive' }));

    await rotate(world, h.rotator, arn, check);

    expect((await world.keys('alice')).map((k) => k.accessKeyId)).not.toContain(foreign.accessKeyId);
    expect(details(h)).toContainEqual(expect.objectContaining({ accessKeyId: foreign.accessKeyId, reason: expect.stringContaining('DELETE_INACTIVE') }));
  });

  test('GIVEN an active hand-made key WHEN policy DELETE_INACTIVE THEN the rotation fails and the key stays', async () => {
    const { world, arn, h } = await setup({ foreignKeyPolicy: ForeignKeyPolicy.DELETE_INACTIVE });
    const foreign = await world.createForeignKey('alice');
    await expect(rotate(world, h.rotator, arn)).rejects.toThrow(new RegExp(`active access keys .*${foreign.accessKeyId}`));
    expect(await world.keyStatus('alice', foreign.accessKeyId)).toBe('Active');
  });

  test('GIVEN an active hand-made key WHEN policy ADOPT THEN it becomes the previous key and is retired by the lifecycle', async () => {
    const { world, arn, h } = await setup({ foreignKeyPolicy: ForeignKeyPolicy.ADOPT, deactivateAfterSeconds: 86_400 });
    const foreign = await world.createForeignKey('alice');

    await rotate(world, h.rotator, arn, () => expectInvariants(world, arn, 'alice', { unreferenced: [foreign.accessKeyId] }));

    expect(await world.keyStatus('alice', foreign.accessKeyId)).toBe('Active');
    const tags = await world.tags(arn);
    expect(tags[Tags.PREVIOUS_KEY]).toContain(`id=${foreign.accessKeyId}`);
    expect(tags[Tags.ADOPTING]).toBeFalsy(); // emptied with the state
    h.clock.advance(86_400_000);
    await h.rotator.lifecycle();
    expect(await world.keyStatus('alice', foreign.accessKeyId)).toBe('Inactive');
  });

  test('GIVEN two active hand-made keys WHEN policy ADOPT THEN the rotation fails naming both', async () => {
    const { world, arn, h } = await setup({ foreignKeyPolicy: ForeignKeyPolicy.ADOPT });
    const a = await world.createForeignKey('alice');
    const b = await world.createForeignKey('alice');
    await expect(rotate(world, h.rotator, arn)).rejects.toThrow(new RegExp(`${a.accessKeyId}.*${b.accessKeyId}|${b.accessKeyId}.*${a.accessKeyId}`));
    expect(await world.keys('alice')).toHaveLength(2);
  });
});

describe('testSecret', () => {
  test('GIVEN IAM has not propagated the new key yet THEN testSecret retries and then passes', async () => {
    const { world, arn, h, check } = await setup();
    const notYet = new KeyNotAccepted('STS does not accept the key (yet): InvalidClientTokenId');
    const spy = jest.spyOn(h.gateway, 'callerArn');
    spy.mockRejectedValueOnce(notYet).mockRejectedValueOnce(notYet);

    await rotate(world, h.rotator, arn, check);

    expect(spy).toHaveBeenCalledTimes(3);
    expect(h.logs.filter((l) => l.includes('new key not usable yet'))).toHaveLength(2);
  });

  test('GIVEN the new key never works THEN testSecret fails within its bound and AWSCURRENT is untouched', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    const current = (await world.stages(arn)).AWSCURRENT;
    const spy = jest.spyOn(h.gateway, 'callerArn').mockRejectedValue(new KeyNotAccepted('STS does not accept the key (yet): InvalidClientTokenId'));

    await expect(rotate(world, h.rotator, arn)).rejects.toThrow(/testSecret failed .*InvalidClientTokenId/);

    expect(spy).toHaveBeenCalledTimes(3);
    expect((await world.stages(arn)).AWSCURRENT).toBe(current);
  });

  test('GIVEN the key signs as another principal THEN testSecret fails at once', async () => {
    const { world, arn, h } = await setup();
    const spy = jest.spyOn(h.gateway, 'callerArn').mockResolvedValue('arn:aws:iam::123456789012:user/mallory');
    await expect(rotate(world, h.rotator, arn)).rejects.toThrow(/signs as arn:aws:iam::123456789012:user\/mallory, expected user alice of account 123456789012/);
    expect(spy).toHaveBeenCalledTimes(1);
  });
});

describe('bad input', () => {
  test('a token that is not a version of the secret is named', async () => {
    const { arn, h } = await setup();
    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: 'no-such-token-0000000000000000000000' }))
      .rejects.toThrow(/has no version no-such-token-0000000000000000000000/);
  });

  test('a version that is not AWSPENDING is refused', async () => {
    const { world, arn, h } = await setup();
    await rotate(world, h.rotator, arn);
    await rotate(world, h.rotator, arn);
    const previous = Object.entries((await world.secretsManager.send(
      new DescribeSecretCommand({ SecretId: arn }))).VersionIdsToStages!)
      .find(([, s]) => s.includes('AWSPREVIOUS'))![0];
    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: previous }))
      .rejects.toThrow(new RegExp(`version ${previous} .* is not AWSPENDING \\(stages: AKIA\\w+, AWSPREVIOUS\\)`));
  });

  test('an unknown step is named', async () => {
    const { world, arn, h } = await setup();
    const token = await world.startRotation(arn);
    await expect(h.rotator.rotationStep({ Step: 'dropSecret' as never, SecretId: arn, ClientRequestToken: token }))
      .rejects.toThrow(/unknown rotation step 'dropSecret'/);
  });

  test('GIVEN a token of the wrong length THEN it is named, and nothing is read or changed (the failure is audited)', async () => {
    const { arn, h } = await setup();
    await expect(h.rotator.rotationStep({ Step: 'createSecret', SecretId: arn, ClientRequestToken: 'short' }))
      .rejects.toThrow(/ClientRequestToken must be 32 to 64 characters, got 'short'/);
    expect(h.calls).toEqual(['EventBridge.PutEvents']);
  });

  test('GIVEN tags that look like configuration THEN they configure nothing: the registry does', async () => {
    const world = new World();
    await world.createUser('alice');
    const arn = await world.createSecret('access-keys/alice', 'alice', { 'access-key-rotation:foreign-keys': 'DELETE_INACTIVE' });
    world.register(arn, 'alice');
    const foreign = await world.createForeignKey('alice');
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: foreign.accessKeyId, Status: 'Inactive' }));
    const h = makeRotator();

    await expect(rotate(world, h.rotator, arn)).rejects.toThrow(/keys this library did not create/);
    expect(await world.keyStatus('alice', foreign.accessKeyId)).toBe('Inactive');
  });

  test('a user that does not exist fails with IAM\'s error', async () => {
    const world = new World();
    const arn = await world.createManagedSecret('ghost');
    const h = makeRotator();
    await expect(rotate(world, h.rotator, arn)).rejects.toThrow(/createSecret failed .*NoSuchEntity/);
  });
});
