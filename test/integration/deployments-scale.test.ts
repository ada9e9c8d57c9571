/**
 * What a deployment costs CloudFormation as registrations grow, played as
 * CloudFormation plays it (test/support/deployment.ts) with every invocation a
 * cold start (CloudFormation creates the rotation resources in parallel, so
 * Lambda scales out and each invocation may read what a cold start reads):
 * a registration's Create reads its own entry, never the whole registry, and
 * makes at most two CloudFormation calls whatever the stack's size.
 */
import { Stack } from 'aws-cdk-lib';
import { RotatingAccessKeyUser } from '../../src';
import { ROTATION_RESOURCE_TYPE } from '../../src/rotation/contract';
import { buildBundle } from '../support/bundle';
import { FUNCTION_LOGICAL_ID } from '../support/cloudformation';
import { DeploymentPlayer, expectEveryCallAuthorized, Invocation, Operation } from '../support/deployment';
import { MotoServer } from '../support/moto';
import { MotoProxy, SECRETS_MANAGER_QUOTAS } from '../support/moto-proxy';
import { stackOf } from '../support/stack-shapes';

let moto: MotoServer;
let player: DeploymentPlayer;
/** Between the function and moto: lets everything through unless a test sets a fault. */
let proxy: MotoProxy;

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  proxy = await MotoProxy.start(moto.endpoint);
  player = await DeploymentPlayer.start(moto, { coldStarts: 'invocation', upstream: proxy.endpoint });
});
afterAll(async () => {
  await player?.stop();
  await proxy?.stop();
  await moto?.stop();
});
beforeEach(async () => {
  await player.reset();
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

/** A stack of `n` RotatingAccessKeyUsers. */
function usersStack(n: number) {
  return stackOf({
    extra: (stack: Stack) => {
      for (let i = 0; i < n; i++) new RotatingAccessKeyUser(stack, `User${String(i).padStart(3, '0')}`, { userName: `user-${String(i).padStart(3, '0')}` });
    },
  });
}

function expectClean(operation: Operation): void {
  expectEveryCallAuthorized(operation);
  expect(operation.phases.flatMap((p) => p.failures)).toEqual([]);
  expect(operation.phases.flatMap((p) => p.rotations.filter((r) => r.failed).map((r) => `${r.secretArn}: ${r.failed!.step}: ${r.failed!.error}`))).toEqual([]);
}

const creates = (operation: Operation): Invocation[] => operation.phases.flatMap((p) => p.invocations)
  .filter((i) => i.request === `Create ${ROTATION_RESOURCE_TYPE}`);
const bytes = (i: Invocation) => i.cloudFormation.reduce((sum, c) => sum + c.bytes, 0);

describe('a deployment at scale', () => {
  test('GIVEN stacks of 3 and 12 registrations, every invocation a cold start WHEN each is created THEN every registration\'s Create makes at most 2 CloudFormation calls, '
    + 'never reads the function\'s registry, and reads as many bytes in both stacks; every secret ends with a working key', async () => {
    const measured: Record<number, { calls: number; bytes: number }> = {};
    for (const n of [3, 12]) {
      await player.reset();
      const operation = await player.create(usersStack(n));

      expectClean(operation);
      expect(operation.status).toBe('CREATE_COMPLETE');
      expect(await player.currentKeysServe()).toEqual([]);
      const invocations = creates(operation);
      expect(invocations).toHaveLength(n);
      expect(invocations.flatMap((i) => i.cloudFormation.filter((c) => c.logicalId === FUNCTION_LOGICAL_ID || /AccessKeyRotatorFunction/.test(c.logicalId ?? ''))
        .map((c) => `${i.target}: ${c.action} ${c.logicalId}`))).toEqual([]);
      measured[n] = {
        calls: Math.max(...invocations.map((i) => i.cloudFormation.length)),
        bytes: Math.max(...invocations.map(bytes)),
      };
    }

    expect(measured[3].calls).toBeLessThanOrEqual(2);
    expect(measured[12].calls).toBeLessThanOrEqual(2);
    // The same registration's entry whatever the stack's size (a request id of the answer may differ by a few bytes).
    expect(Math.abs(measured[12].bytes - measured[3].bytes)).toBeLessThan(64);
  });

  test('GIVEN Secrets Manager throttling the first three requests of every action its request quotas cover (RotateSecret, the writes, TagResource) '
    + 'WHEN a stack of 3 registrations is created THEN the function\'s clients retry them: no resource and no step fails, every secret ends with a working key', async () => {
    const actions = SECRETS_MANAGER_QUOTAS.flatMap((q) => q.actions);
    for (const action of actions) proxy.faults.set(action, { code: 'ThrottlingException', message: 'Rate exceeded', times: 3 });
    try {
      const operation = await player.create(usersStack(3));

      expectClean(operation);
      expect(operation.status).toBe('CREATE_COMPLETE');
      expect(await player.currentKeysServe()).toEqual([]);
      // Each action the deployment makes was refused three times before it went through.
      expect(['TagResource', 'RotateSecret', 'PutSecretValue', 'UpdateSecretVersionStage'].filter((a) => proxy.faults.has(a))).toEqual([]);
    } finally {
      proxy.faults.clear();
    }
  });
});
