/**
 * The scheduled lifecycle of old keys: deactivate after the grace period,
 * delete after retention, hold off where an operator re-activated a key. It
 * iterates this stack's registrations only: one ListSecrets (the library's
 * secrets, by their description, 100 a page) gives every registered secret's
 * labels and tags, which say which may have a transition due; Secrets Manager
 * and IAM are called only for those, a few at a time.
 *
 * The same listing shows each secret's rotation set-up: a secret whose
 * rotation is off, goes through another function or runs on other rules than
 * the registry's is put back (RotateSecret with the registry's rules), and one
 * that holds no key of its user yet is rotated, each with an event. Not while
 * the stack is being deployed: CloudFormation's custom resources set
 * rotation up then, and a rotation started here would fail theirs.
 */
import { PromisePool } from '@supercharge/promise-pool';
import { RotationMode } from '../rotation-mode';
import { describeError } from './audit';
import { RotatorContext } from './context';
import { EventType, Registration, SECRET_DESCRIPTION_PREFIX, Stage, Tags, userNameOf } from './contract';
import {
  Convergence, currentKeySuspect, deactivationDueAt, LifecycleAction, LifecycleInput, planConvergence, planCreate, planDeactivation, planLifecycle,
  rateSeconds, retirableKey,
  retiringKey, supersededAt, unqualifiedFunctionArn, usedAfterPromotion,
} from './decide';
import type { ListedSecret, ReportedKey, SecretDescription } from './gateway';
import { ACTIVE, formatKeyProgress, formatSeconds, INACTIVE, labelledKeys, progressKeyOf, stagedKeys, versionWithLabel } from './model';

const DAY_MS = 86_400_000;
import { lifecycleInput, readSecretState } from './state';

export interface LifecycleSummary {
  /** Registrations of this stack. */
  readonly registered: number;
  /** Registered secrets with an old key on record. */
  readonly secrets: number;
  readonly checkedUsage: number;
  readonly deactivated: number;
  readonly postponed: number;
  readonly deleted: number;
  readonly held: number;
  /** Old keys found inactive or deleted outside the lifecycle, now on record. */
  readonly recorded: number;
  /** Secrets whose rotation set-up was put back to the registry's, or that were rotated for holding no key. */
  readonly restored: number;
  /** Changes a registration in mode OBSERVE would have made, reported (`Access Key Change Observed`) and not made. */
  readonly observed: number;
  readonly failed: number;
}

type Outcome = 'checkedUsage' | 'deactivated' | 'postponed' | 'deleted' | 'held' | 'recorded' | 'failed' | 'observed';

export class Lifecycle {
  /**
   * @param stackId the function's stack, whose status says whether a deployment is under way (none: no such check)
   * @param keyCheckWindowSeconds runs within this many seconds after midnight UTC check the current keys against IAM's
   *   credential report (none: never)
   */
  constructor(
    private readonly ctx: RotatorContext, private readonly concurrency = 4, private readonly stackId?: string,
    private readonly keyCheckWindowSeconds?: number,
  ) {}

  /**
   * One scheduled run.
   * @param functionArn this function, which every registered secret's rotation must go through (none: the set-up is not checked)
   */
  async run(functionArn?: string): Promise<LifecycleSummary> {
    const { ctx } = this;
    const now = ctx.clock();
    const registry = await ctx.registry.load();
    const zero = { secrets: 0, checkedUsage: 0, deactivated: 0, postponed: 0, deleted: 0, held: 0, recorded: 0, restored: 0, observed: 0, failed: 0 };
    const counts = { registered: registry.registrations.length, ...zero };
    const due: [Registration, ListedSecret][] = [];
    const drifted: [Registration, Convergence][] = [];
    const registered: [Registration, ListedSecret][] = [];
    let elsewhere = 0;
    for await (const listed of ctx.gateway.listSecrets(SECRET_DESCRIPTION_PREFIX)) {
      const registration = registry.find(listed.arn);
      // Another stack's secret, or one nobody registered: not this function's to touch, not its failure either.
      if (!registration) {
        elsewhere++;
        continue;
      }
      counts.secrets++;
      registered.push([registration, listed]);
      const convergence = functionArn ? planConvergence(listed, registration, functionArn) : undefined;
      if (convergence) drifted.push([registration, convergence]);
      try {
        if (planLifecycle(lifecycleInput(registration, listed), now).kind !== 'none') due.push([registration, listed]);
      } catch (e) {
        counts.failed++;
        this.failed(registration, e);
      }
    }
    if (drifted.length > 0 && functionArn && !await this.deploying()) {
      await PromisePool.withConcurrency(this.concurrency).for(drifted).process(async ([registration, convergence]) => {
        try {
          await this.restore(registration, convergence, functionArn);
          counts.restored++;
        } catch (e) {
          counts.failed++;
          this.failed(registration, e);
        }
      });
    }
    const observing = registered.filter(([r]) => r.mode === RotationMode.OBSERVE);
    if ((functionArn || observing.length > 0) && this.keyCheckDue(now)) {
      const report = await this.credentialReport(counts);
      if (report) {
        const rotatingAnyway = new Set(drifted.filter(([, c]) => c.rotateNow).map(([r]) => r.secretArn));
        const enforced = registered.filter(([r]) => r.mode !== RotationMode.OBSERVE && !rotatingAnyway.has(r.secretArn));
        if (functionArn) await this.checkCurrentKeys(enforced, report, functionArn, now, counts);
        await this.observeRotations(observing.map(([r]) => r), report, now, counts);
      }
    }
    await PromisePool.withConcurrency(this.concurrency).for(due).process(async ([registration]) => {
      try {
        const outcome = await this.transition(registration, now);
        if (outcome) counts[outcome]++;
      } catch (e) {
        counts.failed++;
        this.failed(registration, e);
      }
    });
    await ctx.audit.flush();
    ctx.logger.info('lifecycle run', { ...counts, notRegisteredHere: elsewhere, at: now.toISOString() });
    return counts;
  }

  /** The first run of the UTC day: within one lifecycle period after midnight. */
  private keyCheckDue(now: Date): boolean {
    return this.keyCheckWindowSeconds !== undefined && now.getTime() % DAY_MS < this.keyCheckWindowSeconds * 1000;
  }

  /**
   * Once a day: IAM's credential report (two calls, whatever the account's size) against each registered
   * secret's listing. A user whose report says its current key may not be working (see `currentKeySuspect`)
   * costs a read of its secret and keys; a current key that is indeed inactive or gone is replaced by a
   * rotation (`Access Key Rotation Restored`), or, when a rotation cannot make room now, the run fails for
   * that secret naming why (`Access Key Lifecycle Failed`).
   */
  /** IAM's credential report, once in the day's first run; a failure counts (and is logged), a report IAM had not finished is skipped. */
  private async credentialReport(counts: { failed: number }): Promise<Map<string, ReportedKey[]> | undefined> {
    const { ctx } = this;
    try {
      const report = await ctx.gateway.credentialReport();
      if (!report) ctx.logger.warn('current keys not checked: IAM had not finished the credential report; the next day\'s first run checks them');
      return report;
    } catch (e) {
      counts.failed++;
      ctx.logger.error('current keys not checked: the credential report could not be read', { reason: describeError(e, ctx.redactor) });
      return undefined;
    }
  }

  /**
   * Once a day, each registration in mode OBSERVE whose user has an active key older than its `rate` schedule
   * (from the credential report: no call per user) gets an `Access Key Change Observed` event saying what
   * a rotation would do to each of the user's keys (one ListAccessKeys, for those only). Nothing is changed.
   */
  private async observeRotations(
    registrations: Registration[], report: Map<string, ReportedKey[]>, now: Date, counts: { observed: number; failed: number },
  ): Promise<void> {
    const due = registrations.flatMap((registration) => {
      const interval = rateSeconds(registration.scheduleExpression);
      const oldest = Math.min(...(report.get(registration.userArn) ?? []).filter((k) => k.active && k.createdAt).map((k) => k.createdAt!.getTime()));
      const past = interval !== undefined && Number.isFinite(oldest) && now.getTime() - oldest >= interval * 1000;
      return past ? [{ registration, oldest: new Date(oldest) }] : [];
    });
    await PromisePool.withConcurrency(this.concurrency).for(due).process(async ({ registration, oldest }) => {
      try {
        const userName = userNameOf(registration.userArn);
        const keys = await this.ctx.gateway.listAccessKeys(userName);
        const plan = planCreate({ userName, keys, heldKeyIds: [], orphanKeyIds: [], policy: registration.foreignKeyPolicy });
        const age = `its active key created ${oldest.toISOString()} is older than the schedule ${registration.scheduleExpression}`;
        const would = plan.kind === 'fail' ? `a rotation would fail: ${plan.reason}`
          : ['a rotation would create a new key', ...plan.deletions.map((d) => `delete ${d.accessKeyId} (${d.reason})`),
            ...plan.adoptKeyId ? [`take over ${plan.adoptKeyId} as the previous key, deactivated ${formatSeconds(registration.deactivateAfterSeconds)} `
              + `after the new key's promotion and deleted ${formatSeconds(registration.deleteAfterSeconds)} later`] : []].join('; ');
        this.ctx.audit.record(EventType.OBSERVED, {
          secretArn: registration.secretArn, userName, owner: registration.owner, action: 'rotate', reason: `${age}: ${would} (mode OBSERVE: nothing changed)`,
        });
        counts.observed++;
      } catch (e) {
        counts.failed++;
        this.failed(registration, e);
      }
    });
  }

  private async checkCurrentKeys(
    registered: [Registration, ListedSecret][], report: Map<string, ReportedKey[]>, functionArn: string, now: Date,
    counts: { restored: number; failed: number },
  ): Promise<void> {
    const { ctx } = this;
    const suspects = registered.flatMap(([registration, listed]) => {
      const why = currentKeySuspect(listed, report.get(registration.userArn));
      return why ? [{ registration, why }] : [];
    });
    ctx.logger.info('current keys checked against the credential report', { registered: registered.length, toRead: suspects.length });
    if (suspects.length === 0 || await this.deploying()) return;
    await PromisePool.withConcurrency(this.concurrency).for(suspects).process(async ({ registration, why }) => {
      try {
        const outcome = await this.replaceCurrentKey(registration, why, functionArn, now);
        if (outcome) counts[outcome]++;
      } catch (e) {
        counts.failed++;
        this.failed(registration, e);
      }
    });
  }

  /** Reads the secret and the keys; a current key that is not active in IAM is replaced by a rotation, if one can make room. */
  private async replaceCurrentKey(registration: Registration, why: string, functionArn: string, now: Date): Promise<'restored' | 'failed' | undefined> {
    const { ctx } = this;
    const { state, secret, input } = await readSecretState(ctx.gateway, registration, now);
    const currentId = input.staged.current;
    const pending = versionWithLabel(secret.versions, Stage.PENDING);
    if (!currentId || (pending !== undefined && pending !== versionWithLabel(secret.versions, Stage.CURRENT))) return undefined;
    const current = input.keys?.find((k) => k.accessKeyId === currentId);
    if (current?.status === ACTIVE) return undefined; // the report was older than the rotation that made it
    const found = `the current key ${currentId} ${current ? `is ${current.status}` : 'no longer exists'} (the credential report: ${why})`;
    const detail = { secretArn: registration.secretArn, userName: state.userName, accessKeyId: currentId, owner: registration.owner };
    const plan = planCreate({
      userName: state.userName,
      keys: input.keys ?? [],
      currentKeyId: currentId,
      previousKeyId: input.staged.previous,
      heldKeyIds: [...labelledKeys(secret.versions).keys()],
      adoptingHint: secret.tags[Tags.ADOPTING] || undefined,
      previousHint: input.previousHint?.accessKeyId,
      orphanKeyIds: [],
      policy: registration.foreignKeyPolicy,
      retiring: retiringKey(input),
    });
    if (plan.kind === 'fail') {
      ctx.audit.record(EventType.LIFECYCLE_FAILED, { ...detail, reason: `${found}, and a rotation cannot replace it now: ${plan.reason}` });
      return 'failed';
    }
    const rules = {
      scheduleExpression: registration.scheduleExpression,
      ...(registration.windowHours === undefined ? {} : { windowHours: registration.windowHours }),
    };
    await ctx.gateway.configureRotation(registration.secretArn, unqualifiedFunctionArn(functionArn), rules, true);
    // A key that stays active beside the new one is off this secret's timeline when the key that dated it is gone.
    const deleted = new Set(plan.deletions.map((d) => d.accessKeyId));
    const stays = current ? [] : (input.keys ?? []).filter((k) => k.status === ACTIVE && !deleted.has(k.accessKeyId)).map((k) => k.accessKeyId);
    const note = stays.length === 0 ? '' : `; ${stays.join(', ')} stays active, no longer on this secret's timeline: deactivate and delete it in IAM `
      + 'once nothing uses it';
    ctx.audit.record(EventType.RESTORED, { ...detail, reason: `${found}: rotated now, for a working current key${note}` });
    return 'restored';
  }

  /** The stack is being deployed (or rolled back): its custom resources are setting rotation up, so drift waits for the next run. */
  private async deploying(): Promise<boolean> {
    if (!this.stackId) return false;
    const { status } = await this.ctx.gateway.stack(this.stackId);
    if (!/_IN_PROGRESS$/.test(status)) return false;
    this.ctx.logger.info('rotation set-up not checked: the stack is being deployed', { stackStatus: status });
    return true;
  }

  /** Puts a secret's rotation back to the registry's set-up (and rotates it when it holds no key), with an event. */
  private async restore(registration: Registration, convergence: Convergence, functionArn: string): Promise<void> {
    const rules = {
      scheduleExpression: registration.scheduleExpression,
      ...(registration.windowHours === undefined ? {} : { windowHours: registration.windowHours }),
    };
    if (convergence.turnOff) {
      await this.ctx.gateway.cancelRotation(registration.secretArn);
      this.ctx.audit.record(EventType.RESTORED, {
        secretArn: registration.secretArn,
        userName: userNameOf(registration.userArn),
        owner: registration.owner,
        reason: `${convergence.drift.join('; ')}: turned off, as the registry says (mode OBSERVE changes nothing in IAM)`,
      });
      return;
    }
    await this.ctx.gateway.configureRotation(registration.secretArn, unqualifiedFunctionArn(functionArn), rules, convergence.rotateNow);
    const what = [...convergence.drift, ...convergence.rotateNow ? ['it held no key of its user (never rotated, or its first rotation was given up)'] : []];
    this.ctx.audit.record(EventType.RESTORED, {
      secretArn: registration.secretArn,
      userName: userNameOf(registration.userArn),
      owner: registration.owner,
      reason: `${what.join('; ')}: put back to the registry's rotation set-up${convergence.rotateNow ? ' and rotated now' : ''}`,
    });
  }

  /**
   * A registration in mode OBSERVE: the transition due is reported, not made (once a day where the daily
   * check is set up, else at each run); nothing is written, not even the lifecycle's own records.
   */
  private observed(registration: Registration, userName: string, action: LifecycleAction, now: Date): Outcome | undefined {
    const would: Partial<Record<LifecycleAction['kind'], string>> = {
      'deactivate': 'deactivate', 'delete': 'delete', 'delete-revoked': 'delete', 'hold': 'hold', 'blocked': 'keep',
    };
    const what = would[action.kind];
    if (!what || !('accessKeyId' in action) || (this.keyCheckWindowSeconds !== undefined && !this.keyCheckDue(now))) return undefined;
    this.ctx.audit.record(EventType.OBSERVED, {
      secretArn: registration.secretArn,
      userName,
      owner: registration.owner,
      accessKeyId: action.accessKeyId,
      action: what,
      reason: `the lifecycle would ${what} ${action.accessKeyId} now (${action.kind}${'reason' in action ? `: ${action.reason}` : ''}); mode OBSERVE: nothing changed`,
    });
    return 'observed';
  }

  private failed(registration: Registration, e: unknown): void {
    this.ctx.audit.record(EventType.LIFECYCLE_FAILED, {
      secretArn: registration.secretArn,
      userName: userNameOf(registration.userArn),
      owner: registration.owner,
      reason: describeError(e, this.ctx.redactor),
    });
  }

  /** Re-reads the secret and the user's keys (the listing may be minutes old) and carries out the transition due. */
  private async transition(registration: Registration, now: Date): Promise<Outcome | undefined> {
    const { ctx } = this;
    const arn = registration.secretArn;
    const { state, secret, input } = await readSecretState(ctx.gateway, registration, now);
    const { userName, next: action } = state;
    if (action.kind === 'none' || action.kind === 'read') return undefined;
    const id = action.accessKeyId;
    if (registration.mode === RotationMode.OBSERVE) return this.observed(registration, userName, action, now);
    const config = registration;
    const superseded = supersededAt(input, id);
    const { progress } = input;
    const detail = { secretArn: arn, userName, accessKeyId: id, owner: registration.owner };
    // The lifecycle writes its own progress tag and the hold; the rotation's previous-key tag only to empty it under ADOPT (see forget).
    const save = (p: typeof progress) => ctx.gateway.tag(arn, formatKeyProgress(id, p));

    switch (action.kind) {
      case 'blocked':
        ctx.audit.record(EventType.LIFECYCLE_FAILED, { ...detail, reason: action.reason });
        return 'failed';
      case 'forget':
        await this.forget(arn, secret, id, input);
        ctx.audit.record(EventType.DELETED, { ...detail, reason: 'key was already gone (deleted outside the lifecycle)' });
        return 'recorded';
      case 'record-deactivation':
        await save({ ...progress, deactivatedAt: now, heldAt: undefined });
        ctx.audit.record(EventType.DEACTIVATED, {
          ...detail,
          reason: `found inactive (made inactive outside the lifecycle${progress.heldAt ? ', then released' : ''}); `
            + `deleted after ${formatSeconds(config.deleteAfterSeconds)}`,
        });
        return 'recorded';
      case 'record-hold':
        await save({ ...progress, heldAt: now });
        ctx.audit.record(EventType.HELD, {
          ...detail,
          reason: progress.deactivatedAt
            ? `active again under the hold '${input.hold}'; when the hold is removed it is deactivated again and deleted `
              + `${formatSeconds(config.deleteAfterSeconds)} later`
            : `kept active past its grace period of ${formatSeconds(config.deactivateAfterSeconds)} by the hold '${input.hold}'; `
              + 'when the hold is removed it is deactivated',
        });
        return 'held';
      case 'check-usage': {
        const use = await ctx.gateway.lastUse(id);
        if (use.gone) return this.forgotten(arn, secret, id, input, detail);
        if (usedAfterPromotion(superseded!, use.at)) {
          ctx.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: use.at!.toISOString(),
            reason: `old key used at ${use.at!.toISOString()}, after the new key was promoted at ${superseded!.toISOString()}; `
              + `it will be deactivated at ${deactivationDueAt(config, superseded!).toISOString()}`,
          });
        }
        await save({ ...progress, usageCheckedAt: now });
        return 'checkedUsage';
      }
      case 'deactivate': {
        const use = await ctx.gateway.lastUse(id);
        if (use.gone) return this.forgotten(arn, secret, id, input, detail);
        // A released hold may postpone too: only IAM's word on the key's use decides that, never a record.
        const plan = !superseded
          ? { kind: 'deactivate' as const, stillInUse: false }
          : planDeactivation(config, superseded, progress.usageCheckedAt, use.at, now);
        if (plan.kind === 'postpone') {
          if (plan.warn) {
            ctx.audit.record(EventType.STILL_IN_USE, {
              ...detail,
              lastUsed: use.at!.toISOString(),
              reason: `old key still used (last at ${use.at!.toISOString()}); deactivation postponed, at the latest until ${plan.until.toISOString()}`,
            });
            await save({ ...progress, usageCheckedAt: now });
          }
          return 'postponed';
        }
        if (plan.stillInUse) {
          ctx.audit.record(EventType.STILL_IN_USE, {
            ...detail,
            lastUsed: use.at!.toISOString(),
            reason: `old key deactivated although it was used at ${use.at!.toISOString()}, after the new key was promoted`,
          });
        }
        if (!await ctx.gateway.setAccessKeyStatus(userName, id, INACTIVE)) return this.forgotten(arn, secret, id, input, detail);
        await save({ ...progress, deactivatedAt: now, heldAt: undefined });
        ctx.audit.record(EventType.DEACTIVATED, {
          ...detail,
          reason: `grace period of ${formatSeconds(config.deactivateAfterSeconds)} after promotion ended`
            + (progress.heldAt && progress.deactivatedAt ? '; its record says it was made active again under a hold, since released' : ''),
        });
        return 'deactivated';
      }
      case 'hold': {
        // Someone made it active again: hold off instead of fighting them, visibly.
        const reason = `id=${id} found re-activated outside the lifecycle at ${now.toISOString()}`;
        await ctx.gateway.tag(arn, { [Tags.HOLD]: reason });
        await save({ ...progress, heldAt: now });
        ctx.audit.record(EventType.HELD, { ...detail, reason: `${reason}; remove tag ${Tags.HOLD} to resume` });
        return 'held';
      }
      case 'delete':
        await ctx.gateway.deleteAccessKey(userName, id);
        await this.forget(arn, secret, id, input);
        ctx.audit.record(EventType.DELETED, { ...detail, reason: `inactive for ${formatSeconds(config.deleteAfterSeconds)}`, wasActive: false });
        return 'deleted';
      case 'delete-revoked': {
        await ctx.gateway.deleteAccessKey(userName, id);
        await this.forget(arn, secret, id, input);
        const current = versionWithLabel(secret.versions, Stage.CURRENT);
        if (current) await ctx.gateway.removeLabel(arn, Stage.REVOKED_PREDECESSOR, current);
        ctx.audit.record(EventType.DELETED, {
          ...detail,
          wasActive: action.wasActive,
          reason: `emergency revoke: deleted at the first lifecycle run${action.wasActive ? '; it had been made active again, which a revoke does not allow' : ''}`,
        });
        return 'deleted';
      }
    }
  }

  private async forgotten(arn: string, secret: SecretDescription, id: string, input: LifecycleInput, detail: object): Promise<Outcome> {
    await this.forget(arn, secret, id, input);
    this.ctx.audit.record(EventType.DELETED, { ...detail as { secretArn: string }, reason: 'key was already gone (deleted outside the lifecycle)' });
    return 'recorded';
  }

  /**
   * Nothing left to retire: the version's key label goes, which is the proof
   * that the key is no longer one to retire, and its progress record is
   * emptied (the tag itself stays, so that writing it again counts against no
   * tag quota). Under ADOPT, where the previous-key tag alone names an adopted
   * key, that tag is emptied in the same call: no record is left saying
   * "deleted" for a reader to trust. A rotation running now may have just
   * written a new previous-key tag; losing it costs nothing, since that key is
   * AWSPREVIOUS's by its label and IAM dates it.
   *
   * A crash between the deletion and the label's removal leaves the label: the
   * next run finds the key gone and forgets it then. A key with no record
   * (deleted by hand before any progress) costs no tag call.
   */
  private async forget(arn: string, secret: SecretDescription, id: string, input: LifecycleInput): Promise<void> {
    const version = labelledKeys(secret.versions).get(id);
    if (version) await this.ctx.gateway.removeLabel(arn, id, version);
    const unlabelled = Object.fromEntries(Object.entries(secret.versions).map(([v, labels]) => [v, labels.filter((l) => l !== id)]));
    const tags: Record<string, string> = {};
    if (retirableKey({ ...input, staged: stagedKeys(unlabelled) }) === id) tags[Tags.PREVIOUS_KEY] = '';
    if (progressKeyOf(secret.tags) === id) tags[Tags.PROGRESS] = '';
    if (Object.keys(tags).length > 0) await this.ctx.gateway.tag(arn, tags);
  }
}
