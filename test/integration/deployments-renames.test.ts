/**
 * Updates that give a registration a new secret — a renamed `secretName` (a
 * replaced secret) and a moved construct (a new construct id, so new logical
 * ids) — played as CloudFormation plays them (test/support/deployment.ts).
 * Promise 1 names both as routine changes: when the deployment ends, the
 * secret the template names holds a promoted key of its user that
 * authenticates, and every call of the function was allowed by its role as
 * deployed at that moment (promise 7).
 *
 * The recorder observes here rather than enforces: a denied call is recorded
 * and let through, so that one run names every call the role would deny (the
 * function retries a denied RotateSecret for half a minute).
 */
import { CreateUserCommand, ListAccessKeysCommand } from '@aws-sdk/client-iam';
import { RemovalPolicy } from 'aws-cdk-lib';
import { Registration } from '../../src/rotation/contract';
import { buildBundle } from '../support/bundle';
import { DeploymentPlayer, expectEveryCallAuthorized, Operation } from '../support/deployment';
import { MotoServer } from '../support/moto';
import { FIRST, IMPORTED_USERS, Shape, stackOf } from '../support/stack-shapes';

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

async function deployed(shape: Shape): Promise<void> {
  const operation = await player.create(stackOf(shape));
  expectEveryCallAuthorized(operation);
  expect(operation.status).toBe('CREATE_COMPLETE');
}

/** Every phase clean: no resource failed, every rotation finished; the stack ends updated. */
function expectCleanUpdate(operation: Operation): void {
  expect(operation.phases.flatMap((p) => p.failures.map((f) => `[${p.status}] ${f}`))).toEqual([]);
  expect(operation.phases.flatMap((p) => p.rotations.filter((r) => r.failed).map((r) => `[${p.status}] ${r.failed!.step}: ${r.failed!.error}`))).toEqual([]);
  expect(operation.status).toBe('UPDATE_COMPLETE');
}

const userOf = (name: string) => (r: Registration) => r.userArn.endsWith(`/${name}`);
const activeKeys = async (userName: string) => ((await player.iam.send(new ListAccessKeysCommand({ UserName: userName }))).AccessKeyMetadata ?? [])
  .filter((k) => k.Status === 'Active').length;

describe('a renamed secret', () => {
  const named = (secretName: string): Shape => ({ ...FIRST, alice: { removalPolicy: RemovalPolicy.DESTROY, secretName } });

  test('GIVEN a DESTROY registration WHEN an update renames its secret while the function\'s environments are warm THEN every call is authorized and the new secret holds alice\'s current key', async () => {
    await deployed(named('access-keys/alice'));

    const operation = await player.update(stackOf(named('access-keys/alice-2')));

    expectCleanUpdate(operation);
    expectEveryCallAuthorized(operation);
    expect(player.registrations().find(userOf('alice'))!.secretArn).toMatch(/:secret:access-keys\/alice-2-\w{6}$/);
    expect(await player.currentKeysServe()).toEqual([]);
  });

  test('GIVEN a DESTROY registration WHEN an update renames its secret after Lambda retired the function\'s environments THEN every call is authorized and alice keeps an active key, the new secret\'s current one', async () => {
    await deployed(named('access-keys/alice'));
    player.recycleEnvironments();

    const operation = await player.update(stackOf(named('access-keys/alice-2')));

    expectCleanUpdate(operation);
    expectEveryCallAuthorized(operation);
    expect(await activeKeys('alice')).toBeGreaterThan(0);
    expect(await player.currentKeysServe()).toEqual([]);
  });
});

describe('a moved construct', () => {
  test('GIVEN the imported user\'s RotatingAccessKey WHEN an update moves it (a new construct id) THEN every call is authorized and the new secret holds carol\'s current key', async () => {
    await deployed(FIRST);

    const operation = await player.update(stackOf({ ...FIRST, carol: { id: 'CarolKeys' } }));

    expectCleanUpdate(operation);
    expectEveryCallAuthorized(operation);
    expect(await player.currentKeysServe()).toEqual([]);
  });
});
