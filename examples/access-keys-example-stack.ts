/**
 * A stack to copy: a service user created with rotating keys, an existing user
 * whose hand-made key is taken over, a consumer allowed to read the key, an
 * operator allowed to run the CLI on it, and notifications to an SNS topic
 * (subscribe an address or a chat webhook to it).
 */
import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  AccessKeyEvents, AccessKeyRotator, ForeignKeyPolicy, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyUser,
} from '../src';

export class AccessKeysExampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const key = new kms.Key(this, 'SecretsKey', { enableKeyRotation: true, description: 'Encrypts rotating access keys' });
    const alarms = new sns.Topic(this, 'Alarms', { enforceSSL: true, masterKey: key });
    // CloudWatch (the failure alarm) and EventBridge (the rule below) publish to the encrypted topic.
    for (const service of ['cloudwatch.amazonaws.com', 'events.amazonaws.com']) {
      key.grant(new iam.ServicePrincipal(service), 'kms:Decrypt', 'kms:GenerateDataKey*');
    }
    // The stack's shared rotator, configured before its first key.
    const rotator = AccessKeyRotator.configure(this, { alarmTopic: alarms });
    // Whatever needs a person (a failure, a refused request, a hold, a consumer still on an old key) goes to the topic too.
    rotator.onAccessKeyEvent('NeedsAttention', {
      eventTypes: AccessKeyEvents.NEEDS_ATTENTION,
      target: new targets.SnsTopic(alarms),
    });

    // A user for an on-premises backup server that mounts one bucket.
    const backup = new RotatingAccessKeyUser(this, 'BackupServer', {
      userName: 'backup-server',
      path: '/service/',
      inlinePolicies: {
        ReadBackups: new iam.PolicyDocument({
          statements: [new iam.PolicyStatement({
            actions: ['s3:GetObject', 's3:PutObject'],
            resources: ['arn:aws:s3:::example-backups/*'],
          })],
        }),
      },
      encryptionKey: key,
      removalPolicy: RemovalPolicy.DESTROY,
      owner: 'storage-team@example.com',
    });
    NagSuppressions.addResourceSuppressionsByPath(this, `${backup.node.path}/PolicyReadBackups`, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The backup server reads and writes backup objects whose keys are not known in advance; '
        + 'the wildcard covers the objects of its one bucket, for GetObject and PutObject only',
      appliesTo: ['Resource::arn:aws:s3:::example-backups/*'],
    }]);

    // An existing user of a legacy CI system: rotate weekly on Sunday nights,
    // take over the key someone made by hand, wait while it is still used.
    // The old key is gone before the next rotation: 3 + 2 + 1 days and two
    // hourly lifecycle runs fit in the 7 days less the 4-hour window.
    new RotatingAccessKey(this, 'LegacyCi', {
      user: iam.User.fromUserName(this, 'LegacyCiUser', 'legacy-ci'),
      schedule: KeyRotationSchedule.expression('cron(0 1 ? * SUN *)'),
      rotationWindow: Duration.hours(4),
      deactivateAfter: Duration.days(3),
      deleteAfter: Duration.days(1),
      postponeDeactivationWhileInUse: Duration.days(2),
      // Checked 2 days before deactivation: a CI job still on the old key is told in time.
      earlyNotice: Duration.days(2),
      owner: 'ci-team@example.com',
      foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
      encryptionKey: key,
    });

    // The job that ships backups reads the current key from the secret.
    const shipper = new iam.Role(this, 'BackupShipper', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    backup.grantRead(shipper);

    // The storage team's on-call operates the backup server's key with the CLI (status, rotate, revoke, deactivate, ...).
    const onCall = new iam.Role(this, 'StorageOnCall', { assumedBy: new iam.AccountRootPrincipal() });
    backup.grantOperate(onCall);
  }
}
