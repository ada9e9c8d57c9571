/**
 * Routine deployments of a stack, played as CloudFormation plays them
 * (test/support/deployment.ts) against moto and the shipped bundle: every call
 * the function makes in every phase is judged against its role as deployed at
 * that moment (promise 7), and when each deployment ends every user that stays
 * has an Active key, AWSCURRENT of its secret, that authenticates (promise 1).
 */
import { CreateAccessKeyCommand, CreateUserCommand, GetUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { CreateSecretCommand, PutSecretValueCommand, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { ForeignKeyPolicy, KeyRotationSchedule } from '../../src';
import { Registration, Removal, secretDescription } from '../../src/rotation/contract';
import { buildBundle } from '../support/bundle';
import { DeploymentPlayer, expectEveryCallAuthorized, Operation } from '../support/deployment';
import { MotoServer } from '../support/moto';
import { FIRST, IMPORTED_USERS, stackOf } from '../support/stack-shapes';

let moto: MotoServer;
let player: DeploymentPlayer;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  player = await DeploymentPlayer.start(moto);
});
afterAll(async () => {
  await player?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await player.reset();
  player.recorder.mode = 'enforce';
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
  for (const userName of IMPORTED_USERS) await player.iam.send(new CreateUserCommand({ UserName: userName }));
});

/** Every phase clean: each call allowed, no resource failed, every rotation finished; the stack ends in `status`. */
function expectClean(operation: Operation, status: string): void {
  expectEveryCallAuthorized(operation);
  expect(operation.phases.flatMap((p) => p.failures.map((f) => `[${p.status}] ${f}`))).toEqual([]);
  expect(operation.phases.flatMap((p) => p.rotations.filter((r) => r.failed).map((r) => `[${p.status}] ${r.secretArn}: ${r.failed!.step}: ${r.failed!.error}`))).toEqual([]);
  expect(operation.status).toBe(status);
}

/** Promise 1 for the registrations given (the registry's by default). */
async function expectCurrentKeysServe(registrations?: Pick<Registration, 'secretArn' | 'userArn'>[]): Promise<void> {
  expect(await player.currentKeysServe(registrations)).toEqual([]);
}

const userOf = (name: string) => (r: Registration) => r.userArn.endsWith(`/${name}`);
const keyIds = async (userName: string) => ((await player.iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [])
  .map((k) => `${k.AccessKeyId} ${k.Status}`).sort();
const userExists = (userName: string) => player.iam.send(new GetUserCommand({ UserName: userName })).then(() => true, () => false);

async function created(): Promise<void> {
  expectClean(await player.create(stackOf(FIRST)), 'CREATE_COMPLETE');
}

describe('creation', () => {
  test('GIVEN two RotatingAccessKeyUsers (DESTROY, RETAIN) and a RotatingAccessKey for an imported user WHEN the stack is created THEN every call is authorized as deployed, and each user\'s current key authenticates', async () => {
    const operation = await player.create(stackOf(FIRST));

    expectClean(operation, 'CREATE_COMPLETE');
    expect(operation.phases.map((p) => p.status)).toEqual(['CREATE_IN_PROGRESS']);
    // One rotation per registration at deploy (the first key), and the departures resource's answer.
    expect(operation.phases[0].rotations).toHaveLength(3);
    expect(operation.phases[0].answers.map((a) => a.LogicalResourceId).sort()).toEqual([
      'AccessKeyRotatorDepartures688FB0C3', 'AliceAccessKeyRotation90E5293A', 'BobAccessKeyRotation679C00EB', 'CarolRotationCD06451F',
    ]);
    expect(player.registrations()).toHaveLength(3);
    await expectCurrentKeysServe();
  });
});

describe('the first rotation, before the deployment goes on', () => {
  test('GIVEN a new stack WHEN each registration is created THEN CloudFormation is answered only after its first rotation put a key in its secret', async () => {
    const operation = await player.create(stackOf(FIRST));

    expectClean(operation, 'CREATE_COMPLETE');
    const { invocations } = operation.phases[0];
    const creates = invocations.filter((i) => i.request === 'Create Custom::AccessKeyRotation');
    expect(creates).toHaveLength(3);
    for (const create of creates) {
      // Secrets Manager ran the four steps of its secret's rotation in other invocations while the Create waited: each
      // started after the Create, and finishSecret (which makes the new key AWSCURRENT) started before the Create answered.
      const secretArn = String(player.physical(create.target).properties.SecretArn);
      const steps = invocations.filter((i) => i.target === secretArn);
      expect(steps.map((s) => s.request)).toEqual(['createSecret', 'setSecret', 'testSecret', 'finishSecret']);
      for (const step of steps) expect(step.started).toBeGreaterThan(create.started);
      expect(steps[3].started).toBeLessThan(create.ended);
    }
  });

  test('GIVEN another stack\'s secret serving carol\'s key WHEN a stack whose carol takes over hand-made keys (ADOPT) is created THEN her Create fails, saying her first rotation was given up, and the stack rolls back keeping her key', async () => {
    const theirs = await player.secretsManager.send(new CreateSecretCommand({
      Name: 'access-keys/carol-elsewhere', Description: secretDescription('carol'), SecretString: JSON.stringify({ userName: 'carol' }),
    }));
    const key = (await player.iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }))).AccessKey!;
    const served = await player.secretsManager.send(new PutSecretValueCommand({
      SecretId: theirs.ARN, SecretString: JSON.stringify({ userName: 'carol', accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey }),
    }));
    await player.secretsManager.send(new UpdateSecretVersionStageCommand({
      SecretId: theirs.ARN, VersionStage: key.AccessKeyId!, MoveToVersionId: served.VersionId,
    }));

    const operation = await player.create(stackOf({ ...FIRST, carol: { foreignKeyPolicy: ForeignKeyPolicy.ADOPT } }));

    expect(operation.status).toBe('ROLLBACK_COMPLETE');
    const failed = operation.phases[0].answers.find((a) => a.Status === 'FAILED');
    expect(failed?.Reason).toMatch(/the first rotation of arn:aws:secretsmanager:[^ ]+ \(user carol\) was given up before the secret held a key/);
    expect(await keyIds('carol')).toEqual([`${key.AccessKeyId} Active`]);
  });

  test('GIVEN carol holds a hand-made key and her registration keeps the default FAIL WHEN the stack is created THEN her Create fails at once, before any rotation, naming the key and the way out, and the stack rolls back keeping her key', async () => {
    const key = (await player.iam.send(new CreateAccessKeyCommand({ UserName: 'carol' }))).AccessKey!;
    // Were the Create to wait for a rotation that cannot succeed, it would wait until the invocation's time is nearly up.
    player.functionTimeoutMs = 60_000;

    const operation = await player.create(stackOf(FIRST));

    expect(operation.status).toBe('ROLLBACK_COMPLETE');
    const failed = operation.phases[0].answers.filter((a) => a.Status === 'FAILED');
    expect(failed.map((a) => a.LogicalResourceId)).toEqual(['CarolRotationCD06451F']);
    expect(failed[0].Reason).toMatch(new RegExp('^the first rotation of arn:aws:secretsmanager:[^ ]+:secret:CarolSecret[^ ]+ \\(user carol\\) cannot succeed: '
      + `user carol has access keys this library did not create: ${key.AccessKeyId} \\(Active\\); delete them, or choose a foreign key policy \\(DELETE_INACTIVE, ADOPT\\)`));
    // No rotation of carol's secret was started: nothing to give up, nothing left pending.
    expect(operation.phases[0].rotations.filter((r) => r.secretArn.includes('Carol'))).toEqual([]);
    expectEveryCallAuthorized(operation);
    expect(await keyIds('carol')).toEqual([`${key.AccessKeyId} Active`]);
  });
});

describe('updates', () => {
  test('GIVEN the stack WHEN an update adds a registration THEN every call is authorized as deployed, and the new user\'s first key authenticates', async () => {
    await created();

    const operation = await player.update(stackOf({ ...FIRST, dave: { removalPolicy: RemovalPolicy.DESTROY } }));

    expectClean(operation, 'UPDATE_COMPLETE');
    expect(operation.phases.map((p) => p.status)).toEqual(['UPDATE_IN_PROGRESS', 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS']);
    expect(operation.phases[0].rotations.map((r) => r.secretArn)).toEqual([player.registrations().find(userOf('dave'))!.secretArn]);
    await expectCurrentKeysServe();
  });

  test('GIVEN the stack WHEN an update removes a DESTROY registration THEN its keys are deleted in the cleanup, under the departures\' guards, so CloudFormation deletes the user; the others serve', async () => {
    await created();
    const alice = player.registrations().find(userOf('alice'))!;

    const operation = await player.update(stackOf({ ...FIRST, alice: undefined }));

    expectClean(operation, 'UPDATE_COMPLETE');
    const cleanup = operation.phases.find((p) => p.status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS')!;
    // The calls on alice's keys and secret in the cleanup are allowed by the guards alone: her registration policy no longer names her.
    const onAlice = cleanup.decisions.filter((d) => d.request.resource === alice.userArn || d.request.resource === alice.secretArn);
    expect(onAlice.map((d) => d.request.action)).toEqual(expect.arrayContaining(['secretsmanager:CancelRotateSecret', 'iam:ListAccessKeys', 'iam:DeleteAccessKey']));
    for (const d of onAlice) expect(d.why).toMatch(/^allowed by ReleaseDeparting(Users|Secrets) \(AccessKeyRotatorGuards1ACEE015\)$/);
    expect(await userExists('alice')).toBe(false);
    expect(player.registrations().map((r) => r.userArn)).not.toContain(alice.userArn);
    await expectCurrentKeysServe();
  });

  test('GIVEN the stack WHEN an update flips DESTROY to RETAIN and RETAIN to DESTROY THEN the rotation resources are replaced, nothing is deleted, and the same keys serve', async () => {
    await created();
    const before = { alice: await keyIds('alice'), bob: await keyIds('bob') };

    const flipped = stackOf({ ...FIRST, alice: { removalPolicy: RemovalPolicy.RETAIN }, bob: { removalPolicy: RemovalPolicy.DESTROY } });

    const operation = await player.update(flipped);

    expectClean(operation, 'UPDATE_COMPLETE');
    // A flip is a new physical id (a replacement), whose old id the cleanup deletes: rotation is turned off for nobody.
    const cleanup = operation.phases.find((p) => p.status === 'UPDATE_COMPLETE_CLEANUP_IN_PROGRESS')!;
    expect(cleanup.answers.map((a) => a.LogicalResourceId).sort()).toEqual(['AliceAccessKeyRotation90E5293A', 'BobAccessKeyRotation679C00EB']);
    expect(cleanup.decisions.map((d) => d.request.action)).not.toContain('secretsmanager:CancelRotateSecret');
    expect(cleanup.decisions.map((d) => d.request.action)).not.toContain('iam:DeleteAccessKey');
    expect({ alice: await keyIds('alice'), bob: await keyIds('bob') }).toEqual(before);
    expect(player.registrations().map((r) => [r.userArn.split('/').pop(), r.removal]).sort()).toEqual([['alice', Removal.RETAIN], ['bob', Removal.DESTROY], ['carol', Removal.RETAIN]]);
    await expectCurrentKeysServe();
  });

  test('GIVEN the stack WHEN an update changes a schedule THEN rotation is reconfigured in place (and rotates, as rotateOnDeploy says), every call authorized', async () => {
    await created();
    const carol = player.registrations().find(userOf('carol'))!;

    const operation = await player.update(stackOf({ ...FIRST, carol: { schedule: KeyRotationSchedule.every(Duration.days(45)) } }));

    expectClean(operation, 'UPDATE_COMPLETE');
    const update = operation.phases[0];
    expect(update.answers.filter((a) => a.LogicalResourceId === 'CarolRotationCD06451F').map((a) => a.Status)).toEqual(['SUCCESS']);
    expect(operation.phases[1].answers).toEqual([]); // the same physical id: nothing to clean up
    const configured = update.decisions.filter((d) => d.request.action === 'secretsmanager:RotateSecret' && d.request.resource === carol.secretArn);
    expect(configured.map((d) => d.request.context['secretsmanager:ModifyRotationRules'])).toEqual(['true']);
    expect(update.rotations.map((r) => r.secretArn)).toEqual([carol.secretArn]);
    expect(player.registrations().find(userOf('carol'))!.scheduleExpression).toBe('rate(45 days)');
    await expectCurrentKeysServe();
  });
});

describe('deletion', () => {
  test('GIVEN the stack WHEN it is deleted THEN DESTROY keys go first so their user can go, RETAIN users keep a current key that authenticates, every call authorized', async () => {
    await created();
    const retained = player.registrations().filter((r) => r.removal === Removal.RETAIN);
    expect(retained.map((r) => r.userArn.split('/').pop()).sort()).toEqual(['bob', 'carol']);

    const operation = await player.delete();

    expectClean(operation, 'DELETE_COMPLETE');
    expect(await userExists('alice')).toBe(false);
    expect(await userExists('bob')).toBe(true);
    expect(player.resources.size).toBe(0);
    await expectCurrentKeysServe(retained);
  });
});

describe('the authorizer', () => {
  test('GIVEN a template whose registration policy lacks iam:CreateAccessKey WHEN the stack is created THEN the denied call is named with its phase, resource and the statement that does not allow it, and the function gets AccessDenied', async () => {
    const template = stackOf(FIRST);
    type Document = { Statement: { Sid: string; Action: string[] }[] };
    const policy = template.Resources.AccessKeyRotatorRegistrations023FBD45D.Properties!.PolicyDocument as Document;
    const users = policy.Statement.find((s) => s.Sid === 'ManageKeysOfRegisteredUsers')!;
    users.Action = users.Action.filter((a) => a !== 'iam:CreateAccessKey');
    // The first Create waits for its rotation until its invocation's time is nearly up: a short timeout keeps the test short.
    player.functionTimeoutMs = 20_000;

    const operation = await player.create(template);

    expect(() => expectEveryCallAuthorized(operation)).toThrow(
      /\[CREATE_IN_PROGRESS\] iam:CreateAccessKey on arn:aws:iam::123456789012:user\/service\/alice: ImplicitlyDenied: no statement of the role allows iam:CreateAccessKey/);
    // AWS's answer reached the function: the rotation failed at createSecret, no key exists, and the Create failed, saying so.
    expect(operation.phases[0].rotations.map((r) => r.failed?.step)).toEqual(['createSecret']);
    expect(operation.phases[0].answers.find((a) => a.Status === 'FAILED')?.Reason).toMatch(/the first rotation of .* \(user alice\) did not finish within 5 s/);
    expect(operation.status).toBe('ROLLBACK_COMPLETE');
    // The rollback deleted alice, which it could only do with no key left on her.
    expect(await userExists('alice')).toBe(false);
  });

  test('GIVEN the departures\' guards dropped from the role WHEN an update removes a DESTROY registration THEN the cleanup\'s calls on it are denied, naming what the registration policy still names', async () => {
    await created();
    const next = stackOf({ ...FIRST, alice: undefined });
    const guards = next.Resources.AccessKeyRotatorGuards1ACEE015.Properties!.PolicyDocument as { Statement: { Sid: string }[] };
    guards.Statement = guards.Statement.filter((s) => !s.Sid.startsWith('ReleaseDeparting'));

    const operation = await player.update(next);

    expect(() => expectEveryCallAuthorized(operation)).toThrow(
      /\[UPDATE_COMPLETE_CLEANUP_IN_PROGRESS\] secretsmanager:CancelRotateSecret on arn:aws:secretsmanager:[^ ]*:secret:AliceAccessKeySecret[^ ]*: ImplicitlyDenied: no statement allows this request: RotateRegisteredSecrets \(AccessKeyRotatorRegistrations023FBD45D\) names only secret:Bob/);
    expect(operation.phases[1].failures).toEqual([
      expect.stringMatching(/^AliceAccessKeyRotation90E5293A \(rotation\.[0-9a-f]+\.DESTROY\.new-secret\): DELETE_FAILED/),
      expect.stringMatching(/^AliceUser2CE11025 \(alice\): DELETE_FAILED: DeleteConflict/),
    ]);
  });
});
