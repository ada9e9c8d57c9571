/**
 * Entry point of the access key watch's function: run daily by its schedule,
 * it reads IAM's credential report and the library's secrets, and puts the
 * account's key metrics and an event per old unmanaged key. It has no write
 * power over any user or secret.
 */
import type { Context } from 'aws-lambda';
import { AwsWatchGateway, defaultWatchClients } from './aws';
import { AccessKeyWatchRun, WatchSummary } from './watch';
import { WatchEnv } from '../rotation/contract';

const env = process.env;
const reportAfter = Number(env[WatchEnv.REPORT_AFTER_SECONDS]);
const watch = new AccessKeyWatchRun({
  gateway: new AwsWatchGateway(defaultWatchClients(env.AWS_REGION)),
  clock: () => new Date(),
  log: (line) => console.log(line),
  account: env[WatchEnv.ACCOUNT] ?? '',
  eventBus: env[WatchEnv.EVENT_BUS] || 'default',
  reportAfterSeconds: Number.isFinite(reportAfter) && reportAfter >= 0 ? reportAfter : 90 * 86_400,
  secretRegions: (env[WatchEnv.SECRET_REGIONS] ?? '').split(',').filter((r) => r !== ''),
});

export async function handler(_event: unknown, context?: Context): Promise<WatchSummary> {
  // Leave 20 seconds to put the metrics and events after the report is read.
  const left = typeof context?.getRemainingTimeInMillis === 'function' ? context.getRemainingTimeInMillis() - 20_000 : undefined;
  return watch.run(left === undefined ? undefined : new Date(Date.now() + left));
}
