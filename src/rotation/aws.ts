/**
 * The thin AWS layer: `Gateway` implemented with the AWS SDK v3, one method a
 * call, no decisions. The SDK's error names stay in this file. Endpoints come
 * from the SDK's standard configuration (`AWS_ENDPOINT_URL`,
 * `AWS_ENDPOINT_URL_<SERVICE>`); none is hard-coded.
 */
import type { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { Metrics } from './contract';
import {
  AccessKey, Gateway, InvocationResult, KeyNotAccepted, LastUse, ListedSecret, NotFound, PermissionDenied, ReportedKey, RotationRules,
  SecretDescription, SecretVersion, SecretVersionValue,
  StackEvent, StackInfo, StackResource,
} from './gateway';
import { parseCredentialReport } from './model';

/*
 * Each SDK client's module is loaded when a path first uses it, not at the
 * cold start: a rotation step never loads CloudWatch (failures only), and STS
 * loads only in testSecret. The SDK comes from the Lambda runtime (external
 * to the bundle); require() caches each module after its first load.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const cloudFormationSdk = () => require('@aws-sdk/client-cloudformation') as typeof import('@aws-sdk/client-cloudformation');
const cloudWatchSdk = () => require('@aws-sdk/client-cloudwatch') as typeof import('@aws-sdk/client-cloudwatch');
const eventBridgeSdk = () => require('@aws-sdk/client-eventbridge') as typeof import('@aws-sdk/client-eventbridge');
const iamSdk = () => require('@aws-sdk/client-iam') as typeof import('@aws-sdk/client-iam');
const lambdaSdk = () => require('@aws-sdk/client-lambda') as typeof import('@aws-sdk/client-lambda');
const secretsManagerSdk = () =>
  require('@aws-sdk/client-secrets-manager') as typeof import('@aws-sdk/client-secrets-manager');
const stsSdk = () => require('@aws-sdk/client-sts') as typeof import('@aws-sdk/client-sts');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface AwsClients {
  readonly iam: IAMClient;
  readonly secretsManager: SecretsManagerClient;
  readonly eventBridge: EventBridgeClient;
  readonly cloudFormation: CloudFormationClient;
  readonly cloudWatch: CloudWatchClient;
  /** Delivery functions only. */
  readonly lambda: LambdaClient;
  /** STS clients are made per key under test, with that key's credentials. */
  readonly region?: string;
}

/**
 * Clients with the SDK's adaptive retry (IAM throttles with unpublished token
 * buckets), each made (and its module loaded) when first used.
 */
export function defaultClients(region?: string): AwsClients {
  const common = { region, retryMode: 'adaptive', maxAttempts: 8 };
  const made: Partial<Omit<AwsClients, 'region'>> = {};
  const once = <K extends keyof typeof made>(name: K, make: () => NonNullable<(typeof made)[K]>) => (): NonNullable<(typeof made)[K]> => {
    made[name] ??= make();
    return made[name]!;
  };
  const iam = once('iam', () => new (iamSdk().IAMClient)(common));
  const secretsManager = once('secretsManager', () => new (secretsManagerSdk().SecretsManagerClient)(common));
  const eventBridge = once('eventBridge', () => new (eventBridgeSdk().EventBridgeClient)(common));
  const cloudFormation = once('cloudFormation', () => new (cloudFormationSdk().CloudFormationClient)(common));
  const cloudWatch = once('cloudWatch', () => new (cloudWatchSdk().CloudWatchClient)(common));
  // Lambda's throttling and service errors are retried (a delivery function is idempotent: Secrets Manager retries too);
  // the function's own failure is an answer, never retried here.
  const lambda = once('lambda', () => new (lambdaSdk().LambdaClient)({ region, retryMode: 'adaptive', maxAttempts: 3 }));
  return {
    get iam() { return iam(); },
    get secretsManager() { return secretsManager(); },
    get eventBridge() { return eventBridge(); },
    get cloudFormation() { return cloudFormation(); },
    get cloudWatch() { return cloudWatch(); },
    get lambda() { return lambda(); },
    region,
  };
}

/** Secrets Manager's quota of tags per secret (tags whose key starts with `aws:` are not counted). */
const TAGS_PER_SECRET = 50;

/** STS answers these while a new key has not yet propagated (or when the pair is wrong). */
const NOT_ACCEPTED = new Set(['InvalidClientTokenId', 'SignatureDoesNotMatch', 'AccessDenied', 'UnrecognizedClientException']);

function toTagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

function errorName(e: unknown): string | undefined {
  return (e as { name?: string })?.name;
}

function isNotFound(e: unknown): boolean {
  return ['ResourceNotFoundException', 'NoSuchEntityException', 'NoSuchEntity'].includes(errorName(e) ?? '');
}

export class AwsGateway implements Gateway {
  constructor(private readonly clients: AwsClients) {}

  // ---- Secrets Manager -------------------------------------------------

  async describeSecret(secretId: string): Promise<SecretDescription> {
    try {
      const out = await this.clients.secretsManager.send(new (secretsManagerSdk().DescribeSecretCommand)({ SecretId: secretId }));
      return {
        arn: out.ARN!,
        name: out.Name!,
        rotationLambdaArn: out.RotationLambdaARN || undefined,
        tags: toTagMap(out.Tags),
        versions: out.VersionIdsToStages ?? {},
        createdAt: out.CreatedDate,
        nextRotationAt: out.NextRotationDate,
        description: out.Description,
      };
    } catch (e) {
      if (isNotFound(e)) throw new NotFound(`secret ${secretId} does not exist`);
      throw e;
    }
  }

  async getSecretString(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    try {
      const out = await this.clients.secretsManager.send(new (secretsManagerSdk().GetSecretValueCommand)({
        SecretId: secretId, VersionStage: stage, VersionId: versionId,
      }));
      return out.SecretString;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async readVersion(secretId: string, versionId: string): Promise<SecretVersionValue | undefined> {
    try {
      const { GetSecretValueCommand } = secretsManagerSdk();
      const out = await this.clients.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionId: versionId }));
      return { arn: out.ARN!, labels: out.VersionStages ?? [], value: out.SecretString };
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  async putPendingValue(secretId: string, token: string, value: string, labels: string[]): Promise<void> {
    await this.clients.secretsManager.send(new (secretsManagerSdk().PutSecretValueCommand)({
      SecretId: secretId, ClientRequestToken: token, SecretString: value, VersionStages: labels,
    }));
  }

  async moveLabel(secretId: string, label: string, toVersionId: string, fromVersionId?: string): Promise<void> {
    await this.clients.secretsManager.send(new (secretsManagerSdk().UpdateSecretVersionStageCommand)({
      SecretId: secretId, VersionStage: label, MoveToVersionId: toVersionId, RemoveFromVersionId: fromVersionId,
    }));
  }

  async removeLabel(secretId: string, label: string, fromVersionId: string): Promise<void> {
    try {
      await this.clients.secretsManager.send(new (secretsManagerSdk().UpdateSecretVersionStageCommand)({
        SecretId: secretId, VersionStage: label, RemoveFromVersionId: fromVersionId,
      }));
    } catch (e) {
      // Another run (the lifecycle, a rotation making room) removed it first: the outcome wanted.
      if (errorName(e) === 'InvalidParameterException' && !((await this.describeSecret(secretId)).versions[fromVersionId] ?? []).includes(label)) return;
      throw e;
    }
  }

  async listVersions(secretId: string): Promise<SecretVersion[]> {
    const versions: SecretVersion[] = [];
    for await (const page of secretsManagerSdk().paginateListSecretVersionIds({ client: this.clients.secretsManager }, { SecretId: secretId })) {
      for (const v of page.Versions ?? []) {
        if (v.VersionStages?.length) versions.push({ versionId: v.VersionId!, labels: v.VersionStages, createdAt: v.CreatedDate });
      }
    }
    return versions;
  }

  async tag(secretId: string, tags: Record<string, string>): Promise<void> {
    try {
      await this.clients.secretsManager.send(new (secretsManagerSdk().TagResourceCommand)({
        SecretId: secretId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }));
    } catch (e) {
      throw await this.tagProblem(secretId, Object.keys(tags), e);
    }
  }

  /** Why a TagResource failed, in words an operator can act on: most often the secret's tag quota. */
  private async tagProblem(secretId: string, keys: string[], e: unknown): Promise<Error> {
    if (isNotFound(e) || /AccessDenied/.test(errorName(e) ?? '')) return e as Error;
    const existing = await this.describeSecret(secretId).then((d) => d.tags, () => undefined);
    const added = existing ? keys.filter((k) => existing[k] === undefined) : [];
    const counted = existing ? Object.keys(existing).filter((k) => !k.startsWith('aws:')).length : 0;
    if (existing && added.length > 0 && counted + added.length > TAGS_PER_SECRET) {
      return new Error(`tagging ${secretId} with ${added.join(', ')} failed: the secret has ${counted} tags and Secrets Manager allows `
        + `${TAGS_PER_SECRET}; remove tags that are not this library's (${errorName(e)}: ${(e as Error).message})`);
    }
    return new Error(`tagging ${secretId} with ${keys.join(', ')} failed: ${errorName(e)}: ${(e as Error).message}`);
  }

  async untag(secretId: string, keys: string[]): Promise<void> {
    await this.clients.secretsManager.send(new (secretsManagerSdk().UntagResourceCommand)({ SecretId: secretId, TagKeys: keys }));
  }

  async configureRotation(secretId: string, rotationLambdaArn: string, rules: RotationRules, rotateNow: boolean): Promise<void> {
    try {
      await this.rotateSecret(secretId, rotationLambdaArn, rules, rotateNow);
    } catch (e) {
      if (/AccessDenied/.test(errorName(e) ?? '')) throw new PermissionDenied(`RotateSecret on ${secretId} denied: ${(e as Error).message}`);
      throw e;
    }
  }

  private async rotateSecret(secretId: string, rotationLambdaArn: string, rules: RotationRules, rotateNow: boolean): Promise<void> {
    await this.clients.secretsManager.send(new (secretsManagerSdk().RotateSecretCommand)({
      SecretId: secretId,
      RotationLambdaARN: rotationLambdaArn,
      RotationRules: {
        ScheduleExpression: rules.scheduleExpression,
        Duration: rules.windowHours === undefined ? undefined : `${rules.windowHours}h`,
      },
      RotateImmediately: rotateNow,
    }));
  }

  async cancelRotation(secretId: string): Promise<void> {
    try {
      await this.clients.secretsManager.send(new (secretsManagerSdk().CancelRotateSecretCommand)({ SecretId: secretId }));
    } catch (e) {
      // Rotation was not on (or the secret is gone): nothing to cancel.
      if (isNotFound(e) || errorName(e) === 'InvalidRequestException') return;
      throw e;
    }
  }

  async *listSecrets(descriptionPrefix: string): AsyncGenerator<ListedSecret> {
    const pages = secretsManagerSdk().paginateListSecrets({ client: this.clients.secretsManager, pageSize: 100 }, {
      Filters: [{ Key: 'description', Values: [descriptionPrefix] }],
    });
    for await (const page of pages) {
      for (const s of page.SecretList ?? []) {
        // Secrets Manager documents a prefix match; keep only those (moto matches words anywhere).
        if (!s.Description?.startsWith(descriptionPrefix)) continue;
        yield {
          arn: s.ARN!,
          name: s.Name,
          rotationLambdaArn: s.RotationLambdaARN || undefined,
          rotationEnabled: s.RotationEnabled === true,
          rotationRules: s.RotationRules && {
            scheduleExpression: s.RotationRules.ScheduleExpression || undefined,
            automaticallyAfterDays: s.RotationRules.AutomaticallyAfterDays || undefined,
            duration: s.RotationRules.Duration || undefined,
          },
          tags: toTagMap(s.Tags),
          versions: s.SecretVersionsToStages ?? {},
        };
      }
    }
  }

  // ---- IAM ------------------------------------------------------------

  async listAccessKeys(userName: string): Promise<AccessKey[]> {
    const keys: AccessKey[] = [];
    for await (const page of iamSdk().paginateListAccessKeys({ client: this.clients.iam }, { UserName: userName })) {
      for (const k of page.AccessKeyMetadata ?? []) {
        keys.push({ accessKeyId: k.AccessKeyId!, status: k.Status!, createdAt: k.CreateDate });
      }
    }
    return keys;
  }

  async credentialReport(attempts = 10, delayMs = 2000): Promise<Map<string, ReportedKey[]> | undefined> {
    const sdk = iamSdk();
    for (let attempt = 1; ; attempt++) {
      const generated = await this.clients.iam.send(new sdk.GenerateCredentialReportCommand({}));
      if (generated.State === 'COMPLETE') break;
      if (attempt >= attempts) return undefined;
      await new Promise((r) => setTimeout(r, delayMs));
    }
    const out = await this.clients.iam.send(new sdk.GetCredentialReportCommand({}));
    return parseCredentialReport(Buffer.from(out.Content ?? new Uint8Array()).toString('utf8'));
  }

  async createAccessKey(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const out = await this.clients.iam.send(new (iamSdk().CreateAccessKeyCommand)({ UserName: userName }));
    return { accessKeyId: out.AccessKey!.AccessKeyId!, secretAccessKey: out.AccessKey!.SecretAccessKey! };
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<boolean> {
    try {
      await this.clients.iam.send(new (iamSdk().UpdateAccessKeyCommand)({ UserName: userName, AccessKeyId: accessKeyId, Status: status }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async deleteAccessKey(userName: string, accessKeyId: string): Promise<boolean> {
    try {
      await this.clients.iam.send(new (iamSdk().DeleteAccessKeyCommand)({ UserName: userName, AccessKeyId: accessKeyId }));
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  }

  async lastUse(accessKeyId: string): Promise<LastUse> {
    try {
      const out = await this.clients.iam.send(new (iamSdk().GetAccessKeyLastUsedCommand)({ AccessKeyId: accessKeyId }));
      const used = out.AccessKeyLastUsed;
      return { gone: false, at: used?.LastUsedDate, service: used?.ServiceName, region: used?.Region };
    } catch (e) {
      if (isNotFound(e)) return { gone: true };
      throw e;
    }
  }

  // ---- STS ------------------------------------------------------------

  async callerArn(accessKeyId: string, secretAccessKey: string): Promise<string> {
    const sts = new (stsSdk().STSClient)({ region: this.clients.region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    try {
      const out = await sts.send(new (stsSdk().GetCallerIdentityCommand)({}));
      return out.Arn!;
    } catch (e) {
      if (NOT_ACCEPTED.has(errorName(e) ?? '')) throw new KeyNotAccepted(`STS does not accept key ${accessKeyId} (yet): ${errorName(e)}`);
      throw e;
    } finally {
      sts.destroy();
    }
  }

  // ---- Lambda ---------------------------------------------------------

  async invokeFunction(functionArn: string, payload: string, timeoutMs: number): Promise<InvocationResult> {
    const { InvokeCommand } = lambdaSdk();
    const out = await this.clients.lambda.send(new InvokeCommand({
      FunctionName: functionArn, InvocationType: 'RequestResponse', Payload: new TextEncoder().encode(payload),
    }), { abortSignal: AbortSignal.timeout(timeoutMs) });
    if (!out.FunctionError) return {};
    const text = out.Payload ? new TextDecoder().decode(out.Payload) : '';
    let answer: { errorType?: unknown; errorMessage?: unknown } = {};
    try {
      answer = JSON.parse(text) ?? {};
    } catch {
      // Not Lambda's error document: the text itself is the message.
    }
    const message = typeof answer.errorMessage === 'string' ? answer.errorMessage : text;
    return { failure: { type: typeof answer.errorType === 'string' ? answer.errorType : out.FunctionError, message } };
  }

  // ---- EventBridge ----------------------------------------------------

  async putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 10) {
      const out = await this.clients.eventBridge.send(new (eventBridgeSdk().PutEventsCommand)({ Entries: entries.slice(i, i + 10) }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
        throw new Error(`EventBridge rejected ${out.FailedEntryCount} audit event(s): ${codes.join('; ')}`);
      }
    }
  }

  // ---- CloudWatch -----------------------------------------------------

  async putMetric(name: string, value: number, dimensions: Record<string, string>): Promise<void> {
    await this.clients.cloudWatch.send(new (cloudWatchSdk().PutMetricDataCommand)({
      Namespace: Metrics.NAMESPACE,
      MetricData: [{
        MetricName: name,
        Value: value,
        Unit: 'Count',
        Dimensions: Object.entries(dimensions).map(([Name, Value]) => ({ Name, Value })),
      }],
    }));
  }

  // ---- CloudFormation -------------------------------------------------

  async stackResource(stackId: string, logicalId: string): Promise<StackResource | undefined> {
    try {
      const { DescribeStackResourceCommand } = cloudFormationSdk();
      const out = await this.clients.cloudFormation.send(new DescribeStackResourceCommand({ StackName: stackId, LogicalResourceId: logicalId }));
      const d = out.StackResourceDetail!;
      return {
        type: d.ResourceType!,
        physicalId: d.PhysicalResourceId || undefined,
        status: d.ResourceStatus!,
        metadata: d.Metadata ? JSON.parse(d.Metadata) : undefined,
      };
    } catch (e) {
      // CloudFormation answers a ValidationError for an unknown logical id.
      if (errorName(e) === 'ValidationError' && /does not exist/.test((e as Error).message)) return undefined;
      throw e;
    }
  }

  async stack(stackId: string): Promise<StackInfo> {
    try {
      const out = await this.clients.cloudFormation.send(new (cloudFormationSdk().DescribeStacksCommand)({ StackName: stackId }));
      const s = out.Stacks![0];
      return { status: s.StackStatus!, createdAt: s.CreationTime!, updatedAt: s.LastUpdatedTime };
    } catch (e) {
      if (errorName(e) === 'ValidationError') throw new NotFound(`stack ${stackId} does not exist`);
      throw e;
    }
  }

  async *listStackResources(stackId: string): AsyncGenerator<StackResource & { logicalId: string }> {
    for await (const page of cloudFormationSdk().paginateListStackResources({ client: this.clients.cloudFormation }, { StackName: stackId })) {
      for (const r of page.StackResourceSummaries ?? []) {
        yield { logicalId: r.LogicalResourceId!, type: r.ResourceType!, physicalId: r.PhysicalResourceId || undefined, status: r.ResourceStatus! };
      }
    }
  }

  async *stackEvents(stackId: string): AsyncGenerator<StackEvent> {
    for await (const page of cloudFormationSdk().paginateDescribeStackEvents({ client: this.clients.cloudFormation }, { StackName: stackId })) {
      for (const e of page.StackEvents ?? []) {
        yield {
          logicalId: e.LogicalResourceId!,
          physicalId: e.PhysicalResourceId || undefined,
          resourceType: e.ResourceType!,
          status: e.ResourceStatus!,
          timestamp: e.Timestamp!,
        };
      }
    }
  }
}
