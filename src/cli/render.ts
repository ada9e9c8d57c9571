/**
 * What the CLI prints: a table for people (cli-table3, no colours, so it
 * reads the same in a terminal, a log and a ticket) and JSON for scripts.
 * The credential formats for consumers are `credentials.ts`'s.
 */
import Table from 'cli-table3';
import type { ChangeResult, SecretView, StatusReport } from './commands';
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
  const lines: string[] = [];
  if (n.action === 'held') lines.push(...holdText(s.hold ?? ''), '(release to resume)');
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

/** One row per key; the secret's next transition on the key it concerns. */
export function statusTable(report: StatusReport): string {
  const now = new Date(report.generatedAt);
  const table = new Table({
    head: ['USER', 'SECRET', 'KEY', 'STATUS', 'STAGE', 'AGE', 'LAST USED', 'NEXT'],
    style: { head: [], border: [], compact: true },
  });
  for (const s of report.secrets) {
    const secretName = s.secretArn.split(':secret:')[1] ?? s.secretArn;
    const rotation = s.rotationInProgress ? 'rotating now' : s.nextRotationAt ? `rotation ${when(s.nextRotationAt)}` : '';
    if (s.keys.length === 0) {
      table.push([s.userName, secretName, '-', '', '', '', '', rotation || 'no key yet: created by the first rotation']);
      continue;
    }
    const concerned = s.next.accessKeyId;
    s.keys.forEach((k, i) => {
      const used = k.lastUsed?.at ? `${when(k.lastUsed.at)} ${k.lastUsed.service ?? ''} ${k.lastUsed.region ?? ''}`.trim() : 'never';
      const next = k.accessKeyId === concerned || (!concerned && i === 0) ? nextOf(s, now) : k.stage === 'current' ? rotation : '';
      table.push([
        i === 0 ? s.userName : '',
        i === 0 ? secretName : '',
        k.accessKeyId,
        k.status,
        k.stage,
        k.ageDays === undefined ? '' : `${k.ageDays} d`,
        used,
        next,
      ]);
    });
  }
  const count = report.secrets.length;
  return `${table.toString()}\n${count} managed secret${count === 1 ? '' : 's'} at ${when(report.generatedAt)} UTC`;
}

export function changeText(result: ChangeResult): string {
  return `${result.dryRun ? '(dry run) ' : ''}${result.message}`;
}
