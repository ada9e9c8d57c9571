/**
 * The rotation function exactly as it ships (esbuild output, AWS SDK
 * external), loaded as Lambda loads it: its environment names the stand-in's
 * stack, the function's logical id and the deployed registry's digest. A new
 * digest is a new function configuration, so a test loads a fresh copy (a
 * new container) after each change of the registry.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';
import { Answer, FUNCTION_LOGICAL_ID } from './cloudformation';
import { activeCloudFormation } from './moto';
import { Env } from '../../src/rotation/contract';

const ROOT = path.join(__dirname, '..', '..');
const realFetch = globalThis.fetch;
const ASSET = path.join(ROOT, 'assets', 'rotation', 'rotation.lambda', 'index.js');

export type Handler = (event: unknown, context?: { invokedFunctionArn: string }) => Promise<unknown>;

export function buildBundle(): void {
  execFileSync('npx', ['projen', 'bundle'], { cwd: ROOT, stdio: 'ignore' });
}

/** A cold start of the shipped function against the stand-in's current deployment (`environment` overrides it; undefined unsets). */
export function loadBundle(environment: Record<string, string | undefined> = {}): Handler {
  const cfn = activeCloudFormation();
  Object.assign(process.env, {
    [Env.STACK_ID]: cfn.stackId,
    [Env.REGISTRY_RESOURCE]: FUNCTION_LOGICAL_ID,
    [Env.REGISTRY_DIGEST]: cfn.digest,
  });
  for (const [name, value] of Object.entries(environment)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  let handler: Handler | undefined;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- load the built file as Lambda does
  const load = () => { handler = require(ASSET).handler; };
  if (typeof jest === 'undefined') {
    // Outside jest (the bench): a fresh copy of the bundle, its external SDK modules shared as jest shares them too.
    delete require.cache[require.resolve(ASSET)];
    load();
  } else {
    jest.isolateModules(load);
  }
  return handler!;
}

/**
 * CloudFormation's response bucket, in-process: the function answers with
 * `fetch`, so answers to CloudFormation's URLs are kept here (and any other
 * URL the function tried to reach is recorded as well: there must be none).
 */
export function captureAnswers(): { answers: Answer[]; elsewhere: string[] } {
  const answers: Answer[] = [];
  const elsewhere: string[] = [];
  const real = realFetch;
  const fake: typeof fetch = async (input, init) => {
    const url = String(input instanceof Request ? input.url : input);
    if (/^https:\/\/cloudformation-custom-resource-response-/.test(url)) {
      answers.push(JSON.parse(String(init?.body)));
      return new Response('', { status: 200 });
    }
    if (url.startsWith('http://127.0.0.1')) return real(input, init); // the AWS stand-ins' own control endpoints
    elsewhere.push(url);
    throw new Error(`the test network reaches nothing but the AWS stand-ins: ${url}`);
  };
  if (typeof jest === 'undefined') globalThis.fetch = fake; // the bench: for the whole process
  else jest.spyOn(globalThis, 'fetch').mockImplementation(fake);
  return { answers, elsewhere };
}

/**
 * Simulated time for the shipped function, whose clock is `new Date()`: only
 * `Date` is faked (advance it with `jest.setSystemTime`), so the SDK's timers,
 * moto and the stand-ins run as they do. End it with `jest.useRealTimers()`.
 */
export function fakeDateOnly(now: number): void {
  jest.useFakeTimers({
    now,
    doNotFake: [
      'hrtime', 'nextTick', 'performance', 'queueMicrotask', 'requestAnimationFrame', 'cancelAnimationFrame', 'requestIdleCallback',
      'cancelIdleCallback', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'setTimeout', 'clearTimeout',
    ],
  });
}
