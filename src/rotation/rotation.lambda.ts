/**
 * Entry point of the shared rotation function. One function per stack serves
 * every managed secret: Secrets Manager calls it with the four rotation steps,
 * the lifecycle schedule with `{"action": "lifecycle"}`, an operator with
 * `{"action": "revoke", "secretId": ...}`, and CloudFormation with the removal
 * resource's events (delete the managed keys before the users go).
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { defaultClients, AwsGateway } from './aws';
import { respond, secretsToRelease } from './custom-resource';
import { RotationEvent, Rotator } from './rotation';

const rotator = new Rotator({
  gateway: new AwsGateway(defaultClients(process.env.AWS_REGION)),
  clock: () => new Date(),
  logSink: { write: (line) => console.log(line) },
  eventBusName: process.env.EVENT_BUS_NAME,
  lifecycleConcurrency: process.env.LIFECYCLE_CONCURRENCY ? Number(process.env.LIFECYCLE_CONCURRENCY) : undefined,
});

type Event = RotationEvent | CloudFormationCustomResourceEvent | { action: 'lifecycle' } | { action: 'revoke'; secretId: string };

export async function handler(event: Event): Promise<unknown> {
  if ('Step' in event) return rotator.rotationStep(event);
  if ('RequestType' in event) return removal(event);
  switch (event.action) {
    case 'lifecycle': {
      const summary = await rotator.lifecycle();
      // Failing the invocation is what raises the function's error alarm.
      if (summary.failed > 0) throw new Error(`lifecycle: ${summary.failed} secret(s) failed; see the 'Access Key Lifecycle Failed' events`);
      return summary;
    }
    case 'revoke': return { versionId: await rotator.revoke(event.secretId) };
    default:
      throw new Error('unknown event: expected a Secrets Manager rotation step, {"action": "lifecycle"} '
        + `or {"action": "revoke", "secretId": ...}; got keys ${Object.keys(event as object).join(', ')}`);
  }
}

async function removal(event: CloudFormationCustomResourceEvent): Promise<void> {
  try {
    for (const secretId of secretsToRelease(event)) {
      const { deleted, foreign } = await rotator.deleteManagedKeys(secretId);
      console.log(JSON.stringify({ level: 'INFO', message: 'managed keys deleted', secretId, deleted, foreign }));
    }
    await respond(event, 'SUCCESS', 'managed access keys deleted');
  } catch (e) {
    const reason = rotator.describe(e);
    console.log(JSON.stringify({ level: 'ERROR', message: 'removal failed', reason }));
    await respond(event, 'FAILED', reason);
  }
}
