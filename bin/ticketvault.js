#!/usr/bin/env node
// Runs the built CLI; builds it first when dist/ is missing or older than src/ (a fresh checkout
// gets it from `npm install`'s prepare step, so this is only a safety net for edited sources).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const entry = path.join(root, 'dist', 'cli', 'main.js');

function newestMtime(dir) {
  let newest = 0;
  for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, item.name);
    newest = Math.max(newest, item.isDirectory() ? newestMtime(full) : fs.statSync(full).mtimeMs);
  }
  return newest;
}

const src = path.join(root, 'src');
const stale = !fs.existsSync(entry) || (fs.existsSync(src) && newestMtime(src) > fs.statSync(entry).mtimeMs);
if (stale) {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  process.stderr.write('ticketvault: building (tsc)…\n');
  // The compiler needs no secret: it does not inherit the master key.
  const { MASTER_KEY: _key, ...buildEnv } = process.env;
  const built = spawnSync(process.execPath, [tsc, '-p', path.join(root, 'tsconfig.build.json')], { stdio: 'inherit', env: buildEnv });
  if (built.status !== 0) process.exit(built.status ?? 1);
  fs.utimesSync(entry, new Date(), new Date());
}
// The customer pages' script and stylesheet (dist/web/assets), bundled by esbuild.
const web = await import(pathToFileURL(path.join(root, 'scripts', 'build-web.mjs')).href);
if (web.webIsStale()) {
  process.stderr.write('ticketvault: building the customer pages (esbuild)…\n');
  await web.buildWeb();
}

const { runCli } = await import(pathToFileURL(entry).href);
const code = await runCli(process.argv);
if (code !== 0) process.exitCode = code;
