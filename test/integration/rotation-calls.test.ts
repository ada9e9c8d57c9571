/**
 * The AWS calls of one rotation, counted at the wire (a proxy in front of
 * moto) for the function exactly as it ships: the four steps of the first
 * rotation and of the next one must stay within the budget of
 * docs/PERFORMANCE.md. The registry read of a cold start is counted apart.
 */
import { buildBundle, loadBundle } from '../support/bundle';
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
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

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

  const expected = [
    // createSecret: the secret's labels and tags, the user's keys, the key, its record, its event, its value
    'DescribeSecret', 'ListAccessKeys', 'CreateAccessKey', 'TagResource', 'PutEvents', 'PutSecretValue',
    // setSecret: nothing. testSecret: the version's labels and value, and the new key signing with STS
    'GetSecretValue', 'GetCallerIdentity',
    // finishSecret: the labels, AWSCURRENT moved, AWSPENDING removed, the event, the state
    'DescribeSecret', 'UpdateSecretVersionStage', 'UpdateSecretVersionStage', 'PutEvents', 'TagResource',
  ];
  expect(first).toEqual(expected);
  expect(second).toEqual(expected);
  expect(first.length).toBeLessThanOrEqual(BUDGET);
  // The registry: one CloudFormation call per cold start, none per rotation.
  expect(moto.cloudFormation.calls).toEqual(['DescribeStackResource']);
});
