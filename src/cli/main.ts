/**
 * `cdk-rotating-access-keys`: the operator's command line, shipped as the npm
 * package's bin. Arguments are parsed by commander (small, no dependencies,
 * the most used parser for Node CLIs); tables are drawn by cli-table3.
 * Exit codes: 0 ok, 1 error, 2 usage, 3 not found or not managed, 4 access
 * denied, 5 no or rejected credentials, 6 throttled, 7 refused or not confirmed.
 */
import { closeSync, openSync, writeSync } from 'fs';
import * as readline from 'readline';
import { Command, CommanderError, Option } from 'commander';
import { CliAws } from './cli-aws';
import { ChangeOptions, ChangeResult, Io, Operator } from './commands';
import { checkProfileName, EXPORT_FORMATS, ExportFormat, exportCredentials, PROFILE_NAME_TEXT } from './credentials';
import { classify, CliError, ExitCode } from './errors';
import { Locator, stackName, Target, TRUSTED_STACKS_ENV, trustedStacks } from './locate';
import { changeText, statusTable } from './render';

/** For simulations and tests only: the time the CLI takes as now (ISO 8601). Credential expirations always use the real clock. */
export const CLOCK_ENV = 'ROTATING_ACCESS_KEYS_NOW';
const NAME = 'cdk-rotating-access-keys';

interface CommonOptions {
  readonly profile?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly output: 'table' | 'json';
}

interface TargetOptions extends CommonOptions {
  readonly user?: string;
  readonly secretId?: string;
  readonly stack?: string;
}

type ChangeCommandOptions = TargetOptions & ChangeOptions & { readonly keyId?: string };

function clock(): () => Date {
  const fixed = process.env[CLOCK_ENV];
  if (fixed === undefined || fixed === '') return () => new Date();
  const at = new Date(fixed);
  if (Number.isNaN(at.getTime())) throw new CliError(ExitCode.USAGE, `${CLOCK_ENV} must be an ISO 8601 time, got '${fixed}'`);
  return () => new Date(at);
}

function common(cmd: Command): Command {
  return cmd
    .option('--profile <name>', 'the AWS profile to use (from ~/.aws/config); default: the standard credential chain')
    .option('--region <region>', 'the AWS region; default: AWS_REGION or the profile\'s region')
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint (a VPC endpoint, an emulator)')
    .addOption(new Option('--output <format>', 'table for people, json for scripts').choices(['table', 'json']).default('table'));
}

/** The options of every command that finds a registration: the user, the secret, the stack. */
function targeted(cmd: Command): Command {
  return common(cmd)
    .option('--user <name>', 'the IAM user whose key it is (any case: IAM\'s names are case-insensitive)')
    .option('--secret-id <id>', 'the secret\'s name or ARN')
    .option('--stack <name>', `the stack that registered it (name or id): only its registry is trusted; within ${TRUSTED_STACKS_ENV} when that is set`);
}

function changing(cmd: Command): Command {
  return targeted(cmd)
    .option('--dry-run', 'say what would change, change nothing')
    .option('-y, --yes', 'do not ask for confirmation (commands that need none accept it too)');
}

const target = (o: TargetOptions): Target => ({ secretId: o.secretId, user: o.user, stack: o.stack });

/** Runs the CLI; returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  let code: number = ExitCode.OK;
  const connect = (o: CommonOptions) => {
    const aws = CliAws.connect({ profile: o.profile, region: o.region, endpointUrl: o.endpointUrl });
    const locator = new Locator(aws, trustedStacks(process.env[TRUSTED_STACKS_ENV]));
    return { aws, locator, operator: new Operator(aws, locator, io, clock()) };
  };
  const printChange = (o: CommonOptions, result: ChangeResult) => {
    io.out(o.output === 'json' ? `${JSON.stringify(result, null, 2)}\n` : `${changeText(result)}\n`);
  };

  const program = new Command(NAME)
    .description('Operate the IAM access keys that cdk-rotating-access-keys rotates: see them, rotate, revoke, '
      + 'make inactive or active, delete, and hand the current key to consumers.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true)
    .addHelpText('after', `
Environment:
  ${TRUSTED_STACKS_ENV}  the stacks the CLI trusts, by name or id, separated by commas: only their
      registries are read, and a secret registered through any other stack is refused (exit 7)
  ${CLOCK_ENV}  for simulations: the time the CLI takes as now (ISO 8601)

Exit codes: 0 ok, 1 error, 2 usage, 3 not found or not managed, 4 access denied,
  5 no or rejected credentials, 6 throttled, 7 refused or not confirmed (nothing was changed)`);

  targeted(program.command('status'))
    .description('every managed key: user, secret, key id, IAM status, stage, age, last use, and the next transition with its date')
    .action(async (o: TargetOptions) => {
      const { operator, locator } = connect(o);
      const progress = o.output === 'table' && process.stderr.isTTY
        ? (done: number, total: number) => process.stderr.write(`\rreading ${done}/${total} secrets${done === total ? '\n' : ''}`)
        : undefined;
      const report = await operator.status(target(o), progress);
      io.out(o.output === 'json' ? `${JSON.stringify(report, null, 2)}\n` : `${statusTable(report)}\n`);
      for (const p of locator.problems) io.err(`error: ${classify(p).message}\n`);
      if (locator.problems.length > 0) code = classify(locator.problems[0]).exitCode;
    });

  changing(program.command('rotate'))
    .description('rotate now: says what happens to each key (the old key in the way is deleted at once if inactive; if it is still active the '
      + 'rotation is refused, naming the way out), asks, then Secrets Manager runs the rotation with the secret\'s function')
    .action(async (o: ChangeCommandOptions) => printChange(o, await connect(o).operator.rotate(target(o), o)));

  changing(program.command('revoke'))
    .description('rotate now as an emergency, for a leaked key: the old key in the way is deleted at once, active or not, and the current key '
      + 'is deactivated as soon as the new one is current (deleted at the next lifecycle run); says what happens to each key, and asks')
    .action(async (o: ChangeCommandOptions) => printChange(o, await connect(o).operator.revoke(target(o), o)));

  changing(program.command('deactivate'))
    .description('make a key inactive (default: the old key); never a key that a secret of this library holds as AWSCURRENT or AWSPENDING')
    .option('--key-id <id>', 'the access key id; default: the old (previous) key')
    .action(async (o: ChangeCommandOptions) => printChange(o, await connect(o).operator.deactivate(target(o), o.keyId, o)));

  changing(program.command('activate'))
    .description('make an inactive key active again, with a hold so the lifecycle leaves it until release')
    .option('--key-id <id>', 'the access key id; default: the old (previous) key')
    .action(async (o: ChangeCommandOptions) => printChange(o, await connect(o).operator.activate(target(o), o.keyId, o)));

  changing(program.command('release'))
    .description('remove the hold: the lifecycle resumes (a key active again is deactivated anew, then deleted later)')
    .option('--force', 'release even before the lifecycle has seen the hold')
    .action(async (o: ChangeCommandOptions) => printChange(o, await connect(o).operator.release(target(o), o)));

  changing(program.command('delete'))
    .description('delete a key for good: an inactive key (default: the old key); an active one only with --force and the key id typed; '
      + 'never a key that a secret of this library holds as AWSCURRENT or AWSPENDING')
    .option('--key-id <id>', 'the access key id; default: the old (previous) key')
    .option('--force', 'allow deleting an active key that no secret serves (asks for the key id to be typed)')
    .action(async (o: ChangeCommandOptions) => printChange(o, await connect(o).operator.delete(target(o), o.keyId, o)));

  targeted(program.command('export'))
    .description('the current key as shell exports, an ~/.aws/credentials profile, the console\'s key-file CSV, or credential_process JSON; '
      + 'every field is checked against IAM\'s formats and quoted for the format, and a value that fails is refused (exit 7), writing nothing')
    .addOption(new Option('--format <format>', 'what to write').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--out <file>', 'write to this new file (created with mode 0600) instead of stdout')
    .option('--profile-name <name>', `the profile's name in the credentials format (${PROFILE_NAME_TEXT}); default: the user name`)
    .action(async (o: TargetOptions & { format: ExportFormat; out?: string; profileName?: string }) => {
      const { operator, locator } = connect(o);
      if (o.profileName !== undefined) checkProfileName(o.profileName, '--profile-name');
      // With --secret-id alone, only the secret is read (what grantRead allows); otherwise its registration names the user.
      const m = o.secretId && !o.user && !o.stack ? undefined : await locator.one(target(o));
      const creds = await operator.currentKey(m?.registration.secretArn ?? o.secretId!, m?.userName);
      const profileName = o.format === 'credentials' ? checkProfileName(o.profileName ?? creds.userName, 'the user name') : '';
      const text = exportCredentials(o.format, creds, { profileName, expiration: new Date(Date.now() + 60 * 60_000) });
      if (!o.out) {
        io.out(text);
        return;
      }
      writeNewFile(o.out, text);
      io.err(`wrote the current key of ${creds.userName} (${creds.accessKeyId}${m ? `, stack ${stackName(m.stack)}` : ''}) to ${o.out} (mode 0600)\n`);
    });

  common(program.command('credential-process'))
    .description('print the current key as credential_process JSON, for ~/.aws/config: credential_process = npx '
      + `${NAME} credential-process --secret-id <id>. Needs only what grantRead gives`)
    .requiredOption('--secret-id <id>', 'the secret\'s name or ARN')
    .option('--refresh-minutes <n>', 'how long the SDK may keep the key before asking again (20 to 720; keep it well under deactivateAfter)', '60')
    .action(async (o: CommonOptions & { secretId: string; refreshMinutes: string }) => {
      const minutes = Number(o.refreshMinutes);
      if (!Number.isInteger(minutes) || minutes < 20 || minutes > 720) {
        throw new CliError(ExitCode.USAGE, `--refresh-minutes must be a whole number from 20 to 720, got '${o.refreshMinutes}'`);
      }
      const creds = await connect(o).operator.currentKey(o.secretId);
      io.out(exportCredentials('credential-process', creds, { profileName: '', expiration: new Date(Date.now() + minutes * 60_000) }));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    const failure = classify(e);
    io.err(`error: ${failure.message}\n`);
    return failure.exitCode;
  }
}

/** A new file only, readable by its owner only: a key file is never widened or overwritten. */
function writeNewFile(path: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(ExitCode.REFUSED, `${path} exists: the key is written to a new file only; remove it or choose another path`);
    }
    throw new CliError(ExitCode.ERROR, `cannot create ${path}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, text);
  } finally {
    closeSync(fd);
  }
}

function processIo(): Io {
  let lines: AsyncIterator<string> | undefined;
  return {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    interactive: !!process.stdin.isTTY,
    ask: async (question) => {
      process.stderr.write(question);
      lines ??= readline.createInterface({ input: process.stdin, terminal: false })[Symbol.asyncIterator]();
      const next = await lines.next();
      return next.done ? '' : next.value;
    },
  };
}

if (require.main === module) {
  void run(process.argv.slice(2), processIo()).then((exitCode) => {
    // The SDK keeps connections open: leave once the output is written.
    process.stdout.write('', () => process.exit(exitCode));
  });
}
