/**
 * The code blocks of README.md and docs/*.md: every block says its language,
 * and every TypeScript block compiles, inserted into rosetta/default.ts-fixture
 * as jsii-rosetta inserts it (imports and `declare const` lines hoisted, the
 * rest at `/// here`), against the library's source, with jsii-rosetta's
 * compiler options. The fixture's @example-only part is removed first, so a
 * block compiles only when it imports or declares every name it uses.
 * (`jsii-rosetta extract --strict` checks README.md and the API's @example tags
 * too, translated to the other languages; it does not read docs/.)
 */
import * as fs from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { CodeBlock, codeBlocks, documents, ROOT } from './markdown';

/** Languages a block may declare; a block with none is refused. */
const LANGUAGES = new Set(['ts', 'typescript', 'sh', 'bash', 'json', 'text', 'ini', 'mermaid', 'python', 'java', 'go', 'csharp', 'xml', 'yaml']);

/** jsii-rosetta's compiler options (STANDARD_COMPILER_OPTIONS), with the library's own name mapped to its source. */
const OPTIONS: ts.CompilerOptions = {
  alwaysStrict: true,
  experimentalDecorators: true,
  lib: ['lib.es2022.d.ts'],
  module: ts.ModuleKind.Node16,
  moduleResolution: ts.ModuleResolutionKind.Node16,
  noFallthroughCasesInSwitch: true,
  noImplicitAny: true,
  noImplicitReturns: true,
  noImplicitThis: true,
  resolveJsonModule: true,
  strict: true,
  strictNullChecks: true,
  strictPropertyInitialization: true,
  target: ts.ScriptTarget.ES2022,
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
  paths: { 'cdk-rotating-access-keys': [path.join(ROOT, 'src', 'index.ts')] },
};

const all = documents().flatMap(codeBlocks);
const typescript = all.filter((b) => b.language === 'ts' || b.language === 'typescript');

/** The block inside its fixture, as jsii-rosetta's fixturize() builds it. */
function complete(block: CodeBlock): string {
  if ('nofixture' in block.parameters) return block.source;
  const name = block.parameters.fixture || 'default';
  const fixture = fs.readFileSync(path.join(ROOT, 'rosetta', `${name}.ts-fixture`), 'utf-8')
    .replace(/^[ \t]*\/\/ @example-only begin[\s\S]*?\/\/ @example-only end[ \t]*\n/m, '');
  const file = ts.createSourceFile('block.ts', block.source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let imports = '';
  let statements = '';
  for (const s of file.statements) {
    const hoisted = ts.isImportDeclaration(s) || ts.isImportEqualsDeclaration(s)
      || (ts.isVariableStatement(s) && s.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword));
    if (hoisted) imports += s.getFullText(file);
    else statements += s.getFullText(file);
  }
  return `${imports}\n${fixture.replace(/\/\/\/[ \t]*here[ \t]*$/m, statements)}\nexport {};\n`;
}

describe('code blocks in the documentation', () => {
  test('GIVEN README.md and docs/*.md WHEN their code blocks are read THEN each says its language', () => {
    const unmarked = all.filter((b) => !LANGUAGES.has(b.language)).map((b) => `${b.file}:${b.line} \`\`\`${b.language}`);
    expect(unmarked).toEqual([]);
  });

  test('GIVEN every TypeScript block in its fixture WHEN type-checked against the library THEN none has an error', () => {
    expect(typescript.length).toBeGreaterThan(0);
    const sources = new Map(typescript.map((b) => [
      path.join(ROOT, 'test', 'docs', '.blocks', `${b.file.replace(/[/.]/g, '_')}_L${b.line}.ts`), { block: b, text: complete(b) },
    ]));
    const host = ts.createCompilerHost(OPTIONS, true);
    const getSourceFile = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version, ...rest) => {
      const own = sources.get(path.resolve(name));
      return own ? ts.createSourceFile(name, own.text, version, true) : getSourceFile(name, version, ...rest);
    };
    const fileExists = host.fileExists.bind(host);
    host.fileExists = (name) => sources.has(path.resolve(name)) || fileExists(name);
    const program = ts.createProgram([...sources.keys()], OPTIONS, host);
    const errors: string[] = [];
    for (const [name, { block, text }] of sources) {
      for (const d of ts.getPreEmitDiagnostics(program, program.getSourceFile(name))) {
        const at = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line : 0;
        errors.push(`${block.file}:${block.line} (line ${at + 1} of the block in its fixture: ${text.split('\n')[at]?.trim()}): `
          + ts.flattenDiagnosticMessageText(d.messageText, ' '));
      }
    }
    expect(errors).toEqual([]);
  });
});
