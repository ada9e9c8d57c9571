/**
 * The promises of docs/SECURITY.md that a rotation keeps, through the
 * function exactly as it ships, against moto: a rotation never deletes or
 * deactivates an active key (a revoke excepted); when it would need to, it
 * fails before it changes anything, says which key and the way out, and lets
 * go of its attempt so that the next rotation can start.
 */
import { EventType, Stage } from '../../src/rotation/contract';
import { buildBundle, fakeDateOnly, Handler, loadBundle } from '../support/bundle';
import { expectInvariants } from '../support/invariants';
import { MotoServer } from '../support/moto';
import { STEPS, World } from '../support/world';

const DAY = 86_400_000;

let moto: MotoServer;
let lines: string[];
beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
});
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => {
  await moto.reset();
  lines = [];
  jest.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
});
afterEach(() => { jest.useRealTimers(); });

/** The audit events the function recorded (each is also a log line), by detail-type. */
function events(type: string): Record<string, unknown>[] {
  return lines.map((l) => JSON.parse(l) as { message?: string; event?: Record<string, unknown> })
    .filter((l) => l.message === type && l.event).map((l) => l.event!);
}

/** Alice's secret after two rotations: the current key, and the previous one, active in its grace period (7 days). */
async function twoRotations() {
  const world = new World();
  await world.createUser('alice');
  const arn = await world.createManagedSecret('alice');
  const handler: Handler = loadBundle();
  const rotate = async (token?: string) => {
    const t = token ?? await world.startRotation(arn);
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: t });
  };
  await rotate();
  const previous = (await world.stages(arn))[Stage.CURRENT]!;
  await rotate();
  const current = (await world.stages(arn))[Stage.CURRENT]!;
  return { world, arn, handler, rotate, previous, current };
}

describe('a rotation never deletes an active key', () => {
  test('GIVEN the previous key in its grace period WHEN someone allowed to rotate starts a rotation THEN it fails before changing anything, naming the key and the way out, and the next rotation can start', async () => {
    const { world, arn, handler, previous, current } = await twoRotations();
    const keysBefore = await world.keys('alice');

    const token = await world.startRotation(arn);
    await expect(handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token }))
      .rejects.toThrow(new RegExp(`the old key ${previous} is still active \\(its grace period ends at .*, when the lifecycle deactivates it\\).*`
        + 'rotate after it is deactivated, or revoke'));

    expect(await world.keys('alice')).toEqual(keysBefore);
    expect(await world.stages(arn)).toEqual({ [Stage.CURRENT]: current, [Stage.PENDING]: undefined, [Stage.PREVIOUS]: previous });
    expect(await world.pendingToken(arn)).toBeUndefined();
    expect(events(EventType.ROTATION_FAILED)).toEqual([expect.objectContaining({ accessKeyId: previous, step: 'createSecret' })]);
    await expectInvariants(world, arn, 'alice');
  });

  test('GIVEN a refused rotation WHEN the lifecycle has deactivated the previous key THEN a rotation deletes that inactive key to make room and succeeds', async () => {
    fakeDateOnly(Date.now());
    const { world, arn, handler, rotate, previous, current } = await twoRotations();
    const token = await world.startRotation(arn);
    await expect(handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(/still active/);

    jest.setSystemTime(Date.now() + 8 * DAY);
    expect(await handler({ action: 'lifecycle' })).toMatchObject({ deactivated: 1, failed: 0 });
    await rotate();

    const keys = await world.keys('alice');
    expect(keys.map((k) => k.accessKeyId)).not.toContain(previous);
    expect((await world.stages(arn))[Stage.PREVIOUS]).toBe(current);
    expect(events(EventType.DELETED)).toEqual([expect.objectContaining({ accessKeyId: previous, wasActive: false })]);
    await expectInvariants(world, arn, 'alice');
  });

  test('GIVEN the previous key in its grace period WHEN an operator revokes THEN the revoke deletes it at once and deactivates the current key', async () => {
    const { world, arn, handler, previous, current } = await twoRotations();

    const token = await world.revoke(arn, new Date());
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });

    const keys = await world.keys('alice');
    expect(keys.map((k) => k.accessKeyId)).not.toContain(previous);
    expect(await world.keyStatus('alice', current)).toBe('Inactive');
    expect(events(EventType.DELETED)).toEqual([expect.objectContaining({ accessKeyId: previous, wasActive: true, reason: expect.stringMatching(/emergency revoke/) })]);
    await expectInvariants(world, arn, 'alice');
  });
});
