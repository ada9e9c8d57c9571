/**
 * The bundled rotation function, exactly as it ships (esbuild output, AWS SDK
 * external), invoked like Lambda would invoke it against moto's server. It
 * finds moto only through the standard AWS_ENDPOINT_URL variable.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { MotoServer } from '../support/moto';
import { STEPS, World } from '../support/world';

const ASSET = path.join(__dirname, '..', '..', 'assets', 'rotation', 'rotation.lambda', 'index.js');

let moto: MotoServer;
let handler: (event: unknown) => Promise<unknown>;
const lines: string[] = [];

beforeAll(async () => {
  execFileSync('npx', ['projen', 'bundle'], { cwd: path.join(__dirname, '..', '..'), stdio: 'ignore' });
  moto = await MotoServer.start();
  jest.spyOn(console, 'log').mockImplementation((line: string) => { lines.push(line); });
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- load the built file as Lambda does
  handler = require(ASSET).handler;
});
afterAll(async () => { await moto?.stop(); });

test('GIVEN the shipped bundle WHEN Secrets Manager, the schedule and an operator invoke it THEN it rotates, runs the lifecycle and revokes', async () => {
  const world = new World();
  await world.createUser('alice');
  const arn = await world.createManagedSecret('alice');

  const token = await world.startRotation(arn);
  for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
  const first = (await world.stages(arn)).AWSCURRENT;
  expect(first).toMatch(/^AKIA/);

  expect(await handler({ action: 'lifecycle' })).toMatchObject({ secrets: 1, failed: 0 });

  const revoked = await handler({ action: 'revoke', secretId: arn }) as { versionId: string };
  for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: revoked.versionId });
  expect(await world.keyStatus('alice', first!)).toBe('Inactive');

  // Every log line is one JSON object.
  expect(lines.length).toBeGreaterThan(10);
  for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
});

test('an event it does not know is refused with what it expects', async () => {
  await expect(handler({ detail: {} })).rejects.toThrow(/unknown event: expected a Secrets Manager rotation step.*got keys detail/);
});
