/**
 * The CLI's commands: the IAM console's key actions, each through the path
 * the trust model allows, decided from the same read model as the rotation
 * function (`readSecretState`), so the operator and the automation never
 * disagree on what a state means. Every command that changes something reads
 * first, refuses what is unsafe (a key any library secret serves is never
 * turned off: `served.ts`), asks for confirmation naming the user, the secret
 * and the stack, and with --dry-run changes nothing.
 */
import { PromisePool } from '@supercharge/promise-pool';
import { CliAws } from './cli-aws';
import { CheckedKey, checkKey } from './credentials';
import { CliError, ExitCode } from './errors';
import { describeStack, Locator, Managed, stackName, Target, TRUSTED_STACKS_ENV } from './locate';
import { forecastRotation, KeyFate } from './plan';
import { findServing, Serving } from './served';
import { Defaults, Stage, Tags } from '../rotation/contract';
import type { SecretDescription } from '../rotation/gateway';
import { encodeFields, formatRevokeRequest, INACTIVE } from '../rotation/model';
import { KeyState, nextTransition, NextTransition, readSecretState, SecretState } from '../rotation/state';

/** How the CLI talks to the person (or script) running it. */
export interface Io {
  /** Whether a person can answer (stdin is a terminal). */
  readonly interactive: boolean;
  /** The terminal's width, which the status table fits; undefined: as wide as it needs. */
  readonly columns?: number;
  out(text: string): void;
  err(text: string): void;
  /** Reads one line from stdin after printing the question on stderr; '' at the end of input. */
  ask(question: string): Promise<string>;
}

export interface ChangeOptions {
  readonly dryRun?: boolean;
  readonly yes?: boolean;
  readonly force?: boolean;
}

/** What a command that changes something did (or, with --dry-run, would do). */
export interface ChangeResult {
  readonly command: string;
  readonly dryRun: boolean;
  /** False when there was nothing to do. */
  readonly changed: boolean;
  readonly secretArn: string;
  readonly userName: string;
  /** The stack whose registry the secret was found in (its id, or the name the operator gave). */
  readonly stack: string;
  readonly accessKeyId?: string;
  readonly message: string;
  /** rotate and revoke: what happens to each of the user's keys, and to the new one. */
  readonly plan?: KeyFate[];
}

// ---- status ------------------------------------------------------------------------

/** `status --output json`: version 1 of the documented schema. */
export interface StatusReport {
  readonly schemaVersion: 1;
  readonly generatedAt: string;
  readonly secrets: SecretView[];
}

export interface SecretView {
  readonly secretArn: string;
  readonly userName: string;
  readonly userArn: string;
  readonly stack: string;
  readonly owner?: string;
  /** `OBSERVE`: the library changes nothing in IAM for this registration, it only reports; absent: it enforces. */
  readonly mode?: 'OBSERVE';
  /** The registration's delivery function: each rotation hands it the new key before promoting it. */
  readonly deliveryFunction?: string;
  readonly hold?: string;
  readonly revokeRequestedAt?: string;
  readonly rotationInProgress: boolean;
  readonly nextRotationAt?: string;
  readonly next: { readonly action: NextTransition['action']; readonly accessKeyId?: string; readonly at?: string; readonly due: boolean; readonly reason: string };
  readonly keys: KeyView[];
}

export interface KeyView {
  readonly accessKeyId: string;
  readonly status: string;
  /** current, pending, previous, older (held by an older version) or foreign (held by none). */
  readonly stage: KeyState['role'];
  readonly createdAt?: string;
  readonly ageDays?: number;
  /**
   * When, by which service and in which region IAM last saw the key used; `{ never: true }` when IAM has no use on
   * record (it answers the service and region "N/A"); null when it could not be read (the key was deleted meanwhile).
   */
  readonly lastUsed: { readonly at?: string; readonly service?: string; readonly region?: string; readonly never?: true } | null;
}

const DAY_MS = 86_400_000;

export class Operator {
  constructor(
    private readonly aws: CliAws,
    private readonly locator: Locator,
    private readonly io: Io,
    private readonly now: () => Date,
  ) {}

  /** Every managed key the target names, with the next transition of each secret. */
  async status(target: Target, progress?: (done: number, total: number) => void): Promise<StatusReport> {
    const managed = await this.locator.find(target);
    if (managed.length === 0 && (target.user || target.stack)) {
      throw new CliError(ExitCode.NOT_FOUND, `no managed access key${target.user ? ` for user ${target.user}` : ''}${target.stack ? ` in stack ${target.stack}` : ''}`);
    }
    const now = this.now();
    let done = 0;
    // A few secrets at a time, as the lifecycle reads them: IAM throttles.
    const { results: views } = await PromisePool.withConcurrency(Defaults.lifecycleConcurrency).for(managed)
      .handleError((e) => { throw e; })
      .process(async (m) => {
        const view = await this.view(m, now);
        progress?.(++done, managed.length);
        return view;
      });
    views.sort((a, b) => a.userName.localeCompare(b.userName) || a.secretArn.localeCompare(b.secretArn));
    return { schemaVersion: 1, generatedAt: now.toISOString(), secrets: views };
  }

  private async view(m: Managed, now: Date): Promise<SecretView> {
    const { state, secret, input } = await readSecretState(this.aws, m.registration, now, { lastUsed: true });
    const next = nextTransition(state, input);
    const iso = (d?: Date) => d?.toISOString();
    return {
      secretArn: state.secretArn,
      userName: state.userName,
      userArn: m.registration.userArn,
      stack: m.stack,
      ...(m.registration.owner ? { owner: m.registration.owner } : {}),
      ...(m.registration.mode === 'OBSERVE' ? { mode: 'OBSERVE' as const } : {}),
      ...(m.registration.deliveryFunctionArn ? { deliveryFunction: m.registration.deliveryFunctionArn } : {}),
      ...(state.hold !== undefined ? { hold: state.hold } : {}),
      ...(state.revokeRequestedAt ? { revokeRequestedAt: iso(state.revokeRequestedAt) } : {}),
      rotationInProgress: rotationInProgress(secret.versions),
      ...(secret.nextRotationAt ? { nextRotationAt: iso(secret.nextRotationAt) } : {}),
      next: { action: next.action, accessKeyId: next.accessKeyId, at: iso(next.at), due: next.due, reason: next.reason },
      keys: state.keys.map((k) => ({
        accessKeyId: k.accessKeyId,
        status: k.status,
        stage: k.role,
        createdAt: iso(k.createdAt),
        // A key created a moment after the clock was read is 0 days old, not -1.
        ageDays: k.createdAt ? Math.max(0, Math.floor((now.getTime() - k.createdAt.getTime()) / DAY_MS)) : undefined,
        lastUsed: lastUse(k.lastUsed),
      })),
    };
  }

  // ---- rotate and revoke ---------------------------------------------------------------

  /**
   * Secrets Manager rotates now, with the secret's own function and schedule.
   * The state is read first and the function's own rule (`planCreate`) says
   * what happens to each key: a rotation it would refuse is refused here,
   * before anything starts, with the way out.
   */
  async rotate(target: Target, options: ChangeOptions): Promise<ChangeResult> {
    return this.startRotation('rotate', target, options);
  }

  /**
   * Rotates now as an emergency revoke: the old key in the way is deleted at
   * once, active or not, and the current key is deactivated as soon as the
   * new one is made current (deleted at the next lifecycle run).
   */
  async revoke(target: Target, options: ChangeOptions): Promise<ChangeResult> {
    return this.startRotation('revoke', target, options);
  }

  private async startRotation(command: 'rotate' | 'revoke', target: Target, options: ChangeOptions): Promise<ChangeResult> {
    const revoke = command === 'revoke';
    const { m, state, input, secret, rotating } = await this.read(target);
    this.refuseDuringRotation(rotating, m);
    const now = this.now();
    const current = state.keys.find((k) => k.role === 'current')?.accessKeyId;
    const forecast = forecastRotation(m.registration, state, secret, input, now, revoke);
    if (forecast.kind === 'refused') {
      throw new CliError(ExitCode.REFUSED, `${revoke ? 'a revoke' : 'a rotation'} of ${m.userName}'s key ${where(m)} would fail before changing anything: `
        + `${forecast.reason}; nothing was started`);
    }
    // What other library secrets say of the keys it turns off can warn, never stop it: a look-alike could otherwise keep a leaked key alive.
    const turnedOff = [...forecast.deleted, ...(revoke && current ? [current] : [])];
    const others = turnedOff.length === 0 ? [] : (await findServing(this.aws, turnedOff, secret)).serving.filter((x) => x.secretArn !== secret.arn);
    const plan: KeyFate[] = forecast.keys.map((k) => {
      const also = others.filter((x) => x.accessKeyId === k.accessKeyId).map((x) => `; it is also ${x.stage} of secret ${x.secretName}, whose consumers lose it too`);
      return { ...k, then: k.then + also.join('') };
    });
    const base = { ...this.base(command, m), ...(revoke ? { accessKeyId: current } : {}), plan };
    const what = revoke
      ? `revoke ${m.userName}'s current key ${current ?? '(none yet)'} ${where(m)}: every consumer must read the new key from the secret`
      : `rotate ${m.userName}'s key ${where(m)}`;
    const details = plan.map((k) => `  ${k.accessKeyId ?? 'a new key'} (${k.stage === 'new' ? 'created by the rotation' : `${k.status}, ${k.stage}`}): ${k.then}`);
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: [`would ${what}`, ...details].join('\n') };
    await this.confirm(what, revoke ? 'Revoke' : 'Rotate', m, options, details);
    if (revoke) await this.aws.tag(m.registration.secretArn, { [Tags.REVOKE]: formatRevokeRequest(now) });
    await this.aws.rotateNow(m.registration.secretArn);
    const started = revoke
      ? `revoked ${where(m)}: the rotation started; ${current ?? 'no key'} is deactivated when it finishes`
      : `a rotation of ${m.userName}'s key starts now ${where(m)}`;
    return { ...base, dryRun: false, changed: true, message: [started, ...details].join('\n') };
  }

  // ---- the console's key actions ------------------------------------------------------------

  /** Make inactive: the old key by default; never a key a library secret serves. */
  async deactivate(target: Target, keyId: string | undefined, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state, secret } = await this.read(target);
    const key = this.pick(state, keyId, (k) => k.role === 'previous' && k.status !== INACTIVE, 'an active old key');
    const base = { ...this.base('deactivate', m), accessKeyId: key.accessKeyId };
    if (key.status === INACTIVE) return { ...base, dryRun: !!options.dryRun, changed: false, message: `${key.accessKeyId} is already inactive ${where(m)}` };
    await this.refuseServed([key.accessKeyId], m, secret);
    const after = key.role === 'previous'
      ? `the lifecycle deletes it ${days(m.registration.deleteAfterSeconds)} after its grace period ends, unless it is made active again`
      : 'nothing makes it active again: activate it if something still needs it';
    const what = `deactivate ${m.userName}'s ${key.role} key ${key.accessKeyId} ${where(m)}; ${after}`;
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would ${what}` };
    await this.confirm(what, 'Deactivate', m, options);
    await this.aws.setAccessKeyStatus(m.userName, key.accessKeyId, 'Inactive');
    return { ...base, dryRun: false, changed: true, message: `deactivated ${key.accessKeyId} ${where(m)}; ${after}` };
  }

  /**
   * Make active again: the hold (naming the key) is set first, so the
   * lifecycle never finds it active without the operator's word, and leaves it.
   */
  async activate(target: Target, keyId: string | undefined, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state, input } = await this.read(target);
    const key = this.pick(state, keyId, (k) => k.role === 'previous' && k.status === INACTIVE, 'an inactive old key');
    const base = { ...this.base('activate', m), accessKeyId: key.accessKeyId };
    if (input.staged.revokedPredecessor && key.accessKeyId === input.staged.previous) {
      throw new CliError(ExitCode.REFUSED, `${key.accessKeyId} was revoked: the lifecycle deletes it at its next run whether it is active or not. `
        + 'Consumers must use the current key');
    }
    if (key.status !== INACTIVE) return { ...base, dryRun: !!options.dryRun, changed: false, message: `${key.accessKeyId} is already active ${where(m)}` };
    const hold = key.role !== 'current' && key.role !== 'pending';
    const what = `activate ${m.userName}'s ${key.role} key ${key.accessKeyId} ${where(m)}`
      + (hold ? `, holding the lifecycle off it (tag ${Tags.HOLD}) until you run release` : '');
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would ${what}` };
    if (hold) {
      const by = await this.aws.callerIdentity().catch(() => undefined);
      const value = encodeFields({ 'id': key.accessKeyId, 'held-at': this.now().toISOString(), 'by': by });
      await this.aws.tag(m.registration.secretArn, { [Tags.HOLD]: value.length <= 256 ? value : encodeFields({ 'id': key.accessKeyId, 'held-at': this.now().toISOString() }) });
    }
    await this.aws.setAccessKeyStatus(m.userName, key.accessKeyId, 'Active');
    return { ...base, dryRun: false, changed: true, message: `activated ${key.accessKeyId} ${where(m)}${hold ? '; held until release' : ''}` };
  }

  /** Removes the hold: the lifecycle resumes (a key active again is deactivated anew, then deleted later). */
  async release(target: Target, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state, input } = await this.read(target);
    const base = { ...this.base('release', m), accessKeyId: state.retiring?.accessKeyId };
    if (state.hold === undefined) return { ...base, dryRun: !!options.dryRun, changed: false, message: `${m.userName}'s secret has no hold ${where(m)}` };
    const id = state.retiring?.accessKeyId;
    const key = state.keys.find((k) => k.accessKeyId === id);
    const progress = input.progress;
    if (key && key.status !== INACTIVE && progress.deactivatedAt && !progress.heldAt && !options.force) {
      throw new CliError(ExitCode.REFUSED, `the lifecycle has not seen this hold on ${id} yet (it runs hourly): released now, the key would be `
        + 'held again at its deletion time. Release after the next lifecycle run, or add --force');
    }
    const after = key && key.status !== INACTIVE && progress.deactivatedAt
      ? `${id} is deactivated again at the next lifecycle run and deleted ${days(m.registration.deleteAfterSeconds)} later`
      : 'the lifecycle resumes at its next run';
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would remove the hold '${state.hold}' ${where(m)}; ${after}` };
    await this.aws.untag(m.registration.secretArn, [Tags.HOLD]);
    return { ...base, dryRun: false, changed: true, message: `released ${where(m)}; ${after}` };
  }

  /**
   * Delete (cannot be undone): an inactive key after a confirmation; an active
   * key only with --force and the key id typed as a second confirmation;
   * never a key a library secret serves.
   */
  async delete(target: Target, keyId: string | undefined, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state, secret } = await this.read(target);
    const key = this.pick(state, keyId, (k) => k.role === 'previous' && k.status === INACTIVE, 'an inactive old key');
    const base = { ...this.base('delete', m), accessKeyId: key.accessKeyId };
    await this.refuseServed([key.accessKeyId], m, secret);
    const active = key.status !== INACTIVE;
    if (active && !options.force) {
      throw new CliError(ExitCode.REFUSED, `${key.accessKeyId} is active: deactivate it first and check nothing breaks, `
        + 'or add --force (you will be asked to type the key id)');
    }
    const what = `delete ${m.userName}'s ${active ? 'ACTIVE ' : ''}${key.role} key ${key.accessKeyId} ${where(m)}; this cannot be undone`;
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would ${what}` };
    if (active) {
      const typed = await this.io.ask(`${what}.\n${confirmationContext(m)}\nType the key id to delete it: `);
      if (typed.trim() !== key.accessKeyId) throw new CliError(ExitCode.REFUSED, 'not confirmed: the key id typed does not match; nothing was deleted');
    } else {
      await this.confirm(what, 'Delete', m, options);
    }
    const deleted = await this.aws.deleteAccessKey(m.userName, key.accessKeyId);
    return {
      ...base,
      dryRun: false,
      changed: deleted,
      message: deleted ? `deleted ${key.accessKeyId} ${where(m)}` : `${key.accessKeyId} was already gone ${where(m)}`,
    };
  }

  // ---- credentials for consumers ----------------------------------------------------------

  /**
   * The current key, as `GetSecretValue` of AWSCURRENT gives it (the one read
   * `grantRead` allows), every field checked against IAM's formats;
   * `expectedUser` when the registration is known.
   */
  async currentKey(secretId: string, expectedUser?: string): Promise<CheckedKey> {
    const { arn, value } = await this.aws.currentValue(secretId);
    const key = checkKey(value, `the AWSCURRENT version of ${arn}`, expectedUser);
    if (!key) throw new CliError(ExitCode.NOT_FOUND, `secret ${secretId} holds no key yet: its first rotation has not run`);
    return key;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** The one key the target names: its registration, its state as the lifecycle sees it, and whether a rotation is running. */
  private async read(target: Target) {
    const m = await this.locator.one(target);
    const { state, input, secret } = await readSecretState(this.aws, m.registration, this.now());
    return { m, state, input, secret, rotating: rotationInProgress(secret.versions) };
  }

  private base(command: string, m: Managed) {
    return { command, secretArn: m.registration.secretArn, userName: m.userName, stack: m.stack };
  }

  /**
   * Refuses, whatever --force says, when a key is AWSCURRENT or AWSPENDING of
   * a library secret. When ListSecrets is denied, only the operator's own
   * secret can be checked: said on stderr.
   */
  private async refuseServed(keyIds: string[], m: Managed, secret: SecretDescription): Promise<void> {
    const check = await findServing(this.aws, keyIds, secret);
    if (!check.listed) {
      this.io.err(`warning: secretsmanager:ListSecrets was denied, so only secret ${secretName(secret.arn)} was checked for ${keyIds.join(', ')}: `
        + `other secrets of this library that serve it cannot be seen; pin the stacks you trust (${TRUSTED_STACKS_ENV})\n`);
    }
    const found: Serving | undefined = check.serving[0];
    if (!found) return;
    const own = found.secretArn === secret.arn;
    throw new CliError(ExitCode.REFUSED, `${found.accessKeyId} is ${found.stage} of secret ${found.secretName}`
      + `${own ? ` (${m.userName}'s ${found.stage === Stage.CURRENT ? 'current' : 'pending'} key, stack ${stackName(m.stack)})` : ''}: `
      + 'a key a secret of this library serves is never turned off by this CLI, whatever --force says; '
      + (own ? 'to replace it, run revoke' : `find which stack registers ${found.secretName} (status --secret-id ${found.secretArn}) before touching this key`)
      + '; nothing was changed');
  }

  /** The key named, which must be one of the user's; without a name, the one `fits`. */
  private pick(state: SecretState, keyId: string | undefined, fits: (k: KeyState) => boolean, what: string): KeyState {
    if (keyId) {
      const key = state.keys.find((k) => k.accessKeyId === keyId);
      if (!key) {
        throw new CliError(ExitCode.NOT_FOUND, `user ${state.userName} has no access key ${keyId} (its keys: ${state.keys.map((k) => k.accessKeyId).join(', ') || 'none'})`);
      }
      return key;
    }
    const key = state.keys.find(fits);
    if (!key) {
      throw new CliError(ExitCode.NOT_FOUND, `user ${state.userName} has no ${what} (its keys: `
        + `${state.keys.map((k) => `${k.accessKeyId} ${k.status} ${k.role}`).join(', ') || 'none'}); name one with --key-id`);
    }
    return key;
  }

  private refuseDuringRotation(rotating: boolean, m: Managed): void {
    if (rotating) {
      throw new CliError(ExitCode.REFUSED, `a rotation of ${m.userName}'s key is in progress (the secret has an AWSPENDING version): `
        + 'wait for it to finish, then run this again');
    }
  }

  /** Asks on a terminal (the question names the user, the secret and the stack); without one, refuses unless --yes. */
  private async confirm(what: string, verb: string, m: Managed, options: ChangeOptions, details: string[] = []): Promise<void> {
    if (options.yes) return;
    if (!this.io.interactive) {
      throw new CliError(ExitCode.REFUSED, `this command needs a confirmation to ${what}${details.length ? ' (--dry-run says what happens to each key)' : ''}: `
        + 'run it in a terminal, or pass --yes; nothing was changed');
    }
    const answer = (await this.io.ask([`${what}${details.length ? ':' : '.'}`, ...details, confirmationContext(m), `${verb}? [y/N] `].join('\n'))).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new CliError(ExitCode.REFUSED, 'not confirmed; nothing was changed');
  }
}

/** `(stack <name>, secret <name>)`: where a command acts, in every message. */
function where(m: Managed): string {
  return `(stack ${stackName(m.stack)}, secret ${secretName(m.registration.secretArn)})`;
}

/** The lines a confirmation shows before its question: the user, the secret and the stack, in full. */
function confirmationContext(m: Managed): string {
  return `  user:   ${m.registration.userArn}\n  secret: ${m.registration.secretArn}\n  stack:  ${describeStack(m.stack)}`;
}

function secretName(arn: string): string {
  return arn.split(':secret:')[1] ?? arn;
}

/** A version labelled AWSPENDING that is not AWSCURRENT: Secrets Manager is rotating the secret. */
function rotationInProgress(versions: Record<string, string[]>): boolean {
  return Object.values(versions).some((labels) => labels.includes(Stage.PENDING) && !labels.includes(Stage.CURRENT));
}

/** A key's last use as `status` reports it: IAM's "N/A" for a key never used is no service or region, and says never. */
function lastUse(used: KeyState['lastUsed']): KeyView['lastUsed'] {
  if (!used) return null;
  if (!used.at) return { never: true };
  return { at: used.at.toISOString(), service: used.service, region: used.region };
}

function days(seconds: number): string {
  const d = seconds / 86_400;
  return Number.isInteger(d) ? `${d} day${d === 1 ? '' : 's'}` : `${Math.round(seconds / 3600)} hours`;
}
