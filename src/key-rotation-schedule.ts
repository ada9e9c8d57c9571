/**
 * When Secrets Manager rotates a key: a fixed interval or a schedule
 * expression, validated against Secrets Manager's limits at synth time.
 */
import { Duration, Token } from 'aws-cdk-lib';

/**
 * Secrets Manager rotates at most every 4 hours and at least every 1000 days
 * ("You can rotate a secret as often as every four hours":
 * https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html).
 */
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
   *
   * As Secrets Manager requires, a cron expression has 0 minutes (rotation
   * windows open on the hour), `*` as its year, and its hours at least 4
   * hours apart (for example `cron(0 0/4 * * ? *)`, never `cron(0 * * * ? *)`).
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
      checkCron(expression, fields);
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
 * What Secrets Manager refuses of a cron expression, or cannot run: minutes
 * other than 0, a year other than `*`, hours outside 0-23, and two rotations
 * less than 4 hours apart on one day (or across midnight, when it runs every
 * day). Hours repeat each day: `cron(0 4/12 * * ? *)` is 04:00 and 16:00 UTC
 * (https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html).
 */
function checkCron(expression: string, fields: string[]): void {
  const [minutes, hoursField, , , , year] = fields;
  const refuse = (why: string) => {
    throw new Error(`KeyRotationSchedule.expression: ${why}, got '${expression}'`);
  };
  if (minutes !== '0') refuse(`the minutes field must be 0, as Secrets Manager's rotation windows open on the hour; '${minutes}' is not`);
  if (year !== '*') refuse(`the year field must be *, as Secrets Manager requires; '${year}' is not`);
  const hours = cronHours(hoursField);
  if (hours === undefined) return;
  if (hours.length === 0 || hours.some((h) => h > 23)) refuse(`the hours field must name hours from 0 to 23; '${hoursField}' does not`);
  const gap = shortestGap(hours, everyDay(fields));
  if (gap !== undefined && gap < MIN_INTERVAL_HOURS) {
    refuse(`Secrets Manager rotates at most every ${MIN_INTERVAL_HOURS} hours, but the hours field '${hoursField}' starts rotations `
      + `${gap} ${gap === 1 ? 'hour' : 'hours'} apart; list hours at least ${MIN_INTERVAL_HOURS} apart, e.g. cron(0 0/4 * * ? *)`);
  }
}

/**
 * The hours (UTC, sorted) at which a cron expression opens a rotation window,
 * or undefined when its hours field is not plain numbers, ranges, lists and steps.
 */
export function cronHours(field: string): number[] | undefined {
  const hours = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) return undefined;
    const from = m[1] === '*' ? 0 : Number(m[2]);
    const to = m[1] === '*' ? 23 : m[3] !== undefined ? Number(m[3]) : m[4] !== undefined ? 23 : from;
    const step = m[4] !== undefined ? Number(m[4]) : 1;
    if (step < 1 || to < from) return undefined;
    for (let h = from; h <= to; h += step) hours.add(h);
  }
  return [...hours].sort((a, b) => a - b);
}

/** Whether a cron expression runs every day (its day fields select every day). */
function everyDay(fields: string[]): boolean {
  const any = (f: string) => f === '*' || f === '?';
  const [, , dayOfMonth, month, dayOfWeek] = fields;
  return any(dayOfMonth) && any(month) && any(dayOfWeek);
}

/**
 * The fewest hours between two window openings: within one day, and from the
 * last of a day to the first of the next when it runs every day; undefined
 * for a single opening on days that are not consecutive.
 */
function shortestGap(hours: number[], daily: boolean): number | undefined {
  const gaps = hours.slice(1).map((h, i) => h - hours[i]);
  if (daily) gaps.push(24 - hours[hours.length - 1] + hours[0]);
  return gaps.length === 0 ? undefined : Math.min(...gaps);
}

/**
 * The longest gap a cron expression can leave between two runs, where it is
 * plain to see: daily (from its hours), weekly, monthly. Anything else is left unknown.
 */
function cronInterval(fields: string[]): Duration | undefined {
  const [, hoursField, dayOfMonth, month, dayOfWeek, year] = fields;
  const any = (f: string) => f === '*' || f === '?';
  if (!any(month) || !any(year)) return undefined;
  if (any(dayOfMonth) && any(dayOfWeek)) {
    const hours = cronHours(hoursField);
    if (!hours) return Duration.days(1);
    const gaps = [...hours.slice(1).map((h, i) => h - hours[i]), 24 - hours[hours.length - 1] + hours[0]];
    return Duration.hours(Math.max(...gaps));
  }
  if (any(dayOfMonth) && !any(dayOfWeek)) return Duration.days(7);
  if (!any(dayOfMonth) && any(dayOfWeek) && /^\d+(,\d+)*$/.test(dayOfMonth)) {
    // The longest gap between the same day in consecutive months (31-day months).
    return Duration.days(31);
  }
  return undefined;
}

/**
 * Why Secrets Manager would refuse this rotation window with this schedule,
 * or undefined when it would not (or cannot be told). The window must not
 * extend into the next rotation window, nor into the next UTC day: for a
 * rate in hours it is at most the interval; for a rate in days it opens at
 * midnight (any window of at most 24 hours fits); for a cron expression, each
 * opening hour plus the window is at most 24, and the window is at most the
 * hours between two openings
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html,
 * Duration; https://docs.aws.amazon.com/secretsmanager/latest/userguide/rotate-secrets_schedule.html).
 */
export function rotationWindowProblem(schedule: KeyRotationSchedule, windowHours: number): string | undefined {
  const expression = schedule.expressionString;
  if (Token.isUnresolved(expression)) return undefined;
  const rate = /^rate\((\d+) hours?\)$/.exec(expression);
  if (rate && windowHours > Number(rate[1])) {
    return `must not extend into the next rotation window: '${expression}' opens one every ${rate[1]} hours; `
      + `shorten rotationWindow to at most ${rate[1]} hours`;
  }
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) return undefined;
  const fields = cron[1].trim().split(/\s+/);
  const hours = cronHours(fields[1]);
  if (!hours || hours.length === 0) return undefined;
  const last = hours[hours.length - 1];
  if (last + windowHours > 24) {
    return `must end by midnight UTC: '${expression}' opens a window at ${last}:00 UTC, and Secrets Manager refuses a window `
      + `that extends into the next UTC day; shorten rotationWindow to at most ${24 - last} hours, or open it earlier`;
  }
  const gap = shortestGap(hours, false);
  if (gap !== undefined && windowHours > gap) {
    return `must not extend into the next rotation window: '${expression}' opens windows ${gap} hours apart; `
      + `shorten rotationWindow to at most ${gap} hours`;
  }
  return undefined;
}
