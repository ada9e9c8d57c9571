/**
 * The CLI's commands: the IAM console's key actions, each through the path
 * the trust model allows, decided from the same read model as the rotation
 * function (`readSecretState`), so the operator and the automation never
 * disagree on what a state means. Every command that changes something reads
 * first, refuses what is unsafe, asks for confirmation, and with --dry-run
 * changes nothing.
 */
import { PromisePool } from '@supercharge/promise-pool';
import { CliAws } from './cli-aws';
import { CliError, ExitCode } from './errors';
import { Locator, Managed, Target } from './locate';
import { Defaults, Stage, Tags } from '../rotation/contract';
import { encodeFields, formatRevokeRequest, INACTIVE, parseCredentials } from '../rotation/model';
import { KeyState, nextTransition, NextTransition, readSecretState, SecretState } from '../rotation/state';

/** How the CLI talks to the person (or script) running it. */
export interface Io {
  /** Whether a person can answer (stdin is a terminal). */
  readonly interactive: boolean;
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
  readonly accessKeyId?: string;
  readonly message: string;
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
  readonly lastUsed: { readonly at?: string; readonly service?: string; readonly region?: string } | null;
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
        lastUsed: k.lastUsed ? { at: iso(k.lastUsed.at), service: k.lastUsed.service, region: k.lastUsed.region } : null,
      })),
    };
  }

  // ---- rotate and revoke ---------------------------------------------------------------

  /** Secrets Manager rotates now, with the secret's own function and schedule. */
  async rotate(target: Target, options: ChangeOptions): Promise<ChangeResult> {
    const { m, rotating } = await this.read(target);
    this.refuseDuringRotation(rotating, m);
    const base = { command: 'rotate', secretArn: m.registration.secretArn, userName: m.userName };
    const then = `a new key becomes current; the old one is deactivated ${days(m.registration.deactivateAfterSeconds)} later`;
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would start a rotation of ${m.userName}'s key: ${then}` };
    await this.aws.rotateNow(m.registration.secretArn);
    return { ...base, dryRun: false, changed: true, message: `a rotation of ${m.userName}'s key starts now: ${then}` };
  }

  /** Rotates now and deactivates the old key at once (deleted at the next lifecycle run). */
  async revoke(target: Target, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state, rotating } = await this.read(target);
    this.refuseDuringRotation(rotating, m);
    const current = state.keys.find((k) => k.role === 'current')?.accessKeyId;
    const base = { command: 'revoke', secretArn: m.registration.secretArn, userName: m.userName, accessKeyId: current };
    const what = `revoke ${m.userName}'s current key ${current ?? '(none yet)'}: a new key becomes current and the old one is deactivated at once, `
      + 'then deleted at the next lifecycle run; every consumer must read the new key from the secret';
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would ${what}` };
    await this.confirm(`${what}. Revoke?`, options);
    await this.aws.tag(m.registration.secretArn, { [Tags.REVOKE]: formatRevokeRequest(this.now()) });
    await this.aws.rotateNow(m.registration.secretArn);
    return { ...base, dryRun: false, changed: true, message: `revoked: the rotation started; ${current ?? 'no key'} is deactivated when it finishes` };
  }

  // ---- the console's key actions ------------------------------------------------------------

  /** Make inactive: the old key by default; the current key only with --force. */
  async deactivate(target: Target, keyId: string | undefined, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state } = await this.read(target);
    const key = this.pick(state, keyId, (k) => k.role === 'previous' && k.status !== INACTIVE, 'an active old key');
    const base = { command: 'deactivate', secretArn: m.registration.secretArn, userName: m.userName, accessKeyId: key.accessKeyId };
    if (key.status === INACTIVE) return { ...base, dryRun: !!options.dryRun, changed: false, message: `${key.accessKeyId} is already inactive` };
    if ((key.role === 'current' || key.role === 'pending') && !options.force) {
      throw new CliError(ExitCode.REFUSED, `${key.accessKeyId} is ${m.userName}'s ${key.role} key: deactivating it stops every consumer. `
        + 'To replace it, run revoke; to deactivate it anyway, add --force');
    }
    const after = key.role === 'previous'
      ? `the lifecycle deletes it ${days(m.registration.deleteAfterSeconds)} after its grace period ends, unless it is made active again`
      : 'nothing rotates it back: activate it again or rotate';
    const what = `deactivate ${m.userName}'s ${key.role} key ${key.accessKeyId}; ${after}`;
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would ${what}` };
    await this.confirm(`${what}. Deactivate?`, options);
    await this.aws.setAccessKeyStatus(m.userName, key.accessKeyId, 'Inactive');
    return { ...base, dryRun: false, changed: true, message: `deactivated ${key.accessKeyId}; ${after}` };
  }

  /**
   * Make active again: the hold (naming the key) is set first, so the
   * lifecycle never finds it active without the operator's word, and leaves it.
   */
  async activate(target: Target, keyId: string | undefined, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state, input } = await this.read(target);
    const key = this.pick(state, keyId, (k) => k.role === 'previous' && k.status === INACTIVE, 'an inactive old key');
    const base = { command: 'activate', secretArn: m.registration.secretArn, userName: m.userName, accessKeyId: key.accessKeyId };
    if (input.staged.revokedPredecessor && key.accessKeyId === input.staged.previous) {
      throw new CliError(ExitCode.REFUSED, `${key.accessKeyId} was revoked: the lifecycle deletes it at its next run whether it is active or not. `
        + 'Consumers must use the current key');
    }
    if (key.status !== INACTIVE) return { ...base, dryRun: !!options.dryRun, changed: false, message: `${key.accessKeyId} is already active` };
    const hold = key.role !== 'current' && key.role !== 'pending';
    const what = `activate ${m.userName}'s ${key.role} key ${key.accessKeyId}`
      + (hold ? `, holding the lifecycle off it (tag ${Tags.HOLD}) until you run release` : '');
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would ${what}` };
    if (hold) {
      const by = await this.aws.callerIdentity().catch(() => undefined);
      const value = encodeFields({ 'id': key.accessKeyId, 'held-at': this.now().toISOString(), 'by': by });
      await this.aws.tag(m.registration.secretArn, { [Tags.HOLD]: value.length <= 256 ? value : encodeFields({ 'id': key.accessKeyId, 'held-at': this.now().toISOString() }) });
    }
    await this.aws.setAccessKeyStatus(m.userName, key.accessKeyId, 'Active');
    return { ...base, dryRun: false, changed: true, message: `activated ${key.accessKeyId}${hold ? '; held until release' : ''}` };
  }

  /** Removes the hold: the lifecycle resumes (a key active again is deactivated anew, then deleted later). */
  async release(target: Target, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state, input } = await this.read(target);
    const base = { command: 'release', secretArn: m.registration.secretArn, userName: m.userName, accessKeyId: state.retiring?.accessKeyId };
    if (state.hold === undefined) return { ...base, dryRun: !!options.dryRun, changed: false, message: `${m.userName}'s secret has no hold` };
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
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would remove the hold '${state.hold}'; ${after}` };
    await this.aws.untag(m.registration.secretArn, [Tags.HOLD]);
    return { ...base, dryRun: false, changed: true, message: `released; ${after}` };
  }

  /**
   * Delete (cannot be undone): an inactive key after a confirmation; an active
   * key only with --force and the key id typed as a second confirmation.
   */
  async delete(target: Target, keyId: string | undefined, options: ChangeOptions): Promise<ChangeResult> {
    const { m, state } = await this.read(target);
    const key = this.pick(state, keyId, (k) => k.role === 'previous' && k.status === INACTIVE, 'an inactive old key');
    const base = { command: 'delete', secretArn: m.registration.secretArn, userName: m.userName, accessKeyId: key.accessKeyId };
    const active = key.status !== INACTIVE;
    if (active && !options.force) {
      throw new CliError(ExitCode.REFUSED, `${key.accessKeyId} is active${key.role === 'current' ? ` and is ${m.userName}'s current key` : ''}: `
        + 'deactivate it first and check nothing breaks, or add --force (you will be asked to type the key id)');
    }
    const what = `delete ${m.userName}'s ${active ? 'ACTIVE ' : ''}${key.role} key ${key.accessKeyId}; this cannot be undone`
      + (key.role === 'current' ? ', and every consumer of the secret stops working until the next rotation' : '');
    if (options.dryRun) return { ...base, dryRun: true, changed: false, message: `would ${what}` };
    if (active) {
      const typed = await this.io.ask(`${what}.\nType the key id to delete it: `);
      if (typed.trim() !== key.accessKeyId) throw new CliError(ExitCode.REFUSED, 'not confirmed: the key id typed does not match; nothing was deleted');
    } else {
      await this.confirm(`${what}. Delete?`, options);
    }
    const deleted = await this.aws.deleteAccessKey(m.userName, key.accessKeyId);
    return { ...base, dryRun: false, changed: deleted, message: deleted ? `deleted ${key.accessKeyId}` : `${key.accessKeyId} was already gone` };
  }

  // ---- credentials for consumers ----------------------------------------------------------

  /** The current key, as `GetSecretValue` of AWSCURRENT gives it (the one read `grantRead` allows). */
  async currentKey(secretId: string): Promise<{ accessKeyId: string; secretAccessKey: string; userName: string }> {
    const { arn, value } = await this.aws.currentValue(secretId);
    let creds;
    try {
      creds = parseCredentials(value, `the AWSCURRENT version of ${arn}`);
    } catch (e) {
      throw new CliError(ExitCode.NOT_FOUND, `${(e as Error).message}: is ${secretId} a secret of cdk-rotating-access-keys?`);
    }
    if (!creds) throw new CliError(ExitCode.NOT_FOUND, `secret ${secretId} holds no key yet: its first rotation has not run`);
    return creds;
  }

  // ---- helpers ------------------------------------------------------------------------------

  /** The one key the target names: its registration, its state as the lifecycle sees it, and whether a rotation is running. */
  private async read(target: Target) {
    const m = await this.locator.one(target);
    const { state, input, secret } = await readSecretState(this.aws, m.registration, this.now());
    return { m, state, input, rotating: rotationInProgress(secret.versions) };
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

  private async confirm(question: string, options: ChangeOptions): Promise<void> {
    if (options.yes) return;
    if (!this.io.interactive) {
      throw new CliError(ExitCode.REFUSED, 'this command needs a confirmation: run it in a terminal, or pass --yes; nothing was changed');
    }
    const answer = (await this.io.ask(`${question} [y/N] `)).trim().toLowerCase();
    if (answer !== 'y' && answer !== 'yes') throw new CliError(ExitCode.REFUSED, 'not confirmed; nothing was changed');
  }
}

/** A version labelled AWSPENDING that is not AWSCURRENT: Secrets Manager is rotating the secret. */
function rotationInProgress(versions: Record<string, string[]>): boolean {
  return Object.values(versions).some((labels) => labels.includes(Stage.PENDING) && !labels.includes(Stage.CURRENT));
}

function days(seconds: number): string {
  const d = seconds / 86_400;
  return Number.isInteger(d) ? `${d} day${d === 1 ? '' : 's'}` : `${Math.round(seconds / 3600)} hours`;
}
