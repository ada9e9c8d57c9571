/**
 * The AWS calls of one rotation, counted at the wire (a proxy in front of
 * moto) for the function exactly as it ships: the four steps of the first
 * rotation, of the next one, and of the steady state (a rotation after the
 * lifecycle deleted the key before) must stay within the budget of
 * docs/PERFORMANCE.md, and the lifecycle's deletion of an old key must not
 * grow to pay for it. The registry read of a cold start is counted apart.
 */
import { Tags } from '../../src/rotation/contract';
import { buildBundle, fakeDateOnly, loadBundle } from '../support/bundle';
import { MotoServer } from '../support/moto';
import { MotoProxy } from '../support/moto-proxy';
import { STEPS, World } from '../support/world';

/** AWS calls of one rotation (four steps): the goal of issue 9. */
const BUDGET = 13;

let moto: MotoServer;
let proxy: MotoProxy;
beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  proxy = await MotoProxy.start(moto.endpoint);
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});
beforeEach(async () => {
  await moto.reset();
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

/** The four steps of one rotation, as in the first, the second and the steady state. */
const ROTATION = [
  // createSecret: the secret's labels and tags, the user's keys, the key, its record, its event, its value
  'DescribeSecret', 'ListAccessKeys', 'CreateAccessKey', 'TagResource', 'PutEvents', 'PutSecretValue',
  // setSecret: nothing. testSecret: the version's labels and value, and the new key signing with STS
  'GetSecretValue', 'GetCallerIdentity',
  // finishSecret: the labels, AWSCURRENT moved, AWSPENDING removed, the event, the state
  'DescribeSecret', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage', 'PutEvents', 'TagResource',
];

test(`GIVEN the shipped bundle WHEN a secret rotates twice THEN each rotation makes at most ${BUDGET} AWS calls`, async () => {
  const world = new World();
  await world.createUser('alice');
  const arn = await world.createManagedSecret('alice');
  const handler = loadBundle();
  const rotation = async () => {
    const token = await world.startRotation(arn);
    const from = proxy.seen.length;
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
    return proxy.seen.slice(from);
  };

  const first = await rotation();
  const second = await rotation();

  const expected = ROTATION;
  expect(first).toEqual(expected);
  expect(second).toEqual(expected);
  expect(first.length).toBeLessThanOrEqual(BUDGET);
  // The registry: one CloudFormation call per cold start, none per rotation.
  expect(moto.cloudFormation.calls).toEqual(['DescribeStackResource']);
});

const DAY = 86_400_000;

test(`GIVEN the shipped bundle WHEN the lifecycle has deleted the previous key THEN the next rotation (the steady state) makes at most ${BUDGET} AWS calls, and the deletion no more than before`, async () => {
  const world = new World();
  await world.createUser('carol');
  const arn = await world.createManagedSecret('carol');
  const handler = loadBundle();
  const counted = async (action: () => Promise<unknown>) => {
    const from = proxy.seen.length;
    await action();
    return proxy.seen.slice(from);
  };
  const rotation = async () => {
    const token = await world.startRotation(arn);
    return counted(async () => {
      for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
    });
  };
  const lifecycle = () => counted(async () => expect(await handler({ action: 'lifecycle' })).toEqual(expect.objectContaining({ failed: 0 })));
  fakeDateOnly(Date.now());
  const advance = (days: number) => jest.setSystemTime(Date.now() + days * DAY);
  try {
    await rotation();
    await rotation();
    const first = (await world.keys('carol')).map((k) => k.accessKeyId);
    // Weeks pass (the default schedule): the usage check, the deactivation, then the deletion of the first key.
    advance(4);
    await lifecycle();
    advance(4);
    await lifecycle();
    advance(15);
    const deletion = await lifecycle();
    const left = (await world.keys('carol')).map((k) => k.accessKeyId);
    expect(left).toHaveLength(1);
    expect(first).toContain(left[0]);

    // The lifecycle's deletion: the listing, the re-read (the secret and the user's keys, in parallel), the deletion,
    // the key label, the progress record (removed, in the call that used to write deleted-at), the event.
    const parallel = (calls: string[]) => [calls[0], [...calls.slice(1, 3)].sort(), ...calls.slice(3)];
    expect(parallel(deletion)).toEqual([
      'ListSecrets', ['DescribeSecret', 'ListAccessKeys'], 'DeleteAccessKey', 'UpdateSecretVersionStage', 'UntagResource', 'PutEvents',
    ]);
    const tags = await world.tags(arn);
    expect(Object.keys(tags).filter((t) => t.startsWith(Tags.KEY_PROGRESS_PREFIX))).toEqual([]);
    // Nothing is due after it: an hourly run lists, and calls nothing else.
    expect(await lifecycle()).toEqual(['ListSecrets']);

    advance(8);
    const steady = await rotation();
    expect(steady).toEqual(ROTATION);
    expect(steady.length).toBeLessThanOrEqual(BUDGET);
  } finally {
    jest.useRealTimers();
  }
});
