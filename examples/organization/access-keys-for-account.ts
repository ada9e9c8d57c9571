/**
 * What every account of the organization gets, whichever way it is deployed:
 * the stack's rotation function with its alarm on an SNS topic, a service
 * user whose keys rotate, and the access key watch (every key of the account,
 * read-only), whose events about old unmanaged keys go to the security
 * account's bus. Environment-agnostic (no account or region), so the same
 * construct serves a StackSet template and per-account pipeline stacks.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AccessKeyRotator, AccessKeyWatch, RotatingAccessKeyUser } from '../../src';

/**
 * The security account's bus for the watch's events (docs/WATCH.md, "An organization"): its resource policy lets
 * the organization's accounts put events on it.
 */
export const SECURITY_EVENT_BUS_ARN = 'arn:aws:events:us-east-1:999999999999:event-bus/access-keys';

export class AccessKeysForAccount extends Construct {
  /** Where the rotator's alarm goes: subscribe the account's on-call to it. */
  public readonly alarms: sns.Topic;
  public readonly backupServer: RotatingAccessKeyUser;
  public readonly watch: AccessKeyWatch;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.alarms = new sns.Topic(this, 'Alarms', { enforceSSL: true });
    // The stack's shared rotator, created under its well-known id so that it can be given the topic.
    new AccessKeyRotator(Stack.of(this), AccessKeyRotator.ID, { alarmTopic: this.alarms });

    this.backupServer = new RotatingAccessKeyUser(this, 'BackupServer', {
      userName: 'backup-server',
      path: '/service/',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonS3ReadOnlyAccess')],
      removalPolicy: RemovalPolicy.DESTROY,
      owner: 'storage-team@example.com',
    });

    // Every key of the account, daily: the IAM.3 alarm to the account's topic, old unmanaged keys to the security account.
    this.watch = new AccessKeyWatch(this, 'KeyWatch');
    this.watch.alarmOnKeysPastIam3Age('KeysPastIam3', { alarmTopic: this.alarms });
    const securityBus = events.EventBus.fromEventBusArn(this, 'SecurityBus', SECURITY_EVENT_BUS_ARN);
    this.watch.onUnmanagedAccessKey('ToSecurityAccount', { target: new targets.EventBus(securityBus) });
  }
}
