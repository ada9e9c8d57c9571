/**
 * The AWS calls of one rotation (Secrets Manager's four steps), counted at
 * the wire by a proxy in front of moto (STS's GetCallerIdentity, signed with
 * the new key, included), for the function exactly as it ships (the esbuild
 * bundle). The registry read of a cold start (one CloudFormation call) is
 * counted apart: a warm function does not make it.
 *
 * - first: a metadata-only secret's first rotation (the deployment's);
 * - second: the next one, the first key kept as AWSPREVIOUS;
 * - steady state: a scheduled rotation after the lifecycle deactivated and
 *   deleted the previous key, the cycle every later rotation repeats. It
 *   needs weeks to pass, so it runs the same code in-process with the
 *   simulated clock (the bundle reads the real one).
 */
import * as path from 'path';
import { Env } from '../src/rotation/contract';
import { FUNCTION_LOGICAL_ID } from '../test/support/cloudformation';
import type { MotoServer } from '../test/support/moto';
import { MotoProxy } from '../test/support/moto-proxy';
import { DAY, makeRotator, rotate, STEPS, World } from '../test/support/world';

export const ASSET_DIR = path.join(__dirname, '..', 'assets', 'rotation', 'rotation.lambda');
const ASSET = path.join(ASSET_DIR, 'index.js');

type Handler = (event: unknown) => Promise<unknown>;

/** A cold start of the shipped bundle against the stand-in's current deployment. */
function coldStart(moto: MotoServer): Handler {
  const cfn = moto.cloudFormation;
  Object.assign(process.env, { [Env.STACK_ID]: cfn.stackId, [Env.REGISTRY_RESOURCE]: FUNCTION_LOGICAL_ID, [Env.REGISTRY_DIGEST]: cfn.digest });
  delete require.cache[require.resolve(ASSET)];
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- load the built file as Lambda does
  return require(ASSET).handler;
}

export interface RotationCalls {
  /** AWS calls of the four steps, in order (`Action`), the cold start's registry read excluded. */
  readonly first: string[];
  readonly second: string[];
  readonly steady: string[];
  /** CloudFormation calls of a cold start (the registry). */
  readonly coldStart: string[];
}

export async function rotationCalls(moto: MotoServer): Promise<RotationCalls> {
  await moto.reset();
  const proxy = await MotoProxy.start(moto.endpoint);
  const direct = process.env.AWS_ENDPOINT_URL;
  process.env.AWS_ENDPOINT_URL = proxy.endpoint;
  // The bundle logs every step as JSON on stdout; the bench's own lines go there too.
  const log = console.log;
  console.log = () => undefined;
  try {
    const world = new World();
    await world.createUser('alice');
    const arn = await world.createManagedSecret('alice');
    await world.deployFunction();
    const handler = coldStart(moto);
    const steps = async (token: string) => {
      const from = proxy.seen.length;
      for (const step of STEPS) await handler({ Step: step, SecretId: arn, ClientRequestToken: token });
      return proxy.seen.slice(from);
    };
    const cfnBefore = moto.cloudFormation.calls.length;
    const first = await steps(await world.startRotation(arn));
    const coldStartCalls = moto.cloudFormation.calls.slice(cfnBefore);
    const second = await steps(await world.startRotation(arn));

    // Steady state: weeks pass; the lifecycle checks, deactivates and deletes the previous key; the schedule rotates again.
    await world.createUser('bob');
    const bobArn = await world.createManagedSecret('bob');
    const h = makeRotator();
    await rotate(world, h.rotator, bobArn);
    await rotate(world, h.rotator, bobArn);
    for (const days of [4, 4, 15]) {
      h.clock.advance(days * DAY);
      await h.rotator.lifecycle();
    }
    if ((await world.keys('bob')).length !== 1) throw new Error('the lifecycle did not retire the previous key: no steady state to measure');
    h.clock.advance(8 * DAY);
    const token = await world.startRotation(bobArn);
    const from = proxy.seen.length;
    for (const step of STEPS) await h.rotator.rotationStep({ Step: step, SecretId: bobArn, ClientRequestToken: token });
    const steady = proxy.seen.slice(from);
    return { first, second, steady, coldStart: coldStartCalls };
  } finally {
    console.log = log;
    process.env.AWS_ENDPOINT_URL = direct;
    await proxy.stop();
  }
}
