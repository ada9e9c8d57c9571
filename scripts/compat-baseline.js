#!/usr/bin/env node
// Records the current jsii assembly (.jsii, from `npx projen compile`) as compat/baseline: the API
// of the release being made, which `npx projen compat` compares every later build with.
// Gzipped behind a jsii file redirect, as jsii's compressed assemblies are, to keep it small.
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');

const root = path.join(__dirname, '..');
const dir = path.join(root, 'compat', 'baseline');
const manifest = require(path.join(root, 'package.json'));
const assembly = fs.readFileSync(path.join(root, '.jsii'));
const version = JSON.parse(assembly.toString('utf-8')).version;
if (version !== manifest.version) {
  throw new Error(`.jsii is version ${version} but package.json is ${manifest.version}: run npx projen compile first`);
}
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(path.join(dir, '.jsii.gz'), zlib.gzipSync(assembly, { level: 9 }));
fs.writeFileSync(path.join(dir, '.jsii'), JSON.stringify({ schema: 'jsii/file-redirect', compression: 'gzip', filename: '.jsii.gz' }) + '\n');
fs.writeFileSync(path.join(dir, 'package.json'), JSON.stringify({
  name: manifest.name,
  version: manifest.version,
  private: true,
  description: `The public API of ${manifest.name} ${manifest.version}, for jsii-diff (npx projen compat)`,
  jsii: manifest.jsii,
  peerDependencies: manifest.peerDependencies,
}, null, 2) + '\n');
console.log(`compat/baseline: the API of ${manifest.name} ${manifest.version}`);
