/**
 * Entry point of the shared rotation function. One function per stack serves
 * every managed secret: Secrets Manager calls it with the four rotation steps,
 * the lifecycle schedule with `{"action": "lifecycle"}`, an operator with
 * `{"action": "revoke", "secretId": ...}`.
 */
import { defaultClients, AwsGateway } from './aws';
import { RotationEvent, Rotator } from './rotation';

const rotator = new Rotator({
  gateway: new AwsGateway(defaultClients(process.env.AWS_REGION)),
  clock: () => new Date(),
  logSink: { write: (line) => console.log(line) },
  eventBusName: process.env.EVENT_BUS_NAME,
  lifecycleConcurrency: process.env.LIFECYCLE_CONCURRENCY ? Number(process.env.LIFECYCLE_CONCURRENCY) : undefined,
});

type Event = RotationEvent | { action: 'lifecycle' } | { action: 'revoke'; secretId: string };

export async function handler(event: Event): Promise<unknown> {
  if ('Step' in event) return rotator.rotationStep(event);
  switch (event.action) {
    case 'lifecycle': return rotator.lifecycle();
    case 'revoke': return { versionId: await rotator.revoke(event.secretId) };
    default:
      throw new Error('unknown event: expected a Secrets Manager rotation step, {"action": "lifecycle"} '
        + `or {"action": "revoke", "secretId": ...}; got keys ${Object.keys(event as object).join(', ')}`);
  }
}
