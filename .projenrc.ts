import { awscdk, DependencyType, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  author: 'cdk-rotating-access-keys maintainers',
  authorAddress: 'maintainers@example.com',
  cdkVersion: '2.245.0',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  name: 'cdk-rotating-access-keys',
  description: 'Rotating IAM user access keys kept in AWS Secrets Manager: created, rotated, deactivated and deleted on schedule, never passing through CloudFormation.',
  keywords: ['cdk', 'iam', 'access-key', 'rotation', 'secrets-manager', 'compliance'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  repositoryUrl: 'https://github.com/example/cdk-rotating-access-keys.git',
  github: false,
  release: false,

  // The rotation function is declared explicitly below so that its generated
  // construct lives beside the other constructs, not inside src/rotation/.
  lambdaAutoDiscover: false,

  devDeps: [
    // Bundled into the rotation function by esbuild, or used only by tests:
    // the AWS SDK v3 itself comes from the Lambda runtime (external).
    '@aws-sdk/client-eventbridge@^3',
    '@aws-sdk/client-iam@^3',
    '@aws-sdk/client-secrets-manager@^3',
    '@aws-sdk/client-sts@^3',
    '@aws-sdk/client-cloudformation@^3',
    '@aws-sdk/client-lambda@^3',
    '@aws-sdk/client-cloudwatch@^3',
    '@aws-sdk/credential-provider-process@^3',
    '@supercharge/promise-pool@^3',
    '@smithy/types@^4',
    'exponential-backoff@^3',
    'cli-table3@^0.6',
    'commander@^14',
    'fast-check@^4',
    '@types/aws-lambda@^8',
    // Proof for the constructs: the real CLI, cdk-nag, policy simulation, integ snapshots.
    'aws-cdk@^2',
    'cdk-nag@~2.38.1',
    '@cloud-copilot/iam-simulate@^0.1',
  ],
  experimentalIntegRunner: true,

  jestOptions: {
    jestConfig: {
      testTimeout: 120_000,
    },
  },
});

// experimentalIntegRunner asks for `latest`; pin what works with the aws-cdk-lib floor.
for (const name of ['@aws-cdk/integ-tests-alpha', '@aws-cdk/integ-runner']) {
  project.deps.removeDependency(name, DependencyType.DEVENV);
}
project.addDevDeps('@aws-cdk/integ-tests-alpha@2.245.0-alpha.0', '@aws-cdk/integ-runner@^2.197.10');

new awscdk.LambdaFunction(project, {
  entrypoint: 'src/rotation/rotation.lambda.ts',
  constructFile: 'src/rotation-function.ts',
  constructName: 'RotationFunction',
  cdkDeps: project.cdkDeps,
  // AwsSolutions-L1 asks for the newest Node.js runtime aws-cdk-lib knows.
  runtime: awscdk.LambdaRuntime.NODEJS_24_X,
});

// The operator's CLI: bundled by esbuild with everything it uses (the AWS
// SDK included), so the package needs no runtime dependency for it.
const cli = project.bundler.addBundle('src/cli/main.ts', {
  platform: 'node',
  target: 'node20',
  banner: '#!/usr/bin/env node',
  executable: true,
  minify: true,
  watchTask: false,
});
project.addBins({ 'cdk-rotating-access-keys': cli.outfile });

// The rotation function's and the CLI's code is bundled by esbuild, and the demo and the
// example app are not shipped: their packages are devDependencies.
project.eslint?.addOverride({
  files: ['src/rotation/**/*.ts', 'src/cli/**/*.ts', 'demo/**/*.ts', 'examples/**/*.ts'],
  rules: {
    'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }],
  },
});

project.eslint?.addLintPattern('demo');
project.eslint?.addLintPattern('examples');

// moto's server is the AWS stand-in for the integration tests and the demo.
const ensureMoto = project.addTask('moto:ensure', {
  description: 'Install moto\'s server (the AWS API emulator) when it is missing',
  exec: 'bash scripts/ensure-moto.sh',
});
project.testTask.prependSpawn(ensureMoto);
// ts-jest transpiles without type checking: check tests, the demo and the example here.
const typecheck = project.addTask('typecheck', {
  description: 'Type-check the tests, the demo and the example app',
  exec: 'tsc --noEmit -p test/tsconfig.json && tsc --noEmit -p demo/tsconfig.json && tsc --noEmit -p examples/tsconfig.json',
});
project.testTask.prependSpawn(typecheck);
// Constructs synthesize the bundled function: bundle before testing (assets/ is not committed).
const bundle = project.tasks.tryFind('bundle')!;
project.testTask.prependSpawn(bundle);

const demo = project.addTask('demo', {
  description: 'Rotate one user\'s access key against moto and run the lifecycle over simulated months',
  // The SDK warns on every start that Node.js 20 nears its end of support.
  env: { NODE_NO_WARNINGS: '1' },
});
demo.spawn(bundle);
demo.spawn(ensureMoto);
demo.exec('ts-node --project demo/tsconfig.json demo/rotation-demo.ts');

project.gitignore.exclude('/.moto/');

project.synth();
