/**
 * The rotation protocol against moto's server over HTTP, with the real SDK:
 * bootstrap, further rotations, retries, orphans and foreign keys.
 */
import { Tags } from '../../src/rotation/model';
import { expectInvariants } from '../support/invariants';
import { MotoServer } from '../support/moto';
import { makeRotator, rotate, World } from '../support/world';

let moto: MotoServer;
beforeAll(async () => { moto = await MotoServer.start(); });
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => { await moto.reset(); });

describe('bootstrap', () => {
  test('GIVEN a metadata-only secret WHEN it rotates THEN AWSCURRENT holds a working key of the user', async () => {
    const world = new World();
    await world.createUser('alice');
    const arn = await world.createManagedSecret('alice');
    const h = makeRotator();

    await rotate(world, h.rotator, arn, () => expectInvariants(world, arn, 'alice'));

    const current = await world.credentials(arn, 'AWSCURRENT');
    expect(Object.keys(current!).sort()).toEqual(['accessKeyId', 'createdAt', 'secretAccessKey', 'userName']);
    expect(current!.userName).toBe('alice');
    expect(await world.keys('alice')).toEqual([{ accessKeyId: current!.accessKeyId, status: 'Active' }]);
    expect(h.gateway.events.map((e) => e.DetailType)).toEqual(['Access Key Created', 'Access Key Promoted']);
    expect((await world.tags(arn))[Tags.CURRENT_KEY]).toContain(`id=${current!.accessKeyId}`);
  });
});
