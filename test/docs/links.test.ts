/**
 * Every relative link and anchor in README.md and docs/*.md resolves: the
 * file exists in the repository, and the anchor is a heading of that file
 * (as GitHub makes anchors). External links are not fetched.
 */
import * as fs from 'fs';
import * as path from 'path';
import { anchors, documents, links, ROOT, slug } from './markdown';

describe('links in the documentation', () => {
  test('GIVEN GitHub\'s anchor rules WHEN headings are turned into anchors THEN markup and punctuation drop and spaces become dashes', () => {
    expect(slug('## Operate it: the CLI')).toBe('operate-it-the-cli');
    expect(slug('### `rotateOnDeploy: false` and a [link](x.md)')).toBe('rotateondeploy-false-and-a-link');
    expect(slug('## Hand the key to consumers')).toBe('hand-the-key-to-consumers');
  });

  test.each(documents())('GIVEN %s WHEN its relative links are followed THEN each file and anchor exists', (file) => {
    const broken: string[] = [];
    for (const link of links(file)) {
      if (/^[a-z][a-z0-9+.-]*:/i.test(link.target)) continue; // https:, mailto: ...: not fetched
      const [target, anchor] = link.target.split('#', 2);
      const resolved = target === '' ? file : path.normalize(path.join(path.dirname(file), decodeURIComponent(target)));
      const where = `${file}:${link.line} -> ${link.target}`;
      if (resolved.startsWith('..') || !fs.existsSync(path.join(ROOT, resolved))) {
        broken.push(`${where}: no file ${resolved}`);
        continue;
      }
      if (anchor !== undefined && resolved.endsWith('.md') && !anchors(resolved).has(anchor)) {
        broken.push(`${where}: no heading makes #${anchor} in ${resolved}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
