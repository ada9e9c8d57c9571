/**
 * The same access keys in each account as its own CloudFormation stack,
 * deployed by CDK Pipelines (aws-cdk-lib only). Each target account is
 * bootstrapped with `cdk bootstrap --trust <pipeline account>`; the pipeline
 * publishes the rotation function's asset into that account's bootstrap
 * bucket, so no shared bucket is needed. One stage per account: add a wave
 * to deploy several accounts at once.
 */
import { Stack, StackProps, Stage, StageProps } from 'aws-cdk-lib';
import * as pipelines from 'aws-cdk-lib/pipelines';
import { Construct } from 'constructs';
import { AccessKeysForAccount } from './access-keys-for-account';

/** One account's access keys: a stack of its own. */
export class AccessKeysStage extends Stage {
  constructor(scope: Construct, id: string, props: StageProps) {
    super(scope, id, props);
    const stack = new Stack(this, 'AccessKeys');
    new AccessKeysForAccount(stack, 'Keys');
  }
}

export interface AccessKeysPipelineProps extends StackProps {
  /** `owner/repository` of the CDK app's source. */
  readonly repository: string;
  /** An AWS CodeConnections connection to the repository's host. */
  readonly connectionArn: string;
  /** The accounts to deploy to, in order. */
  readonly accounts: string[];
}

export class AccessKeysPipeline extends Stack {
  constructor(scope: Construct, id: string, props: AccessKeysPipelineProps) {
    super(scope, id, props);
    const pipeline = new pipelines.CodePipeline(this, 'Pipeline', {
      crossAccountKeys: true,
      synth: new pipelines.ShellStep('Synth', {
        input: pipelines.CodePipelineSource.connection(props.repository, 'main', { connectionArn: props.connectionArn }),
        commands: ['npm ci', 'npx cdk synth'],
      }),
    });
    const wave = pipeline.addWave('Accounts');
    for (const account of props.accounts) {
      wave.addStage(new AccessKeysStage(this, `Account${account}`, { env: { account, region: this.region } }));
    }
  }
}
