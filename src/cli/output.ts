/**
 * The AWS CLI's output habits for the CLI's JSON documents: `--query`, a
 * JMESPath expression (JMESPath's own JavaScript implementation, bundled, of
 * the specification the AWS CLI implements)
 * applied to the document before it is printed; `--output text`, the AWS
 * CLI's tab-separated lines; and a plain table for a selection, which has
 * no layout of its own. What a command prints for people without --query is
 * `render.ts`'s.
 */
import Table from 'cli-table3';
import * as jmespath from 'jmespath';
import { CliError, ExitCode } from './errors';

/** The parser alone, which the library exports and its type declarations leave out. */
const parse = (jmespath as unknown as { compile(expression: string): unknown }).compile;

export type OutputFormat = 'table' | 'json' | 'text';
export const OUTPUT_FORMATS: OutputFormat[] = ['table', 'json', 'text'];

/** Refuses, as a usage error, an expression that does not parse: checked before any AWS call. */
export function checkQuery(query: string): string {
  try {
    parse(query);
  } catch (e) {
    throw new CliError(ExitCode.USAGE, `--query '${query}' is not a JMESPath expression: ${(e as Error).message.split('\n')[0]}`);
  }
  return query;
}

/** The part of the document the expression selects (`null` when it selects nothing, as the AWS CLI prints it). */
export function select(document: unknown, query: string | undefined): unknown {
  if (query === undefined) return document;
  try {
    return jmespath.search(JSON.parse(JSON.stringify(document)), query);
  } catch (e) {
    throw new CliError(ExitCode.USAGE, `--query '${query}' cannot be applied: ${(e as Error).message.split('\n')[0]}`);
  }
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
const isScalar = (v: Json) => v === null || typeof v !== 'object';

/** A scalar as the AWS CLI's text output writes it (Python's `str`): True, False, None. */
function scalar(v: Json): string {
  if (v === null || v === undefined) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}

/**
 * The AWS CLI's `--output text`: an object's scalar fields on one line,
 * tab-separated in key order, then each of its lists and objects under the
 * upper-cased name of its field; a list of objects one line per object
 * (the columns every object's scalars share); a list of scalars one line.
 */
export function textOf(value: unknown): string {
  const out: string[] = [];
  format(value as Json, undefined, undefined, out);
  return out.map((l) => `${l}\n`).join('');
}

function format(item: Json, identifier: string | undefined, scalarKeys: string[] | undefined, out: string[]): void {
  if (Array.isArray(item)) formatList(item, identifier, out);
  else if (item !== null && typeof item === 'object') formatObject(item, identifier, scalarKeys, out);
  else out.push(scalar(item));
}

function formatList(items: Json[], identifier: string | undefined, out: string[]): void {
  if (items.length === 0) return;
  if (items.some((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) {
    const keys = [...new Set(items.flatMap((e) => (e !== null && typeof e === 'object' && !Array.isArray(e)
      ? Object.entries(e).filter(([, v]) => isScalar(v)).map(([k]) => k) : [])))].sort();
    for (const e of items) format(e, identifier, keys, out);
  } else if (items.some(Array.isArray)) {
    const scalars = items.filter(isScalar);
    if (scalars.length) formatScalars(scalars, identifier, out);
    for (const e of items.filter((x) => !isScalar(x))) format(e, identifier, undefined, out);
  } else {
    formatScalars(items, identifier, out);
  }
}

function formatScalars(items: Json[], identifier: string | undefined, out: string[]): void {
  if (identifier !== undefined) for (const e of items) out.push(`${identifier.toUpperCase()}\t${scalar(e)}`);
  else out.push(items.map(scalar).join('\t'));
}

function formatObject(item: { [key: string]: Json }, identifier: string | undefined, scalarKeys: string[] | undefined, out: string[]): void {
  const keys = scalarKeys ?? Object.keys(item).filter((k) => isScalar(item[k])).sort();
  const scalars = keys.map((k) => scalar(item[k]));
  if (scalars.length) out.push([...(identifier !== undefined ? [identifier.toUpperCase()] : []), ...scalars].join('\t'));
  const rest = Object.keys(item).filter((k) => !keys.includes(k) && !isScalar(item[k])).sort();
  for (const k of rest) format(item[k], k, undefined, out);
}

/**
 * A selection as a table: a list of objects one row each under their keys,
 * a list of lists one row each, a list of scalars one column, an object its
 * keys and values, a scalar one cell. Nested values are written as JSON.
 */
export function selectionTable(value: unknown): string {
  const v = value as Json;
  const cell = (x: Json | undefined) => (x === undefined ? '' : isScalar(x) ? scalar(x) : JSON.stringify(x));
  const style = { head: [], border: [], compact: true };
  if (Array.isArray(v) && v.length > 0 && v.every((e) => e !== null && typeof e === 'object' && !Array.isArray(e))) {
    const rows = v as { [key: string]: Json }[];
    const head = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    const table = new Table({ head, style });
    for (const r of rows) table.push(head.map((k) => cell(r[k])));
    return table.toString();
  }
  const table = new Table({ style });
  if (Array.isArray(v)) for (const e of v) table.push(Array.isArray(e) ? e.map(cell) : [cell(e)]);
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) table.push([k, cell(x)]);
  else table.push([cell(v)]);
  return table.toString();
}
