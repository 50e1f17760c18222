import fs from 'node:fs';
import path from 'node:path';
import type { Config } from '../config.js';
import { ConfigError } from '../config.js';
import { randomBytes } from '../crypto/random.js';

export interface MasterKeyWarning {
  (message: string): void;
}

export const DEV_MASTER_KEY_FILE = 'master.key';

/**
 * The master keys from MASTER_KEY (comma-separated, current first) or MASTER_KEY_FILE
 * (one base64 key per line, current first). Outside production, with neither set, a key is
 * generated into the data folder (mode 0600) with a loud warning.
 */
export function loadMasterKeys(config: Config, warn: MasterKeyWarning): Uint8Array[] {
  if (config.masterKey) return parseKeys(config.masterKey.split(','), 'MASTER_KEY');
  if (config.masterKeyFile) {
    let text: string;
    try {
      text = fs.readFileSync(config.masterKeyFile, 'utf8');
    } catch (error) {
      throw new ConfigError('MASTER_KEY_FILE', `cannot read ${config.masterKeyFile}: ${(error as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    return parseKeys(text.split(/\r?\n/), 'MASTER_KEY_FILE');
  }
  if (config.isProduction) {
    throw new ConfigError('MASTER_KEY', 'required in production (or set MASTER_KEY_FILE)');
  }
  const file = path.join(config.dataDir, DEV_MASTER_KEY_FILE);
  if (fs.existsSync(file)) return parseKeys(fs.readFileSync(file, 'utf8').split(/\r?\n/), file);
  fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(32);
  fs.writeFileSync(file, Buffer.from(key).toString('base64') + '\n', { mode: 0o600, flag: 'wx' });
  warn(
    `NO MASTER KEY CONFIGURED: generated a development master key at ${file} (mode 0600). ` +
      'Anyone who can read that file can decrypt every credential. ' +
      'In production set MASTER_KEY or MASTER_KEY_FILE and keep the key outside the data folder.',
  );
  return [key];
}

function parseKeys(lines: string[], source: string): Uint8Array[] {
  const keys = lines
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(l)) throw new ConfigError(source, 'a master key must be base64');
      const bytes = new Uint8Array(Buffer.from(l, 'base64'));
      if (bytes.length !== 32) throw new ConfigError(source, `a master key must be 32 bytes, got ${bytes.length}`);
      return bytes;
    });
  if (keys.length === 0) throw new ConfigError(source, 'holds no key');
  return keys;
}
