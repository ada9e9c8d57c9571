/**
 * The lifecycle run with nothing due, ours against the account-wide scan
 * other rotators make (ListUsers, then ListAccessKeys and
 * GetAccessKeyLastUsed for every user), on the same moto server with the
 * same SDK, the same client settings (adaptive retry) and the same
 * concurrency. API calls are counted client-side by SDK middleware, as the
 * demo counts them.
 *
 * The account grows between sizes (100, then 900 more, then 4,000 more):
 * fixtures are made once, with bounded concurrency, and reused by every run.
 */
import {
  CreateAccessKeyCommand, CreateUserCommand, IAMClient, paginateListAccessKeys, paginateListUsers, GetAccessKeyLastUsedCommand,
} from '@aws-sdk/client-iam';
import { CreateSecretCommand, RotateSecretCommand, SecretsManagerClient, UpdateSecretVersionStageCommand } from '@aws-sdk/client-secrets-manager';
import type { InitializeMiddleware, MetadataBearer } from '@smithy/types';
import { PromisePool } from '@supercharge/promise-pool';
import { AwsGateway, defaultClients } from '../src/rotation/aws';
import { Defaults, Registration, secretDescription, Tags } from '../src/rotation/contract';
import { encodeFields } from '../src/rotation/model';
import { StackRegistrySource } from '../src/rotation/registry';
import { Rotator } from '../src/rotation/rotator';
import { FUNCTION_LOGICAL_ID } from '../test/support/cloudformation';
import type { MotoServer } from '../test/support/moto';
import { registration, World } from '../test/support/world';

const DAY_MS = 86_400_000;
/** Fixtures are made this many calls at a time. */
const FIXTURE_CONCURRENCY = 8;

/** Counts every SDK call made through a client, by `Service.Operation`. */
export function countCalls<T extends { middlewareStack: { add: (m: InitializeMiddleware<object, MetadataBearer>, o: { step: 'initialize' }) => void } }>(
  client: T, service: string, into: string[],
): T {
  client.middlewareStack.add((next, context) => async (args) => {
    into.push(`${service}.${context.commandName?.replace(/Command$/, '')}`);
    return next(args);
  }, { step: 'initialize' });
  return client;
}

/**
 * An account in moto with `size` users, each with one key held by the
 * AWSCURRENT version of its registered secret, whose rotation is set up as a
 * deployment leaves it (this function, the registry's schedule): a run checks
 * every secret's set-up and finds nothing to put back.
 */
export class LifecycleAccount {
  readonly registrations: Registration[] = [];
  private readonly iam = new IAMClient({});
  private readonly secretsManager = new SecretsManagerClient({});
  private readonly world = new World();
  /** The rotation function every secret rotates through (moto registers it without running it). */
  functionArn = '';

  constructor(private readonly moto: MotoServer) {}

  get size(): number {
    return this.registrations.length;
  }

  /** Adds users up to `size`, and deploys the registry of all of them. */
  async growTo(size: number): Promise<void> {
    this.functionArn ||= await this.world.rotationFunctionArn();
    const indexes = Array.from({ length: Math.max(0, size - this.size) }, (_, i) => this.size + i);
    const { results, errors } = await PromisePool.withConcurrency(FIXTURE_CONCURRENCY).for(indexes).process((i) => this.addUser(i));
    if (errors.length > 0) throw errors[0].raw;
    this.registrations.push(...results.sort((a, b) => a.secretArn.localeCompare(b.secretArn)));
    this.moto.cloudFormation.deployRegistry(this.registrations);
  }

  private async addUser(i: number): Promise<Registration> {
    const userName = `bench-user-${String(i).padStart(5, '0')}`;
    const user = await this.iam.send(new CreateUserCommand({ UserName: userName }));
    const key = (await this.iam.send(new CreateAccessKeyCommand({ UserName: userName }))).AccessKey!;
    const now = new Date().toISOString();
    const secret = await this.secretsManager.send(new CreateSecretCommand({
      Name: `access-keys/${userName}`,
      Description: secretDescription(userName),
      SecretString: JSON.stringify({ userName, accessKeyId: key.AccessKeyId, secretAccessKey: key.SecretAccessKey, createdAt: now }),
      Tags: [{ Key: Tags.CURRENT_KEY, Value: encodeFields({ 'id': key.AccessKeyId, 'promoted-at': now }) }],
    }));
    // The key label: what proves which key a version holds.
    await this.secretsManager.send(new UpdateSecretVersionStageCommand({
      SecretId: secret.ARN, VersionStage: key.AccessKeyId, MoveToVersionId: secret.VersionId,
    }));
    const entry = registration(secret.ARN!, user.User!.Arn!);
    await this.secretsManager.send(new RotateSecretCommand({
      SecretId: secret.ARN,
      RotationLambdaARN: this.functionArn,
      RotationRules: { ScheduleExpression: entry.scheduleExpression },
      RotateImmediately: false,
    }));
    return entry;
  }
}

export interface LifecycleRun {
  readonly calls: string[];
  readonly summary?: unknown;
}

/** Our lifecycle run, as a cold start of the function makes it (the registry read included), its rotation set-up check on. */
/**
 * @param daily the run is the first of the day (just after midnight UTC): it also reads IAM's credential report
 *   and checks every registered secret's current key against it
 */
export async function ourLifecycle(moto: MotoServer, functionArn: string, daily = false): Promise<LifecycleRun> {
  const calls: string[] = [];
  const clients = defaultClients('us-east-1');
  countCalls(clients.iam, 'IAM', calls);
  countCalls(clients.secretsManager, 'SecretsManager', calls);
  countCalls(clients.eventBridge, 'EventBridge', calls);
  countCalls(clients.cloudFormation, 'CloudFormation', calls);
  countCalls(clients.cloudWatch, 'CloudWatch', calls);
  const gateway = new AwsGateway(clients);
  const cfn = moto.cloudFormation;
  const rotator = new Rotator({
    gateway,
    // Ten minutes past today's midnight UTC: before the fixtures' keys were made, so no transition is due.
    clock: daily ? () => new Date(Math.floor(Date.now() / DAY_MS) * DAY_MS + 600_000) : () => new Date(),
    logSink: { write: () => undefined },
    registry: new StackRegistrySource(gateway, { stackId: cfn.stackId, logicalId: FUNCTION_LOGICAL_ID, digest: cfn.digest }),
    stackId: cfn.stackId,
    lifecycleConcurrency: Defaults.lifecycleConcurrency,
    keyCheckWindowSeconds: daily ? 3600 : undefined,
  });
  const summary = await rotator.lifecycle(functionArn);
  const s = summary as unknown as { failed: number; secrets: number; restored: number };
  if (s.failed > 0) throw new Error(`the lifecycle failed on ${s.failed} secret(s)`);
  if (s.restored > 0) throw new Error(`the lifecycle put back the rotation set-up of ${s.restored} secret(s) the fixture set up as deployed`);
  return { calls, summary };
}

/**
 * The baseline: the account-wide scan of other rotators. Every user, every
 * key, and when each key was last used — the least such a scan reads to
 * decide anything about a key's age or use.
 */
export async function baselineScan(): Promise<LifecycleRun> {
  const calls: string[] = [];
  const iam = countCalls(defaultClients('us-east-1').iam, 'IAM', calls);
  const users: string[] = [];
  for await (const page of paginateListUsers({ client: iam, pageSize: 100 }, {})) users.push(...(page.Users ?? []).map((u) => u.UserName!));
  const { errors } = await PromisePool.withConcurrency(Defaults.lifecycleConcurrency).for(users).process(async (userName) => {
    for await (const page of paginateListAccessKeys({ client: iam }, { UserName: userName })) {
      for (const key of page.AccessKeyMetadata ?? []) {
        await iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: key.AccessKeyId }));
      }
    }
  });
  if (errors.length > 0) throw errors[0].raw;
  return { calls };
}
