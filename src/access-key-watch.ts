/**
 * The access key watch: a small scheduled function, apart from the rotator, that
 * sees every access key of the account through IAM's credential report (no
 * call per user) and the library's secrets, puts the account's key metrics and
 * sends an event for each old key nothing rotates. Its role reads the report,
 * lists secrets and writes metrics, events and its logs: it has no power over
 * any user, key or secret.
 */
import { Duration, Stack, Token } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cloudwatchActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AccessKeyEvents } from './access-key-events';
import { member } from './member-names';
import { suppressNagFindings } from './nag-suppressions';
import { EVENT_SOURCE, IAM3_MAX_AGE_DAYS, Metrics, WatchEnv, WatchMetrics } from './rotation/contract';
import { WatchFunction } from './watch-function';

/**
 * Properties of the access key watch.
 */
export interface AccessKeyWatchProps {
  /**
   * When the watch runs. IAM keeps a credential report for 4 hours, so runs closer together read the same report.
   *
   * @default Schedule.cron({ minute: '0', hour: '6' }) - daily at 06:00 UTC
   */
  readonly schedule?: events.Schedule;

  /**
   * An unmanaged active key (one no secret of the library serves) older than this is reported by an
   * `AccessKeyEvents.UNMANAGED` event, at every run until it is rotated, deactivated or deleted. From 0 (every
   * unmanaged active key) to 1000 days.
   *
   * @default Duration.days(90) - IAM.3's age
   */
  readonly reportUnmanagedKeysAfter?: Duration;

  /**
   * The event bus of this account that receives the events. For a central bus in another account, forward the
   * events with `onUnmanagedAccessKey` and a `targets.EventBus` target (docs/WATCH.md, "An organization").
   *
   * @default - the account's default event bus
   */
  readonly eventBus?: events.IEventBus;

  /**
   * The regions whose secrets of this library count as serving keys: IAM is global, Secrets Manager is
   * regional, so a stack of rotating keys in another region of the account is seen only when its region is listed.
   *
   * @default - the stack's region only
   */
  readonly secretRegions?: string[];

  /**
   * How long the function's logs are kept.
   *
   * @default RetentionDays.ONE_YEAR
   */
  readonly logRetention?: logs.RetentionDays;

  /**
   * Maximum run time of one invocation, 1 to 15 minutes: IAM may take a while to generate the report of a large account.
   *
   * @default Duration.minutes(5)
   */
  readonly timeout?: Duration;
}

/**
 * Options of the alarm on keys past IAM.3's age.
 */
export interface AccessKeyWatchAlarmOptions {
  /**
   * Where the alarm notifies.
   *
   * @default - the alarm has no action
   */
  readonly alarmTopic?: sns.ITopic;

  /**
   * The alarm's name.
   *
   * @default - a name is generated
   */
  readonly alarmName?: string;

  /**
   * How a day without a value from the watch (the watch did not run, or failed) counts.
   *
   * @default TreatMissingData.MISSING - the alarm keeps its state, and shows INSUFFICIENT_DATA once every evaluated day lacks data
   */
  readonly treatMissingData?: cloudwatch.TreatMissingData;
}

/**
 * Sees every access key of the account, read-only, once a day (IAM's
 * credential report, and the library's secrets): puts the account's key
 * metrics (active keys, unmanaged active keys, the oldest managed and
 * unmanaged key's age, keys past IAM.3's 90 days) and sends an
 * `AccessKeyEvents.UNMANAGED` event for each unmanaged active key older than
 * `reportUnmanagedKeysAfter`. Independent of any rotator: deploy one per
 * account (and region whose secrets it lists).
 *
 * An active key is managed when a secret of this library with rotation on
 * names its user and holds that many keys (docs/WATCH.md, "What managed means").
 */
export class AccessKeyWatch extends Construct {
  /** The watch's function. */
  public readonly function: lambda.IFunction;

  /** The rule that runs the watch on its schedule. */
  public readonly rule: events.IRule;

  /** The event bus that receives the watch's events. */
  public readonly eventBus: events.IEventBus;

  private readonly customBus: boolean;

  constructor(scope: Construct, id: string, props: AccessKeyWatchProps = {}) {
    super(scope, id);
    const reportAfter = props.reportUnmanagedKeysAfter ?? Duration.days(IAM3_MAX_AGE_DAYS);
    if (!reportAfter.isUnresolved() && reportAfter.toSeconds() > 1000 * 86_400) {
      throw new Error(`${member('reportUnmanagedKeysAfter')} must be from 0 to 1000 days, got ${reportAfter.toHumanString()}`);
    }
    const timeout = props.timeout ?? Duration.minutes(5);
    if (!timeout.isUnresolved() && (timeout.toSeconds() < 60 || timeout.toSeconds() > 900)) {
      throw new Error(`timeout must be from 1 to 15 minutes, got ${timeout.toHumanString()}`);
    }
    const stack = Stack.of(this);
    const busAccount = props.eventBus?.env.account;
    if (busAccount && !Token.isUnresolved(busAccount) && !Token.isUnresolved(stack.account) && busAccount !== stack.account) {
      throw new Error(`${member('eventBus')} must be a bus of the watch's own account ${stack.account}, got one of ${busAccount}: forward the `
        + `events to a central bus with ${member('onUnmanagedAccessKey')} and a targets.EventBus target`);
    }
    for (const region of props.secretRegions ?? []) {
      if (!Token.isUnresolved(region) && !/^[a-z]{2}(-[a-z]+)+-\d$/.test(region)) {
        throw new Error(`${member('secretRegions')} must hold region names (us-east-1), got '${region}'`);
      }
    }

    const eventBus = props.eventBus ?? events.EventBus.fromEventBusName(this, 'DefaultBus', 'default');
    this.eventBus = eventBus;
    this.customBus = props.eventBus !== undefined;

    const policy = new iam.PolicyDocument();
    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'Reads IAM\'s credential report and lists the access key secrets, to put the account\'s key metrics (read-only)',
      inlinePolicies: { Watch: policy },
    });
    const logGroup = new logs.LogGroup(this, 'Logs', { retention: props.logRetention ?? logs.RetentionDays.ONE_YEAR });
    policy.addStatements(
      new iam.PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
      // Every user's key statuses, creation and last-use dates: no key ids, no secrets, no call per user.
      new iam.PolicyStatement({
        sid: 'ReadCredentialReport',
        actions: ['iam:GenerateCredentialReport', 'iam:GetCredentialReport'],
        resources: ['*'],
      }),
      // Which users the library's secrets serve (their descriptions and staging labels): never a secret's value.
      new iam.PolicyStatement({
        sid: 'ListAccessKeySecrets',
        actions: ['secretsmanager:ListSecrets'],
        resources: ['*'],
      }),
      new iam.PolicyStatement({
        sid: 'PutKeyMetrics',
        actions: ['cloudwatch:PutMetricData'],
        resources: ['*'],
        conditions: { StringEquals: { 'cloudwatch:namespace': Metrics.NAMESPACE } },
      }),
      new iam.PolicyStatement({
        sid: 'PutUnmanagedKeyEvents',
        actions: ['events:PutEvents'],
        resources: [eventBus.eventBusArn],
        conditions: { 'ForAllValues:StringEquals': { 'events:source': [EVENT_SOURCE] } },
      }),
    );
    suppressNagFindings(role, [{
      id: 'AwsSolutions-IAM5',
      reason: 'iam:GenerateCredentialReport, iam:GetCredentialReport, secretsmanager:ListSecrets and cloudwatch:PutMetricData have no '
        + 'resource-level permissions, so their resource must be *: the watch reads the account\'s credential report (no key ids, no secrets) '
        + 'and lists secrets (no values) once a day, and puts metrics only into the library\'s namespace (cloudwatch:namespace condition). '
        + 'It has no write power over any user, key or secret',
      appliesTo: ['Resource::*'],
    }]);

    const fn = new WatchFunction(this, 'Function', {
      description: 'Watches every IAM access key of the account (credential report, read-only) and reports unmanaged old keys',
      role,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      retryAttempts: 0,
      environment: {
        [WatchEnv.EVENT_BUS]: eventBus.eventBusArn,
        [WatchEnv.REPORT_AFTER_SECONDS]: String(reportAfter.toSeconds()),
        [WatchEnv.ACCOUNT]: stack.account,
        [WatchEnv.SECRET_REGIONS]: (props.secretRegions ?? []).join(','),
      },
    });
    this.function = fn;

    const rule = new events.Rule(this, 'Schedule', {
      description: 'Runs the access key watch',
      schedule: props.schedule ?? events.Schedule.cron({ minute: '0', hour: '6' }),
    });
    rule.addTarget(new targets.LambdaFunction(fn, { retryAttempts: 2 }));
    this.rule = rule;
  }

  /**
   * Active access keys of the account (root's included), managed or not.
   *
   * @default - the maximum over a day
   */
  public metricActiveKeys(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(WatchMetrics.ACTIVE_KEYS, props);
  }

  /**
   * Active access keys no secret of the library serves.
   *
   * @default - the maximum over a day
   */
  public metricUnmanagedActiveKeys(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(WatchMetrics.UNMANAGED_ACTIVE_KEYS, props);
  }

  /**
   * Age in whole days of the oldest active key a secret of the library serves (0 when there is none).
   *
   * @default - the maximum over a day
   */
  public metricOldestManagedKeyAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(WatchMetrics.OLDEST_MANAGED_KEY_AGE, props);
  }

  /**
   * Age in whole days of the oldest active key no secret of the library serves (0 when there is none).
   *
   * @default - the maximum over a day
   */
  public metricOldestUnmanagedKeyAge(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(WatchMetrics.OLDEST_UNMANAGED_KEY_AGE, props);
  }

  /**
   * Active access keys older than IAM.3's 90 days, managed or not: what Security Hub's IAM.3 control fails on.
   *
   * @default - the maximum over a day
   */
  public metricKeysPastIam3Age(props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return this.metric(WatchMetrics.KEYS_PAST_IAM3_AGE, props);
  }

  /**
   * An alarm when an active key of the account is older than IAM.3's 90 days (the watch's daily value is 1 or more).
   */
  public alarmOnKeysPastIam3Age(id: string, options: AccessKeyWatchAlarmOptions = {}): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName: options.alarmName,
      alarmDescription: `An active IAM access key of the account is older than ${IAM3_MAX_AGE_DAYS} days (Security Hub IAM.3); `
        + 'the \'Access Key Unmanaged\' events name the unmanaged ones',
      metric: this.metricKeysPastIam3Age(),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: options.treatMissingData ?? cloudwatch.TreatMissingData.MISSING,
    });
    if (options.alarmTopic) alarm.addAlarmAction(new cloudwatchActions.SnsAction(options.alarmTopic));
    return alarm;
  }

  /**
   * A rule on the watch's `AccessKeyEvents.UNMANAGED` events, on the bus they are sent to: to notify someone, open a
   * ticket, or forward them to a central bus (a `targets.EventBus` target).
   */
  public onUnmanagedAccessKey(id: string, options: events.OnEventOptions = {}): events.Rule {
    const rule = new events.Rule(this, id, {
      eventBus: this.customBus ? this.eventBus : undefined,
      ruleName: options.ruleName,
      description: options.description ?? 'Unmanaged access keys past the watch\'s age',
      eventPattern: { source: [AccessKeyEvents.SOURCE], detailType: [AccessKeyEvents.UNMANAGED] },
      crossStackScope: options.crossStackScope,
    });
    if (options.eventPattern) rule.addEventPattern(options.eventPattern);
    if (options.target) rule.addTarget(options.target);
    return rule;
  }

  private metric(metricName: string, props?: cloudwatch.MetricOptions): cloudwatch.Metric {
    return new cloudwatch.Metric({
      namespace: Metrics.NAMESPACE,
      metricName,
      dimensionsMap: { [WatchMetrics.DIMENSION]: Stack.of(this).account },
      statistic: cloudwatch.Stats.MAXIMUM,
      period: Duration.days(1),
      ...props,
    });
  }
}
