/**
 * What the CLI prints for people: a table (cli-table3, no colours, so it
 * reads the same in a terminal, a log and a ticket) that fits the terminal's
 * width, or, on a narrow one, a block of lines per secret. JSON, text and
 * --query are `output.ts`'s; the credential formats for consumers are
 * `credentials.ts`'s.
 */
import Table from 'cli-table3';
import type { ChangeResult, KeyView, SecretView, StatusReport } from './commands';
import type { DiscoveredKey, DiscoveredUser, DiscoveryReport } from './discover';
import { stackName } from './locate';
import { decodeFields } from '../rotation/model';

const DAY_MS = 86_400_000;

/** `2026-03-01 14:05` (UTC). */
export function when(iso: string | undefined): string {
  return iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)}` : '';
}

function relative(iso: string, now: Date): string {
  const days = (new Date(iso).getTime() - now.getTime()) / DAY_MS;
  if (Math.abs(days) < 1) {
    const hours = Math.round(days * 24);
    return hours === 0 ? 'now' : hours > 0 ? `in ${hours} h` : `${-hours} h ago`;
  }
  const d = Math.abs(days) < 10 ? (Math.round(Math.abs(days) * 10) / 10).toString() : Math.round(Math.abs(days)).toString();
  return days > 0 ? `in ${d} d` : `${d} d ago`;
}

function nextOf(s: SecretView, now: Date): string {
  const n = s.next;
  const lines: string[] = s.mode === 'OBSERVE' ? ['observe mode: nothing is changed in IAM'] : [];
  if (n.action === 'held') lines.push(...holdText(s.hold ?? ''), '(release to resume)');
  else if (n.action === 'blocked') lines.push(`blocked: ${n.reason}`);
  else if (n.action !== 'none') lines.push(`${n.action} ${n.due ? 'due now' : `${when(n.at)} (${relative(n.at!, now)})`}`);
  if (s.revokeRequestedAt) lines.push(`revoke requested ${when(s.revokeRequestedAt)}`);
  return lines.join('\n');
}

/** An operator's hold (`id=… held-at=… by=…`, as the CLI writes it), or any other hold as it is. */
function holdText(hold: string): string[] {
  const f = decodeFields(hold);
  if (!f['held-at']) return [`held: ${hold}`.trim()];
  return [`held since ${when(f['held-at'])}`, ...(f.by ? [`by ${f.by}`] : [])];
}

/** The last use of a key as `status` says it in every format: `never` when IAM has no use on record. */
function usedText(k: KeyView): string {
  if (k.lastUsed === null) return 'unknown';
  if (k.lastUsed.never || !k.lastUsed.at) return 'never';
  return `${when(k.lastUsed.at)} ${k.lastUsed.service ?? ''} ${k.lastUsed.region ?? ''}`.trim();
}

/** The secret's rotation, said on its current key (or its first row): running now, or when it is next due. */
function rotationText(s: SecretView): string {
  return s.rotationInProgress ? 'rotating now' : s.nextRotationAt ? `rotation ${when(s.nextRotationAt)}` : '';
}

/** The delivery function each rotation hands the new key to, by its name (said with the rotation). */
function deliveryText(s: SecretView): string {
  return s.deliveryFunction ? `delivers to ${s.deliveryFunction.split(':function:')[1] ?? s.deliveryFunction}` : '';
}

/** Each row's cells: user, secret, key, status, stage, age, last use, next; the same facts in every layout. */
function statusRows(report: StatusReport): string[][] {
  const now = new Date(report.generatedAt);
  const rows: string[][] = [];
  for (const s of report.secrets) {
    const secretName = s.secretArn.split(':secret:')[1] ?? s.secretArn;
    const rotation = [rotationText(s), deliveryText(s)].filter(Boolean).join('\n');
    if (s.keys.length === 0) {
      const none = s.mode === 'OBSERVE' ? 'observe mode: nothing is changed in IAM (no key is created until the mode is ENFORCE)'
        : [rotationText(s) || 'no key yet: created by the first rotation', deliveryText(s)].filter(Boolean).join('\n');
      rows.push([s.userName, secretName, '-', '', '', '', '', none]);
      continue;
    }
    const concerned = s.next.accessKeyId;
    const rotationRow = Math.max(0, s.keys.findIndex((k) => k.stage === 'current'));
    s.keys.forEach((k, i) => {
      const next = [
        ...(k.accessKeyId === concerned || (!concerned && i === 0) ? [nextOf(s, now)] : []),
        ...(i === rotationRow ? [rotation] : []),
      ].filter(Boolean).join('\n');
      rows.push([
        i === 0 ? s.userName : '',
        i === 0 ? secretName : '',
        k.accessKeyId,
        k.status,
        k.stage,
        k.ageDays === undefined ? '' : `${k.ageDays} d`,
        usedText(k),
        next,
      ]);
    });
  }
  return rows;
}

const HEAD = ['USER', 'SECRET', 'KEY', 'STATUS', 'STAGE', 'AGE', 'LAST USED', 'NEXT'];
/**
 * The columns that wrap when the table must narrow (last use and next, down to a date's width); the others keep
 * their width, so that a user, a secret or a key id is never cut and can be copied whole.
 */
const WRAPPING = new Set([6, 7]);
/** A wrapped column's least width: a date (`2026-03-01`) and its padding. */
const MIN_WRAPPED = 12;
/** Below this width the table gives way to one block per secret. */
export const NARROW_BELOW = 110;

/** `text` in lines of at most `width` characters: broken at spaces, a longer word cut; each further line indented by `indent`. */
export function wrap(text: string, width: number, indent = ''): string[] {
  const out: string[] = [];
  for (const paragraph of text.split('\n')) {
    const lines: string[] = [];
    let line = '';
    const limit = () => Math.max(1, width - (lines.length > 0 ? indent.length : 0));
    for (let word of paragraph.split(' ')) {
      for (;;) {
        const candidate = line === '' ? word : `${line} ${word}`;
        if (candidate.length <= limit()) {
          line = candidate;
          break;
        }
        if (line !== '') {
          lines.push(line);
          line = '';
          continue;
        }
        const cut = limit();
        lines.push(word.slice(0, cut));
        word = word.slice(cut);
      }
    }
    lines.push(line);
    out.push(...lines.map((l, i) => (i > 0 ? indent + l : l)));
  }
  return out;
}

/** `text` wrapped to `width` after `prefix`, which every line keeps; further lines also indented by `indent`. */
function indented(prefix: string, text: string, width: number, indent: string): string[] {
  return wrap(text, width - prefix.length, indent).map((l) => prefix + l);
}

/**
 * `status` for people: one row per key, the secret's next transition on the
 * key it concerns and its rotation on the current key. `width` is the
 * terminal's (none: as wide as the facts): the wrapping columns narrow to
 * fit it, and below NARROW_BELOW columns each secret is a block of lines.
 */
export function statusTable(report: StatusReport, width?: number): string {
  const rows = statusRows(report);
  const count = report.secrets.length;
  const footer = `${count} managed secret${count === 1 ? '' : 's'} at ${when(report.generatedAt)} UTC`;
  const natural = HEAD.map((h, c) => Math.max(h.length, ...rows.map((r) => Math.max(...r[c].split('\n').map((l) => l.length)))) + 2);
  const total = (widths: number[]) => widths.reduce((a, b) => a + b, 0) + widths.length + 1;
  let widths = natural;
  if (width !== undefined && total(natural) > width) {
    if (width < NARROW_BELOW) return [...blocks(report, rows, width), ...wrap(footer, width)].join('\n');
    widths = [...natural];
    while (total(widths) > width) {
      const widest = [...WRAPPING].filter((c) => widths[c] > MIN_WRAPPED).reduce((a, b) => (a < 0 || widths[b] > widths[a] ? b : a), -1);
      if (widest < 0) return [...blocks(report, rows, width), ...wrap(footer, width)].join('\n');
      widths[widest]--;
    }
  }
  const table = new Table({ head: HEAD, colWidths: widths, style: { head: [], border: [], compact: true } });
  for (const r of rows) table.push(r.map((cell, c) => wrap(cell, widths[c] - 2).join('\n')));
  return `${table.toString()}\n${wrap(footer, width ?? footer.length).join('\n')}`;
}

/** The narrow layout: the user and secret, then each key with its status, stage and age, its last use and what comes next. */
function blocks(report: StatusReport, rows: string[][], width: number): string[] {
  const lines: string[] = [];
  let row = 0;
  for (const s of report.secrets) {
    const [user, secret] = rows[row];
    lines.push(...indented('', `${user}, secret ${secret}`, width, '  '));
    const keyRows = s.keys.length === 0 ? 1 : s.keys.length;
    for (let i = 0; i < keyRows; i++, row++) {
      const [, , key, status, stage, age, used, next] = rows[row];
      if (key !== '-') {
        lines.push(...indented('  ', [key, status, stage, age].filter(Boolean).join('  '), width, '  '));
        lines.push(...indented('    ', `last used: ${used}`, width, '  '));
      }
      for (const n of next.split('\n').filter(Boolean)) lines.push(...indented('    ', `next: ${n}`, width, '  '));
    }
  }
  return lines;
}

export function changeText(result: ChangeResult): string {
  return `${result.dryRun ? '(dry run) ' : ''}${result.message}`;
}

// ---- discover ------------------------------------------------------------------------

const DISCOVER_HEAD = ['USER', 'KEY', 'STATUS', 'AGE', 'LAST USED', 'IAM.3', 'MANAGED BY'];
/** The columns that wrap when the table must narrow: last use and the manager. */
const DISCOVER_WRAPPING = new Set([4, 6]);

/** `stack / secret`, `secret <name>, which no stack registers`, or `unmanaged` (saying so when a stack registers the user). */
function managedText(k: DiscoveredKey, u: DiscoveredUser): string {
  if (!k.managedBy) {
    const r = u.registeredBy[0];
    return r ? `unmanaged; the user is registered by ${stackName(r.stack)} / ${r.secretArn.split(':secret:')[1] ?? r.secretArn}` : 'unmanaged';
  }
  const secret = k.managedBy.secretArn.split(':secret:')[1] ?? k.managedBy.secretArn;
  const stage = k.managedBy.stage === 'current' ? '' : ` (${k.managedBy.stage})`;
  return k.managedBy.stack ? `${stackName(k.managedBy.stack)} / ${secret}${stage}`
    : `held by secret ${secret}${stage}; no registry read registers it`;
}

function discoverUsed(k: DiscoveredKey): string {
  if (k.lastUsed.never || !k.lastUsed.at) return 'never';
  return `${when(k.lastUsed.at)} ${k.lastUsed.service ?? ''} ${k.lastUsed.region ?? ''}`.trim();
}

/**
 * `discover` for people: one row per key, the user on its first; the
 * last-use and manager columns wrap to fit `width` (down to a date's width);
 * a footer counts users, keys, managed and unmanaged keys and IAM.3 failures.
 */
export function discoverTable(report: DiscoveryReport, width?: number): string {
  const rows: string[][] = [];
  for (const u of report.users) {
    u.keys.forEach((k, i) => rows.push([
      i === 0 ? u.userName : '',
      k.accessKeyId ?? '?',
      k.status,
      k.ageDays === undefined ? '' : `${k.ageDays} d`,
      discoverUsed(k),
      k.iam3 === 'NOT_APPLICABLE' ? '-' : k.iam3,
      managedText(k, u),
    ]));
  }
  const s = report.summary;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  const footer = `${plural(s.users, 'user')} with keys, ${plural(s.keys, 'key')}: ${s.managedKeys} managed, ${s.unmanagedKeys} unmanaged; `
    + `${plural(s.usersFailingIam3, 'user')} failing IAM.3 (an active key older than 90 days); at ${when(report.generatedAt)} UTC`;
  if (rows.length === 0) return wrap(footer, width ?? footer.length).join('\n');
  const natural = DISCOVER_HEAD.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)) + 2);
  const total = (widths: number[]) => widths.reduce((a, b) => a + b, 0) + widths.length + 1;
  const widths = [...natural];
  while (width !== undefined && total(widths) > width) {
    const widest = [...DISCOVER_WRAPPING].filter((c) => widths[c] > MIN_WRAPPED).reduce((a, b) => (a < 0 || widths[b] > widths[a] ? b : a), -1);
    if (widest < 0) break;
    widths[widest]--;
  }
  const table = new Table({ head: DISCOVER_HEAD, colWidths: widths, style: { head: [], border: [], compact: true } });
  for (const r of rows) table.push(r.map((cell, c) => wrap(cell, widths[c] - 2).join('\n')));
  return `${table.toString()}\n${wrap(footer, width ?? footer.length).join('\n')}`;
}
