/**
 * The rotation function's behaviour behind one façade: Secrets Manager's
 * rotation steps (`steps.ts`), the scheduled lifecycle of old keys
 * (`lifecycle.ts`) and CloudFormation's custom resources (`custom-resources.ts`),
 * all sharing one AWS port, one clock, one registry and one redactor. The
 * clock and the port are injected, so tests and the demo run months in seconds.
 */
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { AuditTrail, describeError, Logger, LogSink, Redactor } from './audit';
import { fetchTransport, ResponseTransport } from './cfn-response';
import { RotatorContext } from './context';
import { Defaults, Metrics } from './contract';
import { CustomResourceOptions, CustomResources } from './custom-resources';
import type { Gateway } from './gateway';
import { Lifecycle, LifecycleSummary } from './lifecycle';
import type { RegistrySource } from './registry';
import { RotationEvent, RotationSteps, TestSecretRetry } from './steps';

export interface RotatorOptions {
  readonly gateway: Gateway;
  readonly clock: () => Date;
  readonly logSink: LogSink;
  /** Which secrets the function serves, for whose user, configured how. */
  readonly registry: RegistrySource;
  readonly eventBusName?: string;
  /** IAM is eventually consistent: a new key may take seconds to work. */
  readonly testSecretRetry?: TestSecretRetry;
  /** Transitions carried out at once by a lifecycle run (IAM throttles). */
  readonly lifecycleConcurrency?: number;
  /** The function's own stack: the only one whose CloudFormation events it serves. */
  readonly stackId?: string;
  /**
   * Lifecycle runs within this many seconds after midnight UTC check each registered secret's current key
   * against IAM's credential report (none: no check).
   */
  readonly keyCheckWindowSeconds?: number;
  /** How answers reach CloudFormation's presigned URL. */
  readonly responseTransport?: ResponseTransport;
  readonly customResources?: Omit<CustomResourceOptions, 'stackId' | 'transport'>;
  /** The function's name: the dimension of the failure metrics it puts (none are put without it). */
  readonly functionName?: string;
}

export class Rotator {
  private readonly ctx: RotatorContext;
  private readonly steps: RotationSteps;
  private readonly lifecycleRun: Lifecycle;
  private readonly customResources: CustomResources;
  private readonly functionName?: string;

  constructor(options: RotatorOptions) {
    const redactor = new Redactor();
    const logger = new Logger(options.logSink, redactor);
    this.ctx = {
      gateway: options.gateway,
      clock: options.clock,
      registry: options.registry,
      redactor,
      logger,
      audit: new AuditTrail(options.gateway, logger, redactor, options.eventBusName ?? 'default', options.clock),
    };
    this.steps = new RotationSteps(this.ctx, options.testSecretRetry);
    this.lifecycleRun = new Lifecycle(
      this.ctx, options.lifecycleConcurrency ?? Defaults.lifecycleConcurrency, options.stackId, options.keyCheckWindowSeconds,
    );
    this.functionName = options.functionName;
    this.customResources = new CustomResources(this.ctx, {
      stackId: options.stackId ?? '',
      transport: options.responseTransport ?? fetchTransport,
      ...options.customResources,
    });
  }

  /**
   * One of Secrets Manager's four rotation steps; a failed or refused step (or a failure it reports and goes on from)
   * counts in `RotationFailures`.
   * @param timeLeftMs how long the step may take (the invocation's time left, less a margin)
   */
  async rotationStep(event: RotationEvent, timeLeftMs?: number): Promise<void> {
    try {
      const reported = await this.steps.run(event, timeLeftMs);
      if (reported > 0) await this.countFailures(Metrics.ROTATION_FAILURES, reported);
    } catch (e) {
      await this.countFailures(Metrics.ROTATION_FAILURES, 1);
      throw e;
    }
  }

  /**
   * One scheduled lifecycle run over this stack's registrations; the secrets it failed on count in `LifecycleFailures`.
   * Given the function's own ARN, it also puts back every registered secret's rotation set-up that drifted.
   */
  async lifecycle(functionArn?: string): Promise<LifecycleSummary> {
    let summary: LifecycleSummary;
    try {
      summary = await this.lifecycleRun.run(functionArn);
    } catch (e) {
      // The run itself failed (the registry, the listing): every registration is left unserved.
      await this.countFailures(Metrics.LIFECYCLE_FAILURES, 1);
      throw e;
    }
    if (summary.failed > 0) await this.countFailures(Metrics.LIFECYCLE_FAILURES, summary.failed);
    return summary;
  }

  /** Puts a failure count; a metric that cannot be put is logged, never in the way of the failure itself. */
  private async countFailures(metric: string, count: number): Promise<void> {
    if (!this.functionName) return;
    try {
      await this.ctx.gateway.putMetric(metric, count, { [Metrics.DIMENSION]: this.functionName });
    } catch (e) {
      this.ctx.logger.warn('could not put the failure metric', { metric, count, error: describeError(e, this.ctx.redactor) });
    }
  }

  /**
   * A CloudFormation custom resource event for this stack's rotation or departures resources.
   * @param firstRotationWaitMs how long a Create that rotates waits for the first rotation (none: the options', or no wait)
   */
  customResource(event: CloudFormationCustomResourceEvent, functionArn: string, firstRotationWaitMs?: number): Promise<void> {
    return this.customResources.handle(event, functionArn, firstRotationWaitMs);
  }

  /** An error's text, safe for a log line or a reply: any secret it carries is redacted. */
  describe(e: unknown): string {
    return describeError(e, this.ctx.redactor);
  }
}
