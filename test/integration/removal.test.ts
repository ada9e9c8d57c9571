/**
 * The registration's lifecycle in CloudFormation, through the shipped bundle:
 * its `Custom::AccessKeyRotation` turns rotation on when it is created, and
 * when it leaves the stack turns rotation off and, with DESTROY, deletes the
 * keys before CloudFormation deletes the user (IAM refuses to delete a user
 * that has keys). CloudFormation is played step by step by the driver against
 * the stand-in (moto cannot run these templates); every other call goes to moto.
 */
import { DeleteAccessKeyCommand, DeleteUserCommand, UpdateAccessKeyCommand } from '@aws-sdk/client-iam';
import { DescribeSecretCommand } from '@aws-sdk/client-secrets-manager';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import { RotatingAccessKey } from '../../src';
import { DEPARTURES_RESOURCE_TYPE, DeparturesAttributes, EventType, Removal, ROTATION_RESOURCE_TYPE, RotationProperties } from '../../src/rotation/contract';
import { buildBundle, captureAnswers, Handler, loadBundle } from '../support/bundle';
import { CloudFormationDriver } from '../support/cloudformation';
import { MotoServer } from '../support/moto';
import { STEPS, World } from '../support/world';

/** The delimiter the synthesized Guards policy splits a departures attribute on (its Fn::Split). */
function splitOf(attribute: string): [string] {
  const stack = new Stack(new App(), 'Split', { env: { account: '123456789012', region: 'us-east-1' } });
  new RotatingAccessKey(stack, 'Key', { user: iam.User.fromUserName(stack, 'User', 'someone') });
  const statements = Object.values<any>(Template.fromStack(stack).findResources('AWS::IAM::Policy'))
    .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
  const split = statements.map((st) => st.Resource?.['Fn::Split']).find((sp) => sp?.[1]?.['Fn::GetAtt']?.[1] === attribute);
  if (!split) throw new Error(`no Fn::Split of ${attribute} in the template`);
  return [split[0]];
}

let moto: MotoServer;
let capture: ReturnType<typeof captureAnswers>;
let logs: string[];

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
});
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => {
  await moto.reset();
  capture = captureAnswers();
  logs = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { logs.push(line); });
});

/** An account with the stack deployed: users with a registration each, rotated, and CloudFormation's view of it. */
async function deployed(users: Record<string, Removal>) {
  const world = new World();
  const functionArn = await world.rotationFunctionArn();
  let handler: Handler = loadBundle();
  const invoke = (event: unknown) => handler(event, { invokedFunctionArn: functionArn });
  const cfn = new CloudFormationDriver(moto.cloudFormation, (e) => invoke(e), capture.answers);
  const secrets: Record<string, string> = {};
  const props = (name: string, removal = users[name]) => ({
    [RotationProperties.SECRET]: secrets[name],
    [RotationProperties.USER]: world.userArn(name),
    [RotationProperties.REMOVAL]: removal,
    [RotationProperties.SCHEDULE]: 'rate(30 days)',
    [RotationProperties.ROTATE_ON_DEPLOY]: 'true',
  });
  const departuresProps = () => ({ Registrations: Object.keys(secrets).filter((n) => users[n]).map((n) => `${secrets[n]} ${world.userArn(n)}`) });
  moto.cloudFormation.begin('CREATE_IN_PROGRESS');
  for (const [name, removal] of Object.entries(users)) {
    await world.createUser(name);
    secrets[name] = await world.createManagedSecret(name, { removal });
  }
  handler = loadBundle();
  expect(await cfn.create('Departures', DEPARTURES_RESOURCE_TYPE, departuresProps())).toMatchObject({ Status: 'SUCCESS' });
  for (const name of Object.keys(users)) {
    expect(await cfn.create(`${name.replace(/[^A-Za-z0-9]/g, '')}Rotation`, ROTATION_RESOURCE_TYPE, props(name))).toMatchObject({ Status: 'SUCCESS' });
    // Secrets Manager now runs the four steps (moto does not invoke functions; the test does).
    const token = Object.entries((await world.secretsManager.send(new DescribeSecretCommand({ SecretId: secrets[name] }))).VersionIdsToStages!)
      .find(([, labels]) => labels.includes('AWSPENDING'))![0];
    for (const step of STEPS) await invoke({ Step: step, SecretId: secrets[name], ClientRequestToken: token });
    await rotateAgain(world, invoke, secrets[name]);
  }
  moto.cloudFormation.status = 'CREATE_COMPLETE';
  return {
    world,
    cfn,
    secrets,
    props,
    departuresProps,
    /** A stack update changes the registry: a new function configuration, so a cold start. */
    redeploy(change: () => void) {
      change();
      handler = loadBundle();
    },
  };
}

async function rotateAgain(world: World, invoke: (e: unknown) => Promise<unknown>, arn: string) {
  const token = await world.startRotation(arn);
  for (const step of STEPS) await invoke({ Step: step, SecretId: arn, ClientRequestToken: token });
}

/**
 * The rotation configuration requests the function sent for a secret (moto
 * keeps neither the schedule nor a cancellation); the test's own RotateSecret
 * calls, standing in for Secrets Manager's schedule, carry no rules.
 */
const rotationRequests = async (arn: string) => (await moto.requests())
  .filter((r) => ((r.action === 'RotateSecret' && r.body.RotationRules) || r.action === 'CancelRotateSecret') && r.body.SecretId === arn)
  .map((r) => (r.action === 'CancelRotateSecret' ? 'cancel' : `${(r.body.RotationRules as { ScheduleExpression: string }).ScheduleExpression}${r.body.RotateImmediately ? ' now' : ''}`));

/** The audit events the function sent, of a type. */
const sent = async (type: string) => (await moto.requests()).filter((r) => r.action === 'PutEvents')
  .flatMap((r) => (r.body.Entries as { DetailType: string; Detail: string }[]))
  .filter((e) => e.DetailType === type).map((e) => JSON.parse(e.Detail) as Record<string, unknown>);

describe('creation', () => {
  test('GIVEN a new registration WHEN CloudFormation creates its rotation resource THEN rotation is on with the registry\'s schedule and the first key exists', async () => {
    const { world, secrets } = await deployed({ alice: Removal.RETAIN });

    expect(await rotationRequests(secrets.alice)).toEqual(['rate(30 days) now']);
    expect(await world.keys('alice')).toHaveLength(2);
    expect(capture.answers.find((a) => a.LogicalResourceId === 'aliceRotation')!.PhysicalResourceId).toMatch(/^rotation\.[0-9a-f]{32}\.RETAIN\.new-secret$/);
    expect(capture.elsewhere).toEqual([]);
  });

  test('GIVEN nothing departs THEN the departures resource names placeholders that can match no user and no secret', async () => {
    await deployed({ alice: Removal.DESTROY });
    const data = capture.answers.find((a) => a.LogicalResourceId === 'Departures')!.Data!;
    expect(data[DeparturesAttributes.USERS]).toMatch(/^arn:aws:iam::123456789012:user\/no-registration-departs-+$/);
    expect(data[DeparturesAttributes.USERS].split('/').pop()!.length).toBe(65);
    expect(data[DeparturesAttributes.SECRETS].split(':secret:').pop()!.length).toBe(513);
  });
});

describe('the stack is deleted', () => {
  test('GIVEN DESTROY THEN the managed keys go first, so CloudFormation can delete the user', async () => {
    const { world, cfn } = await deployed({ alice: Removal.DESTROY });

    const [answer] = await cfn.deleteStack(['aliceRotation']);

    expect(answer).toMatchObject({ Status: 'SUCCESS' });
    expect(await world.keys('alice')).toEqual([]);
    await world.iam.send(new DeleteUserCommand({ UserName: 'alice' }));
  });

  test('GIVEN RETAIN THEN user, keys and secret stay, and rotation is off (the function that served it is going away)', async () => {
    const { world, cfn, secrets } = await deployed({ alice: Removal.RETAIN });

    expect(await cfn.deleteStack(['aliceRotation'])).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await world.keys('alice')).toHaveLength(2);
    expect(await rotationRequests(secrets.alice)).toEqual(['rate(30 days) now', 'cancel']);
  });

  test('GIVEN a hand-made key on the user THEN removal leaves it (never deleting what it does not own), names it in the log and still answers', async () => {
    const { world, cfn } = await deployed({ alice: Removal.DESTROY });
    const foreign = await world.createForeignKey('alice').catch(async () => {
      // Two keys already: make room the way an operator would, by deleting the inactive-to-be old one.
      const [, old] = await world.keys('alice');
      await world.iam.send(new DeleteAccessKeyCommand({ UserName: 'alice', AccessKeyId: old.accessKeyId }));
      return world.createForeignKey('alice');
    });

    expect(await cfn.deleteStack(['aliceRotation'])).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await world.keys('alice')).toEqual([{ accessKeyId: foreign.accessKeyId, status: 'Active' }]);
    expect(logs.join('\n')).toContain(foreign.accessKeyId);
  });
});

describe('a stack update', () => {
  test('GIVEN a DESTROY registration removed from the app THEN its keys are deleted in CloudFormation\'s cleanup, the other user\'s stay', async () => {
    const { world, cfn, secrets, departuresProps, redeploy } = await deployed({ alice: Removal.DESTROY, carol: Removal.DESTROY });
    const departing = `${secrets.carol} ${world.userArn('carol')}`;

    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => moto.cloudFormation.unregister(secrets.carol));
    const departures = await cfn.update('Departures', { Registrations: departuresProps().Registrations.filter((r) => r !== departing) });
    expect(departures.Data).toEqual({ [DeparturesAttributes.USERS]: world.userArn('carol'), [DeparturesAttributes.SECRETS]: secrets.carol });
    expect(await world.keys('carol')).toHaveLength(2); // nothing yet: the update could still roll back

    expect(await cfn.cleanup(['carolRotation'])).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await world.keys('carol')).toEqual([]);
    expect(await world.keys('alice')).toHaveLength(2);
  });

  test('GIVEN two departing users, one whose name holds a comma (IAM allows it) THEN the template\'s split of the answer gives each ARN whole', async () => {
    const { world, cfn, secrets, departuresProps, redeploy } = await deployed({
      'alice': Removal.DESTROY,
      'ops,carol': Removal.DESTROY,
      'dan': Removal.DESTROY,
    });
    const leaving = ['ops,carol', 'dan'];
    const departing = leaving.map((n) => `${secrets[n]} ${world.userArn(n)}`);

    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => leaving.forEach((n) => moto.cloudFormation.unregister(secrets[n])));
    const departures = await cfn.update('Departures', { Registrations: departuresProps().Registrations.filter((r) => !departing.includes(r)) });

    // What the Guards policy's Fn::Split makes of the answer (the template's own delimiter).
    const [delimiter] = splitOf(DeparturesAttributes.USERS);
    expect(departures.Data![DeparturesAttributes.USERS].split(delimiter).sort()).toEqual(leaving.map((n) => world.userArn(n)).sort());
    const [secretsDelimiter] = splitOf(DeparturesAttributes.SECRETS);
    expect(departures.Data![DeparturesAttributes.SECRETS].split(secretsDelimiter).sort()).toEqual(leaving.map((n) => secrets[n]).sort());
  });

  test('GIVEN DESTROY switched to RETAIN THEN CloudFormation replaces the rotation resource and the cleanup deletes nothing', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.DESTROY });
    const before = await world.keys('alice');

    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice', { removal: Removal.RETAIN }));
    const update = await cfn.update('aliceRotation', props('alice', Removal.RETAIN));
    expect(update.PhysicalResourceId).toMatch(/\.RETAIN\.existing-secret$/);
    expect(await cfn.cleanup()).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await world.keys('alice')).toEqual(before);
    expect(await rotationRequests(secrets.alice)).toEqual(['rate(30 days) now']);
  });

  test('GIVEN RETAIN switched to DESTROY, then the registration removed THEN the keys go with it', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.RETAIN });
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice', { removal: Removal.DESTROY }));
    await cfn.update('aliceRotation', props('alice', Removal.DESTROY));
    await cfn.cleanup();
    expect(await world.keys('alice')).toHaveLength(2);

    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => moto.cloudFormation.unregister(secrets.alice));
    await cfn.cleanup(['aliceRotation']);
    expect(await world.keys('alice')).toEqual([]);
  });

  test('GIVEN a schedule change THEN rotation is reconfigured in place: the same physical id, nothing deleted', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.DESTROY });
    const before = capture.answers.find((a) => a.LogicalResourceId === 'aliceRotation')!.PhysicalResourceId;
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice', { removal: Removal.DESTROY, scheduleExpression: 'rate(7 days)', rotateOnDeploy: false }));
    const update = await cfn.update('aliceRotation', { ...props('alice'), [RotationProperties.SCHEDULE]: 'rate(7 days)' });

    expect(update).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: before });
    expect(await rotationRequests(secrets.alice)).toEqual(['rate(30 days) now', 'rate(7 days)']);
    expect(await world.keys('alice')).toHaveLength(2);
  });

  test('GIVEN a user renamed (a new user for the same secret) THEN the cleanup deletes the old user\'s keys only, so CloudFormation can delete that user', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.DESTROY });
    await world.createUser('alice2');

    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice2', { removal: Removal.DESTROY }));
    const update = await cfn.update('aliceRotation', { ...props('alice'), [RotationProperties.USER]: world.userArn('alice2') });
    expect(update.Status).toBe('SUCCESS');
    await cfn.cleanup();

    expect(await world.keys('alice')).toEqual([]);
    await world.iam.send(new DeleteUserCommand({ UserName: 'alice' }));
  });
});

describe('a RETAIN registration removed leaves its keys Active, and says so', () => {
  const ids = (keys: { accessKeyId: string; status: string }[], status: string) =>
    keys.filter((k) => k.status === status).map((k) => k.accessKeyId).sort();

  test('GIVEN the stack deleted THEN an event names the user and every key left Active and no longer rotated', async () => {
    const { world, cfn, secrets } = await deployed({ alice: Removal.RETAIN });
    // The previous key made inactive, as the lifecycle does after the grace period.
    const current = { accessKeyId: (await world.credentials(secrets.alice, 'AWSCURRENT'))!.accessKeyId };
    const previous = { accessKeyId: (await world.credentials(secrets.alice, 'AWSPREVIOUS'))!.accessKeyId };
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: previous.accessKeyId, Status: 'Inactive' }));
    const keys = await world.keys('alice');

    expect(await cfn.deleteStack(['aliceRotation'])).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await sent(EventType.RETAINED)).toEqual([expect.objectContaining({
      secretArn: secrets.alice,
      userName: 'alice',
      accessKeyIds: ids(keys, 'Active'),
      inactiveAccessKeyIds: ids(keys, 'Inactive'),
    })]);
    const [event] = await sent(EventType.RETAINED);
    expect(event.accessKeyIds).toEqual([current.accessKeyId]);
    expect(event.reason).toBe(`registration removed (the stack is being deleted; removal policy RETAIN): alice keeps ${current.accessKeyId} Active and `
      + `${previous.accessKeyId} Inactive, no longer rotated, deactivated or deleted; retire them by hand (docs/OPERATIONS.md, Removing a user)`);
    // Nothing was changed on the way.
    expect(await world.keys('alice')).toEqual(keys);
  });

  test('GIVEN a RETAIN registration removed from the app THEN the cleanup sends the event for it alone', async () => {
    const { world, cfn, secrets, departuresProps, redeploy } = await deployed({ alice: Removal.RETAIN, carol: Removal.RETAIN });
    const departing = `${secrets.carol} ${world.userArn('carol')}`;
    const carolKeys = await world.keys('carol');

    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => moto.cloudFormation.unregister(secrets.carol));
    await cfn.update('Departures', { Registrations: departuresProps().Registrations.filter((r) => r !== departing) });
    expect(await sent(EventType.RETAINED)).toEqual([]); // nothing yet: the update could still roll back
    expect(await cfn.cleanup(['carolRotation'])).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await sent(EventType.RETAINED)).toEqual([expect.objectContaining({
      secretArn: secrets.carol, userName: 'carol', accessKeyIds: ids(carolKeys, 'Active'), inactiveAccessKeyIds: [],
    })]);
    expect(await world.keys('carol')).toEqual(carolKeys);
  });

  test('GIVEN DESTROY switched to RETAIN (a replacement of the same registration) THEN no event: the keys are still rotated', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.DESTROY });
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice', { removal: Removal.RETAIN }));
    await cfn.update('aliceRotation', props('alice', Removal.RETAIN));
    await cfn.cleanup();

    expect(await sent(EventType.RETAINED)).toEqual([]);
  });

  test('GIVEN DESTROY and the stack deleted THEN no such event: the keys are deleted', async () => {
    const { cfn } = await deployed({ alice: Removal.DESTROY });
    await cfn.deleteStack(['aliceRotation']);

    expect(await sent(EventType.RETAINED)).toEqual([]);
    expect(await sent(EventType.DELETED)).toHaveLength(2);
  });

  test('GIVEN RETAIN and the user renamed (a new user for the same secret) THEN the event names the old user\'s keys, which stay Active', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.RETAIN });
    const aliceKeys = await world.keys('alice');
    await world.createUser('alice2');

    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice2', { removal: Removal.RETAIN }));
    expect((await cfn.update('aliceRotation', { ...props('alice'), [RotationProperties.USER]: world.userArn('alice2') })).Status).toBe('SUCCESS');
    await cfn.cleanup();

    expect(await sent(EventType.RETAINED)).toEqual([expect.objectContaining({ userName: 'alice', accessKeyIds: ids(aliceKeys, 'Active') })]);
    expect(await world.keys('alice')).toEqual(aliceKeys);
  });
});

describe('a rollback', () => {
  test('GIVEN a rollback putting the departures back WHEN a forged Update names a registration the undone update only changed in place THEN none of its keys is released', async () => {
    const { world, cfn, secrets, props, departuresProps, redeploy } = await deployed({ alice: Removal.DESTROY });
    const physicalId = capture.answers.find((a) => a.LogicalResourceId === 'aliceRotation')!.PhysicalResourceId;
    // The update changes alice's schedule in place; during it, alice rotates (her previous key retired first).
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice', { removal: Removal.DESTROY, scheduleExpression: 'rate(45 days)' }));
    await cfn.update('aliceRotation', { ...props('alice'), [RotationProperties.SCHEDULE]: 'rate(45 days)' });
    moto.cloudFormation.log({ logicalId: 'aliceRotation', type: ROTATION_RESOURCE_TYPE, physicalId, status: 'UPDATE_COMPLETE' });
    const previous = (await world.stages(secrets.alice)).AWSPREVIOUS!;
    await world.iam.send(new UpdateAccessKeyCommand({ UserName: 'alice', AccessKeyId: previous, Status: 'Inactive' }));
    const handler = loadBundle();
    const token = await world.startRotation(secrets.alice);
    for (const step of STEPS) await handler({ Step: step, SecretId: secrets.alice, ClientRequestToken: token });
    const current = (await world.stages(secrets.alice)).AWSCURRENT!;

    // The update fails elsewhere; while the departures are put back, someone allowed to invoke the function claims alice was added by it.
    moto.cloudFormation.begin('UPDATE_ROLLBACK_IN_PROGRESS');
    const departures = moto.cloudFormation.resources.get('Departures')!;
    departures.status = 'UPDATE_IN_PROGRESS';
    await cfn.send(cfn.event('Update', 'Departures', DEPARTURES_RESOURCE_TYPE, { Registrations: [] },
      { PhysicalResourceId: departures.physicalId, OldResourceProperties: departuresProps() }));

    expect(await world.keyStatus('alice', current)).toBe('Active');
    expect((await world.stages(secrets.alice)).AWSCURRENT).toBe(current);
  });

  test('GIVEN a failed update that added a DESTROY registration whose secret it created THEN the rollback deletes that secret\'s keys (the user goes too)', async () => {
    const { world, cfn, props, secrets, redeploy } = await deployed({ alice: Removal.RETAIN });
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    await world.createUser('dave');
    secrets.dave = await world.createSecret('access-keys/dave', 'dave');
    redeploy(() => world.register(secrets.dave, 'dave', { removal: Removal.DESTROY }));
    await cfn.create('daveRotation', ROTATION_RESOURCE_TYPE, props('dave', Removal.DESTROY));
    const token = await world.startRotation(secrets.dave);
    for (const step of STEPS) await loadBundle()({ Step: step, SecretId: secrets.dave, ClientRequestToken: token });
    expect(await world.keys('dave')).toHaveLength(1);

    expect(await cfn.rollback(['daveRotation'])).toEqual([expect.objectContaining({ Status: 'SUCCESS' })]);

    expect(await world.keys('dave')).toEqual([]);
    expect(await world.keys('alice')).toHaveLength(2);
  });

  test('GIVEN a failed update that switched DESTROY to RETAIN THEN the rollback deletes nothing', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.DESTROY });
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice', { removal: Removal.RETAIN }));
    const update = await cfn.update('aliceRotation', props('alice', Removal.RETAIN));
    // Rolling back a replacement: CloudFormation deletes the new physical resource and keeps the old one.
    const resource = moto.cloudFormation.resources.get('aliceRotation')!;
    resource.physicalId = capture.answers.find((a) => a.LogicalResourceId === 'aliceRotation' && a.PhysicalResourceId !== update.PhysicalResourceId)!.PhysicalResourceId;
    moto.cloudFormation.begin('UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS');
    moto.cloudFormation.log({ logicalId: 'aliceRotation', type: ROTATION_RESOURCE_TYPE, physicalId: update.PhysicalResourceId, status: 'DELETE_IN_PROGRESS' });
    const answer = await cfn.send(cfn.event('Delete', 'aliceRotation', ROTATION_RESOURCE_TYPE, props('alice', Removal.RETAIN), { PhysicalResourceId: update.PhysicalResourceId }));

    expect(answer.Status).toBe('SUCCESS');
    expect(await world.keys('alice')).toHaveLength(2);
    expect(await rotationRequests(secrets.alice)).toEqual(['rate(30 days) now']);
  });
});

describe('a rollback of a schedule change', () => {
  test('GIVEN a failed update that changed the schedule THEN the rollback\'s Update puts CloudFormation\'s previous schedule back, without rotating', async () => {
    const { world, cfn, secrets, props, redeploy } = await deployed({ alice: Removal.DESTROY });
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    redeploy(() => world.register(secrets.alice, 'alice', { removal: Removal.DESTROY, scheduleExpression: 'rate(7 days)' }));
    await cfn.update('aliceRotation', { ...props('alice'), [RotationProperties.SCHEDULE]: 'rate(7 days)' });

    moto.cloudFormation.begin('UPDATE_ROLLBACK_IN_PROGRESS');
    const answer = await cfn.update('aliceRotation', props('alice'));

    expect(answer.Status).toBe('SUCCESS');
    // The update did not rotate either: alice's previous key is still active, and a template change never makes a rotation fail.
    expect(await rotationRequests(secrets.alice)).toEqual(['rate(30 days) now', 'rate(7 days)', 'rate(30 days)']);
  });

  test('GIVEN a rollback Update whose properties name another user than its physical id was made from THEN it is refused', async () => {
    const { cfn, props } = await deployed({ alice: Removal.DESTROY });
    moto.cloudFormation.begin('UPDATE_ROLLBACK_IN_PROGRESS');

    const answer = await cfn.update('aliceRotation', { ...props('alice'), [RotationProperties.USER]: 'arn:aws:iam::123456789012:user/mallory' });

    expect(answer.Status).toBe('FAILED');
    expect(logs.join('\n')).toContain('names another secret or user than its physical id');
  });
});

describe('limits', () => {
  test('GIVEN more registrations leaving in one update than CloudFormation\'s 4 KB answer can name THEN the update fails, saying to remove them over several deployments', async () => {
    const { world, cfn, departuresProps } = await deployed({ alice: Removal.DESTROY });
    const many = Array.from({ length: 40 }, (_, i) => `arn:aws:secretsmanager:us-east-1:123456789012:secret:access-keys/departing-user-${i}-AbCdEf `
      + `arn:aws:iam::123456789012:user/service/departing-user-${i}`);
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');
    cfn.properties.set('Departures', { Registrations: [...departuresProps().Registrations, ...many] });

    const answer = await cfn.update('Departures', departuresProps());

    expect(answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^40 registrations leave the stack in one deployment.*remove them over several deployments$/) });
    expect(await world.keys('alice')).toHaveLength(2);
  });

  test('GIVEN CloudFormation deleting a rotation resource while the stack is in none of the removal phases THEN nothing is deleted and the deletion fails', async () => {
    const { world, cfn } = await deployed({ alice: Removal.DESTROY });
    moto.cloudFormation.begin('UPDATE_IN_PROGRESS');

    const [answer] = await cfn.rollback(['aliceRotation'], 'UPDATE_IN_PROGRESS');

    expect(answer.Status).toBe('FAILED');
    expect(await world.keys('alice')).toHaveLength(2);
    expect(logs.join('\n')).toContain('CloudFormation does not delete registrations while the stack is UPDATE_IN_PROGRESS');
  });
});

describe('answers', () => {
  test('GIVEN a failure THEN CloudFormation is told in a generic reason (details go to the log) instead of waiting an hour', async () => {
    const { cfn, secrets } = await deployed({ alice: Removal.DESTROY });
    // A rotation resource for a secret the registry does not hold.
    const answer = await cfn.create('Stray', ROTATION_RESOURCE_TYPE, {
      [RotationProperties.SECRET]: `${secrets.alice}-other`, [RotationProperties.USER]: 'arn:aws:iam::123456789012:user/alice', [RotationProperties.REMOVAL]: 'DESTROY',
    });

    expect(answer).toMatchObject({ Status: 'FAILED', Reason: expect.stringMatching(/^the request failed; see the rotation function's log for request request-[\w-]+$/) });
    expect(logs.join('\n')).toContain('is not registered with this rotator');
  });
});
