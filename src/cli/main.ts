/**
 * `cdk-rotating-access-keys`: the operator's command line, shipped as the npm
 * package's bin. Arguments are parsed by commander (small, no dependencies,
 * the most used parser for Node CLIs); tables are drawn by cli-table3. As in
 * the AWS CLI, the global options (--profile, --region, --endpoint-url,
 * --output, --query) go before or after the command, and every command that
 * acts on one registration names it with --user, --secret-id and --stack.
 * Exit codes: 0 ok, 1 error, 2 usage, 3 not found or not managed, 4 access
 * denied, 5 no or rejected credentials, 6 throttled, 7 refused or not confirmed.
 */
import { closeSync, openSync, readFileSync, writeSync } from 'fs';
import * as path from 'path';
import * as readline from 'readline';
import { Command, CommanderError, Option } from 'commander';
import { CliAws } from './cli-aws';
import { ChangeOptions, ChangeResult, Io, Operator } from './commands';
import { checkProfileName, EXPORT_FORMATS, ExportFormat, exportCredentials, PROFILE_NAME_TEXT } from './credentials';
import { adoptable, discover, DiscoverFilter } from './discover';
import { EMIT_LANGUAGES, EmitLanguage, emitApp } from './emit';
import { classify, CliError, ExitCode } from './errors';
import { Locator, stackName, Target, TRUSTED_STACKS_ENV, trustedStacks } from './locate';
import { checkQuery, OUTPUT_FORMATS, OutputFormat, select, selectionTable, textOf } from './output';
import { changeText, discoverTable, statusTable } from './render';

/** For simulations and tests only: the time the CLI takes as now (ISO 8601). Credential expirations always use the real clock. */
export const CLOCK_ENV = 'ROTATING_ACCESS_KEYS_NOW';
const NAME = 'cdk-rotating-access-keys';

/** The global options, as `optsWithGlobals()` gives them to every command wherever they were written. */
interface CommonOptions {
  readonly profile?: string;
  readonly region?: string;
  readonly endpointUrl?: string;
  readonly output: OutputFormat;
  readonly query?: string;
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

/** The global options: the program's, so they go before the command or after it, as in the AWS CLI. */
function globalOptions(cmd: Command): Command {
  return cmd
    .option('--profile <name>', 'the AWS profile to use (from ~/.aws/config); default: AWS_PROFILE, or the standard credential chain')
    .option('--region <region>', 'the AWS region; default: AWS_REGION, AWS_DEFAULT_REGION, or the profile\'s region')
    .option('--endpoint-url <url>', 'send every AWS call to this endpoint (a VPC endpoint, an emulator)')
    .addOption(new Option('--output <format>', 'table for people; json, or text (tab-separated, as the AWS CLI\'s), for scripts')
      .choices(OUTPUT_FORMATS).default('table'))
    .option('--query <expression>', 'a JMESPath expression applied to the command\'s JSON before it is printed, as in the AWS CLI');
}

/** The options of every command that finds a registration: the user, the secret, the stack. */
function targeted(cmd: Command): Command {
  return cmd
    .option('--user <name>', 'the IAM user whose key it is (any case: IAM\'s names are case-insensitive)')
    .option('--secret-id <id>', 'the secret\'s name, its name with Secrets Manager\'s suffix (as status shows it), or its ARN')
    .option('--stack <name>', `the stack that registered it (name or id): only its registry is trusted; within ${TRUSTED_STACKS_ENV} when that is set`);
}

function changing(cmd: Command): Command {
  return targeted(cmd)
    .option('--dry-run', 'say what would change, change nothing')
    .option('-y, --yes', 'do not ask for confirmation (commands that need none accept it too)');
}

const target = (o: TargetOptions): Target => ({ secretId: o.secretId, user: o.user, stack: o.stack });

/** A command's options with the global ones, wherever they were written. */
function options<T>(cmd: Command): T {
  return cmd.optsWithGlobals() as T;
}

/** `cdk-rotating-access-keys 1.2.3`: the version in the package.json of the package the CLI ships in. */
function version(): string {
  // The bundle runs from assets/cli/main/, the sources from src/cli/ (tests).
  for (const file of [path.join(__dirname, '..', '..', '..', 'package.json'), path.join(__dirname, '..', '..', 'package.json')]) {
    try {
      const pkg = JSON.parse(readFileSync(file, 'utf8'));
      if (pkg.name === NAME) return `${NAME} ${pkg.version}`;
    } catch {
      // not this one
    }
  }
  return `${NAME} (version unknown)`;
}

/** How the SDK's credential_process line reads, in the help and the docs: the installed binary, never a download. */
const CREDENTIAL_PROCESS_LINE = `credential_process = ${NAME} credential-process --secret-id <id>`;

/** Runs the CLI; returns the exit code. */
export async function run(argv: string[], io: Io): Promise<number> {
  let code: number = ExitCode.OK;
  const connect = (o: CommonOptions) => {
    const aws = CliAws.connect({ profile: o.profile, region: o.region, endpointUrl: o.endpointUrl });
    const locator = new Locator(aws, trustedStacks(process.env[TRUSTED_STACKS_ENV]));
    return { aws, locator, operator: new Operator(aws, locator, io, clock()) };
  };
  /** A command's JSON document in the chosen format, after --query; `forPeople` is the table's (or text's) own layout. */
  const print = (o: CommonOptions, document: unknown, forPeople: () => string) => {
    const selected = select(document, o.query);
    if (o.output === 'json') io.out(`${JSON.stringify(selected, null, 2)}\n`);
    else if (o.output === 'text') io.out(textOf(selected));
    else io.out(`${o.query !== undefined ? selectionTable(selected) : forPeople()}\n`);
  };
  const printChange = (o: CommonOptions, result: ChangeResult) => print(o, result, () => changeText(result));
  /** The current key for a consumer: with --secret-id alone only the secret is read (what grantRead allows); otherwise its registration names it. */
  const consumerKey = async (o: TargetOptions) => {
    if (o.query !== undefined) throw new CliError(ExitCode.USAGE, '--query selects from a command\'s JSON: the key is written in its own format');
    const { operator, locator } = connect(o);
    const m = o.secretId && !o.user && !o.stack ? undefined : await locator.one(target(o));
    const creds = await operator.currentKey(m?.registration.secretArn ?? o.secretId!, m?.userName);
    return { creds, m };
  };

  const program = globalOptions(new Command(NAME))
    .version(version(), '--version', 'print the name and version of the CLI')
    .description('Operate the IAM access keys that cdk-rotating-access-keys rotates: see them, rotate, revoke, '
      + 'make inactive or active, delete, and hand the current key to consumers.')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showSuggestionAfterError(true)
    // Each command's help lists the global options too, as the AWS CLI's does.
    .configureHelp({ showGlobalOptions: true })
    // An expression that does not parse is a usage error before any AWS call.
    .hook('preAction', (_, command) => {
      const query = options<CommonOptions>(command).query;
      if (query !== undefined) checkQuery(query);
    })
    .addHelpText('after', `
Environment:
  ${TRUSTED_STACKS_ENV}  the stacks the CLI trusts, by name or id, separated by commas: only their
      registries are read, and a secret registered through any other stack is refused (exit 7)
  ${CLOCK_ENV}  for simulations: the time the CLI takes as now (ISO 8601)
  COLUMNS  the width of the status table when stdout is not a terminal

In ~/.aws/config, for every AWS SDK and the AWS CLI (the package installed, so the command is on the PATH):
  ${CREDENTIAL_PROCESS_LINE}

Exit codes: 0 ok, 1 error, 2 usage, 3 not found or not managed, 4 access denied,
  5 no or rejected credentials, 6 throttled, 7 refused or not confirmed (nothing was changed)`);

  targeted(program.command('status'))
    .description('every managed key: user, secret, key id, IAM status, stage, age, last use, the next transition with its date, '
      + 'and the secret\'s rotation (running now, or when it is next due); the table fits the terminal\'s width')
    .action(async (_, cmd: Command) => {
      const o = options<TargetOptions>(cmd);
      const { operator, locator } = connect(o);
      const progress = o.output === 'table' && process.stderr.isTTY
        ? (done: number, total: number) => process.stderr.write(`\rreading ${done}/${total} secrets${done === total ? '\n' : ''}`)
        : undefined;
      const report = await operator.status(target(o), progress);
      print(o, report, () => statusTable(report, io.columns));
      for (const p of locator.problems) io.err(`error: ${classify(p).message}\n`);
      if (locator.problems.length > 0) code = classify(locator.problems[0]).exitCode;
    });

  program.command('discover')
    .description('every IAM user with access keys, from IAM\'s credential report: each key\'s id, status, age, last use, its Security Hub IAM.3 '
      + 'verdict (an active key older than 90 days fails), and the stack and secret of this library that manage it, or "unmanaged". '
      + 'With --emit, a CDK app that adopts the users whose keys no secret of this library holds')
    .option('--stack <name>', `read only this stack's registry (name or id); within ${TRUSTED_STACKS_ENV} when that is set`)
    .option('--path-prefix <path>', 'only users whose IAM path starts with this (/ops/), as ListUsers\' --path-prefix')
    .option('--name <glob>', 'only users whose name matches this glob: * any characters, ? one, in any case (IAM\'s names are case-insensitive)')
    .option('--older-than <days>', 'only users with an active key older than this many days (90: those failing IAM.3)')
    .addOption(new Option('--emit <language>', 'print a CDK app that adopts the unmanaged users listed (RotatingAccessKey, ForeignKeyPolicy.ADOPT, '
      + 'rotateOnDeploy: false) instead of the listing').choices(EMIT_LANGUAGES))
    .action(async (_, cmd: Command) => {
      const o = options<CommonOptions & { stack?: string; pathPrefix?: string; name?: string; olderThan?: string; emit?: EmitLanguage }>(cmd);
      if (o.emit && o.query !== undefined) throw new CliError(ExitCode.USAGE, '--query selects from the JSON listing: --emit prints a CDK app');
      if (o.pathPrefix !== undefined && !/^\/([\x21-\x7e]*\/)?$/.test(o.pathPrefix)) {
        throw new CliError(ExitCode.USAGE, `--path-prefix must be an IAM path, / or starting and ending with / (/ops/), got '${o.pathPrefix}'`);
      }
      const olderThanDays = o.olderThan === undefined ? undefined : Number(o.olderThan);
      if (olderThanDays !== undefined && (!Number.isInteger(olderThanDays) || olderThanDays < 0)) {
        throw new CliError(ExitCode.USAGE, `--older-than must be a whole number of days, got '${o.olderThan}'`);
      }
      const filter: DiscoverFilter = { pathPrefix: o.pathPrefix, name: o.name, olderThanDays };
      const { aws, locator } = connect(o);
      const report = await discover(aws, locator, { stack: o.stack }, filter, clock()());
      for (const p of locator.problems) io.err(`error: ${classify(p).message}\n`);
      if (locator.problems.length > 0) code = classify(locator.problems[0]).exitCode;
      if (!o.emit) {
        print(o, report, () => discoverTable(report, io.columns));
        return;
      }
      const users = adoptable(report);
      if (users.length === 0) {
        throw new CliError(ExitCode.NOT_FOUND, `no unmanaged user with keys${o.pathPrefix || o.name || o.olderThan ? ' matches the filters' : ''}: nothing to adopt`);
      }
      io.out(emitApp(o.emit, users, report.generatedAt));
      io.err(`${users.length} user${users.length === 1 ? '' : 's'} to adopt; ${report.users.length - users.length} listed user`
        + `${report.users.length - users.length === 1 ? ' is' : 's are'} left out (managed, registered, or with a key a secret of this library holds)\n`);
    });

  changing(program.command('rotate'))
    .description('rotate now: says what happens to each key (the old key in the way is deleted at once if inactive; if it is still active the '
      + 'rotation is refused, naming the way out), asks, then Secrets Manager runs the rotation with the secret\'s function')
    .action(async (_, cmd: Command) => {
      const o = options<ChangeCommandOptions>(cmd);
      printChange(o, await connect(o).operator.rotate(target(o), o));
    });

  changing(program.command('revoke'))
    .description('rotate now as an emergency, for a leaked key: the old key in the way is deleted at once, active or not, and the current key '
      + 'is deactivated as soon as the new one is current (deleted at the next lifecycle run); says what happens to each key, and asks')
    .action(async (_, cmd: Command) => {
      const o = options<ChangeCommandOptions>(cmd);
      printChange(o, await connect(o).operator.revoke(target(o), o));
    });

  changing(program.command('deactivate'))
    .description('make a key inactive (default: the old key); never a key that a secret of this library holds as AWSCURRENT or AWSPENDING')
    .option('--key-id <id>', 'the access key id; default: the old (previous) key')
    .action(async (_, cmd: Command) => {
      const o = options<ChangeCommandOptions>(cmd);
      printChange(o, await connect(o).operator.deactivate(target(o), o.keyId, o));
    });

  changing(program.command('activate'))
    .description('make an inactive key active again, with a hold so the lifecycle leaves it until release')
    .option('--key-id <id>', 'the access key id; default: the old (previous) key')
    .action(async (_, cmd: Command) => {
      const o = options<ChangeCommandOptions>(cmd);
      printChange(o, await connect(o).operator.activate(target(o), o.keyId, o));
    });

  changing(program.command('release'))
    .description('remove the hold: the lifecycle resumes (a key active again is deactivated anew, then deleted later)')
    .option('--force', 'release even before the lifecycle has seen the hold')
    .action(async (_, cmd: Command) => {
      const o = options<ChangeCommandOptions>(cmd);
      printChange(o, await connect(o).operator.release(target(o), o));
    });

  changing(program.command('delete'))
    .description('delete a key for good: an inactive key (default: the old key); an active one only with --force and the key id typed; '
      + 'never a key that a secret of this library holds as AWSCURRENT or AWSPENDING')
    .option('--key-id <id>', 'the access key id; default: the old (previous) key')
    .option('--force', 'allow deleting an active key that no secret serves (asks for the key id to be typed)')
    .action(async (_, cmd: Command) => {
      const o = options<ChangeCommandOptions>(cmd);
      printChange(o, await connect(o).operator.delete(target(o), o.keyId, o));
    });

  targeted(program.command('export'))
    .description('the current key as shell exports, an ~/.aws/credentials profile, the console\'s key-file CSV, credential_process JSON, '
      + 's3fs\'s password file, or the legacy key file (AWSAccessKeyId=, AWSSecretKey=); '
      + 'every field is checked against IAM\'s formats and quoted for the format, and a value that fails is refused (exit 7), writing nothing')
    .addOption(new Option('--format <format>', 'what to write').choices(EXPORT_FORMATS).makeOptionMandatory())
    .option('--out <file>', 'write to this new file (created with mode 0600) instead of stdout')
    .option('--profile-name <name>', `the profile's name in the credentials format (${PROFILE_NAME_TEXT}); default: the user name`)
    .action(async (_, cmd: Command) => {
      const o = options<TargetOptions & { format: ExportFormat; out?: string; profileName?: string }>(cmd);
      if (o.profileName !== undefined) checkProfileName(o.profileName, '--profile-name');
      const { creds, m } = await consumerKey(o);
      const profileName = o.format === 'credentials' ? checkProfileName(o.profileName ?? creds.userName, 'the user name') : '';
      const text = exportCredentials(o.format, creds, { profileName, expiration: new Date(Date.now() + 60 * 60_000) });
      if (!o.out) {
        io.out(text);
        return;
      }
      writeNewFile(o.out, text);
      io.err(`wrote the current key of ${creds.userName} (${creds.accessKeyId}${m ? `, stack ${stackName(m.stack)}` : ''}) to ${o.out} (mode 0600)\n`);
    });

  targeted(program.command('credential-process'))
    .description('print the current key as credential_process JSON, for ~/.aws/config. With --secret-id alone it needs only what grantRead '
      + 'gives; with --user or --stack the registration names the secret (what grantOperate reads)')
    .option('--refresh-minutes <n>', 'how long the SDK may keep the key before asking again (20 to 720; keep it well under deactivateAfter)', '60')
    .addHelpText('after', `\nIn ~/.aws/config (the package installed, so the command is on the PATH):\n  [profile consumer]\n  ${CREDENTIAL_PROCESS_LINE}\n`)
    .action(async (_, cmd: Command) => {
      const o = options<TargetOptions & { refreshMinutes: string }>(cmd);
      const minutes = Number(o.refreshMinutes);
      if (!Number.isInteger(minutes) || minutes < 20 || minutes > 720) {
        throw new CliError(ExitCode.USAGE, `--refresh-minutes must be a whole number from 20 to 720, got '${o.refreshMinutes}'`);
      }
      if (!o.secretId && !o.user) throw new CliError(ExitCode.USAGE, 'name the key with --user <name> or --secret-id <name or ARN>');
      const { creds } = await consumerKey(o);
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
function writeNewFile(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new CliError(ExitCode.REFUSED, `${file} exists: the key is written to a new file only; remove it or choose another path`);
    }
    throw new CliError(ExitCode.ERROR, `cannot create ${file}: ${(e as Error).message}`);
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
    // The terminal's width; when stdout is not one, COLUMNS if set (as shells and `ls` have it), else none.
    columns: process.stdout.isTTY ? process.stdout.columns : Number(process.env.COLUMNS) || undefined,
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
  // The AWS SDK's own switch for its notice that SDK versions published after January 2027 will need Node.js 22: it concerns
  // whoever updates the SDK, not this bundle's (fixed at build), and the package's engines field says which Node.js it supports.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  void run(process.argv.slice(2), processIo()).then((exitCode) => {
    // The SDK keeps connections open: leave once the output is written.
    process.stdout.write('', () => process.exit(exitCode));
  });
}
