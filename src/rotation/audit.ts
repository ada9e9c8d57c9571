/**
 * Structured JSON logs and the EventBridge audit trail. Both go through one
 * redactor that knows every secret access key the function has touched in
 * this invocation, so none can reach a log line, an event or an error message.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { EVENT_SOURCE, EventType } from './contract';

export interface AuditDetail {
  readonly userName?: string;
  readonly accessKeyId?: string;
  /** The secret concerned; a request that names none (a refused CloudFormation event, say) names the stack instead. */
  readonly secretArn?: string;
  readonly stackId?: string;
  readonly reason: string;
  readonly [extra: string]: string | number | boolean | readonly string[] | undefined;
}

export interface LogSink {
  write(line: string): void;
}

export interface EventSink {
  putEvents(entries: PutEventsRequestEntry[]): Promise<void>;
}

/** Replaces every registered secret in a text. */
export class Redactor {
  private readonly secrets = new Set<string>();

  add(secret: string | undefined): void {
    if (secret && secret.length >= 8) this.secrets.add(secret);
  }

  redact(text: string): string {
    let out = text;
    for (const s of this.secrets) out = out.split(s).join('[REDACTED]');
    return out;
  }
}

export class Logger {
  constructor(private readonly sink: LogSink, private readonly redactor: Redactor) {}

  info(message: string, fields: Record<string, unknown> = {}): void {
    this.log('INFO', message, fields);
  }

  warn(message: string, fields: Record<string, unknown> = {}): void {
    this.log('WARN', message, fields);
  }

  error(message: string, fields: Record<string, unknown> = {}): void {
    this.log('ERROR', message, fields);
  }

  private log(level: string, message: string, fields: Record<string, unknown>): void {
    this.sink.write(this.redactor.redact(JSON.stringify({ level, message, ...fields })));
  }
}

/**
 * Audit events are collected during a step and sent together, so a step costs
 * one PutEvents call, not one per transition. Delivery is at least once: the
 * rotation sends a step's events before it records the step as done, so a
 * retry after a failure sends them again rather than never.
 */
export class AuditTrail {
  private pending: PutEventsRequestEntry[] = [];

  constructor(
    private readonly events: EventSink,
    private readonly logger: Logger,
    private readonly redactor: Redactor,
    private readonly eventBusName: string,
    private readonly clock: () => Date,
  ) {}

  record(type: EventType, detail: AuditDetail): void {
    const clean = this.redactor.redact(JSON.stringify(detail));
    this.logger.info(type, { event: JSON.parse(clean) });
    this.pending.push({
      Source: EVENT_SOURCE,
      DetailType: type,
      Detail: clean,
      EventBusName: this.eventBusName,
      Resources: [detail.secretArn ?? detail.stackId].filter((r): r is string => !!r),
      Time: this.clock(),
    });
  }

  /** Sends the recorded events; they stay recorded until EventBridge has taken them. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    await this.events.putEvents(this.pending);
    this.pending = [];
  }
}

/** Error text safe to log or put in an event: redacted, never a stack of values. */
export function describeError(e: unknown, redactor: Redactor): string {
  const err = e as { name?: string; message?: string };
  return redactor.redact(`${err?.name ?? 'Error'}: ${err?.message ?? String(e)}`);
}
