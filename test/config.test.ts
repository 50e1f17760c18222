import path from 'node:path';
import { checkDevelopmentListensOnLoopback, ConfigError, parseConfig, readConfig, type Config, type Env } from '../src/config.js';

// DESIGN.md "Configuration": read and validated once; a bad value stops start-up naming the key.

const KEY = Buffer.alloc(32, 1).toString('base64');
const OLD_KEY = Buffer.alloc(32, 2).toString('base64');

function configErrorOf(env: Env): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`parseConfig accepted ${JSON.stringify(env)}`);
}

describe('parseConfig', () => {
  describe('with an empty environment', () => {
    it('uses the documented defaults', () => {
      const config = parseConfig({});
      expect(config).toMatchObject({
        env: 'development',
        isProduction: false,
        port: 8080,
        host: '127.0.0.1',
        publicUrl: 'http://127.0.0.1:8080',
        publicOrigin: 'http://127.0.0.1:8080',
        databasePath: path.resolve('./data/ticketvault.db'),
        dataDir: path.resolve('./data'),
        purgeIntervalSeconds: 60,
        intakeLinkTtlSeconds: 259200,
        credentialMaxAgeSeconds: 2592000,
        vendorName: 'ticketvault',
        logLevel: 'info',
        trustProxy: false,
        mailFrom: 'ticketvault <no-reply@127.0.0.1>',
        customerRateLimitPerMinute: 120,
        attachmentMaxBytes: 5242880,
      });
      expect(config.metricsToken).toBeUndefined();
      expect(config.masterKey).toBeUndefined();
      expect(config.oidc).toBeUndefined();
      expect(config.smtpUrl).toBeUndefined();
    });

    it('treats a blank value (KEY= in an env file) as not set', () => {
      const config = parseConfig({ PORT: '', PURGE_INTERVAL_SECONDS: ' ', VENDOR_NAME: '', LOG_LEVEL: '', MASTER_KEY: '', OIDC_ISSUER: '' });
      expect(config).toMatchObject({ port: 8080, purgeIntervalSeconds: 60, vendorName: 'ticketvault', logLevel: 'info' });
      expect(config.masterKey).toBeUndefined();
    });
  });

  it('reads every key it is given', () => {
    const config = parseConfig({
      NODE_ENV: 'test',
      PORT: '9090',
      HOST: '0.0.0.0',
      PUBLIC_URL: 'https://vault.example.com/',
      DATABASE_PATH: '/var/lib/ticketvault/vault.db',
      MASTER_KEY: `${KEY},${OLD_KEY}`,
      PURGE_INTERVAL_SECONDS: '30',
      INTAKE_LINK_TTL_SECONDS: '3600',
      CREDENTIAL_MAX_AGE_SECONDS: '86400',
      VENDOR_NAME: 'Acme Software',
      OIDC_ISSUER: 'https://idp.example.com',
      OIDC_AUDIENCE: 'ticketvault',
      OIDC_JWKS_URL: 'https://idp.example.com/jwks',
      SMTP_URL: 'smtps://mail.example.com:465',
      MAIL_FROM: 'Acme Support <support@example.com>',
      LOG_LEVEL: 'debug',
      TRUST_PROXY: '1',
      METRICS_TOKEN: 'm'.repeat(32),
      CUSTOMER_RATE_LIMIT_PER_MINUTE: '30',
      ATTACHMENT_MAX_BYTES: '1048576',
    });
    expect(config).toMatchObject({
      env: 'test',
      port: 9090,
      host: '0.0.0.0',
      publicUrl: 'https://vault.example.com',
      publicOrigin: 'https://vault.example.com',
      databasePath: '/var/lib/ticketvault/vault.db',
      dataDir: '/var/lib/ticketvault',
      masterKey: `${KEY},${OLD_KEY}`,
      purgeIntervalSeconds: 30,
      intakeLinkTtlSeconds: 3600,
      credentialMaxAgeSeconds: 86400,
      vendorName: 'Acme Software',
      oidc: { issuer: 'https://idp.example.com', audience: 'ticketvault', jwksUrl: 'https://idp.example.com/jwks', roleClaim: 'ticketvault_role' },
      smtpUrl: 'smtps://mail.example.com:465',
      mailFrom: 'Acme Support <support@example.com>',
      logLevel: 'debug',
      trustProxy: 1,
      metricsToken: 'm'.repeat(32),
      customerRateLimitPerMinute: 30,
      attachmentMaxBytes: 1048576,
    });
  });

  it('builds the default public URL from a wildcard HOST as localhost', () => {
    expect(parseConfig({ HOST: '0.0.0.0', PORT: '8443' }).publicUrl).toBe('http://localhost:8443');
  });

  it.each<[string, Config['trustProxy']]>([
    ['false', false],
    ['0', false],
    ['2', 2],
    ['loopback', ['loopback']],
    ['loopback, linklocal, uniquelocal', ['loopback', 'linklocal', 'uniquelocal']],
    ['10.0.0.0/8, 192.168.1.1', ['10.0.0.0/8', '192.168.1.1']],
    ['fd00::/8,::1', ['fd00::/8', '::1']],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(parseConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  describe('TRUST_PROXY=true (any client could name its own address) and typos stop start-up naming TRUST_PROXY', () => {
    it.each(['true', 'TRUE', 'True'])('%s', (value) => {
      const error = configErrorOf({ TRUST_PROXY: value });
      expect(error.key).toBe('TRUST_PROXY');
      expect(error.message).toMatch(/^TRUST_PROXY: true would take any client's X-Forwarded-For/);
    });

    it.each(['10.0.0.300', '10.0.0.0/33', 'fd00::/129', '10.0.0.0/8/1', '10.0.0.0/', '10.0.0.0/x', 'loopbak', '10.0.0.1,', 'yes', '11', '1.5'])(
      '%s',
      (value) => {
        expect(configErrorOf({ TRUST_PROXY: value }).key).toBe('TRUST_PROXY');
      },
    );
  });

  it.each<[string, Env]>([
    ['METRICS_TOKEN of 31 characters', { METRICS_TOKEN: 'm'.repeat(31) }],
    ['METRICS_TOKEN with a space', { METRICS_TOKEN: `${'m'.repeat(20)} ${'m'.repeat(20)}` }],
  ])('refuses %s, naming it', (_case, env) => {
    expect(configErrorOf(env).key).toBe('METRICS_TOKEN');
  });

  it.each(['-1', '2.5', 'many'])('refuses CUSTOMER_RATE_LIMIT_PER_MINUTE=%s, naming it', (value) => {
    expect(configErrorOf({ CUSTOMER_RATE_LIMIT_PER_MINUTE: value }).key).toBe('CUSTOMER_RATE_LIMIT_PER_MINUTE');
  });

  it('takes DATABASE_URL=postgres://… for PostgreSQL and names it in logs without its credentials; without it, the SQLite file', () => {
    const pg = parseConfig({ DATABASE_URL: 'postgres://vault:s3cret-pw@db.internal:5432/ticketvault?sslmode=require' });
    expect(pg.databaseUrl).toBe('postgres://vault:s3cret-pw@db.internal:5432/ticketvault?sslmode=require');
    expect(pg.databaseLabel).toBe('postgres://db.internal:5432/ticketvault');
    expect(parseConfig({ DATABASE_URL: 'postgresql://db.internal/tv' }).databaseUrl).toBe('postgresql://db.internal/tv');
    const sqlite = parseConfig({ DATABASE_URL: '' });
    expect(sqlite.databaseUrl).toBeUndefined();
    expect(sqlite.databaseLabel).toBe(path.resolve('./data/ticketvault.db'));
  });

  it('takes CUSTOMER_RATE_LIMIT_PER_MINUTE=0 as "no limit" (benchmarks)', () => {
    expect(parseConfig({ CUSTOMER_RATE_LIMIT_PER_MINUTE: '0' }).customerRateLimitPerMinute).toBe(0);
  });

  describe('a bad value names its key', () => {
    it.each<[string, Env, string]>([
      ['PORT=abc', { PORT: 'abc' }, 'PORT'],
      ['PORT=70000', { PORT: '70000' }, 'PORT'],
      ['PORT=80.5', { PORT: '80.5' }, 'PORT'],
      ['NODE_ENV=staging', { NODE_ENV: 'staging' }, 'NODE_ENV'],
      ['PUBLIC_URL over ftp://', { PUBLIC_URL: 'ftp://vault.example.com' }, 'PUBLIC_URL'],
      ['PUBLIC_URL not a URL', { PUBLIC_URL: 'vault.example.com' }, 'PUBLIC_URL'],
      ['MASTER_KEY of 16 bytes', { MASTER_KEY: Buffer.alloc(16).toString('base64') }, 'MASTER_KEY'],
      ['MASTER_KEY not base64', { MASTER_KEY: 'not base64!' }, 'MASTER_KEY'],
      ['MASTER_KEY with a bad old key', { MASTER_KEY: `${KEY},short` }, 'MASTER_KEY'],
      ['MASTER_KEY and MASTER_KEY_FILE both', { MASTER_KEY: KEY, MASTER_KEY_FILE: '/run/secrets/kek' }, 'MASTER_KEY_FILE'],
      ['PURGE_INTERVAL_SECONDS=0', { PURGE_INTERVAL_SECONDS: '0' }, 'PURGE_INTERVAL_SECONDS'],
      ['INTAKE_LINK_TTL_SECONDS=30', { INTAKE_LINK_TTL_SECONDS: '30' }, 'INTAKE_LINK_TTL_SECONDS'],
      ['CREDENTIAL_MAX_AGE_SECONDS=forever', { CREDENTIAL_MAX_AGE_SECONDS: 'forever' }, 'CREDENTIAL_MAX_AGE_SECONDS'],
      ['VENDOR_NAME over 200 characters', { VENDOR_NAME: 'x'.repeat(201) }, 'VENDOR_NAME'],
      ['OIDC_ISSUER not a URL', { OIDC_ISSUER: 'idp', OIDC_AUDIENCE: 'a', OIDC_JWKS_URL: 'https://idp/jwks' }, 'OIDC_ISSUER'],
      ['OIDC_ISSUER without the other two', { OIDC_ISSUER: 'https://idp.example.com' }, 'OIDC_AUDIENCE'],
      ['SMTP_URL over http', { SMTP_URL: 'http://mail.example.com' }, 'SMTP_URL'],
      ['LOG_LEVEL=verbose', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL'],
      ['DATABASE_URL of another database', { DATABASE_URL: 'mysql://vault@db.internal/ticketvault' }, 'DATABASE_URL'],
      ['DATABASE_URL not a URL', { DATABASE_URL: 'db.internal:5432' }, 'DATABASE_URL'],
    ])('%s', (_case, env, key) => {
      const error = configErrorOf(env);
      expect(error.key).toBe(key);
      expect(error.message.startsWith(`${key}: `)).toBe(true);
    });
  });

  describe('in production', () => {
    it('requires a master key, naming MASTER_KEY', () => {
      const error = configErrorOf({ NODE_ENV: 'production', PUBLIC_URL: 'https://vault.example.com' });
      expect(error.key).toBe('MASTER_KEY');
      expect(error.message).toContain('MASTER_KEY_FILE');
    });

    it('requires PUBLIC_URL', () => {
      expect(configErrorOf({ NODE_ENV: 'production', MASTER_KEY: KEY }).key).toBe('PUBLIC_URL');
    });

    it.each<[string, Env]>([
      ['MASTER_KEY', { MASTER_KEY: KEY }],
      ['MASTER_KEY_FILE', { MASTER_KEY_FILE: '/run/secrets/ticketvault-kek' }],
    ])('starts with %s and PUBLIC_URL', (_key, keyEnv) => {
      const config = parseConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://vault.example.com', ...keyEnv });
      expect(config).toMatchObject({ isProduction: true, env: 'production', publicUrl: 'https://vault.example.com' });
    });
  });
});

describe('development mode listens on loopback only (checked where the vault starts listening)', () => {
  const refusalOf = (env: Env) => {
    try {
      checkDevelopmentListensOnLoopback(parseConfig(env));
    } catch (error) {
      if (error instanceof ConfigError) return error;
      throw error;
    }
    return undefined;
  };

  it.each<[string, Env]>([
    ['HOST=0.0.0.0', { HOST: '0.0.0.0' }],
    ['HOST=::', { HOST: '::' }],
    ['HOST=192.0.2.10', { HOST: '192.0.2.10' }],
    ['HOST=vault.example.com', { HOST: 'vault.example.com' }],
    ['an https PUBLIC_URL', { PUBLIC_URL: 'https://vault.example.com' }],
    ['NODE_ENV=test and HOST=0.0.0.0', { NODE_ENV: 'test', HOST: '0.0.0.0' }],
  ])('refuses %s, naming NODE_ENV', (_case, env) => {
    const error = refusalOf(env);
    expect(error?.key).toBe('NODE_ENV');
    expect(error?.message).toContain('NODE_ENV=production');
  });

  it.each<[string, Env]>([
    ['the defaults', {}],
    ['HOST=localhost', { HOST: 'localhost' }],
    ['HOST=::1', { HOST: '::1' }],
    ['HOST=127.0.0.2 and an http PUBLIC_URL', { HOST: '127.0.0.2', PUBLIC_URL: 'http://vault.internal.test' }],
    ['production on 0.0.0.0 behind https', { NODE_ENV: 'production', MASTER_KEY: KEY, HOST: '0.0.0.0', PUBLIC_URL: 'https://vault.example.com' }],
  ])('lets %s start', (_case, env) => {
    expect(refusalOf(env)).toBeUndefined();
  });
});

describe('readConfig', () => {
  it('takes MASTER_KEY out of process.env once read, and answers later calls with the same config', () => {
    process.env.MASTER_KEY = KEY;
    const config = readConfig();
    expect(config.masterKey).toBe(KEY);
    expect('MASTER_KEY' in process.env).toBe(false);
    expect(readConfig()).toBe(config);
  });
});

describe('MFA_REQUIRED', () => {
  it('is off unless set to true, and refuses anything but true or false, naming the key', () => {
    expect(parseConfig({}).mfaRequired).toBe(false);
    expect(parseConfig({ MFA_REQUIRED: 'true' }).mfaRequired).toBe(true);
    expect(parseConfig({ MFA_REQUIRED: 'false' }).mfaRequired).toBe(false);
    expect(() => parseConfig({ MFA_REQUIRED: 'yes' })).toThrow(new ConfigError('MFA_REQUIRED', 'must be true or false'));
  });
});
