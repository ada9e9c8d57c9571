/**
 * One registered user ('alice') and her secret on the in-memory AWS, served by
 * a Rotator with a clock the test moves: the set-up of the façade's tests.
 */
import { FakeAws, STACK_ID } from './fake-aws';
import { ForeignKeyPolicy } from '../../src/foreign-key-policy';
import { Defaults, Registration, REGISTRY_VERSION } from '../../src/rotation/contract';
import { StaticRegistrySource } from '../../src/rotation/registry';
import { Rotator } from '../../src/rotation/rotator';

export const DAY = 86_400_000;
export const STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;

export interface FakeRotatorOptions {
  /** Settings of alice's registration besides the defaults. */
  readonly config?: Partial<Registration>;
  /** The function's name (the metrics' dimension); none when null. */
  readonly functionName?: string | null;
}

export function fakeRotatorForAlice(options: FakeRotatorOptions = {}) {
  let now = new Date('2026-01-01T00:00:00Z');
  const clock = () => new Date(now);
  const fake = new FakeAws(clock);
  const userArn = fake.createUser('alice');
  const arn = fake.createSecret('access-keys/alice', JSON.stringify({ userName: 'alice' }));
  const registration: Registration = {
    secretArn: arn,
    userArn,
    deactivateAfterSeconds: Defaults.deactivateAfterSeconds,
    deleteAfterSeconds: Defaults.deleteAfterSeconds,
    postponeWhileInUseSeconds: 0,
    foreignKeyPolicy: ForeignKeyPolicy.FAIL,
    removal: Defaults.removal,
    scheduleExpression: Defaults.scheduleExpression,
    rotateOnDeploy: true,
    ...options.config,
  };
  const logs: string[] = [];
  const functionName = options.functionName === undefined ? 'rotator-fn' : options.functionName ?? undefined;
  const rotator = new Rotator({
    gateway: fake,
    clock,
    logSink: { write: (line) => logs.push(line) },
    registry: new StaticRegistrySource({ version: REGISTRY_VERSION, digest: '0'.repeat(64), registrations: [registration] }),
    testSecretRetry: { attempts: 1, firstDelayMs: 0, maxDelayMs: 0 },
    stackId: STACK_ID,
    functionName,
  });
  /** One rotation, its four steps, as Secrets Manager drives it. */
  const rotate = async () => {
    const token = fake.startRotation(arn);
    for (const step of STEPS) await rotator.rotationStep({ Step: step, SecretId: arn, ClientRequestToken: token });
  };
  const advance = (ms: number) => { now = new Date(now.getTime() + ms); };
  return { fake, arn, registration, clock, rotator, logs, rotate, advance };
}
