/**
 * Just enough Markdown for the docs checks: the documents (README.md and
 * docs/*.md), their fenced code blocks, links and headings, and the anchors
 * GitHub makes of headings. No dependency and no network.
 */
import * as fs from 'fs';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');

/** The documents the checks cover, relative to the repository root. */
export function documents(): string[] {
  const docs = fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`);
  return ['README.md', ...docs];
}

export interface CodeBlock {
  /** The document, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the opening fence. */
  readonly line: number;
  /** The first word of the info string (`ts`, `sh`...), '' when none. */
  readonly language: string;
  /** The rest of the info string: `fixture=name`, `nofixture`. */
  readonly parameters: Record<string, string>;
  readonly source: string;
}

/** Fenced code blocks (``` or ~~~, at most three spaces of indent). */
export function codeBlocks(file: string): CodeBlock[] {
  const lines = read(file).split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/.exec(lines[i]);
    if (!open) continue;
    const fence = open[1];
    const body: string[] = [];
    let j = i + 1;
    while (j < lines.length && !new RegExp(`^ {0,3}${fence[0]}{${fence.length},}\\s*$`).test(lines[j])) body.push(lines[j++]);
    const parameters: Record<string, string> = {};
    for (const word of open[3].split(/\s+/).filter(Boolean)) {
      const [k, v] = word.split('=');
      parameters[k] = v ?? '';
    }
    blocks.push({ file, line: i + 1, language: open[2].toLowerCase(), parameters, source: body.join('\n') });
    i = j;
  }
  return blocks;
}

/** The document's text with fenced blocks and inline code blanked out (line numbers kept). */
export function prose(file: string): string {
  const lines = read(file).split('\n');
  let fence: string | undefined;
  return lines.map((l) => {
    const m = /^ {0,3}(`{3,}|~{3,})/.exec(l);
    if (fence) {
      if (m && m[1][0] === fence[0] && m[1].length >= fence.length) fence = undefined;
      return '';
    }
    if (m) {
      fence = m[1];
      return '';
    }
    return l.replace(/(`+)(?:(?!\1).)*?\1/g, (s) => ' '.repeat(s.length));
  }).join('\n');
}

export interface Link {
  readonly file: string;
  readonly line: number;
  readonly target: string;
}

/** Inline links and images `[text](target)`, reference definitions `[id]: target`, and `<a href>`. */
export function links(file: string): Link[] {
  const found: Link[] = [];
  prose(file).split('\n').forEach((text, i) => {
    const add = (target: string) => found.push({ file, line: i + 1, target: target.trim().replace(/^<|>$/g, '') });
    for (const m of text.matchAll(/\]\(\s*([^)\s]+)(?:\s+"[^"]*")?\s*\)/g)) add(m[1]);
    const def = /^ {0,3}\[[^\]]+\]:\s*(\S+)/.exec(text);
    if (def) add(def[1]);
    for (const m of text.matchAll(/<a\s[^>]*href="([^"]+)"/g)) add(m[1]);
  });
  return found;
}

/** The anchors GitHub makes of a document's headings (and explicit `<a name|id>` anchors). */
export function anchors(file: string): Set<string> {
  const seen = new Map<string, number>();
  const result = new Set<string>();
  const raw = read(file).split('\n');
  prose(file).split('\n').forEach((text, i) => {
    const explicit = /<a\s+(?:name|id)="([^"]+)"/.exec(text);
    if (explicit) result.add(explicit[1]);
    if (!/^ {0,3}#{1,6}\s/.test(text)) return;
    const base = slug(raw[i]);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    result.add(n === 0 ? base : `${base}-${n}`);
  });
  return result;
}

/** GitHub's heading anchor: lower case, markup and punctuation dropped (but `-` and `_`), spaces to `-`. */
export function slug(headingLine: string): string {
  const text = headingLine.replace(/^ {0,3}#{1,6}\s+/, '').replace(/\s*#*\s*$/, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links keep their text
    .replace(/<[^>]+>/g, '');
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, '').replace(/\s/g, '-');
}

export function read(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf-8');
}
