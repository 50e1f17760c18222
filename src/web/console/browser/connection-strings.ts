// What an engineer pastes into a client after a reveal: the address or command of a credential,
// by kind. It never holds a secret field (password, key): those are copied on their own.
// Plain values in and out (no DOM), so the unit tests can run it under Node.

/** A word the shell passes through unchanged; anything else is single-quoted. */
const SHELL_PLAIN = /^[A-Za-z0-9@%+=:,./_-]+$/;
const shellWord = (word: string) => (SHELL_PLAIN.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`);

/** An IPv6 address in a URL goes in brackets. */
const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** `sftp://user@host:port/path`; the user name percent-encoded, the path kept readable. */
function fileTransferUrl(fields: Record<string, string>): string | null {
  const host = fields.host?.trim();
  const username = fields.username;
  if (!host || !username) return null;
  const protocol = fields.protocol || 'sftp';
  const port = fields.port ? `:${fields.port.trim()}` : '';
  const folder = fields.path?.trim() ?? '';
  const path = folder ? encodeURI(folder.startsWith('/') ? folder : `/${folder}`).replace(/[?#]/g, encodeURIComponent) : '';
  return `${protocol}://${encodeURIComponent(username)}@${urlHost(host)}${port}${path}`;
}

/** `ssh -p port user@host`, quoted for a POSIX shell where needed. */
function sshCommand(fields: Record<string, string>): string | null {
  const host = fields.host?.trim();
  const username = fields.username;
  if (!host || !username) return null;
  const port = fields.port ? `-p ${shellWord(fields.port.trim())} ` : '';
  return `ssh ${port}${shellWord(`${username}@${host}`)}`;
}

/** The ready connection string of a revealed credential, or null for kinds that have none. */
export function connectionString(kind: string, fields: Record<string, string>): string | null {
  switch (kind) {
    case 'ftp':
      return fileTransferUrl(fields);
    case 'ssh':
      return sshCommand(fields);
    case 'teamviewer':
      // TeamViewer shows the ID in groups ("123 456 789"); its "Partner ID" box takes the digits.
      return fields.partnerId ? fields.partnerId.replace(/\s+/g, '') : null;
    default:
      return null;
  }
}
