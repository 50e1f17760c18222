/**
 * The architecture's boundaries (DESIGN "Architecture", "Storage backends and several instances"),
 * checked in CI by `npm run lint:boundaries`: a domain file that imports a database driver or the
 * storage internals, or crypto/ reaching above its primitives, fails the build.
 */
const DOMAIN = '^src/(audit|credentials|hooks|intake-links|keys|notices|purge|receipts|reveal|staff-auth|tickets|http|web|cli)/';

module.exports = {
  forbidden: [
    {
      name: 'domain-imports-no-driver',
      comment: 'Only the storage backends talk to a database driver.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '(^|/)node_modules/(better-sqlite3|pg|pg-[a-z-]+)/' },
    },
    {
      name: 'domain-imports-only-the-port',
      comment: 'The domain reaches storage through src/storage/storage.ts only, never a backend.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: '^src/storage/', pathNot: '^src/storage/storage\\.ts$' },
    },
    {
      name: 'backends-compose-in-main-only',
      comment: 'The backend is chosen in the composition root (src/main.ts) and nowhere else.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/(main\\.ts|storage/)' },
      to: { path: '^src/storage/(sqlite|postgres)/' },
    },
    {
      name: 'crypto-is-primitives',
      comment: 'crypto/ wraps libsodium and nothing else: keys, stores and domain live above it.',
      severity: 'error',
      from: { path: '^src/crypto/' },
      to: { path: '^src/', pathNot: '^src/(crypto/|errors\\.ts$|ids\\.ts$)' },
    },
    {
      name: 'no-circular',
      comment: 'Import cycles make the layers meaningless; a type-only cycle too (store interfaces import domain types, never the reverse).',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
