/**
 * The sandbox: the example app deployed into moto, kept running, for trying
 * every command of the docs by hand (`npx projen sandbox`).
 *
 * It synthesizes examples/ (the demo's app, in process), starts moto's server
 * and the CloudFormation stand-in on 127.0.0.1, creates what exists before
 * the stack (the imported user legacy-ci, with a key made by hand 20 days
 * earlier) and an operator user, and plays the stack's creation as
 * CloudFormation plays it (test/support/deployment.ts): every resource in
 * order, the custom resources answered by the shipped bundle, whose calls are
 * judged against its role as deployed, and each registration's first rotation
 * run by Secrets Manager's four steps on the bundle. Then it prints the
 * `export` lines that point the CLI and the AWS CLI at it, and serves until
 * SIGINT or SIGTERM.
 *
 * While it runs, the endpoint it prints is a proxy in front of moto that does
 * what Lambda and Secrets Manager would do and moto does not:
 * - a RotateSecret answered with success (rotate now: the CLI's `rotate` and
 *   `revoke`, `aws secretsmanager rotate-secret`, the function itself) starts
 *   the rotation: Secrets Manager's four steps, each an invocation of the
 *   bundle, after the caller has its answer;
 * - Lambda's Invoke of the rotation function runs the bundle with the payload
 *   (`{"action":"lifecycle"}` runs the lifecycle now);
 * - the stack's lifecycle schedule runs the lifecycle (hourly, as the
 *   template's rule says; `--lifecycle-every` changes it, 0 turns it off).
 * Invocations run one at a time. The function's log goes to a file.
 *
 * Options (or environment variables):
 *   --ports AWS[,CLOUDFORMATION]   SANDBOX_PORTS      fixed ports for the two endpoints (free ones by default)
 *   --lifecycle-every SECONDS      SANDBOX_LIFECYCLE_SECONDS
 */
import { createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { format } from 'util';
import { CreateAccessKeyCommand, CreateUserCommand } from '@aws-sdk/client-iam';
import { LambdaClient, UpdateFunctionConfigurationCommand } from '@aws-sdk/client-lambda';
import { DescribeSecretCommand, GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { App } from 'aws-cdk-lib';
import { managedKeys } from './example-template';
import { AccessKeysExampleStack } from '../examples/access-keys-example-stack';
import { LIFECYCLE_ACTION, Stage, userNameOf } from '../src/rotation/contract';
import { CLI } from '../test/support/cli';
import { DeploymentPlayer, StackTemplate } from '../test/support/deployment';
import { TEST_ENV } from '../test/support/intrinsics';
import { MotoServer } from '../test/support/moto';
import { MotoProxy, ProxiedRequest, ProxyReply } from '../test/support/moto-proxy';

const DAY = 86_400_000;
const OPERATOR = 'sandbox-operator';
/** The line the sandbox prints when it is ready; the export lines come before it. */
export const READY = 'sandbox: ready';

export interface SandboxOptions {
  readonly awsPort?: number;
  readonly cloudFormationPort?: number;
  /** Seconds between scheduled lifecycle runs (0: none); the template's schedule by default. */
  readonly lifecycleSeconds?: number;
}

/** A bad option: said in one line, exit code 2. */
class UsageError extends Error {}

/** The options from the command line, else the environment. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): SandboxOptions {
  const value = (flag: string, variable: string) => {
    const i = argv.findIndex((a) => a === flag || a.startsWith(`${flag}=`));
    if (i < 0) return env[variable] || undefined;
    const v = argv[i].includes('=') ? argv[i].slice(flag.length + 1) : argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const unknown = argv.filter((a, i) => a.startsWith('-') && !/^--(ports|lifecycle-every)(=|$)/.test(a) && !/^--(ports|lifecycle-every)$/.test(argv[i - 1] ?? ''));
  if (unknown.length > 0) throw new UsageError(`unknown option ${unknown[0]}: the sandbox takes --ports AWS[,CLOUDFORMATION] and --lifecycle-every SECONDS`);
  const port = (text: string) => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 1 || n > 65535) throw new UsageError(`not a port: ${text}`);
    return n;
  };
  const ports = value('--ports', 'SANDBOX_PORTS')?.split(',').map((p) => port(p.trim()));
  const every = value('--lifecycle-every', 'SANDBOX_LIFECYCLE_SECONDS');
  const lifecycleSeconds = every === undefined ? undefined : Number(every);
  if (lifecycleSeconds !== undefined && !(Number.isFinite(lifecycleSeconds) && lifecycleSeconds >= 0)) {
    throw new UsageError(`--lifecycle-every takes a number of seconds (0: no scheduled runs), not ${every}`);
  }
  return { awsPort: ports?.[0], cloudFormationPort: ports?.[1], lifecycleSeconds };
}

/** The example app's template, synthesized in process (the app examples/app.ts makes). */
function synthesize(outdir: string): StackTemplate {
  const app = new App({ outdir });
  new AccessKeysExampleStack(app, 'AccessKeysExample', { env: { account: TEST_ENV.account, region: TEST_ENV.region } });
  return app.synth().getStackByName('AccessKeysExample').template as StackTemplate;
}

/** How often the template's schedule runs the lifecycle (an EventBridge rule whose target's input is `{"action":"lifecycle"}`), in seconds. */
function lifecycleSchedule(template: StackTemplate): number | undefined {
  for (const r of Object.values(template.Resources)) {
    if (r.Type !== 'AWS::Events::Rule') continue;
    const targets = (r.Properties?.Targets ?? []) as { Input?: string }[];
    if (!targets.some((t) => t.Input && JSON.parse(t.Input).action === LIFECYCLE_ACTION)) continue;
    const rate = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(String(r.Properties?.ScheduleExpression));
    if (rate) return Number(rate[1]) * { minute: 60, hour: 3600, day: 86_400 }[rate[2] as 'minute' | 'hour' | 'day'];
  }
  return undefined;
}

const say = (line = '') => process.stdout.write(`${line}\n`);
const shellQuote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, '\'\\\'\'')}'`);

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2), process.env);
  const started = Date.now();
  // From the start: a signal during the deployment stops the sandbox once it is up; a second one while it stops exits at once.
  let signals = 0;
  const signalled = new Promise<string>((resolve) => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (++signals > 1) {
          say(`sandbox: ${signal} again: exiting at once (moto may still run; its files stay in ${tmpdir()})`);
          process.exit(130);
        }
        resolve(signal);
      });
    }
  });
  const work = mkdtempSync(path.join(tmpdir(), 'rotating-access-keys-sandbox-'));
  // The function logs a JSON line for every step: to a file, as CloudWatch Logs would keep it.
  const functionLog = path.join(work, 'function.log');
  const log = createWriteStream(functionLog, { flags: 'a' });
  console.log = (...args: unknown[]) => { log.write(`${format(...args)}\n`); };

  let moto: MotoServer | undefined;
  let player: DeploymentPlayer | undefined;
  let proxy: MotoProxy | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopping = false;

  // ---- Lambda and Secrets Manager, as they would run the function ------------------------------

  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(run: () => Promise<T>): Promise<T> => {
    const next = queue.then(run);
    queue = next.catch(() => undefined);
    return next;
  };
  let serving = false;
  const userOf = (secretArn: string) => {
    const r = player!.registrations().find((x) => x.secretArn === secretArn);
    return r ? userNameOf(r.userArn) : undefined;
  };
  const currentKey = async (secretArn: string) => {
    const v = await player!.secretsManager.send(new GetSecretValueCommand({ SecretId: secretArn, VersionStage: Stage.CURRENT }));
    return (JSON.parse(v.SecretString ?? '{}') as { accessKeyId?: string }).accessKeyId ?? 'no key';
  };
  /** Secrets Manager's part after a RotateSecret it answered: the four steps on the secret's rotation function. */
  const rotationStarted = (request: ProxiedRequest, answer: Buffer) => {
    if (!serving || stopping || request.action !== 'RotateSecret') return;
    const params = JSON.parse(request.body.toString() || '{}') as { SecretId?: string; RotateImmediately?: boolean };
    const token = (JSON.parse(answer.toString() || '{}') as { VersionId?: string }).VersionId;
    if (params.RotateImmediately === false || !token) return;
    void serially(async () => {
      const described = await player!.secretsManager.send(new DescribeSecretCommand({ SecretId: params.SecretId }));
      const name = described.ARN!.split(':secret:')[1];
      if (described.RotationLambdaARN !== player!.deployedFunction?.arn) {
        say(`rotation of ${name}: its rotation function ${described.RotationLambdaARN ?? '(none)'} is not the stack's; the sandbox runs no other function`);
        return;
      }
      const played = await player!.playRotation(described.ARN!, token);
      const user = userOf(described.ARN!) ?? 'a user the registry does not name';
      if (played.failed) say(`rotation of ${name} (${user}) failed at ${played.failed.step}: ${played.failed.error}; the function's log: ${functionLog}`);
      else say(`rotation of ${name} (${user}) finished: createSecret, setSecret, testSecret, finishSecret; AWSCURRENT holds ${await currentKey(described.ARN!)}`);
    }).catch((e) => say(`rotation after RotateSecret of ${params.SecretId}: ${(e as Error).message}`));
  };
  /** Lambda's Invoke of the rotation function: the bundle runs with the payload. */
  const invoke = async (request: ProxiedRequest): Promise<ProxyReply | undefined> => {
    const fn = player?.deployedFunction;
    const match = /^\/2015-03-31\/functions\/([^/?]+)\/invocations/.exec(request.url);
    if (!serving || !fn || request.method !== 'POST' || !match) return undefined;
    const named = decodeURIComponent(match[1]).replace(/:\$LATEST$/, '');
    if (named !== fn.name && named !== fn.arn) return undefined;
    let event: unknown;
    try {
      event = JSON.parse(request.body.toString() || '{}');
    } catch {
      const body = JSON.stringify({ Type: 'User', message: 'Could not parse request body into json' });
      return { status: 400, headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'InvalidRequestContentException' }, body };
    }
    const outcome = await serially(() => player!.invokeFunction(event));
    say(`Invoke of ${fn.name} with ${JSON.stringify(event).slice(0, 120)}: ${outcome.failure ? `failed: ${outcome.failure.message}` : 'done'}`);
    const headers: Record<string, string> = { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' };
    if (!outcome.failure) return { status: 200, headers, body: JSON.stringify(outcome.result ?? null) };
    const error = { errorType: outcome.failure.name, errorMessage: outcome.failure.message };
    return { status: 200, headers: { ...headers, 'x-amz-function-error': 'Unhandled' }, body: JSON.stringify(error) };
  };

  const stop = async (why: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`sandbox: ${why}: stopping`);
    if (timer) clearInterval(timer);
    await queue;
    await proxy?.stop();
    await player?.stop();
    await moto?.stop();
    await new Promise((r) => log.end(r));
    rmSync(work, { recursive: true, force: true });
    say('sandbox: stopped (moto and the stand-ins are down, their files removed)');
  };
  try {
    const template = synthesize(path.join(work, 'cdk.out'));
    moto = await MotoServer.start({ clock: true, cloudFormationPort: options.cloudFormationPort });
    proxy = await MotoProxy.start(moto.endpoint, { port: options.awsPort, intercept: invoke, answered: rotationStarted });
    player = await DeploymentPlayer.start(moto, { upstream: proxy.endpoint });
    await player.reset();

    // ---- what exists before the stack: the imported user with its hand-made key; the operator ----
    for (const spec of managedKeys(template as never)) {
      if (spec.user.created) continue;
      moto.setClock(new Date(Date.now() - 20 * DAY));
      await player.iam.send(new CreateUserCommand({ UserName: spec.user.userName, Path: spec.user.path }));
      await player.iam.send(new CreateAccessKeyCommand({ UserName: spec.user.userName }));
    }
    moto.useRealClock();
    await player.iam.send(new CreateUserCommand({ UserName: OPERATOR }));
    const operator = (await player.iam.send(new CreateAccessKeyCommand({ UserName: OPERATOR }))).AccessKey!;

    // ---- the deployment ----
    const operation = await player.create(template);
    const problems = [
      ...operation.status === 'CREATE_COMPLETE' ? [] : [`the stack ended ${operation.status}`],
      ...operation.phases.flatMap((p) => p.failures),
      ...operation.phases.flatMap((p) => p.decisions.filter((d) => d.verdict !== 'Allowed').map((d) => `denied: ${d.call}: ${d.why}`)),
      ...operation.phases.flatMap((p) => p.rotations.filter((r) => r.failed).map((r) => `${r.secretArn}: ${r.failed!.step}: ${r.failed!.error}`)),
      ...operation.status === 'CREATE_COMPLETE' ? await player.currentKeysServe() : [],
    ];
    if (problems.length > 0) {
      for (const p of problems) console.error(`sandbox: ${p}`);
      throw new Error(`the example app's deployment failed; the function's log: ${functionLog}`);
    }
    serving = true;
    const fn = player.deployedFunction!;
    // The function's environment names its stack and registry: the CLI reads it, as it reads a deployed function's.
    await new LambdaClient({ endpoint: moto.endpoint }).send(new UpdateFunctionConfigurationCommand({
      FunctionName: fn.name, Environment: { Variables: fn.environment },
    }));

    // ---- the CLI on PATH, under its package's name ----
    const bin = path.join(work, 'bin');
    mkdirSync(bin);
    symlinkSync(CLI, path.join(bin, 'cdk-rotating-access-keys'));

    const every = options.lifecycleSeconds ?? lifecycleSchedule(template) ?? 3600;
    if (every > 0) {
      timer = setInterval(() => {
        void serially(() => player!.invokeFunction({ action: LIFECYCLE_ACTION })).then((o) => {
          say(`scheduled lifecycle run: ${o.failure ? `failed: ${o.failure.message}` : JSON.stringify(o.result)}`);
        });
      }, every * 1000);
    }

    // ---- what to paste ----
    const registrations = player.registrations();
    say(`sandbox: the example app (examples/) is deployed into moto in ${((Date.now() - started) / 1000).toFixed(1)} s: `
      + `stack ${TEST_ENV.stackId}, ${registrations.length} managed secrets, each with a first key promoted by the shipped rotation function:`);
    for (const r of registrations) {
      const name = r.secretArn.split(':secret:')[1];
      say(`  ${userNameOf(r.userArn).padEnd(14)} secret ${name}, current key ${await currentKey(r.secretArn)}`);
    }
    say(`  moto's server: ${moto.endpoint} (behind the AWS endpoint below); the rotation function ${fn.name}'s log: ${functionLog}`);
    say(`  the lifecycle: ${every > 0 ? `every ${every} s` : 'no scheduled runs'}; RotateSecret starts a rotation the sandbox plays with the function`);
    say();
    say('# Point a shell at the sandbox (the CLI, the AWS CLI and the AWS SDKs read these):');
    const variables: [string, string][] = [
      ['AWS_ENDPOINT_URL', proxy.endpoint],
      ['AWS_ENDPOINT_URL_CLOUDFORMATION', moto.cloudFormation.endpoint],
      ['AWS_REGION', TEST_ENV.region],
      ['AWS_DEFAULT_REGION', TEST_ENV.region],
      ['AWS_ACCESS_KEY_ID', operator.AccessKeyId!],
      ['AWS_SECRET_ACCESS_KEY', operator.SecretAccessKey!],
      ['PATH', `${bin}:$PATH`],
    ];
    say('unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN');
    for (const [name, value] of variables) say(`export ${name}=${name === 'PATH' ? `"${value}"` : shellQuote(value)}`);
    say();
    say(`# The operator is the IAM user ${OPERATOR} (moto checks no permissions). Then try:`);
    say('cdk-rotating-access-keys status');
    say('cdk-rotating-access-keys rotate --user backup-server --dry-run');
    say('cdk-rotating-access-keys rotate --user backup-server --yes');
    say('cdk-rotating-access-keys credential-process --user backup-server');
    say('aws secretsmanager list-secrets --query \'SecretList[].[Name,RotationEnabled]\' --output text');
    say('aws cloudformation describe-stacks --stack-name Stack --query \'Stacks[].StackStatus\'');
    say('# the lifecycle, now (a file payload reads the same in AWS CLI v1 and v2):');
    say(`echo '{"action":"${LIFECYCLE_ACTION}"}' > lifecycle.json && aws lambda invoke --function-name ${fn.name} --payload fileb://lifecycle.json summary.json `
      + '&& cat summary.json');
    say('# In this repository `npx cdk-rotating-access-keys` is the same command, as in the docs.');
    say(`${READY} (pid ${process.pid}): stop it with Ctrl-C or kill -TERM ${process.pid}`);

    await stop(`${await signalled} received`);
    return 0;
  } catch (e) {
    say(`sandbox: ${(e as Error).stack ?? e}`);
    await stop('failed');
    return 1;
  }
}

if (require.main === module) {
  // `npx projen sandbox` needs the bundles; say so rather than fail inside the deployment.
  if (!existsSync(CLI)) {
    console.error('sandbox: the CLI bundle is missing: run `npx projen bundle` (or `npx projen sandbox`, which bundles first)');
    process.exit(1);
  }
  main().then((code) => process.exit(code), (e) => {
    console.error(e instanceof UsageError ? `sandbox: ${e.message}` : e);
    process.exit(e instanceof UsageError ? 2 : 1);
  });
}
