/**
 * Rolled-back updates, played as CloudFormation plays them (test/support/
 * deployment.ts): an update changes the stack, its changes before a later
 * resource succeed, that resource fails, and CloudFormation first puts back
 * what the update changed (UPDATE_ROLLBACK_IN_PROGRESS: the registrations'
 * policy, the guards, the departures, the function) and only then deletes
 * what the update created (UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS).
 * Every call the function makes in every phase must be allowed by its role as
 * deployed at that moment (promise 7), and the users that stay keep a current
 * key that authenticates (promise 1).
 *
 * The recorder observes here rather than enforces: a denied call is recorded
 * and let through, so that one run names every call the role would deny.
 */
import { CreateUserCommand, GetUserCommand } from '@aws-sdk/client-iam';
import { CfnResource, RemovalPolicy, Stack } from 'aws-cdk-lib';
import { ROTATION_RESOURCE_TYPE } from '../../src/rotation/contract';
import { buildBundle } from '../support/bundle';
import { DeploymentPlayer, expectEveryCallAuthorized, Operation } from '../support/deployment';
import { MotoServer } from '../support/moto';
import { FIRST, IMPORTED_USERS, Shape, stackOf } from '../support/stack-shapes';

/** A resource that fails, after the rotation resources of the update: CloudFormation rolls the update back. */
const LATER = 'LaterResource';
function laterResource(stack: Stack): void {
  const later = new CfnResource(stack, LATER, { type: 'AWS::SNS::Topic' });
  for (const child of stack.node.findAll()) {
    if (child instanceof CfnResource && child.cfnResourceType === ROTATION_RESOURCE_TYPE) later.addDependency(child);
  }
}
const failingLater = (shape: Shape): Shape => ({ ...shape, extra: laterResource });

let moto: MotoServer;
let player: DeploymentPlayer;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  player = await DeploymentPlayer.start(moto, { mode: 'observe' });
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

/** The phases of a rollback, the last one named. */
const ROLLBACK_PHASES = ['UPDATE_IN_PROGRESS', 'UPDATE_ROLLBACK_IN_PROGRESS', 'UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS'];

async function deployed(shape: Shape): Promise<void> {
  const operation = await player.create(stackOf(shape));
  expectEveryCallAuthorized(operation);
  expect(operation.status).toBe('CREATE_COMPLETE');
}

/** Where the update failed, and what failed while it was undone. */
function failures(operation: Operation): string[] {
  return operation.phases.flatMap((p) => p.failures.map((f) => `[${p.status}] ${f}`));
}

/** Rotations Secrets Manager started that did not finish. */
function failedRotations(operation: Operation): string[] {
  return operation.phases.flatMap((p) => p.rotations.filter((r) => r.failed).map((r) => `[${p.status}] ${r.failed!.step}: ${r.failed!.error}`));
}

const userExists = (userName: string) => player.iam.send(new GetUserCommand({ UserName: userName })).then(() => true, () => false);

describe('finding 9: a rollback deletes what the failed update created after it has narrowed the role', () => {
  test('GIVEN an update that adds a DESTROY RotatingAccessKeyUser whose Create succeeds WHEN a later resource fails THEN every call of the rollback is authorized, the added user\'s keys and the user go, and the users that stay serve', async () => {
    await deployed(FIRST);
    const registered = player.registrations();

    const operation = await player.update(stackOf(failingLater({ ...FIRST, dave: { removalPolicy: RemovalPolicy.DESTROY } })), { failAt: LATER });

    expectEveryCallAuthorized(operation);
    expect(operation.phases.map((p) => p.status)).toEqual(ROLLBACK_PHASES);
    expect(operation.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    // The added registration was created and its first key made before the failure.
    expect(operation.phases[0].rotations).toHaveLength(1);
    expect(failedRotations(operation)).toEqual([]);
    expect(failures(operation)).toEqual([`[UPDATE_IN_PROGRESS] ${LATER}: CREATE_FAILED (the failure this play asked for)`]);
    expect(await userExists('dave')).toBe(false);
    expect(await player.currentKeysServe(registered)).toEqual([]);
  });
});

describe('the rollback of a renamed secret', () => {
  test('GIVEN a DESTROY registration whose secretName an update changes WHEN a later resource fails THEN every call is authorized, the old secret keeps serving and the new one is gone', async () => {
    const named = (secretName: string): Shape => ({ ...FIRST, alice: { removalPolicy: RemovalPolicy.DESTROY, secretName } });
    await deployed(named('access-keys/alice'));
    const registered = player.registrations();

    const operation = await player.update(stackOf(failingLater(named('access-keys/alice-2'))), { failAt: LATER });

    expectEveryCallAuthorized(operation);
    expect(failures(operation)).toEqual([`[UPDATE_IN_PROGRESS] ${LATER}: CREATE_FAILED (the failure this play asked for)`]);
    expect(failedRotations(operation)).toEqual([]);
    expect(operation.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(player.registrations()).toEqual(registered);
    expect(await player.currentKeysServe(registered)).toEqual([]);
  });
});

describe('the rollback of a moved construct', () => {
  test('GIVEN an update that moves the imported user\'s RotatingAccessKey (a new construct id) WHEN a later resource fails THEN every call is authorized and the registration that stays serves', async () => {
    await deployed(FIRST);
    const registered = player.registrations();

    const operation = await player.update(stackOf(failingLater({ ...FIRST, carol: { id: 'CarolKeys' } })), { failAt: LATER });

    expectEveryCallAuthorized(operation);
    expect(failures(operation)).toEqual([`[UPDATE_IN_PROGRESS] ${LATER}: CREATE_FAILED (the failure this play asked for)`]);
    expect(failedRotations(operation)).toEqual([]);
    expect(operation.status).toBe('UPDATE_ROLLBACK_COMPLETE');
    expect(player.registrations()).toEqual(registered);
    expect(await player.currentKeysServe(registered)).toEqual([]);
  });
});
