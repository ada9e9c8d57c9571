/**
 * The example app: `npx cdk synth` here works offline (no account, no credentials).
 */
import { App } from 'aws-cdk-lib';
import { AccessKeysExampleStack } from './access-keys-example-stack';

const app = new App();
new AccessKeysExampleStack(app, 'AccessKeysExample', { env: { account: '123456789012', region: 'us-east-1' } });
app.synth();
