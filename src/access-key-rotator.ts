/**
 * The shared rotation function: one per stack, created on first use. It runs
 * Secrets Manager's rotation steps for every registered secret, the hourly
 * lifecycle of old keys, and the removal of managed keys; its role may touch
 * the registered users' keys and secrets and nothing else.
 *
 * It also owns the stack's registry: which secret belongs to which user, with
 * what configuration, written into the function's CloudFormation Metadata so
 * that only a stack update can change what the function acts on.
 */
import { createHash } from 'crypto';
import { Annotations, Aspects, Aws, CfnResource, CustomResource, Duration, Fn, IAspect, Lazy, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct, IConstruct, IDependable } from 'constructs';
import { accessKeyEventRule } from './access-key-event-rule';
import { member } from './member-names';
import { suppressNagFindings } from './nag-suppressions';
import {
  DEPARTURE_FIELD_SEPARATOR, DEPARTURES_RESOURCE_TYPE, DEPARTURES_SEPARATOR, DeparturesAttributes, DeparturesProperties, Env, EVENT_SOURCE,
  FUNCTION_TAGGED_KEYS, FUNCTION_UNTAGGED_KEYS, Limits, LIFECYCLE_ACTION, Metrics, Registration, RegistryDocument, REGISTRY_METADATA_KEY,
  REGISTRY_VERSION,
} from './rotation/contract';
import { RotationFunction } from './rotation-function';
import { CheckRouteOut } from './rotator-network';

/**
 * IAM's limit on one managed policy's size (6,144 characters), less room for
 * the statements themselves: the ARNs of the registered users and secrets fill
 * the rest, as the resources of two statements per policy.
 */
const ARN_BUDGET_PER_POLICY = 6144 - 900;
/** A KMS key's ARN, once deployed (the partition, region and account at their longest, and the key's UUID). */
const KMS_KEY_ARN_LENGTH = 'arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/'.length + 36;
/** The KMS statement without its keys, as IAM counts it (white space is not counted). */
const KMS_STATEMENT_LENGTH = 300;
/** A delivery function's ARN at its longest (a 64-character name and a 128-character qualifier). */
const FUNCTION_ARN_LENGTH = 'arn:aws-us-gov:lambda:us-gov-west-1:123456789012:function:'.length + 64 + 1 + 128;
/** The delivery statement's own characters. */
const DELIVERY_STATEMENT_LENGTH = 80;
/** IAM attaches at most 10 managed policies to a role unless the quota is raised (to 20). */
const MANAGED_POLICIES_PER_ROLE = 10;

/**
 * The first lifecycle run of each UTC day checks the current keys against IAM's credential report: the runs
 * within this many seconds after midnight, one lifecycle period (a `rate` schedule's; an hour for a cron).
 */
function keyCheckWindowSeconds(schedule: events.Schedule | undefined): number {
  const rate = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(schedule?.expressionString ?? 'rate(1 hour)');
  if (!rate) return 3600;
  const unit = rate[2].startsWith('minute') ? 60 : rate[2].startsWith('hour') ? 3600 : 86400;
  return Math.min(Number(rate[1]) * unit, 86400);
}

/**
 * Properties of the shared rotation function.
 */
export interface AccessKeyRotatorProps {
  /**
   * How often the lifecycle of old keys runs (deactivate, then delete, when due).
   *
   * @default Schedule.rate(Duration.hours(1))
   */
  readonly lifecycleSchedule?: events.Schedule;

  /**
   * Transitions one lifecycle run carries out at once (IAM throttles), 1 to 20.
   *
   * @default 4
   */
  readonly lifecycleConcurrency?: number;

  /**
   * The event bus that receives the audit events.
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * Where the alarm on rotation and lifecycle failures notifies.
   *
   * @default - the alarm has no action
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * How long the function's logs are kept.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Maximum run time of one invocation, 1 to 15 minutes. A registration's
   * creation waits up to this, less 30 seconds, for its first rotation to put
   * a key in its secret, and fails when it does not: a deployment never ends
   * with a secret that holds no key.
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;

  /**
   * The VPC to place the function in. Its subnets need a route to IAM, STS,
   * Secrets Manager, EventBridge, CloudWatch, CloudFormation and S3: a NAT
   * route, or VPC endpoints (IAM's interface endpoint exists only in IAM's
   * control-plane Region, us-east-1 in the aws partition). Synth warns
   * (`cdk-rotating-access-keys:noRouteOut`) when the subnets have no route
   * out and an endpoint is missing.
   *
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;

  /**
   * Subnets of `vpc` for the function.
   *
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;

  /**
   * Security groups of the function in `vpc`.
   *
   * @default - a security group is created
   */
  readonly securityGroups?: ec2.ISecurityGroup[];
}

/**
 * A rule on the library's audit events.
 */
export interface AccessKeyEventRuleOptions extends events.OnEventOptions {
  /**
   * The detail types to match: values of `AccessKeyEvents` (for example
   * `AccessKeyEvents.NEEDS_ATTENTION`).
   *
   * @default AccessKeyEvents.ALL - every event the library sends
   */
  readonly eventTypes?: string[];
}

/**
 * One registration as the rotating-key constructs hand it to the rotator.
 *
 * @internal
 */
export interface RegistrationRequest {
  readonly user: iam.IUser;
  readonly secret: secretsmanager.ISecret;
  readonly encryptionKey?: kms.IKey;
  /** The registration's delivery function: the rotation function may invoke it. */
  readonly deliveryFunction?: lambda.IFunction;
  /** The registry entry, with the secret's and the user's ARNs as tokens CloudFormation resolves. */
  readonly entry: Registration;
}

/**
 * The rotation function shared by every rotating access key of a stack.
 *
 * Created on demand, with default properties, by the stack's first
 * `RotatingAccessKey` or `RotatingAccessKeyUser` (`AccessKeyRotator.of`). To
 * configure it, call `AccessKeyRotator.configure(stack, props)` before the
 * first key of the stack. A stack may hold more rotators (in another VPC, say)
 * for the keys that name them in their `rotator` prop; a rotator that serves
 * no key fails the synthesis.
 */
export class AccessKeyRotator extends Construct {
  /** The id under which the stack's shared rotator lives. */
  public static readonly ID = 'AccessKeyRotator';

  /**
   * The stack's shared rotator, created with default properties when the stack has none.
   */
  public static of(scope: Construct): AccessKeyRotator {
    const existing = AccessKeyRotator.sharedOf(Stack.of(scope));
    return existing ?? new AccessKeyRotator(Stack.of(scope), AccessKeyRotator.ID);
  }

  /**
   * Creates the stack's shared rotator with these properties: every rotating
   * key of the stack that names no `rotator` uses it. Call it once, before the
   * stack's first `RotatingAccessKey` or `RotatingAccessKeyUser` (the first key
   * creates a default rotator when there is none); it throws when the stack
   * already has its shared rotator.
   */
  public static configure(scope: Construct, props: AccessKeyRotatorProps = {}): AccessKeyRotator {
    return new AccessKeyRotator(Stack.of(scope), AccessKeyRotator.ID, props);
  }

  /** The stack's shared rotator, if it has one. */
  private static sharedOf(stack: Stack): AccessKeyRotator | undefined {
    const existing = stack.node.tryFindChild(AccessKeyRotator.ID);
    if (existing && !(existing instanceof AccessKeyRotator)) {
      throw new Error(`the stack's child '${AccessKeyRotator.ID}' is not an AccessKeyRotator; pass a rotator explicitly`);
    }
    return existing;
  }

  /**
   * The scope, once it is known not to hold the stack's shared rotator already
   * when this one would be it: runs before the construct is added to the tree,
   * so the user gets this error instead of a clash of construct ids.
   */
  private static checkedScope(scope: Construct, id: string): Construct {
    if (id === AccessKeyRotator.ID && Stack.isStack(scope)) {
      const existing = AccessKeyRotator.sharedOf(scope);
      if (existing) {
        throw new Error(`the stack ${scope.node.path} already has its shared AccessKeyRotator (${existing.node.path}), created with default `
          + 'properties by its first RotatingAccessKey or RotatingAccessKeyUser, or by an earlier call: call AccessKeyRotator.configure(stack, props) '
          + 'once, before the first RotatingAccessKey of the stack');
      }
    }
    return scope;
  }

  /** The rotation function. */
  public readonly function: lambda.IFunction;

  /** The alarm on rotation and lifecycle failures (the function's errors). */
  public readonly alarm: cloudwatch.IAlarm;

  /** The rule that runs the lifecycle on its schedule. */
  public readonly lifecycleRule: events.IRule;

  /** The event bus that receives the audit events. */
  public readonly eventBus: events.IEventBus;

  private readonly role: iam.Role;
  private readonly guards: iam.Policy;
  private readonly departures: CustomResource;
  private readonly customBus: boolean;
  private readonly registrations: RegistrationRequest[] = [];
  private readonly policies: RegistrationPolicy[] = [];
  private registryCache?: { readonly count: number; readonly document: RegistryDocument };

  constructor(scope: Construct, id: string, props: AccessKeyRotatorProps = {}) {
    super(AccessKeyRotator.checkedScope(scope, id), id);
    validateRotatorProps(props);
    this.node.addValidation({ validate: () => this.servesNoKey() });

    // The role's own statements are an inline policy of the role itself (no separate policy resource):
    // the function has them from its creation on.
    const own = new iam.PolicyDocument();
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Rotates the access keys of the users registered with this stack\'s AccessKeyRotator',
      inlinePolicies: { Rotation: own },
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR });
    own.addStatements(new iam.PolicyStatement({
      sid: 'WriteOwnLogs',
      actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
      resources: [logGroup.logGroupArn],
    }));
    if (props.vpc) {
      this.role.addManagedPolicy(iam.ManagedPolicy.fromAwsManagedPolicyName('service-role/AWSLambdaVPCAccessExecutionRole'));
      suppressNagFindings(this.role, [{
        id: 'AwsSolutions-IAM4',
        reason: 'A function in a VPC must create, describe and delete its network interfaces, which EC2 cannot scope to resources; '
          + 'AWSLambdaVPCAccessExecutionRole is the policy AWS maintains for that (and for writing logs), attached only when vpc is set',
        appliesTo: ['Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole'],
      }]);
    }

    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.eventBus = eventBus;
    this.customBus = props.eventBus !== undefined;
    const timeout = props.timeout ?? Duration.minutes(5);
    const fn: RotationFunction = new RotationFunction(this, 'Function', {
      description: 'Rotates IAM access keys kept in Secrets Manager, and retires old keys',
      role: this.role,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      retryAttempts: 0,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: props.securityGroups,
      environment: {
        [Env.EVENT_BUS_NAME]: eventBus.eventBusName,
        [Env.LIFECYCLE_CONCURRENCY]: String(props.lifecycleConcurrency ?? 4),
        [Env.STACK_ID]: Aws.STACK_ID,
        [Env.REGISTRY_RESOURCE]: Lazy.string({ produce: (): string => Stack.of(this).getLogicalId(fn.node.defaultChild as CfnResource) }),
        [Env.REGISTRY_DIGEST]: Lazy.string({ produce: () => this.registry().digest }),
        [Env.FIRST_ROTATION_WAIT]: Lazy.string({ produce: () => String(timeout.isUnresolved() ? 270 : Math.max(30, timeout.toSeconds() - 30)) }),
        [Env.KEY_CHECK_WINDOW]: String(keyCheckWindowSeconds(props.lifecycleSchedule)),
      },
    });
    this.function = fn;
    if (props.vpc) Aspects.of(this).add(new CheckRouteOut(this, fn, props.vpc, props.vpcSubnets));
    // The registry: resolved by CloudFormation at deploy time, read by the function with DescribeStackResource.
    const fnResource = fn.node.defaultChild as CfnResource;
    fnResource.addMetadata(REGISTRY_METADATA_KEY, Lazy.any({ produce: () => this.registry() }));
    // aws-cdk-lib makes every Function depend on its role (for the role's policy resources, which this
    // role does not have: its own statements are inline), and the Role property's GetAtt already
    // orders the two: cfn-lint's W3005 (redundant DependsOn) on that one entry says nothing to act on.
    fnResource.addMetadata('cfn-lint', { config: { ignore_checks: ['W3005'] } });
    own.addStatements(new iam.PolicyStatement({
      sid: 'ReadOwnStack',
      actions: ['cloudformation:DescribeStackResource', 'cloudformation:DescribeStacks', 'cloudformation:DescribeStackEvents', 'cloudformation:ListStackResources'],
      resources: [Aws.STACK_ID],
    }));
    own.addStatements(new iam.PolicyStatement({
      sid: 'PutAuditEvents',
      actions: ['events:PutEvents'],
      resources: [eventBus.eventBusArn],
      conditions: { 'ForAllValues:StringEquals': { 'events:source': [EVENT_SOURCE] } },
    }));
    fn.addPermission('InvokedBySecretsManager', {
      principal: new iam.ServicePrincipal('secretsmanager.amazonaws.com'),
      sourceAccount: Stack.of(this).account,
    });

    // Listing secrets and putting metrics have no resource-level permission; everything else is scoped.
    own.addStatements(new iam.PolicyStatement({
      sid: 'FindManagedSecrets',
      actions: ['secretsmanager:ListSecrets'],
      resources: ['*'],
    }));
    // Once a day, IAM's credential report shows every user's key statuses (read-only, no key ids): a registered user
    // whose current key was made inactive or deleted outside the library shows there, with no call per user.
    own.addStatements(new iam.PolicyStatement({
      sid: 'CheckCurrentKeysDaily',
      actions: ['iam:GenerateCredentialReport', 'iam:GetCredentialReport'],
      resources: ['*'],
    }));
    own.addStatements(new iam.PolicyStatement({
      sid: 'CountFailures',
      actions: ['cloudwatch:PutMetricData'],
      resources: ['*'],
      conditions: { StringEquals: { 'cloudwatch:namespace': Metrics.NAMESPACE } },
    }));
    suppressNagFindings(this.role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'secretsmanager:ListSecrets, iam:GenerateCredentialReport, iam:GetCredentialReport and cloudwatch:PutMetricData have no '
        + 'resource-level permissions, so their resource must be *; the lifecycle finds the managed secrets by their description with the '
        + 'first, reads every user\'s key statuses (no key ids, no secrets) once a day with the next two, and the last is limited to the '
        + 'library\'s metric namespace by the cloudwatch:namespace condition. Every other statement of the role names its resources',
      appliesTo: ['Resource::*'],
    }]);

    // Names the registrations an update removes; the statements below keep the
    // function's access to them until CloudFormation's cleanup has removed them.
    // One string, a line per registration: one Fn::Join for the stack, not one per user.
    // It comes after the registrations' policies (each adds itself as a dependency), so that a rollback puts it back
    // before them: the function then releases what the undone update added while its role still names it.
    const departures = new CustomResource(this, 'Departures', {
      serviceToken: fn.functionArn,
      resourceType: DEPARTURES_RESOURCE_TYPE,
      properties: {
        [DeparturesProperties.REGISTRATIONS]: Lazy.string({
          produce: () => this.registrations.map((r) => `${r.entry.secretArn}${DEPARTURE_FIELD_SEPARATOR}${r.entry.userArn}${DEPARTURES_SEPARATOR}`).join(''),
        }),
      },
    });

    // Guards of constant size, so the per-secret statements stay one ARN each.
    // They name the function, so they live outside the role (whose policies the
    // function depends on); each registration waits for them.
    this.departures = departures;
    this.guards = new iam.Policy(this, 'Guards', {
      roles: [this.role],
      statements: [
        new iam.PolicyStatement({
          sid: 'TagOnlyRotationState',
          effect: iam.Effect.DENY,
          actions: ['secretsmanager:TagResource'],
          resources: ['*'],
          conditions: { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': FUNCTION_TAGGED_KEYS } },
        }),
        new iam.PolicyStatement({
          sid: 'UntagOnlyRotationState',
          effect: iam.Effect.DENY,
          actions: ['secretsmanager:UntagResource'],
          resources: ['*'],
          conditions: { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': FUNCTION_UNTAGGED_KEYS } },
        }),
        new iam.PolicyStatement({
          sid: 'NameTheTags',
          effect: iam.Effect.DENY,
          actions: ['secretsmanager:TagResource', 'secretsmanager:UntagResource'],
          resources: ['*'],
          conditions: { Null: { 'aws:TagKeys': 'true' } },
        }),
        new iam.PolicyStatement({
          sid: 'RotateOnlyThroughThisFunction',
          effect: iam.Effect.DENY,
          actions: ['secretsmanager:RotateSecret'],
          resources: ['*'],
          conditions: { StringNotEquals: { 'secretsmanager:RotationLambdaARN': fn.functionArn } },
        }),
        // Secrets Manager's RotateSecret also needs the caller to be allowed to invoke the rotation function.
        new iam.PolicyStatement({
          sid: 'RotateThroughItself',
          actions: ['lambda:InvokeFunction'],
          resources: [fn.functionArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReleaseDepartingUsers',
          actions: ['iam:ListAccessKeys', 'iam:DeleteAccessKey', 'iam:GetAccessKeyLastUsed'],
          resources: Fn.split(DEPARTURES_SEPARATOR, departures.getAttString(DeparturesAttributes.USERS)),
        }),
        new iam.PolicyStatement({
          sid: 'ReleaseDepartingSecrets',
          actions: ['secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:CancelRotateSecret'],
          resources: Fn.split(DEPARTURES_SEPARATOR, departures.getAttString(DeparturesAttributes.SECRETS)),
        }),
      ],
    });

    const rule = new events.Rule(this, 'Lifecycle', {
      description: 'Deactivates, then deletes, superseded access keys when due',
      schedule: props.lifecycleSchedule ?? events.Schedule.rate(Duration.hours(1)),
    });
    rule.addTarget(new targets.LambdaFunction(fn, {
      event: events.RuleTargetInput.fromObject({ action: LIFECYCLE_ACTION }),
      retryAttempts: 0,
    }));
    this.lifecycleRule = rule;

    const alarm = new cloudwatch.Alarm(this, 'FailureAlarm', {
      alarmDescription: 'An access key rotation or lifecycle run failed; see the function\'s logs and the \'Access Key ... Failed\' events',
      metric: fn.metricErrors({ period: Duration.minutes(5), statistic: cloudwatch.Stats.SUM }),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    if (props.alarmTopic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(props.alarmTopic));
    this.alarm = alarm;
    Aspects.of(this).add(new WarnOfSilentAlarm(this, alarm));
  }

  /**
   * Rotation steps that failed or were refused (the function puts this
   * metric only when one does: a healthy stack has no data, read as zero).
   *
   * @default - the sum over 5 minutes
   */
  public metricRotationFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.failureMetric(Metrics.ROTATION_FAILURES, props);
  }

  /**
   * Secrets whose lifecycle transition failed (or 1 for a run that failed
   * as a whole), put only when one does.
   *
   * @default - the sum over 5 minutes
   */
  public metricLifecycleFailures(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.failureMetric(Metrics.LIFECYCLE_FAILURES, props);
  }

  /**
   * A rule on the library's audit events from this rotator's keys, on the
   * bus they are sent to: for notifications (SNS email, a chat webhook), a
   * ticket, or a consumer that reloads its key on `AccessKeyEvents.PROMOTED`.
   */
  public onAccessKeyEvent(id: string, options: AccessKeyEventRuleOptions = {}): events.Rule {
    return accessKeyEventRule(this, id, this._eventRuleBus, options);
  }

  private failureMetric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: Metrics.NAMESPACE,
      metricName,
      dimensionsMap: { [Metrics.DIMENSION]: this.function.functionName },
      statistic: cloudwatch.Stats.SUM,
      period: Duration.minutes(5),
      ...props,
    });
  }

  /** @internal */
  public get _eventRuleBus(): events.IEventBus | undefined {
    // A rule on the default bus needs no bus named; a custom bus is named.
    return this.customBus ? this.eventBus : undefined;
  }

  /**
   * The time between two lifecycle runs, read from the lifecycle rule's
   * `rate(...)` expression; undefined for a cron expression or a token.
   *
   * @internal
   */
  public get _lifecyclePeriod(): Duration | undefined {
    const expression = (this.lifecycleRule.node.defaultChild as events.CfnRule).scheduleExpression;
    const rate = expression === undefined || Token.isUnresolved(expression) ? null : /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
    const unitSeconds: Record<string, number> = { minute: 60, hour: 3600, day: 86400 };
    return rate ? Duration.seconds(Number(rate[1]) * unitSeconds[rate[2]]) : undefined;
  }

  /**
   * Registers a secret and its user: the function may then rotate that
   * secret's keys for that user (IAM on that user's keys only, Secrets
   * Manager on that secret only), and the registry says so. Returns what the
   * registration's rotation resource must wait for.
   *
   * @internal
   */
  public _register(registration: RegistrationRequest): IDependable {
    if (Stack.of(registration.secret) !== Stack.of(this)) {
      throw new Error(`register: the secret must be in the rotator's stack ${Stack.of(this).stackName}, got one in ${Stack.of(registration.secret).stackName}`);
    }
    this.registrations.push(registration);
    const policy = this.policyWithRoomFor(registration);
    policy.users.addResources(registration.user.userArn);
    policy.secrets.addResources(registration.secret.secretArn);
    if (registration.encryptionKey) this.allowKey(policy, registration.encryptionKey);
    if (registration.deliveryFunction) this.allowDelivery(policy, registration.deliveryFunction);
    // The guards come after the departures, which come after every registration policy: what waits for the guards waits for all.
    return this.guards;
  }

  /**
   * A rotator that serves no key is a mistake: most often one made to be
   * configured under another id, or after the stack's first key, while the
   * keys use the stack's shared (default) one.
   */
  private servesNoKey(): string[] {
    if (this.registrations.length > 0) return [];
    const shared = Stack.of(this).node.tryFindChild(AccessKeyRotator.ID);
    if (shared === this) {
      return [`the stack's shared AccessKeyRotator ${this.node.path} serves no rotating access key: no RotatingAccessKey or `
        + 'RotatingAccessKeyUser of the stack uses it; add one, or remove the rotator (the first key of a stack creates it)'];
    }
    const keysUse = shared instanceof AccessKeyRotator
      ? `the keys of this stack that name no rotator use its shared rotator ${shared.node.path}, not this one`
      : 'keys that name no rotator use the stack\'s shared rotator, not this one';
    return [`the AccessKeyRotator ${this.node.path} serves no rotating access key: ${keysUse}. `
      + 'To configure the shared rotator, call AccessKeyRotator.configure(stack, props) before the first RotatingAccessKey '
      + 'or RotatingAccessKeyUser of the stack; to use this rotator, pass it as their rotator prop; otherwise remove it'];
  }

  /**
   * The registry document: every registration as the template states it, and
   * a digest of that, which the function's environment carries too (so a
   * function configured for one registry never serves another).
   */
  private registry(): RegistryDocument {
    // Both the Metadata and the environment's digest need it: resolved once per set of registrations (entries are
    // immutable and only ever added), as CDK's own Lazy values are produced once.
    if (this.registryCache?.count === this.registrations.length) return this.registryCache.document;
    const stack = Stack.of(this);
    const registrations = this.registrations.map((r) => r.entry);
    // Resolved here for the checks and the digest only: the document keeps the tokens, so that CDK renders each
    // reference in its final form (a user of another stack as the Fn::ImportValue of its export, not a GetAtt of a
    // resource this stack does not have, which is what a resolution before CDK has found the references gives).
    const resolved = stack.resolve(registrations) as Record<string, unknown>[];
    resolved.forEach((entry, i) => checkResolvedEntry(entry, this.registrations[i].secret.node.path));
    // The ARNs are references CloudFormation resolves; what makes it replace a secret or a user (a new name, a new
    // path) counts too, so that a renamed secret or user is a new configuration of the function: a warm container
    // never keeps a registry of ARNs that no longer are.
    const identities = stack.resolve(this.registrations.map((r) => identityOf(r)));
    const digest = createHash('sha256').update(JSON.stringify([resolved, identities])).digest('hex');
    const document = { version: REGISTRY_VERSION, digest, registrations };
    this.registryCache = { count: this.registrations.length, document };
    return document;
  }

  /**
   * The managed policy that still has room for a registration's two ARNs;
   * a new one when the last is full.
   */
  private policyWithRoomFor(registration: RegistrationRequest): RegistrationPolicy {
    const key = registration.encryptionKey;
    // A key new to the policy costs its ARN, and the first key its statement too.
    const keySize = (p?: RegistrationPolicy) => (!key || p?.keys?.resources.includes(key.keyArn) ? 0
      : KMS_KEY_ARN_LENGTH + 3 + (p?.keys ? 0 : KMS_STATEMENT_LENGTH));
    const size = estimateArnLength(registration.user) + estimateArnLength(registration.secret) + 6
      // A delivery function's ARN (at its longest where the name is a token), and its statement once per policy (counted always).
      + (registration.deliveryFunction ? FUNCTION_ARN_LENGTH + 3 + DELIVERY_STATEMENT_LENGTH : 0);
    const last = this.policies[this.policies.length - 1];
    if (last && last.size + size + keySize(last) <= ARN_BUDGET_PER_POLICY) {
      last.size += size + keySize(last);
      return last;
    }
    const n = this.policies.length;
    const users = new iam.PolicyStatement({
      sid: 'ManageKeysOfRegisteredUsers',
      actions: [
        'iam:CreateAccessKey', 'iam:DeleteAccessKey', 'iam:ListAccessKeys', 'iam:UpdateAccessKey', 'iam:GetAccessKeyLastUsed',
      ],
    });
    const secrets = new iam.PolicyStatement({
      sid: 'RotateRegisteredSecrets',
      actions: [
        'secretsmanager:DescribeSecret', 'secretsmanager:GetSecretValue', 'secretsmanager:PutSecretValue',
        'secretsmanager:UpdateSecretVersionStage', 'secretsmanager:ListSecretVersionIds', 'secretsmanager:RotateSecret',
        'secretsmanager:CancelRotateSecret', 'secretsmanager:TagResource', 'secretsmanager:UntagResource',
      ],
    });
    const policy = new iam.ManagedPolicy(this, `Registrations${n}`, {
      description: 'Access to the keys and secrets of users registered with the AccessKeyRotator',
      roles: [this.role],
      statements: [users, secrets],
    });
    // The departures (and through them the guards) come after every registration policy: CloudFormation updates a
    // registration's policy first and the departures after, and a rollback puts them back the other way round.
    this.departures.node.addDependency(policy);
    if (n === MANAGED_POLICIES_PER_ROLE) {
      Annotations.of(this).addWarningV2('cdk-rotating-access-keys:managedPolicyQuota',
        `the rotation function's role needs more than ${MANAGED_POLICIES_PER_ROLE} managed policies for ${this.registrations.length} users; `
        + 'IAM allows 10 per role unless the quota is raised (to 20): raise it, or split the users over stacks');
    }
    const entry: RegistrationPolicy = { policy, users, secrets, size: size + keySize() };
    this.policies.push(entry);
    return entry;
  }

  /** The rotation function may invoke the delivery functions of the registrations a policy covers, and no other function. */
  private allowDelivery(policy: RegistrationPolicy, fn: lambda.IFunction): void {
    if (!policy.deliveries) {
      policy.deliveries = new iam.PolicyStatement({ sid: 'DeliverNewKeys', actions: ['lambda:InvokeFunction'] });
      policy.policy.addStatements(policy.deliveries);
    }
    if (!policy.deliveries.resources.includes(fn.functionArn)) policy.deliveries.addResources(fn.functionArn);
  }

  /**
   * Secrets Manager, on the function's behalf, may use the KMS key of the
   * secrets a policy covers; nobody else through this role.
   */
  private allowKey(policy: RegistrationPolicy, key: kms.IKey): void {
    if (!policy.keys) {
      policy.keys = new iam.PolicyStatement({
        sid: 'UseSecretKeysThroughSecretsManager',
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        conditions: { StringEquals: { 'kms:ViaService': `secretsmanager.${Stack.of(this).region}.amazonaws.com` } },
      });
      policy.policy.addStatements(policy.keys);
    }
    if (!policy.keys.resources.includes(key.keyArn)) policy.keys.addResources(key.keyArn);
  }
}

/**
 * Warns at synth when the failure alarm notifies nobody (acknowledge the
 * warning when failures are routed elsewhere, e.g. with onAccessKeyEvent).
 */
class WarnOfSilentAlarm implements IAspect {
  constructor(private readonly rotator: AccessKeyRotator, private readonly alarm: cloudwatch.Alarm) {}

  visit(node: IConstruct): void {
    if (node !== this.rotator) return;
    const actions = Stack.of(this.alarm).resolve((this.alarm.node.defaultChild as cloudwatch.CfnAlarm).alarmActions);
    if (Array.isArray(actions) && actions.length > 0) return;
    // On the alarm, so that an acknowledgement on the rotator (or the stack, or the app) covers it.
    Annotations.of(this.alarm).addWarningV2('cdk-rotating-access-keys:alarmWithoutAction',
      `the alarm on rotation and lifecycle failures has no action, so a failure notifies nobody: set ${member('alarmTopic')} to an SNS topic `
      + 'with an email or chat subscription, or add an action to rotator.alarm; acknowledge this warning if failures reach '
      + `people another way (${member('onAccessKeyEvent')} with AccessKeyEvents.NEEDS_ATTENTION)`);
  }
}

/**
 * A registry entry once CDK has resolved what it can: the numbers it resolved
 * (a Duration given as a Lazy, say) must be in the ranges the function
 * accepts, or the function would refuse the whole registry at run time.
 */
function checkResolvedEntry(entry: Record<string, unknown>, path: string): void {
  for (const [field, prop] of Object.entries(PROP_OF_ENTRY_FIELD) as [keyof typeof PROP_OF_ENTRY_FIELD, string][]) {
    const v = entry[field];
    if (typeof v !== 'number') continue;
    const { min, max, text } = Limits[field];
    if (!Number.isInteger(v) || v < min || v > max) {
      const unit = field === 'windowHours' ? 'hours' : 'seconds';
      throw new Error(`${path}: ${member(prop)} must be ${text.replace('deactivateAfter', member('deactivateAfter'))}, `
        + `got ${v} ${unit} (the registry's field '${field}')`);
    }
  }
}

/** The registry's fields that CDK resolves, and the props they come from. */
const PROP_OF_ENTRY_FIELD = {
  deactivateAfterSeconds: 'deactivateAfter',
  deleteAfterSeconds: 'deleteAfter',
  postponeWhileInUseSeconds: 'postponeDeactivationWhileInUse',
  windowHours: 'rotationWindow',
  noticeBeforeSeconds: 'earlyNotice',
} as const;

/** What names a registration's secret and user in the template, beyond their references: the properties whose change replaces them. */
function identityOf(registration: RegistrationRequest): unknown[] {
  const secret = registration.secret.node.defaultChild;
  const user = registration.user.node.defaultChild;
  return [
    secret instanceof secretsmanager.CfnSecret ? secret.name ?? null : null,
    user instanceof iam.CfnUser ? [user.userName ?? null, user.path ?? null] : null,
  ];
}

function validateRotatorProps(props: AccessKeyRotatorProps): void {
  const concurrency = props.lifecycleConcurrency;
  if (concurrency !== undefined && !Token.isUnresolved(concurrency) && (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 20)) {
    throw new Error(`${member('lifecycleConcurrency')} must be a whole number from 1 to 20, got ${concurrency}`);
  }
  const timeout = props.timeout;
  if (timeout && !timeout.isUnresolved() && (timeout.toSeconds() < 60 || timeout.toSeconds() > 900)) {
    throw new Error(`timeout must be from 1 to 15 minutes, got ${timeout.toHumanString()}`);
  }
  if (!props.vpc && (props.vpcSubnets || props.securityGroups)) {
    throw new Error(`${member(props.vpcSubnets ? 'vpcSubnets' : 'securityGroups')} needs vpc: the function is placed in a VPC only when vpc is set`);
  }
}

interface RegistrationPolicy {
  readonly policy: iam.ManagedPolicy;
  readonly users: iam.PolicyStatement;
  readonly secrets: iam.PolicyStatement;
  /** The KMS keys of the secrets this policy covers, once one has a customer-managed key. */
  keys?: iam.PolicyStatement;
  /** The delivery functions of the registrations this policy covers, once one has one. */
  deliveries?: iam.PolicyStatement;
  /** Characters of ARNs in it so far (an estimate where names are tokens). */
  size: number;
}

/**
 * The length an ARN will have once deployed: exact where names are known at
 * synth, and the longest a generated name gets where they are not.
 */
function estimateArnLength(resource: iam.IUser | secretsmanager.ISecret): number {
  const known = (v: unknown) => (typeof v === 'string' && !Token.isUnresolved(v) ? v.length : undefined);
  const cfn = resource.node.defaultChild;
  if (cfn instanceof iam.CfnUser || 'userName' in resource) {
    const user = resource as iam.IUser;
    const path = cfn instanceof iam.CfnUser ? known(cfn.path) ?? 1 : 1;
    return 'arn:aws:iam::123456789012:user'.length + path + (known(user.userName) ?? 64);
  }
  const name = cfn instanceof secretsmanager.CfnSecret ? known(cfn.name) ?? 64 : 64;
  return 'arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:'.length + name + '-AbCdEf'.length;
}
