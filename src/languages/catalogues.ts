import de from './catalogues/de.js';
import en, { type Catalogue } from './catalogues/en.js';
import es from './catalogues/es.js';
import fr from './catalogues/fr.js';
import it from './catalogues/it.js';
import nl from './catalogues/nl.js';
import pl from './catalogues/pl.js';
import pt from './catalogues/pt.js';
import { createMessages, type Messages } from './messages.js';
import { LANGUAGES, type Language } from './languages.js';

// Every language's catalogue, for the server: pages are rendered and e-mails written from here.

export const CATALOGUES: Record<Language, Catalogue> = { en, de, fr, es, nl, it, pt, pl };

const messages = new Map<Language, Messages>(LANGUAGES.map((language) => [language, createMessages(language, CATALOGUES[language])]));

export function messagesFor(language: Language): Messages {
  return messages.get(language)!;
}

/** What the page script shows (never the e-mails' words), embedded in the page it runs on. */
export function pageCatalogue(language: Language): Partial<Catalogue> {
  return Object.fromEntries(Object.entries(CATALOGUES[language]).filter(([key]) => !key.startsWith('mail.')));
}
