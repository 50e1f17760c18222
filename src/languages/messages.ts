import { IntlMessageFormat } from 'intl-messageformat';
import type { Catalogue, MessageKey } from './catalogues/en.js';
import { LOCALES, type Language } from './languages.js';

// Formats one language's ICU messages (intl-messageformat). The server and the page script share
// it; neither imports another language's catalogue through here, so the page bundle holds none.

export type { Catalogue, MessageKey };

export type MessageValues = Record<string, string | number>;

export interface Messages {
  language: Language;
  /** The locale of the language's dates, times and plurals. */
  locale: string;
  t(key: MessageKey, values?: MessageValues): string;
  /** For keys built from data (a kind, a status): the message, or undefined when there is none. */
  maybe(key: string, values?: MessageValues): string | undefined;
}

export function createMessages(language: Language, catalogue: Catalogue): Messages {
  const locale = LOCALES[language];
  const compiled = new Map<string, IntlMessageFormat>();
  const format = (key: MessageKey, values?: MessageValues) => {
    let message = compiled.get(key);
    if (!message) {
      // ignoreTag: "<" in a message is text, never markup.
      message = new IntlMessageFormat(catalogue[key], locale, undefined, { ignoreTag: true });
      compiled.set(key, message);
    }
    return String(message.format(values));
  };
  const has = (key: string): key is MessageKey => Object.prototype.hasOwnProperty.call(catalogue, key);
  return {
    language,
    locale,
    t: format,
    maybe: (key, values) => (has(key) ? format(key, values) : undefined),
  };
}

/** The text before and after a placeholder, for a message around markup (a <time>) the page renders itself. */
export function splitAround(m: Messages, key: MessageKey, placeholder: string): { before: string; after: string } {
  const mark = '\u{E000}';
  const [before = '', after = ''] = m.t(key, { [placeholder]: mark }).split(mark);
  return { before, after };
}
