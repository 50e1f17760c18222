// Bundles the customer pages' and the staff console's browser code and stylesheets into
// dist/web/assets with esbuild: /assets/pages.{js,css} and /assets/console.{js,css}.
// `npm run build:web` (and so `npm run build` / `prepare`) runs this; the bin and the tests import
// buildWeb() so a fresh clone or an edited page never serves a stale or missing bundle.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const WEB_SOURCES = [
  path.join(root, 'src', 'web', 'browser'),
  path.join(root, 'src', 'languages'),
  path.join(root, 'src', 'web', 'console', 'browser'),
  path.join(root, 'src', 'web', 'console', 'console-strings.ts'),
];
export const WEB_ASSETS_DIR = path.join(root, 'dist', 'web', 'assets');
const BUNDLES = ['pages.js', 'console.js'].map((name) => path.join(WEB_ASSETS_DIR, name));

function newestMtime(file) {
  const stat = fs.statSync(file);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...fs.readdirSync(file).map((name) => newestMtime(path.join(file, name))));
}

/** True when a bundle is missing or older than any of the sources. */
export function webIsStale() {
  if (!BUNDLES.every((bundle) => fs.existsSync(bundle))) return true;
  const sources = WEB_SOURCES.filter((source) => fs.existsSync(source));
  return Math.max(0, ...sources.map(newestMtime)) > Math.min(...BUNDLES.map((bundle) => fs.statSync(bundle).mtimeMs));
}

export async function buildWeb() {
  // Imported here, not at the top: the bin only needs webIsStale() on a normal start.
  const { build } = await import('esbuild');
  await build({
    absWorkingDir: root,
    entryPoints: [
      { in: 'src/web/browser/pages.ts', out: 'pages' },
      { in: 'src/web/browser/pages.css', out: 'pages' },
      { in: 'src/web/console/browser/console.ts', out: 'console' },
      { in: 'src/web/console/browser/console.css', out: 'console' },
    ],
    outdir: WEB_ASSETS_DIR,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome100', 'firefox100', 'safari15.4'],
    minify: true,
    legalComments: 'eof',
    logLevel: 'warning',
  });
  // esbuild may leave an unchanged file untouched; the stale check compares this time.
  const now = new Date();
  for (const bundle of BUNDLES) fs.utimesSync(bundle, now, now);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  await buildWeb();
}
