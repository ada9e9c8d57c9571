/**
 * What every account of the organization gets, whichever way it is deployed:
 * the stack's rotation function with its alarm on an SNS topic, and a service
 * user whose keys rotate. Environment-agnostic (no account or region), so the
 * same construct serves a StackSet template and per-account pipeline stacks.
 */
import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AccessKeyRotator, RotatingAccessKeyUser } from '../../src';

export class AccessKeysForAccount extends Construct {
  /** Where the rotator's alarm goes: subscribe the account's on-call to it. */
  public readonly alarms: sns.Topic;
  public readonly backupServer: RotatingAccessKeyUser;

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
  }
}
