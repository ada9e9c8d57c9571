/**
 * When Secrets Manager rotates a key: a fixed interval or a schedule
 * expression, validated against Secrets Manager's limits at synth time.
 */
import { Duration, Token } from 'aws-cdk-lib';

/** Secrets Manager rotates at most every 4 hours and at least every 1000 days. */
const MIN_INTERVAL_HOURS = 4;
const MAX_INTERVAL_DAYS = 1000;

/**
 * A rotation schedule for access keys.
 *
 * @example
 * KeyRotationSchedule.every(Duration.days(30));
 * KeyRotationSchedule.expression('cron(0 4 ? * SUN *)');
 */
export class KeyRotationSchedule {
  /**
   * Rotate at a fixed interval, from 4 hours to 1000 days.
   *
   * Whole days become `rate(N days)`, otherwise whole hours `rate(N hours)`.
   */
  public static every(interval: Duration): KeyRotationSchedule {
    if (interval.isUnresolved()) {
      throw new Error('KeyRotationSchedule.every: interval must be a concrete Duration, got a token');
    }
    const hours = interval.toHours({ integral: false });
    if (hours < MIN_INTERVAL_HOURS || hours > MAX_INTERVAL_DAYS * 24) {
      throw new Error(`KeyRotationSchedule.every: interval must be between 4 hours and 1000 days, got ${interval.toHumanString()}`);
    }
    if (!Number.isInteger(hours)) {
      throw new Error(`KeyRotationSchedule.every: interval must be a whole number of hours, got ${interval.toHumanString()}`);
    }
    const expression = hours % 24 === 0 ? `rate(${hours / 24} ${hours === 24 ? 'day' : 'days'})` : `rate(${hours} hours)`;
    return new KeyRotationSchedule(expression, interval);
  }

  /**
   * Rotate on a Secrets Manager schedule expression: `rate(N hours|days)` or
   * `cron(minutes hours day-of-month month day-of-week year)`, in UTC.
   */
  public static expression(expression: string): KeyRotationSchedule {
    if (Token.isUnresolved(expression)) return new KeyRotationSchedule(expression, undefined);
    const rate = /^rate\((\d+) (hour|hours|day|days)\)$/.exec(expression);
    if (rate) {
      const n = Number(rate[1]);
      const interval = rate[2].startsWith('hour') ? Duration.hours(n) : Duration.days(n);
      const checked = KeyRotationSchedule.every(interval);
      return new KeyRotationSchedule(expression, checked.interval);
    }
    const cron = /^cron\((.+)\)$/.exec(expression);
    if (cron) {
      const fields = cron[1].trim().split(/\s+/);
      if (fields.length !== 6) {
        throw new Error(`KeyRotationSchedule.expression: a cron expression needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length} in '${expression}'`);
      }
      return new KeyRotationSchedule(expression, cronInterval(fields));
    }
    throw new Error(`KeyRotationSchedule.expression: expected 'rate(N hours|days)' or 'cron(...)', got '${expression}'`);
  }

  /** The schedule expression Secrets Manager receives. */
  public readonly expressionString: string;

  /**
   * The longest time between two rotations.
   *
   * @default - unknown: a cron expression whose spacing cannot be told
   */
  public readonly interval?: Duration;

  private constructor(expressionString: string, interval: Duration | undefined) {
    this.expressionString = expressionString;
    this.interval = interval;
  }
}

/**
 * The longest gap a cron expression can leave between two runs, where it is
 * plain to see: daily, weekly, monthly. Anything else is left unknown.
 */
function cronInterval(fields: string[]): Duration | undefined {
  const [, , dayOfMonth, month, dayOfWeek, year] = fields;
  const any = (f: string) => f === '*' || f === '?';
  if (!any(month) || !any(year)) return undefined;
  if (any(dayOfMonth) && any(dayOfWeek)) return Duration.days(1);
  if (any(dayOfMonth) && !any(dayOfWeek)) return Duration.days(7);
  if (!any(dayOfMonth) && any(dayOfWeek) && /^\d+(,\d+)*$/.test(dayOfMonth)) {
    // The longest gap between the same day in consecutive months (31-day months).
    return Duration.days(31);
  }
  return undefined;
}
