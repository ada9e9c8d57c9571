/**
 * The old key's timeline against the rotation schedule, judged at synth: IAM
 * allows two keys per user, so a rotation deletes the old key it finds, and
 * the old key must be gone by its own timeline before the next rotation comes.
 */
import { Annotations, Duration, Token } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import { Construct } from 'constructs';
import { AccessKeyRotator } from './access-key-rotator';
import { cronHours, KeyRotationSchedule } from './key-rotation-schedule';
import { member } from './member-names';
import { Limits } from './rotation/contract';

/** The props the timeline is judged from, as given (to tell a default from a value). */
export interface TimelineProps {
  readonly rotationWindow?: Duration;
  readonly deactivateAfter?: Duration;
  readonly deleteAfter?: Duration;
  readonly postponeDeactivationWhileInUse?: Duration;
}

/** The lifecycle settings of a key, defaults applied. */
export interface Timeline {
  readonly schedule: KeyRotationSchedule;
  readonly deactivateAfter: Duration;
  readonly deleteAfter: Duration;
  readonly postpone: Duration;
}

/**
 * Each transition of the old key, its deactivation and then its deletion,
 * waits for the first lifecycle run at or after it is due: up to one
 * lifecycle period each.
 */
const LIFECYCLE_WAITS = 2;

/**
 * The old key must be deleted by its timeline before the next rotation needs
 * its place: IAM allows two keys per user, so a rotation deletes the old key
 * it finds, however early. From its supersession to its deletion the old key
 * needs, at worst, deactivateAfter + postponeDeactivationWhileInUse +
 * deleteAfter + two lifecycle periods; two scheduled rotations can be as close
 * as the shortest time between two window openings less the rotation window
 * (Secrets Manager rotates anywhere inside it). A configuration that can need
 * more is refused, naming the largest deleteAfter (or deactivateAfter) that
 * fits; where either side cannot be told (some cron expressions, a lifecycle
 * schedule that is not a rate) it is a warning. Tokens are not judged.
 */
export function checkTimeline(key: Construct, props: TimelineProps, timeline: Timeline, rotator: AccessKeyRotator): void {
  const { schedule, deactivateAfter, deleteAfter, postpone } = timeline;
  const window = props.rotationWindow;
  if ([window, deactivateAfter, deleteAfter, postpone].some((d) => d?.isUnresolved())) return;
  const hour = Duration.hours(1).toSeconds();
  const human = (seconds: number) => Duration.seconds(seconds).toHumanString();
  const named = (name: string, d: Duration, given: unknown) => `${member(name)} ${d.toHumanString()}${given === undefined ? ' by default' : ''}`;
  const terms = [
    named('deactivateAfter', deactivateAfter, props.deactivateAfter),
    ...props.postponeDeactivationWhileInUse === undefined ? [] : [named('postponeDeactivationWhileInUse', postpone, props.postponeDeactivationWhileInUse)],
    named('deleteAfter', deleteAfter, props.deleteAfter),
  ];
  const own = deactivateAfter.toSeconds() + postpone.toSeconds() + deleteAfter.toSeconds();
  const period = rotator._lifecyclePeriod?.toSeconds();
  const waits = period === undefined ? 0 : LIFECYCLE_WAITS * period;
  const needs = period === undefined
    ? `${terms.join(' + ')} = ${human(own)}, plus twice the time between two lifecycle runs`
    : `${terms.join(' + ')} + ${LIFECYCLE_WAITS} lifecycle periods (${human(period)} each) = ${human(own + waits)}`;

  const gap = shortestRotationGap(schedule)?.toSeconds();
  const windowSeconds = window?.toSeconds() ?? defaultRotationWindowHours(schedule) * hour;
  const windowHours = `${windowSeconds / hour} ${windowSeconds === hour ? 'hour' : 'hours'}`;
  const windowText = window ? `${member('rotationWindow')} of ${windowHours}` : `Secrets Manager's default rotation window of ${windowHours}`;
  const expression = schedule.expressionString;
  const early = 'the next rotation deletes the old key early to make room for the new one (IAM allows two keys per user)';
  const closest = gap === undefined ? undefined : gap - windowSeconds;
  if (gap !== undefined && closest !== undefined && own + waits > closest) {
    // Without the lifecycle's period, what is left of the closest gap is an upper bound of what fits.
    const less = period === undefined ? ' less twice the time between two lifecycle runs' : '';
    const minimum = Limits.deleteAfterSeconds.min;
    const largestDelete = closest - deactivateAfter.toSeconds() - postpone.toSeconds() - waits;
    const largestDeactivate = closest - postpone.toSeconds() - minimum - waits;
    const postponed = props.postponeDeactivationWhileInUse === undefined ? '' : ' or postponeDeactivationWhileInUse';
    const advice = largestDelete >= minimum
      ? `set deleteAfter to at most ${durationCode(largestDelete)}${less}, or shorten deactivateAfter${postponed}, or rotate less often`
      : largestDeactivate >= Limits.deactivateAfterSeconds.min
        ? `even the shortest deleteAfter (${human(minimum)}) does not fit: set deleteAfter to ${human(minimum)} and deactivateAfter to at most `
          + `${durationCode(largestDeactivate)}${less}, or rotate less often`
        : `no deactivateAfter and deleteAfter fit, as each is at least 1 hour: rotate less often${windowSeconds > hour ? `, set a shorter ${member('rotationWindow')}` : ''}`
          + `${postponed ? ', shorten postponeDeactivationWhileInUse' : ''}`;
    throw new Error(`the old key's timeline does not fit between two rotations of '${expression}': it needs up to ${needs} from its supersession to `
      + `its deletion, but two rotations can be ${closest > 0 ? `${human(closest)} apart` : 'back to back'} (${human(gap)} between rotation windows, `
      + `less ${windowText}), and ${early}; ${advice}`);
  }
  if (closest === undefined || period === undefined) {
    const lifecycleExpression = (rotator.lifecycleRule.node.defaultChild as events.CfnRule).scheduleExpression;
    const unknown = [
      ...closest === undefined ? [`how close two rotations of '${expression}' can be`] : [],
      ...period === undefined ? [`how often the lifecycle runs (the schedule of ${rotator.node.path}, '${lifecycleExpression}', is not a rate)`] : [],
    ];
    const limit = closest === undefined ? 'the time between two rotations' : `${human(closest)}, how close two rotations of '${expression}' can be`;
    Annotations.of(key).addWarningV2('cdk-rotating-access-keys:timelineUnchecked',
      `cannot tell ${unknown.join(', nor ')}: make sure that ${needs}, what the old key needs from its supersession to its deletion, is at most `
      + `${limit}; otherwise ${early}`);
  }
}

/** A duration as code to paste, with its reading when that helps: `Duration.hours(42) (1 day 18 hours)`. */
function durationCode(seconds: number): string {
  const units: [number, string][] = [[86_400, 'days'], [3_600, 'hours'], [60, 'minutes'], [1, 'seconds']];
  const [size, unit] = units.find(([s]) => seconds % s === 0)!;
  const code = `Duration.${unit}(${seconds / size})`;
  const reading = Duration.seconds(seconds).toHumanString();
  return reading === `${seconds / size} ${unit}` || reading === `1 ${unit.slice(0, -1)}` ? code : `${code} (${reading})`;
}

/**
 * The shortest time between the openings of two consecutive rotation windows,
 * or undefined where it cannot be told (a token, a cron expression naming
 * months, or days with `/`, `L`, `W` or `#`). Not `interval`, the longest:
 * `cron(0 1 ? * MON,FRI *)` rotates at most 4 days apart but can rotate 3
 * days apart. A day of the month counts from the shortest month that has it
 * (the 20th to the 1st: 9 days, through February).
 */
export function shortestRotationGap(schedule: KeyRotationSchedule): Duration | undefined {
  const expression = schedule.expressionString;
  if (Token.isUnresolved(expression)) return undefined;
  if (/^rate\(/.test(expression)) return schedule.interval;
  const cron = /^cron\((.+)\)$/.exec(expression);
  if (!cron) return undefined;
  const [, hoursField, dayOfMonth, month, dayOfWeek, year] = cron[1].trim().split(/\s+/);
  const any = (f: string) => f === '*' || f === '?';
  const hours = cronHours(hoursField);
  if (!hours || hours.length === 0 || !any(month) || !any(year)) return undefined;
  let days: number[] | undefined;
  let cycleDays: number;
  if (any(dayOfMonth) && any(dayOfWeek)) {
    days = [1];
    cycleDays = 1;
  } else if (any(dayOfMonth)) {
    days = cronDays(dayOfWeek, 7, WEEKDAYS);
    cycleDays = 7;
  } else if (any(dayOfWeek)) {
    days = cronDays(dayOfMonth, 31);
    cycleDays = Math.max(28, days?.[days.length - 1] ?? 0);
  } else {
    return undefined;
  }
  if (!days) return undefined;
  const openings = days.flatMap((d) => hours.map((h) => (d - 1) * 24 + h));
  const gaps = openings.slice(1).map((t, i) => t - openings[i]);
  gaps.push(cycleDays * 24 - openings[openings.length - 1] + openings[0]);
  return Duration.hours(Math.min(...gaps));
}

const WEEKDAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

/**
 * The days (1-based, sorted) a cron day field names with numbers (or weekday
 * names), lists and ranges; undefined for anything else.
 */
function cronDays(field: string, max: number, names: string[] = []): number[] | undefined {
  const day = (s: string) => (names.includes(s.toUpperCase()) ? names.indexOf(s.toUpperCase()) + 1 : /^\d+$/.test(s) ? Number(s) : NaN);
  const days = new Set<number>();
  for (const part of field.split(',')) {
    const m = /^(\w+)(?:-(\w+))?$/.exec(part);
    if (!m) return undefined;
    const from = day(m[1]);
    const to = m[2] === undefined ? from : day(m[2]);
    if (!(from >= 1 && to <= max && from <= to)) return undefined;
    for (let d = from; d <= to; d++) days.add(d);
  }
  return [...days].sort((a, b) => a - b);
}

/**
 * The rotation window Secrets Manager uses when none is set, in hours: for a
 * schedule in hours (a rate in hours, or a cron expression opening more than
 * one window a day) it closes after one hour; for a schedule in days, at the
 * end of the UTC day (24 hours after a rate's midnight, 24 minus a cron
 * expression's opening hour; 24 where that hour cannot be told)
 * (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_RotationRulesType.html,
 * Duration and ScheduleExpression).
 */
export function defaultRotationWindowHours(schedule: KeyRotationSchedule): number {
  const expression = schedule.expressionString;
  if (/^rate\(\d+ hours?\)$/.test(expression)) return 1;
  const cron = /^cron\((.+)\)$/.exec(expression);
  const hours = cron ? cronHours(cron[1].trim().split(/\s+/)[1] ?? '') : undefined;
  if (!hours || hours.length === 0) return 24;
  return hours.length > 1 ? 1 : 24 - hours[0];
}
