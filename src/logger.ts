import pino from 'pino';

export type Logger = pino.Logger;

// Anything that may hold a secret or a token is censored at the logger, whoever logs it.
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  'headers.cookie',
  '*.authorization',
  '*.cookie',
  '*.password',
  '*.token',
  '*.fields',
  '*.sealed',
  '*.secret',
  '*.body',
  'body',
  'fields',
  'sealed',
  'password',
  'token',
];

const requestLoggers = new WeakMap<Logger, Logger>();

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  const stream = destination ?? pino.destination({ fd: 1, sync: false });
  const log = pino(
    {
      level,
      base: { service: 'ticketvault' },
      redact: { paths: REDACT, censor: '[redacted]' },
      serializers: { err: pino.stdSerializers.err },
    },
    stream,
  );
  // The per-request line has four fixed fields (method, route template, status, time) and nothing
  // else, so it skips the redaction walk that every other line gets: it ran on every request.
  requestLoggers.set(log, pino({ level, base: { service: 'ticketvault' } }, stream));
  return log;
}

/** The logger for the one-line-per-request log: same destination and level, fixed fields only. */
export function requestLoggerOf(log: Logger): Logger {
  return requestLoggers.get(log) ?? log;
}
