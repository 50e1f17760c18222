#!/usr/bin/env node
// Prints the latest figures of each process-level reliability test as the Markdown table in
// docs/reliability.md: `node test/faults/figures.mjs` after `npm run test:faults`.
// Each test appends one JSON line per run to test-results/reliability.jsonl (fault-run.ts).
import fs from 'node:fs';
import path from 'node:path';

const file = path.join(import.meta.dirname, '..', '..', 'test-results', 'reliability.jsonl');
if (!fs.existsSync(file)) {
  console.error(`${file} does not exist: run npm run test:faults first`);
  process.exit(1);
}
const latest = new Map();
for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const figures = JSON.parse(line);
  latest.set(figures.test, figures);
}
const columns = ['iterations', 'faultsInjected', 'requests', 'answers5xx', 'lostRows', 'missingAuditRows', 'leakedCanaries'];
console.log(`| test | ${columns.join(' | ')} | at | commit |`);
console.log(`|---|${columns.map(() => '---:').join('|')}|---|---|`);
for (const f of latest.values()) console.log(`| ${f.test} | ${columns.map((c) => f[c]).join(' | ')} | ${f.at} | ${f.commit} |`);
console.log();
for (const f of latest.values()) console.log(`${f.test}: ${JSON.stringify(f)}`);
