import { isLanguage } from '../../languages/languages.js';
import { createMessages, type Catalogue, type Messages } from '../../languages/messages.js';

// The page's own catalogue, which the server embedded as a JSON data block (src/web/templates/layout.eta):
// the script shows the language the page was rendered in, and carries no other language.

let loaded: Messages | undefined;

export function pageMessages(): Messages {
  if (loaded) return loaded;
  const block = document.getElementById('page-messages');
  const parsed = JSON.parse(block?.textContent ?? '{}') as { language?: unknown; messages?: Partial<Catalogue> };
  const language = isLanguage(parsed.language) ? parsed.language : 'en';
  loaded = createMessages(language, (parsed.messages ?? {}) as Catalogue);
  return loaded;
}
