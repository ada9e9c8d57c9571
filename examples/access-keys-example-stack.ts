/**
 * A stack to copy: a service user created with rotating keys, an existing user
 * whose hand-made key is taken over, and a consumer allowed to read the key.
 */
import { Duration, RemovalPolicy, Stack, StackProps } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import { NagSuppressions } from 'cdk-nag';
import { Construct } from 'constructs';
import {
  AccessKeyRotator, ForeignKeyPolicy, KeyRotationSchedule, RotatingAccessKey, RotatingAccessKeyUser,
} from '../src';

export class AccessKeysExampleStack extends Stack {
  constructor(scope: Construct, id: string, props?: StackProps) {
    super(scope, id, props);

    const key = new kms.Key(this, 'SecretsKey', { enableKeyRotation: true, description: 'Encrypts rotating access keys' });
    const alarms = new sns.Topic(this, 'Alarms', { enforceSSL: true, masterKey: key });
    new AccessKeyRotator(this, AccessKeyRotator.ID, { alarmTopic: alarms });

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
    });
    NagSuppressions.addResourceSuppressionsByPath(this, `${backup.node.path}/PolicyReadBackups`, [{
      id: 'AwsSolutions-IAM5',
      reason: 'The backup server reads and writes backup objects whose keys are not known in advance; '
        + 'the wildcard covers the objects of its one bucket, for GetObject and PutObject only',
      appliesTo: ['Resource::arn:aws:s3:::example-backups/*'],
    }]);

    // An existing user of a legacy CI system: rotate weekly on Sunday nights,
    // take over the key someone made by hand, wait while it is still used.
    new RotatingAccessKey(this, 'LegacyCi', {
      user: iam.User.fromUserName(this, 'LegacyCiUser', 'legacy-ci'),
      schedule: KeyRotationSchedule.expression('cron(0 1 ? * SUN *)'),
      rotationWindow: Duration.hours(4),
      deactivateAfter: Duration.days(3),
      deleteAfter: Duration.days(7),
      postponeDeactivationWhileInUse: Duration.days(2),
      foreignKeyPolicy: ForeignKeyPolicy.ADOPT,
      encryptionKey: key,
    });

    // The job that ships backups reads the current key from the secret.
    const shipper = new iam.Role(this, 'BackupShipper', { assumedBy: new iam.ServicePrincipal('ecs-tasks.amazonaws.com') });
    backup.grantRead(shipper);
  }
}
