import { FTP_PROTOCOLS, type KindSpec } from '../credentials/credential-kinds.js';
import type { Messages } from '../languages/messages.js';

/** How a secret field is typed in: which control, and whether it is masked behind show/hide. */
export type FieldControl = 'text' | 'secret' | 'textarea' | 'port' | 'protocol' | 'url';

const CONTROLS: Record<string, FieldControl> = {
  host: 'text',
  username: 'text',
  protocol: 'protocol',
  port: 'port',
  password: 'secret',
  privateKey: 'textarea',
  path: 'text',
  notes: 'textarea',
  partnerId: 'text',
  key: 'secret',
  baseUrl: 'url',
  secret: 'secret',
  url: 'url',
};

export interface FieldView {
  name: string;
  id: string;
  control: FieldControl;
  label: string;
  hint: string;
  required: boolean;
  monospace: boolean;
  options: { value: string; label: string; selected: boolean }[];
}

/** The inputs of one kind's form, in DESIGN.md's order (required first), ids prefixed per form. */
export function fieldViews(spec: KindSpec, idPrefix: string, m: Messages): FieldView[] {
  const fields = [...spec.required.map((name) => ({ name, required: true })), ...spec.optional.map((name) => ({ name, required: false }))];
  return fields.map(({ name, required }) => ({
    name,
    id: `${idPrefix}-${spec.kind}-${name}`,
    control: CONTROLS[name] ?? 'text',
    label: m.maybe(`fields.${name}.label`) ?? name,
    hint: m.maybe(`fields.${name}.hint`) ?? '',
    required,
    monospace: name === 'privateKey',
    // The server defaults a missing protocol to sftp; the form shows that default chosen.
    options: name === 'protocol' ? FTP_PROTOCOLS.map((p) => ({ value: p, label: m.maybe(`protocols.${p}`) ?? p, selected: p === 'sftp' })) : [],
  }));
}
