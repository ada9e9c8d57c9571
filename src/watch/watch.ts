/**
 * One run of the access key watch: IAM's credential report (generated, then
 * read: no call per user), the library's secrets (ListSecrets, 100 a page),
 * then one PutMetricData with the account's figures and an event for each
 * unmanaged active key past the age to report. Read-only on IAM and Secrets
 * Manager; the clock and the AWS port are injected.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { assess, Assessment, keysHeldByUser, LibrarySecret, UnmanagedKey } from './assess';
import type { WatchGateway } from './gateway';
import { EVENT_SOURCE, EventType, IAM3_MAX_AGE_DAYS, Metrics, SECRET_DESCRIPTION_PREFIX, WatchMetrics } from '../rotation/contract';
import { parseCredentialReport } from '../rotation/model';

export interface WatchOptions {
  readonly gateway: WatchGateway;
  readonly clock: () => Date;
  readonly log: (line: string) => void;
  /** The account watched: the metrics' dimension and the events' `account`. */
  readonly account: string;
  /** The bus the events go to: a name, or an ARN (a bus in another account). */
  readonly eventBus: string;
  /** An unmanaged active key older than this is reported by an event. */
  readonly reportAfterSeconds: number;
  /** The regions whose library secrets count (none: the function's own). */
  readonly secretRegions?: string[];
  /** Waits between GenerateCredentialReport calls while IAM builds the report. */
  readonly reportPollDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface WatchSummary extends Omit<Assessment, 'toReport'> {
  readonly reported: number;
  readonly librarySecrets: number;
  readonly reportGeneratedAt?: string;
}

export class AccessKeyWatchRun {
  constructor(private readonly options: WatchOptions) {}

  /**
   * Runs once. `deadline`: the time by which the report must be complete (the invocation's end, less a
   * margin); past it the run fails, and the next scheduled run reads the report IAM finished meanwhile.
   */
  async run(deadline?: Date): Promise<WatchSummary> {
    const { gateway, clock } = this.options;
    const report = await this.credentialReport(deadline);
    const secrets: LibrarySecret[] = [];
    for (const region of this.options.secretRegions?.length ? this.options.secretRegions : [undefined]) {
      for await (const secret of gateway.listLibrarySecrets(SECRET_DESCRIPTION_PREFIX, region)) secrets.push(secret);
    }
    const now = clock();
    const assessment = assess(parseCredentialReport(report.csv), keysHeldByUser(secrets), now, this.options.reportAfterSeconds);
    await gateway.putMetrics(Metrics.NAMESPACE, [
      { name: WatchMetrics.ACTIVE_KEYS, value: assessment.activeKeys, unit: 'Count' },
      { name: WatchMetrics.UNMANAGED_ACTIVE_KEYS, value: assessment.unmanagedActiveKeys, unit: 'Count' },
      { name: WatchMetrics.OLDEST_MANAGED_KEY_AGE, value: assessment.oldestManagedKeyAgeDays, unit: 'None' },
      { name: WatchMetrics.OLDEST_UNMANAGED_KEY_AGE, value: assessment.oldestUnmanagedKeyAgeDays, unit: 'None' },
      { name: WatchMetrics.KEYS_PAST_IAM3_AGE, value: assessment.keysPastIam3Age, unit: 'Count' },
    ], { [WatchMetrics.DIMENSION]: this.options.account }, now);
    const generatedAt = report.generatedAt?.toISOString();
    await gateway.putEvents(assessment.toReport.map((key) => this.event(key, now, generatedAt)));
    const { toReport, ...figures } = assessment;
    const summary: WatchSummary = {
      ...figures, reported: toReport.length, librarySecrets: secrets.length, ...(generatedAt ? { reportGeneratedAt: generatedAt } : {}),
    };
    this.options.log(JSON.stringify({ level: 'INFO', message: 'access keys watched', account: this.options.account, ...summary }));
    return summary;
  }

  /** GenerateCredentialReport until IAM says the report is complete, then GetCredentialReport. */
  private async credentialReport(deadline?: Date): Promise<{ csv: string; generatedAt?: Date }> {
    const { gateway, clock } = this.options;
    const delay = this.options.reportPollDelayMs ?? 2000;
    const sleep = this.options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (;;) {
      const state = await gateway.generateCredentialReport();
      if (state === 'COMPLETE') break;
      if (deadline && clock().getTime() + delay > deadline.getTime()) {
        throw new Error(`IAM had not completed the credential report by the end of this run (state ${state}); the next run reads it`);
      }
      await sleep(delay);
    }
    return gateway.getCredentialReport();
  }

  private event(key: UnmanagedKey, now: Date, reportGeneratedAt: string | undefined): PutEventsRequestEntry {
    const lastUse = key.lastUsedAt
      ? `last used ${key.lastUsedAt.toISOString()}${key.lastUsedService ? ` by ${key.lastUsedService}` : ''}${key.lastUsedRegion ? ` in ${key.lastUsedRegion}` : ''}`
      : 'never used';
    const iam3 = key.ageDays > IAM3_MAX_AGE_DAYS ? `, past IAM.3's ${IAM3_MAX_AGE_DAYS} days` : '';
    const detail = {
      account: this.options.account,
      userName: key.userName,
      userArn: key.userArn,
      keySlot: key.slot,
      ageDays: key.ageDays,
      createdAt: key.createdAt!.toISOString(),
      lastUsedAt: key.lastUsedAt ? key.lastUsedAt.toISOString() : 'never',
      ...(key.lastUsedService ? { lastUsedService: key.lastUsedService } : {}),
      ...(key.lastUsedRegion ? { lastUsedRegion: key.lastUsedRegion } : {}),
      ...(reportGeneratedAt ? { reportGeneratedAt } : {}),
      reason: `access key ${key.slot} of user ${key.userName} is active, ${key.ageDays} days old${iam3}, and no secret of `
        + `cdk-rotating-access-keys serves it (${lastUse})`,
    };
    return {
      Source: EVENT_SOURCE,
      DetailType: EventType.UNMANAGED,
      Detail: JSON.stringify(detail),
      EventBusName: this.options.eventBus,
      Resources: [key.userArn],
      Time: now,
    };
  }
}
