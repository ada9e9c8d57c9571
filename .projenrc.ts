import { awscdk, DependencyType, javascript } from 'projen';

const project = new awscdk.AwsCdkConstructLibrary({
  author: 'cdk-rotating-access-keys maintainers',
  authorAddress: 'maintainers@example.com',
  cdkVersion: '2.245.0',
  defaultReleaseBranch: 'main',
  jsiiVersion: '~6.0.0',
  name: 'cdk-rotating-access-keys',
  description: 'Rotating IAM user access keys kept in AWS Secrets Manager: created, rotated, deactivated and deleted on schedule, never passing through CloudFormation.',
  keywords: ['awscdk', 'aws-cdk', 'cdk', 'constructs', 'iam', 'access-key', 'key-rotation', 'rotation', 'secrets-manager', 'compliance', 'security'],
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,
  repositoryUrl: 'https://github.com/example/cdk-rotating-access-keys.git',
  github: false,
  release: false,
  // The floor this repository's machines test on. Node.js 20 reached its end of life in April 2026;
  // 22 and later are the maintained lines, and the AWS SDK's own notice about 20 is turned off by the CLI.
  minNodeVersion: '20.0.0',

  // Every jsii language. .NET is configured but not built here: these machines have no .NET SDK.
  publishToPypi: {
    distName: 'cdk-rotating-access-keys',
    module: 'cdk_rotating_access_keys',
  },
  publishToMaven: {
    javaPackage: 'io.github.example.cdk.rotatingaccesskeys',
    mavenGroupId: 'io.github.example',
    mavenArtifactId: 'cdk-rotating-access-keys',
  },
  publishToGo: {
    moduleName: 'github.com/example/cdk-rotating-access-keys-go',
    packageName: 'cdkrotatingaccesskeys',
  },
  publishToNuget: {
    dotNetNamespace: 'Example.Cdk.RotatingAccessKeys',
    packageId: 'Example.Cdk.RotatingAccessKeys',
  },

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
    // The CLI's --query: JMESPath's own JavaScript implementation, of the specification the AWS CLI
    // implements (jmespath.py); CommonJS, no dependencies, Apache-2.0.
    'jmespath@^0.16',
    '@types/jmespath@^0.15',
    'fast-check@^4',
    '@types/aws-lambda@^8',
    // Proof for the constructs: the real CLI, cdk-nag, policy simulation, integ snapshots.
    'aws-cdk@^2',
    'cdk-nag@~2.38.1',
    '@cloud-copilot/iam-simulate@^0.1',
    // The many-accounts example (examples/organization) deploys the keys as a StackSet.
    'cdk-stacksets@0.0.153',
    // The GitHub Actions delivery recipe (examples/delivery) and its test: libsodium's sealed box, with its own types.
    'libsodium-wrappers@^0.8',
  ],
  experimentalIntegRunner: true,

  jestOptions: {
    jestConfig: {
      testTimeout: 120_000,
      // The API baseline and the built packages hold package.json files of this package's name.
      // The cdk-nag 3 check installs its own aws-cdk-lib under test/ecosystem/.
      modulePathIgnorePatterns: ['<rootDir>/compat/', '<rootDir>/dist/', '<rootDir>/test/ecosystem/'],
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
  // Minified (a smaller asset to upload and load), keeping the names of functions and classes so
  // that a stack trace in the function's log still reads. projen passes these options to esbuild.
  bundlingOptions: { minify: true, keepNames: true } as javascript.BundlingOptions,
});

// The access key watch's function (src/access-key-watch.ts): read-only, its own bundle and its own role.
new awscdk.LambdaFunction(project, {
  entrypoint: 'src/watch/watch.lambda.ts',
  constructFile: 'src/watch-function.ts',
  constructName: 'WatchFunction',
  cdkDeps: project.cdkDeps,
  runtime: awscdk.LambdaRuntime.NODEJS_24_X,
  bundlingOptions: { minify: true, keepNames: true } as javascript.BundlingOptions,
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
  files: ['src/rotation/**/*.ts', 'src/watch/**/*.ts', 'src/cli/**/*.ts', 'demo/**/*.ts', 'examples/**/*.ts', 'bench/**/*.ts'],
  rules: {
    'import/no-extraneous-dependencies': ['error', { devDependencies: true, optionalDependencies: false, peerDependencies: true }],
  },
});

project.eslint?.addLintPattern('demo');
project.eslint?.addLintPattern('examples');
project.eslint?.addLintPattern('bench');

// moto's server is the AWS stand-in for the integration tests and the demo.
const ensureMoto = project.addTask('moto:ensure', {
  description: 'Install moto\'s server (the AWS API emulator) when it is missing',
  exec: 'bash scripts/ensure-moto.sh',
});
project.testTask.prependSpawn(ensureMoto);
// ts-jest transpiles without type checking: check tests, the demo and the example here.
const typecheck = project.addTask('typecheck', {
  description: 'Type-check the tests, the demo and the example app',
  exec: 'tsc --noEmit -p test/tsconfig.json && tsc --noEmit -p demo/tsconfig.json && tsc --noEmit -p examples/tsconfig.json && tsc --noEmit -p bench/tsconfig.json',
});
project.testTask.prependSpawn(typecheck);
// Constructs synthesize the bundled function: bundle before testing (assets/ is not committed).
const bundle = project.tasks.tryFind('bundle')!;
project.testTask.prependSpawn(bundle);
// jsii compiles lib/ and .jsii: its rules for the public API are checked by every test run, and
// test/package/ asserts what `npm pack` would publish.
project.testTask.prependSpawn(project.compileTask);

// The integ test against a real account (a sandbox: it creates two IAM users), in one command: integ-runner
// without --dry-run deploys it, runs its assertions and deletes it, then the script checks that the DESTROY
// removal left nothing behind (docs/REAL-ACCOUNT.md). `npx projen integ` (in `test`) compares its snapshot only.
const integDeploy = project.addTask('integ:deploy', {
  description: 'Deploy the integ test to the current AWS credentials\' account and Region (a sandbox account), assert, delete, check nothing is left',
  receiveArgs: true,
});
integDeploy.spawn(bundle);
integDeploy.exec('ts-node --transpile-only --project test/tsconfig.json scripts/integ-deploy.ts', { receiveArgs: true });

// The packages for Python, Java and Go, each built by jsii-pacmak and used by a small app that
// synthesizes a stack with one RotatingAccessKeyUser and checks its template (smoke/<language>/).
// Go is generated with --code-only: jsii-pacmak's own build resolves aws-cdk-go at exactly the
// peer-dependency floor, which the Go module proxy here refuses; smoke/go builds the generated
// module against a newer aws-cdk-go instead (see smoke/go/go.mod).
const smoke = project.addTask('smoke', {
  description: 'Build the Python, Java and Go packages and synthesize a stack with each (needs Python 3, Java 17 with Maven, Go)',
});
smoke.spawn(bundle);
smoke.spawn(project.compileTask);
smoke.spawn(project.tasks.tryFind('package:python')!);
smoke.exec('python3 smoke/python/readme_check.py');
smoke.exec('bash smoke/python/run.sh');
smoke.spawn(project.tasks.tryFind('package:java')!);
smoke.exec('bash smoke/java/run.sh');
smoke.exec('jsii-pacmak -v --target go --code-only');
smoke.exec('bash smoke/go/run.sh');
project.testTask.spawn(smoke);

// The API reference in the other jsii languages besides API.md (TypeScript), with every example
// translated by jsii-rosetta.
project.tasks.tryFind('docgen')!.exec('jsii-docgen -l python -l java -l go -o docs/api/API.md');

// README.md's TypeScript blocks and the API's @example tags compile (in rosetta/default.ts-fixture)
// and translate to every jsii language; test/docs/ checks links, anchors and docs/*.md blocks.
const docsCheck = project.addTask('docs:check', {
  description: 'Compile README.md\'s TypeScript blocks and the API\'s examples with jsii-rosetta (strict), after compile',
  exec: 'jsii-rosetta extract --strict',
});
project.gitignore.exclude('.jsii.tabl.json');
// The packages carry the README and the API docs translated into their own language: jsii-pacmak
// translates with the tablet rosetta writes (.jsii.tabl.json), so every packaging path makes it first
// (without it, a fresh clone's wheel carried TypeScript in its Python fences). The test task checks
// the docs through the smoke task's packaging.
for (const language of ['python', 'java', 'go', 'dotnet', 'js']) project.tasks.tryFind(`package:${language}`)?.prependSpawn(docsCheck);

// cdk-nag 3.x (a policy validation plugin, aws-cdk-lib >= 2.257) over the example app, on the packed
// library in a project of its own (test/ecosystem/cdk-nag-v3); cdk-nag 2.x runs in the jest suites.
const nagV3 = project.addTask('check:cdk-nag-v3', {
  description: 'cdk-nag 3.x AwsSolutions over the example app, on the packed library (after compile and bundle)',
  exec: 'bash scripts/check-cdk-nag-v3.sh',
});
project.testTask.spawn(nagV3);

// API compatibility: jsii-diff against the assembly of the last release, kept in compat/baseline
// (gzipped, as jsii's compressed assemblies are) until the package is on a registry. A breaking
// change fails the test task unless .compatignore lists it (docs/RELEASING.md).
const compat = project.tasks.tryFind('compat')!;
compat.reset('jsii-diff compat/baseline . --keys --error-on prod --ignore-file .compatignore');
project.testTask.spawn(compat);
project.gitignore.include('/compat/baseline/.jsii');
project.addTask('compat:baseline', {
  description: 'Record the current API as the baseline of the next compat check (at a release)',
  exec: 'node scripts/compat-baseline.js',
});
project.gitignore.exclude('/smoke/java/target/');

const demo = project.addTask('demo', {
  description: 'Rotate one user\'s access key against moto and run the lifecycle over simulated months',
  // The SDK warns on every start that Node.js 20 nears its end of support.
  env: { NODE_NO_WARNINGS: '1' },
});
demo.spawn(bundle);
demo.spawn(ensureMoto);
demo.exec('ts-node --project demo/tsconfig.json demo/rotation-demo.ts');

// The sandbox: the example app deployed into moto, kept running for trying the docs' commands by hand
// (demo/sandbox.ts; `npx projen sandbox -- --ports 4566,4567` fixes its ports). Its transcripts task
// runs the commands of docs/CLI.md's transcripts against a sandbox and rewrites them.
const sandbox = project.addTask('sandbox', {
  description: 'Deploy the example app into moto and keep it running; prints the export lines for the CLI and the AWS CLI (Ctrl-C stops it)',
  env: { NODE_NO_WARNINGS: '1' },
});
sandbox.spawn(bundle);
sandbox.spawn(ensureMoto);
sandbox.exec('ts-node --transpile-only --project demo/tsconfig.json demo/sandbox.ts', { receiveArgs: true });
const transcripts = project.addTask('sandbox:transcripts', {
  description: 'Run the commands of docs/CLI.md\'s transcripts against a sandbox and rewrite those blocks with what they print',
  env: { NODE_NO_WARNINGS: '1' },
});
transcripts.spawn(bundle);
transcripts.spawn(ensureMoto);
transcripts.exec('ts-node --transpile-only --project demo/tsconfig.json demo/sandbox-transcripts.ts');

project.gitignore.exclude('/.moto/');

// Benchmarks users can rerun (bench/): ours and the baselines in one run, figures to
// bench/results.json and docs/PERFORMANCE.md. The quick mode measures the counted figures only
// (calls, resources, bytes), which do not flake, and fails when one misses its limit: CI runs it.
for (const [name, args, description] of [
  ['bench', '', 'Measure every figure of docs/PERFORMANCE.md against its baseline (about 10 minutes on 2 cores)'],
  ['bench:quick', ' --quick', 'Measure the counted figures (calls, resources, bytes) and fail when one misses its limit'],
  ['bench:check', ' --quick --no-write', 'bench:quick without writing the results (the test task runs it)'],
]) {
  const task = project.addTask(name, { description, env: { NODE_NO_WARNINGS: '1' } });
  task.spawn(bundle);
  task.spawn(ensureMoto);
  task.exec(`ts-node --project bench/tsconfig.json bench/run.ts${args}`);
  if (name === 'bench:check') project.testTask.spawn(task);
}

// The version is set by hand (docs/RELEASING.md): semantic versioning, each release in CHANGELOG.md.
project.package.addVersion('0.1.0');

// The npm package holds what users need and nothing else: the compiled constructs (with the one
// runtime module they share with the function, the registry contract), the bundled function and
// CLI, the jsii assembly, API.md, README and LICENSE. An allow-list, so that a new folder cannot
// leak into it; test/package/pack.test.ts asserts the list.
project.package.addField('files', [
  'lib/**/*.js',
  'lib/**/*.d.ts',
  '!lib/cli/**',
  '!lib/rotation/**',
  '!lib/watch/**',
  'lib/rotation/contract.js',
  'lib/rotation/contract.d.ts',
  'assets/rotation/rotation.lambda/index.js',
  'assets/watch/watch.lambda/index.js',
  'assets/cli/main/index.js',
  '.jsii',
  'API.md',
]);

project.synth();
