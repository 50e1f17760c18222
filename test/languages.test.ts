import { parse, TYPE, type MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { CATALOGUES, messagesFor } from '../src/languages/catalogues.js';
import en from '../src/languages/catalogues/en.js';
import { LANGUAGES, LOCALES } from '../src/languages/languages.js';

// DESIGN "Languages": one catalogue per language, each with exactly English's keys, every message
// valid ICU with the same arguments as English, and every plural naming its language's forms.

const ARGUMENT_KINDS: Partial<Record<TYPE, string>> = {
  [TYPE.argument]: 'text',
  [TYPE.number]: 'number',
  [TYPE.date]: 'date',
  [TYPE.time]: 'time',
  [TYPE.select]: 'select',
  [TYPE.plural]: 'plural',
};

interface Parsed {
  /** Each argument's name and how it is used ("count:plural", "vendor:text"). */
  args: Set<string>;
  /** The selectors of each plural in the message. */
  plurals: string[][];
}

function walk(elements: MessageFormatElement[], into: Parsed): void {
  for (const el of elements) {
    const kind = ARGUMENT_KINDS[el.type];
    if (kind && 'value' in el) into.args.add(`${el.value}:${kind}`);
    if (el.type === TYPE.plural) into.plurals.push(Object.keys(el.options));
    if (el.type === TYPE.plural || el.type === TYPE.select) for (const option of Object.values(el.options)) walk(option.value, into);
  }
}

function parsed(message: string): Parsed {
  const result: Parsed = { args: new Set(), plurals: [] };
  walk(parse(message, { ignoreTag: true }), result);
  return result;
}

/** The plural forms a language uses for the counts a page or e-mail shows (0 to 1000), and `other`. */
function pluralForms(locale: string): string[] {
  const rules = new Intl.PluralRules(locale);
  const forms = new Set(['other']);
  for (let n = 0; n <= 1000; n++) forms.add(rules.select(n));
  return [...forms].sort();
}

/** Everything wrong with a catalogue measured against the English one; empty when it is complete. */
function catalogueProblems(locale: string, catalogue: Record<string, string>): string[] {
  const problems: string[] = [];
  const reference = en as Record<string, string>;
  for (const key of Object.keys(reference)) if (!(key in catalogue)) problems.push(`${key}: missing`);
  for (const key of Object.keys(catalogue)) if (!(key in reference)) problems.push(`${key}: not in English`);
  for (const [key, message] of Object.entries(catalogue)) {
    if (!(key in reference)) continue;
    let mine: Parsed;
    try {
      mine = parsed(message);
    } catch (error) {
      problems.push(`${key}: does not parse (${(error as Error).message})`);
      continue;
    }
    const expected = [...parsed(reference[key]!).args].sort().join(', ');
    const actual = [...mine.args].sort().join(', ');
    if (actual !== expected) problems.push(`${key}: arguments ${actual || '(none)'}, English has ${expected || '(none)'}`);
    for (const selectors of mine.plurals) {
      const missing = pluralForms(locale).filter((form) => !selectors.includes(form));
      if (missing.length) problems.push(`${key}: plural without ${missing.join(', ')}`);
    }
  }
  return problems;
}

describe('language catalogues', () => {
  it.each(LANGUAGES)('%s has every English key and no other, each a valid ICU message with the same arguments and its plural forms', (language) => {
    expect(catalogueProblems(LOCALES[language], CATALOGUES[language])).toEqual([]);
  });

  it.each(LANGUAGES)('%s formats every message with sample values', (language) => {
    const m = messagesFor(language);
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      const values = Object.fromEntries([...parsed(en[key]).args].map((arg) => {
        const [name, kind] = arg.split(':');
        return [name!, kind === 'plural' || kind === 'number' ? 3 : `«${name}»`];
      }));
      const text = m.t(key, values);
      const english = messagesFor('en').t(key, values);
      expect(text.length).toBeGreaterThan(0);
      // What English shows of the values, the translation shows too.
      for (const value of Object.values(values)) if (typeof value === 'string' && english.includes(value)) expect(text).toContain(value);
    }
  });

  describe('the check itself', () => {
    const de = CATALOGUES.de as Record<string, string>;
    it('fails on a missing key and on an extra one', () => {
      const { cancel: _dropped, ...missing } = de;
      expect(catalogueProblems('de-DE', missing)).toEqual(['cancel: missing']);
      expect(catalogueProblems('de-DE', { ...de, 'intake.extra': 'Mehr' })).toEqual(['intake.extra: not in English']);
    });

    it('fails on a message that does not parse, or with other arguments than English', () => {
      expect(catalogueProblems('de-DE', { ...de, 'intake.title': 'Zugangsdaten an {vendor senden' })[0]).toMatch(/^intake\.title: does not parse/);
      expect(catalogueProblems('de-DE', { ...de, 'intake.title': 'Zugangsdaten an {firma} senden' })).toEqual([
        'intake.title: arguments firma:text, English has vendor:text',
      ]);
      expect(catalogueProblems('de-DE', { ...de, 'intake.title': 'Zugangsdaten senden' })).toEqual(['intake.title: arguments (none), English has vendor:text']);
    });

    it('fails on a Polish plural without its few or many form', () => {
      const pl = CATALOGUES.pl as Record<string, string>;
      const withoutFew = pl['receipt.revealCount']!.replace(' few {Wyświetlono # razy.}', '');
      expect(catalogueProblems('pl-PL', { ...pl, 'receipt.revealCount': withoutFew })).toEqual(['receipt.revealCount: plural without few']);
    });
  });

  describe('DESIGN’s customer words keep one translation each', () => {
    /** Each word's stem per language, and every message that says the word. */
    const WORDS: Record<string, { stems: Record<string, RegExp>; keys: string[] }> = {
      freeze: {
        stems: { en: /freez|froz/i, de: /sperr/i, fr: /bloqu/i, es: /bloque/i, nl: /blokk/i, it: /blocc/i, pt: /bloque/i, pl: /blok/i },
        keys: ['receipt.restrict', 'receipt.unrestrict', 'receipt.restrictHint', 'status.restricted.badge', 'status.restricted.text', 'receipt.done.restrict', 'receipt.done.unrestrict', 'intake.receiptHint', 'mail.reveal.receipt'],
      },
      withdraw: {
        stems: { en: /withdr/i, de: /zurück(zieh|gezogen)/i, fr: /retir/i, es: /retir/i, nl: /intrek|ingetrokken/i, it: /ritir/i, pt: /retir/i, pl: /wycof/i },
        keys: ['receipt.withdraw', 'receipt.withdrawConfirm', 'receipt.withdrawYes', 'status.withdrawn.badge', 'status.withdrawn.text', 'endedBecause.withdrawn', 'mail.endedBecause.withdrawn', 'receipt.done.withdraw', 'intake.receiptHint', 'mail.reveal.receipt'],
      },
      replace: {
        stems: { en: /replac/i, de: /ersetz/i, fr: /remplac/i, es: /sustitu/i, nl: /vervang/i, it: /sostitu/i, pt: /substitu/i, pl: /zastąp/i },
        keys: ['receipt.rectify', 'receipt.rectifyHeading', 'receipt.rectifySubmit', 'receipt.rectified', 'receipt.done.rectify', 'intake.receiptHint', 'mail.reveal.receipt'],
      },
    };

    it.each(Object.keys(WORDS))('%s', (word) => {
      const { stems, keys } = WORDS[word]!;
      const off = LANGUAGES.flatMap((language) =>
        keys.filter((key) => !stems[language]!.test((CATALOGUES[language] as Record<string, string>)[key]!)).map((key) => `${language} ${key}`),
      );
      expect(off).toEqual([]);
    });
  });

  it('writes Polish counts in their one, few and many forms', () => {
    const pl = messagesFor('pl');
    const subject = (count: number) => pl.t('mail.destruction.subject', { ref: 'ZD-1', count, label: 'Serwer' });
    expect(subject(1)).toBe('[ZD-1] Twoje dane dostępowe „Serwer” zostały zniszczone');
    expect(subject(2)).toBe('[ZD-1] Zniszczono 2 zestawy Twoich danych dostępowych');
    expect(subject(5)).toBe('[ZD-1] Zniszczono 5 zestawów Twoich danych dostępowych');
    expect(subject(22)).toBe('[ZD-1] Zniszczono 22 zestawy Twoich danych dostępowych');
    expect(pl.t('receipt.revealCount', { count: 0 })).toBe('Nikt ich jeszcze nie wyświetlił.');
  });
});
