/**
 * The bundled rotation function, exactly as it ships (esbuild output, AWS SDK
 * external), invoked like Lambda would invoke it against moto's server and
 * the CloudFormation stand-in. It finds them only through the standard
 * AWS_ENDPOINT_URL variables, and its registry only through CloudFormation.
 */
import { CloudWatchClient, GetMetricStatisticsCommand, ListMetricsCommand } from '@aws-sdk/client-cloudwatch';
import { Metrics } from '../../src/rotation/contract';
import { buildBundle, Handler, loadBundle } from '../support/bundle';
import { MotoServer } from '../support/moto';
import { STEPS, World } from '../support/world';

let moto: MotoServer;
const lines: string[] = [];

beforeAll(async () => {
  buildBundle();
  moto = await MotoServer.start();
  jest.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
});
afterAll(async () => { await moto?.stop(); });
beforeEach(async () => { await moto.reset(); });

test('GIVEN the shipped bundle WHEN Secrets Manager, the schedule and an operator\'s revoke drive it THEN it rotates, runs the lifecycle and revokes', async () => {
  const world = new World();
  await world.createUser('alice');
  const arn = await world.createManagedSecret('alice');
  const handler: Handler = loadBundle();

  const token = await world.startRotation(arn);
  for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
  const first = (await world.stages(arn)).AWSCURRENT;
  expect(first).toMatch(/^AKIA/);

  expect(await handler({ action: 'lifecycle' })).toMatchObject({ registered: 1, failed: 0 });

  const revoked = await world.revoke(arn, new Date());
  for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: revoked });
  expect(await world.keyStatus('alice', first!)).toBe('Inactive');

  // The registry was read once, at the cold start; every log line is one JSON object.
  expect(moto.cloudFormation.calls).toEqual(['DescribeStackResource']);
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
});

test('an event it does not know is refused with what it expects', async () => {
  const handler = loadBundle();
  await expect(handler({ detail: {} })).rejects.toThrow(/unknown event: expected a Secrets Manager rotation step.*got keys detail/);
  await expect(handler('lifecycle')).rejects.toThrow(/unknown event: expected an object, got string/);
});

test.each([
  ['without its registry settings', { ROTATOR_REGISTRY_DIGEST: undefined }, /the function has no registry configured/],
  ['with a registry digest that is not the deployed one', { ROTATOR_REGISTRY_DIGEST: 'f'.repeat(64) }, /is not the one this function was deployed with/],
])('GIVEN a function deployed %s THEN a rotation fails, saying so, and nothing is created', async (_, environment, message) => {
  const world = new World();
  await world.createUser('bob');
  const arn = await world.createManagedSecret('bob');
  const token = await world.startRotation(arn);
  const handler = loadBundle(environment);

  await expect(handler({ Step: 'createSecret', SecretId: arn, ClientRequestToken: token })).rejects.toThrow(message);
  expect(await world.keys('bob')).toEqual([]);
}, 30_000);

describe('failure metrics (CloudWatch, namespace cdk-rotating-access-keys, dimension FunctionName)', () => {
  const cloudWatch = () => new CloudWatchClient({});
  const sums = async (): Promise<Record<string, number>> => {
    const listed = await cloudWatch().send(new ListMetricsCommand({ Namespace: Metrics.NAMESPACE }));
    const out: Record<string, number> = {};
    for (const m of listed.Metrics ?? []) {
      const stats = await cloudWatch().send(new GetMetricStatisticsCommand({
        Namespace: Metrics.NAMESPACE,
        MetricName: m.MetricName,
        Dimensions: m.Dimensions,
        StartTime: new Date(Date.now() - 3_600_000),
        EndTime: new Date(Date.now() + 3_600_000),
        Period: 7200,
        Statistics: ['Sum'],
      }));
      const key = `${m.MetricName} ${m.Dimensions!.map((d) => `${d.Name}=${d.Value}`).join(',')}`;
      out[key] = (stats.Datapoints ?? []).reduce((n, d) => n + d.Sum!, 0);
    }
    return out;
  };

  test('GIVEN a healthy rotation and lifecycle run THEN the function puts no metric (a healthy run costs no call)', async () => {
    const world = new World();
    await world.createUser('carol');
    const arn = await world.createManagedSecret('carol');
    const handler = loadBundle({ AWS_LAMBDA_FUNCTION_NAME: 'rotator-fn' });
    const token = await world.startRotation(arn);
    for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
    await handler({ action: 'lifecycle' });
    expect(await sums()).toEqual({});
  });

  test('GIVEN a refused rotation step and a lifecycle run that cannot read its registry THEN each is counted once under the function\'s name', async () => {
    const world = new World();
    await world.createUser('dave');
    const unregistered = await world.createSecret('access-keys/dave', 'dave');
    const token = await world.startRotation(unregistered);
    const handler = loadBundle({ AWS_LAMBDA_FUNCTION_NAME: 'rotator-fn' });
    await expect(handler({ Step: 'createSecret', SecretId: unregistered, ClientRequestToken: token })).rejects.toThrow(/not registered/);
    const stale = loadBundle({ AWS_LAMBDA_FUNCTION_NAME: 'rotator-fn', ROTATOR_REGISTRY_DIGEST: 'e'.repeat(64) });
    await expect(stale({ action: 'lifecycle' })).rejects.toThrow(/is not the one this function was deployed with/);

    expect(await sums()).toEqual({
      [`${Metrics.ROTATION_FAILURES} FunctionName=rotator-fn`]: 1,
      [`${Metrics.LIFECYCLE_FAILURES} FunctionName=rotator-fn`]: 1,
    });
  }, 30_000);
});
