/**
 * The invariants every test checks after every step: AWSCURRENT holds an
 * active key of the user; the user has at most two keys; every key is held by
 * some version of the secret (except keys a test names, such as foreign ones).
 */
import { World } from './world';
import { Stage } from '../../src/rotation/contract';

export async function expectInvariants(world: World, secretArn: string, userName: string, options: { unreferenced?: string[] } = {}): Promise<void> {
  const keys = await world.keys(userName);
  expect(keys.length).toBeLessThanOrEqual(2);
  const stages = await world.stages(secretArn);
  const current = stages[Stage.CURRENT];
  if (current) {
    expect(keys).toContainEqual({ accessKeyId: current, status: 'Active' });
    expect((await world.credentials(secretArn, Stage.CURRENT))!.userName).toBe(userName);
  }
  const referenced = new Set([...Object.values(stages), ...(options.unreferenced ?? [])]);
  for (const key of keys) {
    expect({ unreferencedKey: key.accessKeyId, referenced: referenced.has(key.accessKeyId) })
      .toEqual({ unreferencedKey: key.accessKeyId, referenced: true });
  }
}
