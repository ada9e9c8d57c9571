/**
 * The CLI's AWS layer: the rotation function's own gateway (so a state
 * means the same to both), with the standard credential chain, --profile,
 * --region (or AWS_REGION, AWS_DEFAULT_REGION, the profile's region) and
 * --endpoint-url, and the few calls only operators make. A secret is named
 * by its name, its ARN, or its name with Secrets Manager's random suffix (as
 * the ARN ends, and as `status` shows it).
 * Every error carries the IAM action that raised it, for the one-line report.
 */
import { CloudFormationClient, paginateListStackResources } from '@aws-sdk/client-cloudformation';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { GenerateCredentialReportCommand, GetCredentialReportCommand, IAMClient } from '@aws-sdk/client-iam';
import { GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, RotateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { AwsGateway } from '../rotation/aws';
import { NotFound } from '../rotation/gateway';

export interface ConnectionOptions {
  readonly profile?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
}

interface Sendable {
  middlewareStack: { add(middleware: unknown, options: { step: 'initialize'; name: string }): void };
}

/** Marks every error of a client with the IAM action of the call that raised it. */
function tagActions<T extends Sendable>(client: T, service: string): T {
  client.middlewareStack.add((next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
    try {
      return await next(args);
    } catch (e) {
      if (e && typeof e === 'object' && !('$action' in e)) {
        Object.assign(e, { $action: `${service}:${(context.commandName ?? '').replace(/Command$/, '')}` });
      }
      throw e;
    }
  }, { step: 'initialize', name: 'cliActionOfErrors' });
  return client;
}

/** The end of a secret's ARN: its name, a hyphen and six random letters and digits. */
const SUFFIXED = /^(.+)-[A-Za-z0-9]{6}$/;

/**
 * The region as the AWS CLI chooses it: --region, then AWS_REGION, then
 * AWS_DEFAULT_REGION; undefined leaves it to the SDK, which reads the
 * profile's (--profile, or AWS_PROFILE).
 */
export function regionOf(option: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  return option || env.AWS_REGION || env.AWS_DEFAULT_REGION || undefined;
}

export class CliAws extends AwsGateway {
  static connect(options: ConnectionOptions): CliAws {
    const region = regionOf(options.region, process.env);
    const common = {
      region,
      profile: options.profile,
      endpoint: options.endpointUrl,
      retryMode: 'standard',
      maxAttempts: 4,
    };
    return new CliAws({
      // IAM throttles with unpublished token buckets (discover lists every user's keys): the SDK's adaptive retry.
      iam: tagActions(new IAMClient({ ...common, retryMode: 'adaptive' }), 'iam'),
      secretsManager: tagActions(new SecretsManagerClient(common), 'secretsmanager'),
      eventBridge: tagActions(new EventBridgeClient(common), 'events'),
      cloudFormation: tagActions(new CloudFormationClient(common), 'cloudformation'),
      cloudWatch: tagActions(new CloudWatchClient(common), 'cloudwatch'),
      lambda: tagActions(new LambdaClient(common), 'lambda'),
      sts: tagActions(new STSClient(common), 'sts'),
      region,
    });
  }

  private constructor(private readonly cli: ConstructorParameters<typeof AwsGateway>[0] & { lambda: LambdaClient; sts: STSClient }) {
    super(cli);
  }

  /** A secret by its name, ARN, or name with Secrets Manager's suffix. @throws NotFound */
  async describeSecret(secretId: string) {
    return this.bySuffixedName(secretId, (id) => super.describeSecret(id));
  }

  /**
   * `read(secretId)`; when no secret has that name and it ends as an ARN
   * does, `read` of the ARN of the secret named without the suffix, if that
   * ARN ends with the whole id (never another secret of a similar name,
   * whose value is never read: `DescribeSecret` tells, which grantRead allows).
   */
  private async bySuffixedName<T>(secretId: string, read: (id: string) => Promise<T>): Promise<T> {
    try {
      return await read(secretId);
    } catch (e) {
      const name = SUFFIXED.exec(secretId)?.[1];
      if (!(e instanceof NotFound) || !name || secretId.startsWith('arn:')) throw e;
      const named = await super.describeSecret(name).catch((again) => {
        throw again instanceof NotFound ? e : again;
      });
      if (!named.arn.endsWith(`:secret:${secretId}`)) throw e;
      return read(named.arn);
    }
  }

  /** The environment variables of a function (the rotator's name its stack and registry). @throws NotFound */
  async functionEnvironment(functionArn: string): Promise<Record<string, string>> {
    try {
      const out = await this.cli.lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionArn }));
      return out.Environment?.Variables ?? {};
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') throw new NotFound(`function ${functionArn} does not exist`);
      throw e;
    }
  }

  /** The Lambda functions a stack declares, by logical id. @throws NotFound */
  async stackFunctions(stack: string): Promise<{ logicalId: string; physicalId?: string }[]> {
    const out: { logicalId: string; physicalId?: string }[] = [];
    try {
      for await (const page of paginateListStackResources({ client: this.cli.cloudFormation }, { StackName: stack })) {
        for (const r of page.StackResourceSummaries ?? []) {
          if (r.ResourceType === 'AWS::Lambda::Function') out.push({ logicalId: r.LogicalResourceId!, physicalId: r.PhysicalResourceId || undefined });
        }
      }
    } catch (e) {
      if ((e as Error).name === 'ValidationError' && /does not exist/.test((e as Error).message)) throw new NotFound(`stack ${stack} does not exist`);
      throw e;
    }
    return out;
  }

  /** Starts a rotation now, with the secret's configured function and schedule. */
  async rotateNow(secretId: string): Promise<string | undefined> {
    const out = await this.cli.secretsManager.send(new RotateSecretCommand({ SecretId: secretId }));
    return out.VersionId;
  }

  /** The secret's AWSCURRENT value (the only read `grantRead` allows). @throws NotFound */
  async currentValue(secretId: string): Promise<{ arn: string; value?: string }> {
    return this.bySuffixedName(secretId, (id) => this.currentValueOf(id));
  }

  private async currentValueOf(secretId: string): Promise<{ arn: string; value?: string }> {
    try {
      const out = await this.cli.secretsManager.send(new GetSecretValueCommand({ SecretId: secretId, VersionStage: 'AWSCURRENT' }));
      return { arn: out.ARN!, value: out.SecretString };
    } catch (e) {
      if ((e as Error).name === 'ResourceNotFoundException') throw new NotFound(`secret ${secretId} does not exist`);
      throw e;
    }
  }

  /**
   * IAM's credential report as CSV, with the time IAM generated it: GenerateCredentialReport until IAM
   * answers COMPLETE (it answers STARTED while it builds one; a report younger than 4 hours is reused),
   * then one GetCredentialReport. Undefined when it is still not complete after `attempts` calls.
   */
  async credentialReportCsv(attempts = 12, firstDelayMs = 500): Promise<{ csv: string; generatedAt?: Date } | undefined> {
    for (let attempt = 1, delay = firstDelayMs; ; attempt++, delay = Math.min(delay * 2, 5000)) {
      const generated = await this.cli.iam.send(new GenerateCredentialReportCommand({}));
      if (generated.State === 'COMPLETE') break;
      if (attempt >= attempts) return undefined;
      await new Promise((r) => setTimeout(r, delay));
    }
    const out = await this.cli.iam.send(new GetCredentialReportCommand({}));
    return { csv: Buffer.from(out.Content ?? new Uint8Array()).toString('utf8'), generatedAt: out.GeneratedTime };
  }

  /** Who the credentials are (recorded in an operator's hold). */
  async callerIdentity(): Promise<string> {
    const out = await this.cli.sts.send(new GetCallerIdentityCommand({}));
    return out.Arn!;
  }
}
