import type { Request, Response } from 'express';
import { LANGUAGES, isLanguage, type Language } from '../languages/languages.js';
import { cookieName, cookieOf, isSecureCookie } from './staff-auth.js';

// DESIGN "Languages": a customer page or call is in the language of `?lang=`, else the cookie the
// page's switcher set, else the best of Accept-Language (q-values, `de-CH` taking `de`), else
// DEFAULT_LANGUAGE. The page script sends its page's language as Accept-Language (it sends no cookie).

export interface LanguageConfig {
  publicUrl: string;
  defaultLanguage: Language;
}

const YEAR_MS = 365 * 24 * 3600_000;

const queryLanguage = (req: Request) => {
  const lang = req.query.lang;
  return isLanguage(lang) ? lang : undefined;
};

export function customerLanguage(req: Request, config: LanguageConfig): Language {
  const chosen = queryLanguage(req);
  if (chosen) return chosen;
  const remembered = cookieOf(req, cookieName(config, 'tv_lang'));
  if (isLanguage(remembered)) return remembered;
  if (!req.headers['accept-language']) return config.defaultLanguage;
  // The default listed first: a bare `*` (or a tie) goes to it.
  const offered = [config.defaultLanguage, ...LANGUAGES.filter((l) => l !== config.defaultLanguage)];
  const best = req.acceptsLanguages(offered);
  return isLanguage(best) ? best : config.defaultLanguage;
}

/** A page opened with a valid `?lang=` (the switcher's links) keeps that language for the customer's later visits. */
export function rememberChosenLanguage(req: Request, res: Response, config: LanguageConfig): void {
  const chosen = queryLanguage(req);
  if (!chosen) return;
  res.cookie(cookieName(config, 'tv_lang'), chosen, { httpOnly: true, sameSite: 'lax', secure: isSecureCookie(config), path: '/', maxAge: YEAR_MS });
}
