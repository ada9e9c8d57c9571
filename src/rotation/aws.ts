/**
 * The thin AWS layer: every call the rotation function (and later the CLI)
 * makes to IAM, STS, Secrets Manager and EventBridge, one method each, no
 * decisions. Endpoints come from the SDK's standard configuration
 * (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`); none is hard-coded.
 */
import { EventBridgeClient, PutEventsCommand, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  CreateAccessKeyCommand, DeleteAccessKeyCommand, GetAccessKeyLastUsedCommand, GetUserCommand,
  IAMClient, paginateListAccessKeys, UpdateAccessKeyCommand,
} from '@aws-sdk/client-iam';
import {
  DescribeSecretCommand, GetSecretValueCommand, paginateListSecrets, PutSecretValueCommand, RotateSecretCommand,
  SecretsManagerClient, TagResourceCommand, UntagResourceCommand, UpdateSecretVersionStageCommand,
} from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AccessKey, ManagedSecret, Tags } from './model';

export interface AwsClients {
  readonly iam: IAMClient;
  readonly secretsManager: SecretsManagerClient;
  readonly eventBridge: EventBridgeClient;
  /** STS clients are made per key under test, with that key's credentials. */
  readonly region?: string;
}

/** Clients with the SDK's adaptive retry: IAM throttles with unpublished token buckets. */
export function defaultClients(region?: string): AwsClients {
  const common = { region, retryMode: 'adaptive', maxAttempts: 8 };
  return {
    iam: new IAMClient(common),
    secretsManager: new SecretsManagerClient(common),
    eventBridge: new EventBridgeClient(common),
    region,
  };
}

export interface SecretDescription extends ManagedSecret {
  readonly name: string;
  /** The function Secrets Manager calls to rotate the secret, if one is configured. */
  readonly rotationLambdaArn?: string;
}

function toTagMap(tags: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

function errorName(e: unknown): string | undefined {
  return (e as { name?: string })?.name;
}

export class AwsGateway {
  constructor(private readonly clients: AwsClients) {}

  // ---- Secrets Manager -------------------------------------------------

  async describeSecret(secretId: string): Promise<SecretDescription> {
    const out = await this.clients.secretsManager.send(new DescribeSecretCommand({ SecretId: secretId }));
    return {
      arn: out.ARN!,
      name: out.Name!,
      rotationLambdaArn: out.RotationLambdaARN || undefined,
      tags: toTagMap(out.Tags),
      versions: out.VersionIdsToStages ?? {},
    };
  }

  /** The value of a version; `undefined` when the version has no value (Secrets Manager's pending placeholder). */
  async getSecretString(secretId: string, stage: string, versionId?: string): Promise<string | undefined> {
    try {
      const out = await this.clients.secretsManager.send(new GetSecretValueCommand({
        SecretId: secretId, VersionStage: stage, VersionId: versionId,
      }));
      return out.SecretString;
    } catch (e) {
      if (errorName(e) === 'ResourceNotFoundException') return undefined;
      throw e;
    }
  }

  async putPendingValue(secretId: string, token: string, value: string): Promise<void> {
    await this.clients.secretsManager.send(new PutSecretValueCommand({
      SecretId: secretId, ClientRequestToken: token, SecretString: value, VersionStages: ['AWSPENDING'],
    }));
  }

  async moveStage(secretId: string, stage: string, toVersionId: string, fromVersionId?: string): Promise<void> {
    await this.clients.secretsManager.send(new UpdateSecretVersionStageCommand({
      SecretId: secretId, VersionStage: stage, MoveToVersionId: toVersionId, RemoveFromVersionId: fromVersionId,
    }));
  }

  async removeStage(secretId: string, stage: string, fromVersionId: string): Promise<void> {
    await this.clients.secretsManager.send(new UpdateSecretVersionStageCommand({
      SecretId: secretId, VersionStage: stage, RemoveFromVersionId: fromVersionId,
    }));
  }

  async tag(secretId: string, tags: Record<string, string>): Promise<void> {
    await this.clients.secretsManager.send(new TagResourceCommand({
      SecretId: secretId, Tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
    }));
  }

  async untag(secretId: string, keys: string[]): Promise<void> {
    await this.clients.secretsManager.send(new UntagResourceCommand({ SecretId: secretId, TagKeys: keys }));
  }

  /**
   * Starts a rotation now with the secret's rotation function (Secrets Manager
   * then calls its four steps); returns the new version's token.
   */
  async rotateNow(secretId: string, rotationLambdaArn: string): Promise<string | undefined> {
    const out = await this.clients.secretsManager.send(new RotateSecretCommand({
      SecretId: secretId, RotationLambdaARN: rotationLambdaArn, RotateImmediately: true,
    }));
    return out.VersionId;
  }

  /** Every secret this library manages (tagged with the user), following every page. */
  async *listManagedSecrets(): AsyncGenerator<ManagedSecret> {
    const pages = paginateListSecrets({ client: this.clients.secretsManager, pageSize: 100 }, {
      Filters: [{ Key: 'tag-key', Values: [Tags.USER] }],
    });
    for await (const page of pages) {
      for (const s of page.SecretList ?? []) {
        const tags = toTagMap(s.Tags);
        // The filter matches prefixes; keep only exact tag keys.
        if (tags[Tags.USER] === undefined) continue;
        yield { arn: s.ARN!, tags, versions: s.SecretVersionsToStages ?? {} };
      }
    }
  }

  // ---- IAM ------------------------------------------------------------

  async listAccessKeys(userName: string): Promise<AccessKey[]> {
    const keys: AccessKey[] = [];
    for await (const page of paginateListAccessKeys({ client: this.clients.iam }, { UserName: userName })) {
      for (const k of page.AccessKeyMetadata ?? []) {
        keys.push({ accessKeyId: k.AccessKeyId!, status: k.Status!, createdAt: k.CreateDate });
      }
    }
    return keys;
  }

  /** The only call that ever returns a secret access key. */
  async createAccessKey(userName: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
    const out = await this.clients.iam.send(new CreateAccessKeyCommand({ UserName: userName }));
    return { accessKeyId: out.AccessKey!.AccessKeyId!, secretAccessKey: out.AccessKey!.SecretAccessKey! };
  }

  async setAccessKeyStatus(userName: string, accessKeyId: string, status: 'Active' | 'Inactive'): Promise<void> {
    await this.clients.iam.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status }));
  }

  /** Deletes a key; `false` when it was already gone. */
  async deleteAccessKey(userName: string, accessKeyId: string): Promise<boolean> {
    try {
      await this.clients.iam.send(new DeleteAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId }));
      return true;
    } catch (e) {
      if (errorName(e) === 'NoSuchEntityException') return false;
      throw e;
    }
  }

  async accessKeyLastUsed(accessKeyId: string): Promise<Date | undefined> {
    const out = await this.clients.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId }));
    return out.AccessKeyLastUsed?.LastUsedDate;
  }

  async userArn(userName: string): Promise<string> {
    const out = await this.clients.iam.send(new GetUserCommand({ UserName: userName }));
    return out.User!.Arn!;
  }

  // ---- STS ------------------------------------------------------------

  /** Who AWS says a key pair is: proves the key works. One attempt; the caller retries. */
  async callerArn(accessKeyId: string, secretAccessKey: string): Promise<string> {
    const sts = new STSClient({ region: this.clients.region, credentials: { accessKeyId, secretAccessKey }, maxAttempts: 1 });
    try {
      const out = await sts.send(new GetCallerIdentityCommand({}));
      return out.Arn!;
    } finally {
      sts.destroy();
    }
  }

  // ---- EventBridge ----------------------------------------------------

  async putEvents(entries: PutEventsRequestEntry[]): Promise<void> {
    for (let i = 0; i < entries.length; i += 10) {
      const out = await this.clients.eventBridge.send(new PutEventsCommand({ Entries: entries.slice(i, i + 10) }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).filter((e) => e.ErrorCode).map((e) => `${e.ErrorCode}: ${e.ErrorMessage}`);
        throw new Error(`EventBridge rejected ${out.FailedEntryCount} audit event(s): ${codes.join('; ')}`);
      }
    }
  }
}
