/**
 * One watch run with an in-memory port: the calls it makes in order, the
 * regions it lists, and a report IAM does not finish in time. The run against
 * moto is test/integration/access-key-watch.test.ts.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { LibrarySecret } from '../../src/watch/assess';
import type { WatchGateway, WatchMetric } from '../../src/watch/gateway';
import { AccessKeyWatchRun } from '../../src/watch/watch';

const HEADER = 'user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,'
  + 'access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,'
  + 'access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service,'
  + 'cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated';
const ROOT = '<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,N/A,not_supported,not_supported,true,'
  + 'true,2020-01-01T00:00:00+00:00,2026-05-01T00:00:00+00:00,us-east-1,iam,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';
const NOW = new Date('2026-06-01T00:00:00Z');

class MemoryGateway implements WatchGateway {
  readonly calls: string[] = [];
  readonly events: PutEventsRequestEntry[] = [];
  constructor(private readonly states: string[], private readonly csv: string) {}
  async generateCredentialReport(): Promise<string> {
    this.calls.push('GenerateCredentialReport');
    return this.states.length > 1 ? this.states.shift()! : this.states[0];
  }
  async getCredentialReport() {
    this.calls.push('GetCredentialReport');
    return { csv: this.csv, generatedAt: NOW };
  }
  async *listLibrarySecrets(_prefix: string, region?: string): AsyncGenerator<LibrarySecret> {
    this.calls.push(`ListSecrets ${region ?? '(own region)'}`);
  }
  async putMetrics(_namespace: string, metrics: WatchMetric[]): Promise<void> {
    this.calls.push(`PutMetricData ${metrics.length}`);
  }
  async putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
    this.calls.push(`PutEvents ${entries.length}`);
    this.events.push(...entries);
  }
}

function run(gateway: MemoryGateway, secretRegions?: string[]) {
  let now = NOW.getTime();
  return new AccessKeyWatchRun({
    gateway,
    clock: () => new Date(now),
    log: () => undefined,
    account: '123456789012',
    eventBus: 'default',
    reportAfterSeconds: 90 * 86_400,
    secretRegions,
    reportPollDelayMs: 2000,
    sleep: async (ms) => { now += ms; },
  });
}

describe('a watch run', () => {
  test('GIVEN the root user\'s old active key WHEN the watch runs THEN it is unmanaged and reported as <root_account>, with its last use', async () => {
    const gateway = new MemoryGateway(['STARTED', 'INPROGRESS', 'COMPLETE'], `${HEADER}\n${ROOT}`);
    const summary = await run(gateway).run();
    expect(gateway.calls).toEqual([
      'GenerateCredentialReport', 'GenerateCredentialReport', 'GenerateCredentialReport', 'GetCredentialReport',
      'ListSecrets (own region)', 'PutMetricData 5', 'PutEvents 1',
    ]);
    expect(summary).toMatchObject({ activeKeys: 1, unmanagedActiveKeys: 1, keysPastIam3Age: 1, reported: 1 });
    expect(JSON.parse(gateway.events[0].Detail!)).toMatchObject({
      userName: '<root_account>', userArn: 'arn:aws:iam::123456789012:root', lastUsedAt: '2026-05-01T00:00:00.000Z', lastUsedService: 'iam', lastUsedRegion: 'us-east-1',
    });
  });

  test('GIVEN secretRegions WHEN the watch runs THEN it lists the library\'s secrets of each region', async () => {
    const gateway = new MemoryGateway(['COMPLETE'], HEADER);
    await run(gateway, ['us-east-1', 'eu-west-1']).run();
    expect(gateway.calls.filter((c) => c.startsWith('ListSecrets'))).toEqual(['ListSecrets us-east-1', 'ListSecrets eu-west-1']);
    // No event, no PutEvents call... but the metrics, always.
    expect(gateway.calls).toContain('PutMetricData 5');
  });

  test('GIVEN a report IAM does not finish before the deadline WHEN the watch runs THEN it fails, having put nothing', async () => {
    const gateway = new MemoryGateway(['INPROGRESS'], HEADER);
    await expect(run(gateway).run(new Date(NOW.getTime() + 10_000)))
      .rejects.toThrow(/IAM had not completed the credential report by the end of this run \(state INPROGRESS\); the next run reads it/);
    expect(gateway.calls.every((c) => c === 'GenerateCredentialReport')).toBe(true);
    // At 0, 2, 4, 6, 8 and 10 seconds: the next would end past the deadline.
    expect(gateway.calls.length).toBe(6);
  });
});
