/**
 * Entry point of the shared rotation function. One function per stack serves
 * the secrets its stack registered: Secrets Manager calls it with the four
 * rotation steps, the lifecycle schedule with `{"action": "lifecycle"}`, and
 * CloudFormation with its custom resources' events. Nothing else is accepted.
 */
import type { CloudFormationCustomResourceEvent, Context } from 'aws-lambda';
import { defaultClients, AwsGateway } from './aws';
import { Defaults, Env, LIFECYCLE_ACTION, Limits } from './contract';
import { StackRegistrySource } from './registry';
import { Rotator } from './rotator';
import type { RotationEvent } from './steps';

const env = process.env;
const gateway = new AwsGateway(defaultClients(env.AWS_REGION));
const concurrency = Number(env[Env.LIFECYCLE_CONCURRENCY]);
const keyCheckWindow = Number(env[Env.KEY_CHECK_WINDOW]);
const { min, max } = Limits.lifecycleConcurrency;
const rotator = new Rotator({
  gateway,
  clock: () => new Date(),
  logSink: { write: (line) => console.log(line) },
  eventBusName: env[Env.EVENT_BUS_NAME],
  lifecycleConcurrency: Number.isInteger(concurrency) && concurrency >= min && concurrency <= max ? concurrency : Defaults.lifecycleConcurrency,
  registry: new StackRegistrySource(gateway, {
    stackId: env[Env.STACK_ID] ?? '',
    logicalId: env[Env.REGISTRY_RESOURCE] ?? '',
    digest: env[Env.REGISTRY_DIGEST] ?? '',
  }),
  stackId: env[Env.STACK_ID],
  keyCheckWindowSeconds: Number.isFinite(keyCheckWindow) && keyCheckWindow > 0 ? keyCheckWindow : undefined,
  functionName: env.AWS_LAMBDA_FUNCTION_NAME,
});
const firstRotationWaitSeconds = Number(env[Env.FIRST_ROTATION_WAIT]);

type Event = RotationEvent | CloudFormationCustomResourceEvent | { action: string };

export async function handler(event: Event, context: Context): Promise<unknown> {
  if (typeof event !== 'object' || event === null) throw new Error(`unknown event: expected an object, got ${typeof event}`);
  if ('Step' in event) {
    // A step (a delivery) may take the invocation's time, less the time to report a failure.
    const left = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - 10_000 : undefined;
    return rotator.rotationStep(event, left);
  }
  if ('RequestType' in event) {
    // A Create waits for its first rotation as long as the invocation's time allows, less the time to answer.
    const left = typeof context.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - 15_000 : Infinity;
    const wait = Number.isFinite(firstRotationWaitSeconds) && firstRotationWaitSeconds > 0 ? Math.min(firstRotationWaitSeconds * 1000, left) : 0;
    return rotator.customResource(event, context.invokedFunctionArn, wait > 0 ? wait : undefined);
  }
  if ('action' in event && event.action === LIFECYCLE_ACTION) {
    const summary = await rotator.lifecycle(context?.invokedFunctionArn);
    // Failing the invocation is what raises the function's error alarm.
    if (summary.failed > 0) throw new Error(`lifecycle: ${summary.failed} secret(s) failed; see the 'Access Key Lifecycle Failed' events`);
    return summary;
  }
  throw new Error('unknown event: expected a Secrets Manager rotation step, {"action": "lifecycle"} '
    + `or a CloudFormation custom resource event; got keys ${Object.keys(event).join(', ')}`);
}
