/**
 * The security review's findings, each replayed as the attack it described,
 * against the shipped bundle, moto and the CloudFormation stand-in: what the
 * function acts on is decided by its stack's registry, never by data another
 * principal can write (an invocation's payload, a secret's tags, a secret
 * someone else created, a CloudFormation-shaped event). Each test names the
 * finding it refutes. (Authorization-side proofs — the role's policies, the
 * departures' dependency order, grantRead — are in test/constructs/; the
 * registry parser's refusals in test/rotation/contract.test.ts.)
 */
import { createServer, Server } from 'http';
import { AddressInfo } from 'net';
import { DeleteAccessKeyCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { PutResourcePolicyCommand, TagResourceCommand } from '@aws-sdk/client-secrets-manager';
import { defaultClients } from '../../src/rotation/aws';
import { EventType, Removal, ROTATION_RESOURCE_TYPE, RotationProperties, Tags } from '../../src/rotation/contract';
import { rotationPhysicalId } from '../../src/rotation/custom-resources';
import { StaticRegistrySource } from '../../src/rotation/registry';
import { Rotator } from '../../src/rotation/rotator';
import { buildBundle, captureAnswers, Handler, loadBundle } from '../support/bundle';
import { CloudFormationDriver, responseUrl } from '../support/cloudformation';
import { MotoServer } from '../support/moto';
import { DAY, recordCalls, RecordingGateway, registration, SimulatedClock, STEPS, World } from '../support/world';

let moto: MotoServer;
let capture: ReturnType<typeof captureAnswers>;
let logs: string[];
let attacker: Server;
let attackerHits: string[];
let attackerUrl: string;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  attacker = createServer((req, res) => { attackerHits.push(req.url ?? ''); res.end(); });
  await new Promise<void>((r) => attacker.listen(0, '127.0.0.1', r));
  attackerUrl = `http://127.0.0.1:${(attacker.address() as AddressInfo).port}`;
});
afterAll(async () => {
  attacker?.close();
  await moto?.stop();
});
beforeEach(async () => {
  await moto.reset();
  capture = captureAnswers();
  attackerHits = [];
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
});

/** Alice and Bob, registered (Alice DESTROY, Bob RETAIN), each rotated twice: a current and a previous key. */
async function account() {
  const world = new World();
  const functionArn = await world.rotationFunctionArn();
  await world.createUser('alice');
  await world.createUser('bob');
  const alice = await world.createManagedSecret('alice', { removal: Removal.DESTROY });
  const bob = await world.createManagedSecret('bob', { removal: Removal.RETAIN });
  const handler: Handler = loadBundle();
  const invoke = (event: unknown) => handler(event, { invokedFunctionArn: functionArn });
  for (const arn of [alice, bob]) {
    for (let i = 0; i < 2; i++) {
      const token = await world.startRotation(arn);
      for (const step of STEPS) await invoke({ Step: step, SecretId: arn, ClientRequestToken: token });
    }
  }
  const snapshot = async () => ({ alice: await world.keys('alice'), bob: await world.keys('bob') });
  return { world, alice, bob, invoke, functionArn, before: await snapshot(), snapshot };
}

const events = async () => (await moto.requests()).filter((r) => r.action === 'PutEvents')
  .flatMap((r) => (r.body.Entries as { DetailType: string; Detail: string }[]).map((e) => ({ type: e.DetailType, ...JSON.parse(e.Detail) })));

describe('finding 1: a routine change deletes live keys', () => {
  test('GIVEN the removal list of the old design changes (DESTROY→RETAIN: Update old [A,B] new [A]) THEN nothing is deleted: that resource type is not served', async () => {
    const { alice, bob, invoke, before, snapshot } = await account();
    const cfn = new CloudFormationDriver(moto.cloudFormation, invoke, capture.answers);
    moto.cloudFormation.put({ logicalId: 'AccessKeyRemoval', type: 'Custom::AccessKeyRemoval', physicalId: 'access-key-removal', status: 'UPDATE_IN_PROGRESS' });

    const answer = await cfn.send(cfn.event('Update', 'AccessKeyRemoval', 'Custom::AccessKeyRemoval', { Secrets: [alice] }, {
      PhysicalResourceId: 'access-key-removal', OldResourceProperties: { Secrets: [alice, bob] },
    }));
    const deleted = await cfn.send(cfn.event('Delete', 'AccessKeyRemoval', 'Custom::AccessKeyRemoval', { Secrets: [alice, bob] }, { PhysicalResourceId: 'access-key-removal' }));

    expect([answer.Status, deleted.Status]).toEqual(['FAILED', 'FAILED']);
    expect(await snapshot()).toEqual(before);
  });

  test('GIVEN DESTROY switched to RETAIN (CloudFormation replaces the rotation resource, then cleans up the old one) THEN no key is deleted', async () => {
    const { world, alice, invoke, before, snapshot } = await account();
    const cfn = new CloudFormationDriver(moto.cloudFormation, invoke, capture.answers);
    const props = (removal: Removal) => ({
      [RotationProperties.SECRET]: alice,
      [RotationProperties.USER]: world.userArn('alice'),
      [RotationProperties.REMOVAL]: removal,
      [RotationProperties.SCHEDULE]: 'rate(30 days)',
    });
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    await cfn.create('AliceRotation', ROTATION_RESOURCE_TYPE, props(Removal.DESTROY));
    world.register(alice, 'alice', { removal: Removal.RETAIN });
    const cold = loadBundle();
    const coldCfn = new CloudFormationDriver(moto.cloudFormation, (e) => cold(e, { invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:access-key-rotation' }), capture.answers);
    coldCfn.properties.set('AliceRotation', props(Removal.DESTROY));

    expect(await coldCfn.update('AliceRotation', props(Removal.RETAIN))).toMatchObject({ Status: 'SUCCESS' });
    expect(await coldCfn.cleanup()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await snapshot()).toEqual(before);
  });
});

describe('finding 2: invoking the function is key administration over every registered user', () => {
  function forgedDelete(secretArn: string, userArn: string, removal: Removal, url?: string) {
    const physicalId = rotationPhysicalId(secretArn, userArn, removal, false);
    return {
      RequestType: 'Delete',
      ServiceToken: 'x',
      ResponseURL: url ?? responseUrl('forged-1'),
      StackId: moto.cloudFormation.stackId,
      RequestId: 'forged-1',
      LogicalResourceId: 'AliceRotation',
      ResourceType: ROTATION_RESOURCE_TYPE,
      PhysicalResourceId: physicalId,
      ResourceProperties: { [RotationProperties.SECRET]: secretArn, [RotationProperties.USER]: userArn, [RotationProperties.REMOVAL]: removal },
    };
  }

  test('GIVEN a hand-made Delete event for a registered secret (DESTROY, and RETAIN) while CloudFormation deletes nothing THEN it is refused: no key is deleted, the current key least of all', async () => {
    const { world, alice, bob, invoke, before, snapshot } = await account();
    // The attacker even plants a resource under that logical id, as CloudFormation would show a live one.
    moto.cloudFormation.put({ logicalId: 'AliceRotation', type: ROTATION_RESOURCE_TYPE, physicalId: 'rotation.live', status: 'UPDATE_COMPLETE' });

    await expect(invoke(forgedDelete(alice, world.userArn('alice'), Removal.DESTROY))).rejects.toThrow(/CloudFormation is not deleting AliceRotation/);
    await expect(invoke({ ...forgedDelete(bob, world.userArn('bob'), Removal.DESTROY), LogicalResourceId: 'BobRotation' })).rejects.toThrow(/not deleting BobRotation/);

    expect(await snapshot()).toEqual(before);
    expect(capture.answers.map((a) => a.Status)).toEqual(['FAILED', 'FAILED']);
    expect(capture.answers[0].Reason).toMatch(/^the request failed; see the rotation function's log/);
    expect((await events()).filter((e) => e.type === EventType.REFUSED)).toHaveLength(2);
  });

  test.each([
    ['plain http to any host', () => `${attackerUrl}/steal`],
    ['https to another host', () => 'https://collector.example.com/cfn'],
    ['a look-alike host', () => 'https://cloudformation-custom-resource-response-useast1.s3.amazonaws.com.example.com/x'],
    ['the response bucket of another region', () => 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x'],
    ['credentials in the URL', () => 'https://user:pass@cloudformation-custom-resource-response-useast1.s3.amazonaws.com/x'],
  ])('GIVEN a ResponseURL that is %s THEN nothing is sent anywhere and nothing is done', async (_, url) => {
    const { world, alice, invoke, before, snapshot } = await account();

    await expect(invoke(forgedDelete(alice, world.userArn('alice'), Removal.DESTROY, url()))).rejects.toThrow(/ResponseURL/);

    expect(attackerHits).toEqual([]);
    expect(capture.elsewhere).toEqual([]);
    expect(capture.answers).toEqual([]);
    expect(await snapshot()).toEqual(before);
    expect(moto.cloudFormation.calls).toEqual(['DescribeStackResource']); // the registry, read at the cold start; nothing about the event
  });

  test('GIVEN a forged Delete while a long operation has logged thousands of events THEN the function reads a few pages of them, not the whole history, and refuses it', async () => {
    const { world, alice, invoke, before, snapshot } = await account();
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    for (let i = 0; i < 2000; i++) moto.cloudFormation.log({ logicalId: `Other${i}`, type: 'AWS::SNS::Topic', status: 'UPDATE_COMPLETE', physicalId: `topic-${i}` });
    moto.cloudFormation.calls.length = 0;

    await expect(invoke(forgedDelete(alice, world.userArn('alice'), Removal.DESTROY))).rejects.toThrow(/CloudFormation is not deleting AliceRotation/);

    expect(moto.cloudFormation.calls.filter((c) => c === 'DescribeStackEvents').length).toBeLessThanOrEqual(3);
    expect(await snapshot()).toEqual(before);
  });

  test('GIVEN an event naming another stack THEN it is refused (and answered, since the URL is CloudFormation\'s)', async () => {
    const { world, alice, invoke, before, snapshot } = await account();
    const other = moto.cloudFormation.stackId.replace('/Stack/', '/Other/');
    await expect(invoke({ ...forgedDelete(alice, world.userArn('alice'), Removal.DESTROY), StackId: other })).rejects.toThrow(/this function serves/);
    expect(await snapshot()).toEqual(before);
  });

  test('GIVEN the old design\'s revoke payload THEN it is refused: operators revoke with a tag and RotateSecret, not by invoking the function', async () => {
    const { alice, invoke, before, snapshot } = await account();
    await expect(invoke({ action: 'revoke', secretId: alice })).rejects.toThrow(/unknown event/);
    expect(await snapshot()).toEqual(before);
  });

  test('GIVEN CloudFormation creating a rotation resource whose Metadata carries its registration WHEN a Create names that resource with other '
    + 'properties (another secret, user, removal policy or schedule) THEN it is refused and nothing is done; with its own, it is served '
    + 'without reading the whole registry', async () => {
    const { world, alice, bob, invoke, before, snapshot } = await account();
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    const entry = { secretArn: alice, userArn: world.userArn('alice'), removal: Removal.DESTROY, scheduleExpression: 'rate(30 days)', rotateOnDeploy: false };
    moto.cloudFormation.put({
      logicalId: 'AliceRotation',
      type: ROTATION_RESOURCE_TYPE,
      status: 'CREATE_IN_PROGRESS',
      metadata: { 'cdk-rotating-access-keys:registration': entry },
    });
    const own = {
      [RotationProperties.SECRET]: alice,
      [RotationProperties.USER]: world.userArn('alice'),
      [RotationProperties.REMOVAL]: Removal.DESTROY,
      [RotationProperties.SCHEDULE]: 'rate(30 days)',
    };
    let request = 0;
    const create = (props: Record<string, string>) => ({
      RequestType: 'Create',
      ServiceToken: 'x',
      ResponseURL: responseUrl(`create-${++request}`),
      StackId: moto.cloudFormation.stackId,
      RequestId: `create-${request}`,
      LogicalResourceId: 'AliceRotation',
      ResourceType: ROTATION_RESOURCE_TYPE,
      ResourceProperties: { ServiceToken: 'x', ...props },
    });
    const forged = [
      { ...own, [RotationProperties.SECRET]: bob, [RotationProperties.USER]: world.userArn('bob'), [RotationProperties.REMOVAL]: Removal.RETAIN },
      { ...own, [RotationProperties.USER]: world.userArn('bob') },
      { ...own, [RotationProperties.REMOVAL]: Removal.RETAIN },
      { ...own, [RotationProperties.SCHEDULE]: 'rate(4 hours)' },
    ];

    for (const props of forged) await expect(invoke(create(props))).rejects.toThrow(/registration/);
    expect(await snapshot()).toEqual(before);
    expect(capture.answers.map((a) => a.Status)).toEqual(['FAILED', 'FAILED', 'FAILED', 'FAILED']);

    moto.cloudFormation.calls.length = 0;
    await invoke(create(own));
    expect(capture.answers[4]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: rotationPhysicalId(alice, world.userArn('alice'), Removal.DESTROY, false) });
    expect(moto.cloudFormation.calls).toEqual(['DescribeStackResource']);
    expect(await snapshot()).toEqual(before);
  });
});

describe('finding 3: a foreign secret steers the function', () => {
  test('GIVEN someone else\'s secret with the library\'s tags naming Bob\'s current key (and a resource policy naming the role) THEN the lifecycle never touches it', async () => {
    const { world, invoke, before, snapshot } = await account();
    const bobCurrent = (await world.keys('bob')).map((k) => k.accessKeyId);
    const foreign = await world.createSecret('mallory/decoy', 'bob', {
      [Tags.PREVIOUS_KEY]: `id=${bobCurrent[1]} superseded-at=1970-01-01T00:00:00.000Z`,
      [Tags.PROGRESS]: `id=${bobCurrent[1]} deactivated-at=1970-01-01T00:00:00.000Z`,
      'access-key-rotation:user': 'bob',
    });
    await world.secretsManager.send(new PutResourcePolicyCommand({
      SecretId: foreign,
      ResourcePolicy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::123456789012:role/rotator' }, Action: 'secretsmanager:*', Resource: '*' }] }),
    }));

    expect(await invoke({ action: 'lifecycle' })).toMatchObject({ failed: 0 });

    expect(await snapshot()).toEqual(before);
  });

  test('GIVEN someone else\'s secret set to rotate with the function (its value naming Bob) THEN every step is refused: no key is made, nothing is read from it or written into it', async () => {
    const { world, invoke, before, snapshot } = await account();
    const foreign = await world.createSecret('mallory/loot', 'bob');
    const token = await world.startRotation(foreign);

    for (const step of STEPS) {
      await expect(invoke({ Step: step, SecretId: foreign, ClientRequestToken: token })).rejects.toThrow(/is not registered with this rotator's stack/);
    }

    expect(await snapshot()).toEqual(before);
    // The only request naming it is the test's own RotateSecret, standing in for Secrets Manager's.
    expect((await moto.requests()).filter((r) => r.body.SecretId === foreign).map((r) => r.action)).toEqual(['RotateSecret']);
    expect(await world.credentials(foreign, 'AWSPENDING')).toBeUndefined();
    expect((await events()).filter((e) => e.type === EventType.REFUSED && e.secretArn === foreign)).toHaveLength(4);
  });
});

describe('finding 4: tags are trusted as configuration and state', () => {
  test('GIVEN Alice\'s secret tagged with Bob\'s key as its previous key, long retired THEN the lifecycle touches neither Bob\'s key nor Alice\'s current one', async () => {
    const { world, alice, invoke, before, snapshot } = await account();
    const [bobKey] = (await world.keys('bob')).map((k) => k.accessKeyId);
    const aliceCurrent = (await world.stages(alice)).AWSCURRENT!;
    for (const victim of [bobKey, aliceCurrent]) {
      await tag(world, alice, {
        [Tags.PREVIOUS_KEY]: `id=${victim} superseded-at=1970-01-01T00:00:00.000Z`,
        [Tags.PROGRESS]: `id=${victim} deactivated-at=1970-01-01T00:00:00.000Z`,
      });
      await invoke({ action: 'lifecycle' });
    }
    expect((await snapshot()).bob).toEqual(before.bob);
    expect((await world.keys('alice')).find((k) => k.accessKeyId === aliceCurrent)).toEqual({ accessKeyId: aliceCurrent, status: 'Active' });
  });

  test('GIVEN dates in the tags moved back to 1970 (promotion, deactivation) THEN nothing is deactivated or deleted earlier than IAM\'s own dates allow', async () => {
    const { world, alice, invoke, before, snapshot } = await account();
    const previous = (await world.stages(alice)).AWSPREVIOUS!;
    await tag(world, alice, { [Tags.PREVIOUS_KEY]: `id=${previous} superseded-at=1970-01-01T00:00:00.000Z` });
    expect(await invoke({ action: 'lifecycle' })).toMatchObject({ deactivated: 0, deleted: 0, failed: 0 });
    await tag(world, alice, { [Tags.PROGRESS]: `id=${previous} deactivated-at=1970-01-01T00:00:00.000Z` });
    expect(await invoke({ action: 'lifecycle' })).toMatchObject({ deactivated: 0, deleted: 0, failed: 0 });

    expect(await snapshot()).toEqual(before);
  });

  test('GIVEN Alice\'s secret tagged with user=bob (the old design\'s configuration) THEN the rotation still makes Alice\'s key for Alice\'s secret', async () => {
    const { world, alice, invoke, before } = await account();
    await tag(world, alice, { 'access-key-rotation:user': 'bob', 'access-key-rotation:foreign-keys': 'ADOPT', 'access-key-rotation:deactivate-after-seconds': '99999999999999999999' });
    // The previous key's grace period is over (the lifecycle deactivated it), so the rotation may make room.
    const previous = (await world.stages(alice)).AWSPREVIOUS!;
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: previous, Status: 'Inactive' }));
    const token = await world.startRotation(alice);
    for (const step of STEPS) await invoke({ Step: step, SecretId: alice, ClientRequestToken: token });

    expect((await world.credentials(alice, 'AWSCURRENT'))!.userName).toBe('alice');
    expect(await world.keys('bob')).toEqual(before.bob);
  });

  test('GIVEN a forged creating marker naming a hand-made key WHEN the next rotation runs under FAIL THEN the key is foreign: named, not deleted', async () => {
    const { world, alice, invoke } = await account();
    const [, previous] = (await world.keys('alice')).map((k) => k.accessKeyId);
    await deleteKey(world, 'alice', previous === (await world.stages(alice)).AWSCURRENT ? (await world.keys('alice'))[0].accessKeyId : previous);
    const handMade = await world.createForeignKey('alice');
    // Secrets Manager keeps a version's date to the second: let the rotation start in a later second than the key was made.
    await new Promise((r) => setTimeout(r, 1100));
    await tag(world, alice, { [Tags.CREATING]: `id=${handMade.accessKeyId} since=1970-01-01T00:00:00.000Z` });

    const token = await world.startRotation(alice);
    await expect(invoke({ Step: 'createSecret', SecretId: alice, ClientRequestToken: token })).rejects.toThrow(new RegExp(`did not create: ${handMade.accessKeyId}`));
    expect(await world.keyStatus('alice', handMade.accessKeyId)).toBe('Active');
  });
});

describe('finding 5: several stacks in one account', () => {
  test('GIVEN two stacks\' rotators on one account THEN each lifecycle works on its own secrets only: no call for the other\'s, no failure', async () => {
    const world = new World();
    await world.createUser('alice');
    await world.createUser('bob');
    const alice = await world.createSecret('stack-a/alice', 'alice');
    const bob = await world.createSecret('stack-b/bob', 'bob');
    const clock = new SimulatedClock(new Date());
    const rotatorFor = (secretArn: string, user: string) => {
      const calls: string[] = [];
      const gateway = new RecordingGateway(recordCalls(defaultClients('us-east-1'), calls));
      const describe = gateway.describeSecret.bind(gateway);
      const described: string[] = [];
      gateway.describeSecret = async (id) => { described.push(id); return describe(id); };
      const rotator = new Rotator({
        gateway,
        clock: clock.now,
        logSink: { write: () => undefined },
        registry: new StaticRegistrySource({ version: 1, digest: 'a'.repeat(64), registrations: [registration(secretArn, world.userArn(user), { deactivateAfterSeconds: DAY / 1000 })] }),
        testSecretRetry: { attempts: 2, firstDelayMs: 1, maxDelayMs: 1 },
      });
      return { rotator, gateway, described, calls };
    };
    const a = rotatorFor(alice, 'alice');
    const b = rotatorFor(bob, 'bob');
    for (const [r, arn] of [[a, alice], [a, alice], [b, bob], [b, bob]] as const) {
      const token = await world.startRotation(arn);
      for (const step of STEPS) await r.rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
    }
    a.described.length = 0;
    b.described.length = 0;
    clock.advance(2 * DAY);

    expect(await a.rotator.lifecycle()).toMatchObject({ secrets: 1, deactivated: 1, failed: 0 });
    expect(await b.rotator.lifecycle()).toMatchObject({ secrets: 1, deactivated: 1, failed: 0 });
    expect(a.described).toEqual([alice]);
    expect(b.described).toEqual([bob]);
    expect([...a.gateway.events, ...b.gateway.events].map((e) => e.DetailType)).not.toContain(EventType.LIFECYCLE_FAILED);
  });
});

describe('finding 6: a wildcard user becomes the role\'s scope', () => {
  test('GIVEN a registry entry with a wildcard user (a template edited by hand) THEN the function refuses the whole registry, naming the entry and the value, and acts on nothing', async () => {
    const { alice, before, snapshot } = await account();
    moto.cloudFormation.register(registration(alice, 'arn:aws:iam::123456789012:user/*', { removal: Removal.DESTROY }));
    const handler = loadBundle();

    await expect(handler({ action: 'lifecycle' })).rejects.toThrow(/registrations\[\d\]\.userArn is refused: a wildcard .*got "arn:aws:iam::123456789012:user\/\*"/);
    expect(await snapshot()).toEqual(before);
  });
});

describe('finding 7: revoke', () => {
  test('GIVEN an emergency revoke THEN the old key is inactive at once and deleted at the next lifecycle run, even if someone made it active again', async () => {
    const { world, alice, invoke } = await account();
    const leaked = (await world.stages(alice)).AWSCURRENT!;
    const token = await world.revoke(alice, new Date());
    for (const step of STEPS) await invoke({ Step: step, SecretId: alice, ClientRequestToken: token });
    expect(await world.keyStatus('alice', leaked)).toBe('Inactive');
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: leaked, Status: 'Active' }));

    expect(await invoke({ action: 'lifecycle' })).toMatchObject({ deleted: 1, held: 0 });
    expect(await world.keyStatus('alice', leaked)).toBeUndefined();
  });
});

async function tag(world: World, arn: string, tags: Record<string, string>) {
  await world.secretsManager.send(new TagResourceCommand({ SecretId: arn, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })) }));
}

async function deleteKey(world: World, user: string, accessKeyId: string) {
  await world.iam.send(new DeleteAccessKeyCommand({ UserName: user, AccessKeyId: accessKeyId }));
}
