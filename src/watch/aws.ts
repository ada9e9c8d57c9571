/**
 * `WatchGateway` with the AWS SDK v3: one method a call, no decisions. The
 * SDK comes from the Lambda runtime (external to the bundle); endpoints come
 * from the SDK's standard configuration (`AWS_ENDPOINT_URL`).
 */
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { GenerateCredentialReportCommand, GetCredentialReportCommand, IAMClient } from '@aws-sdk/client-iam';
import { paginateListSecrets, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LibrarySecret } from './assess';
import type { WatchGateway, WatchMetric } from './gateway';

export interface WatchClients {
  readonly iam: IAMClient;
  readonly cloudWatch: CloudWatchClient;
  readonly eventBridge: EventBridgeClient;
  /** Secrets Manager of a region (the function's own when none is named). */
  secretsManager(region?: string): SecretsManagerClient;
}

/** Clients with the SDK's adaptive retry; one Secrets Manager client per region asked for. */
export function defaultWatchClients(region?: string): WatchClients {
  const common = { region, retryMode: 'adaptive', maxAttempts: 8 };
  const secretsManagers = new Map<string, SecretsManagerClient>();
  return {
    iam: new IAMClient(common),
    cloudWatch: new CloudWatchClient(common),
    eventBridge: new EventBridgeClient(common),
    secretsManager: (r?: string) => {
      const key = r ?? region ?? '';
      if (!secretsManagers.has(key)) secretsManagers.set(key, new SecretsManagerClient({ ...common, region: r ?? region }));
      return secretsManagers.get(key)!;
    },
  };
}

export class AwsWatchGateway implements WatchGateway {
  constructor(private readonly clients: WatchClients) {}

  async generateCredentialReport(): Promise<string> {
    const out = await this.clients.iam.send(new GenerateCredentialReportCommand({}));
    return out.State ?? '';
  }

  async getCredentialReport(): Promise<{ csv: string; generatedAt?: Date }> {
    const out = await this.clients.iam.send(new GetCredentialReportCommand({}));
    return { csv: Buffer.from(out.Content ?? new Uint8Array()).toString('utf8'), generatedAt: out.GeneratedTime };
  }

  async *listLibrarySecrets(descriptionPrefix: string, region?: string): AsyncGenerator<LibrarySecret> {
    const pages = paginateListSecrets({ client: this.clients.secretsManager(region), pageSize: 100 }, {
      Filters: [{ Key: 'description', Values: [descriptionPrefix] }],
    });
    for await (const page of pages) {
      for (const s of page.SecretList ?? []) {
        // Secrets Manager documents a prefix match; keep only those (moto matches words anywhere).
        if (!s.Description?.startsWith(descriptionPrefix)) continue;
        yield {
          arn: s.ARN!,
          description: s.Description,
          rotationEnabled: s.RotationEnabled === true,
          rotationLambdaArn: s.RotationLambdaARN || undefined,
          versions: s.SecretVersionsToStages ?? {},
        };
      }
    }
  }

  async putMetrics(namespace: string, metrics: WatchMetric[], dimensions: Record<string, string>, at: Date): Promise<void> {
    await this.clients.cloudWatch.send(new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: metrics.map((m) => ({
        MetricName: m.name,
        Value: m.value,
        Unit: m.unit,
        Timestamp: at,
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      })),
    }));
  }

  async putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 10) {
      const out = await this.clients.eventBridge.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
        throw new Error(`EventBridge rejected ${out.FailedEntryCount} event(s): ${codes.join('; ')}`);
      }
    }
  }
}
