import { parseConfig } from '../src/config.js';
import { createTestVault, FTP_FIELDS, openTicketWithLink, revealAs, tokenOf, type TestVault } from './harness/test-vault.js';
import { startSmtpSink, type ReceivedMail, type SmtpSink } from './harness/smtp-sink.js';

// DESIGN "Languages" over real HTTP (supertest), SQLite or PostgreSQL, and a real SMTP server:
// ?lang=, then the switcher's cookie, then Accept-Language, then DEFAULT_LANGUAGE; the e-mails
// go in the language the customer used.

const COOKIE = '__Host-tv_lang'; // the test vault's PUBLIC_URL is https

const htmlLang = (html: string) => /<html lang="([a-z]+)">/.exec(html)?.[1];

describe('the language of a customer page', () => {
  let tv: TestVault;
  let linkToken: string;
  beforeAll(async () => {
    tv = await createTestVault();
    ({ linkToken } = await openTicketWithLink(tv));
  });
  afterAll(() => tv.close());

  const page = (path = `/s/${linkToken}`) => tv.http.get(path);

  it('is DEFAULT_LANGUAGE (en) when the request names none', async () => {
    const res = await page().expect(200);
    expect(htmlLang(res.text)).toBe('en');
    expect(res.headers['content-language']).toBe('en');
    expect(res.text).toContain('Send access details to Acme Software');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('follows Accept-Language by its q-values, a regional tag taking its language, and skips what it does not have', async () => {
    const cases: Array<[string, string]> = [
      ['de', 'de'],
      ['de-CH', 'de'],
      ['pt-BR,pt;q=0.9', 'pt'],
      ['fr;q=0.5, pl;q=0.9, en;q=0.1', 'pl'],
      ['ja, zh;q=0.9, nl;q=0.2', 'nl'],
      ['es;q=0, it;q=0.1', 'it'],
      ['ja, zh', 'en'],
      ['*', 'en'],
    ];
    for (const [header, expected] of cases) {
      const res = await page().set('Accept-Language', header).expect(200);
      expect([header, htmlLang(res.text)]).toEqual([header, expected]);
    }
  });

  it('takes the switcher cookie over Accept-Language, and ?lang= over both', async () => {
    const cookie = await page().set('Accept-Language', 'fr').set('Cookie', `${COOKIE}=de`).expect(200);
    expect(htmlLang(cookie.text)).toBe('de');
    expect(cookie.text).toContain('Zugangsdaten an Acme Software senden');

    const chosen = await page(`/s/${linkToken}?lang=pl`).set('Accept-Language', 'fr').set('Cookie', `${COOKIE}=de`).expect(200);
    expect(htmlLang(chosen.text)).toBe('pl');
    expect(chosen.text).toContain('Wyślij dane dostępowe do Acme Software');
  });

  it('remembers a ?lang= choice in a Secure, HttpOnly, host-only cookie for the next page', async () => {
    const res = await page(`/s/${linkToken}?lang=it`).expect(200);
    const [setCookie] = res.headers['set-cookie'] as unknown as string[];
    expect(setCookie).toMatch(new RegExp(`^${COOKIE}=it; Max-Age=31536000; Path=/; Expires=[^;]+; HttpOnly; Secure; SameSite=Lax$`));
    const receiptPage = await tv.http.get('/r/' + 'Z'.repeat(43)).set('Cookie', setCookie!.split(';')[0]!).expect(404);
    expect(htmlLang(receiptPage.text)).toBe('it');
    expect(receiptPage.text).toContain('Questo link alla ricevuta non funziona');
  });

  it('ignores a ?lang= or cookie naming a language it does not have, and sets no cookie for it', async () => {
    const res = await page(`/s/${linkToken}?lang=xx`).set('Cookie', `${COOKIE}=klingon`).set('Accept-Language', 'nl').expect(200);
    expect(htmlLang(res.text)).toBe('nl');
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('lists every language in the switcher, each by its own name, the current one marked', async () => {
    const res = await page(`/s/${linkToken}?lang=pl`).expect(200);
    expect(res.text).toContain('<nav class="language-bar" aria-label="Język">');
    const links = [...res.text.matchAll(/<a href="\?lang=([a-z]+)" hreflang="\1" lang="\1"( aria-current="true")?>([^<]+)<\/a>/g)].map((m) => [m[1], m[3], Boolean(m[2])]);
    expect(links).toEqual([
      ['en', 'English', false],
      ['de', 'Deutsch', false],
      ['fr', 'Français', false],
      ['es', 'Español', false],
      ['nl', 'Nederlands', false],
      ['it', 'Italiano', false],
      ['pt', 'Português', false],
      ['pl', 'Polski', true],
    ]);
  });

  it('embeds only its own language’s page catalogue for the script, never the e-mails’ words', async () => {
    const res = await page(`/s/${linkToken}?lang=de`).expect(200);
    const block = /<script type="application\/json" id="page-messages">([^<]*)<\/script>/.exec(res.text)?.[1];
    const embedded = JSON.parse(block!) as { language: string; messages: Record<string, string> };
    expect(embedded.language).toBe('de');
    expect(embedded.messages['validation.heading']).toBe('Bitte prüfen Sie die markierten Felder.');
    expect(Object.keys(embedded.messages).some((key) => key.startsWith('mail.'))).toBe(false);
    expect(res.text).not.toContain('Please check the highlighted fields.');
  });

  it('shows dates in the page’s locale with the zone named', async () => {
    const de = await page(`/s/${linkToken}?lang=de`).expect(200);
    expect(de.text).toMatch(/<time datetime="[^"]+" data-local-time>\d{1,2}\. (Januar|Februar|März|April|Mai|Juni|Juli|August|September|Oktober|November|Dezember) \d{4} um \d\d:\d\d UTC<\/time>/);
    const pl = await page(`/s/${linkToken}?lang=pl`).expect(200);
    expect(pl.text).toMatch(/data-local-time>\d{1,2} (stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|listopada|grudnia) \d{4} \S* ?\d\d:\d\d UTC<\/time>/);
  });

  it('says a link that no longer works in the customer’s language (410)', async () => {
    const { linkToken: revoked, linkId } = await openTicketWithLink(tv);
    await tv.http.delete(`/api/v1/intake-links/${linkId}`).set(tv.auth()).expect(204);
    const res = await tv.http.get(`/s/${revoked}`).set('Accept-Language', 'es').expect(410);
    expect(res.text).toContain('Este enlace se ha revocado');
    expect(res.text).toContain('Si Acme Software aún necesita acceso, pídale un enlace nuevo.');
  });
});

describe('DEFAULT_LANGUAGE', () => {
  it('is the language when the request names none', async () => {
    const tv = await createTestVault({ DEFAULT_LANGUAGE: 'nl' });
    try {
      const { linkToken } = await openTicketWithLink(tv);
      const res = await tv.http.get(`/s/${linkToken}`).expect(200);
      expect(htmlLang(res.text)).toBe('nl');
      // A bare `*` takes the default too.
      expect(htmlLang((await tv.http.get(`/s/${linkToken}`).set('Accept-Language', '*').expect(200)).text)).toBe('nl');
    } finally {
      await tv.close();
    }
  });

  it('refuses a language the vault does not have, naming the key', () => {
    expect(() => parseConfig({ DEFAULT_LANGUAGE: 'klingon' })).toThrow(/^DEFAULT_LANGUAGE: must be one of en, de, fr, es, nl, it, pt, pl$/);
    expect(parseConfig({}).defaultLanguage).toBe('en');
  });
});

describe('e-mails in the language the customer used, through a real SMTP server', () => {
  let sink: SmtpSink;
  let tv: TestVault;
  beforeEach(async () => {
    sink = await startSmtpSink();
    tv = await createTestVault({ SMTP_URL: sink.url, MAIL_FROM: 'Acme Support <support@acme.test>' });
  });
  afterEach(async () => {
    await tv.close();
    await sink.stop();
  });

  const ofKind = (kind: string): ReceivedMail[] => sink.messages.filter((m) => m.headers['x-ticketvault-notice'] === kind);

  /** A submission as the page script makes it: the page's language as Accept-Language. */
  async function submitIn(language: string, linkToken: string, label: string, receipt?: string) {
    const res = await tv.http
      .post(`/api/v1/intake/${linkToken}/credentials`)
      .set('Accept-Language', language)
      .send({ kind: 'ftp', label, fields: FTP_FIELDS, ...(receipt ? { receipt } : {}) })
      .expect(201);
    return { credentialId: res.body.credentialId as string, receiptToken: tokenOf(res.body.receiptUrl) };
  }

  it('tells a German customer of a reveal in German, the time in German with its zone', async () => {
    const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-7001' });
    const { credentialId, receiptToken } = await submitIn('de-DE,de;q=0.9,en;q=0.5', linkToken, 'Shop-FTP');
    await revealAs(tv, credentialId, 'engineer', 'Upload prüfen').expect(200);
    await tv.vault.notices.sendDueNotices();

    const [mail] = ofKind('reveal');
    expect(mail!.headers.subject).toBe('[ZD-7001] Engineer Person hat Ihre Zugangsdaten „Shop-FTP“ eingesehen');
    expect(mail!.body).toContain('Guten Tag Casey Customer,');
    expect(mail!.body).toContain('  Zugangsdaten:   „Shop-FTP“ (FTP-/SFTP-Zugang)');
    expect(mail!.body).toContain('  Eingesehen von: Engineer Person');
    expect(mail!.body).toMatch(/ {2}Wann: {11}1\. März 2026 um \d\d:\d\d UTC/);
    expect(mail!.body).toContain('  Grund:          Upload prüfen');
    expect(mail!.body).toContain(`https://vault.example.test/r/${receiptToken}`);
    // The engineer's own notice stays in English, as the console does.
    expect(ofKind('submission')[0]!.headers.subject).toBe('[ZD-7001] Casey Customer sent a credential: "Shop-FTP"');
  });

  it('sends a Polish customer one destruction receipt per receipt, counting in Polish (5 zestawów, 2 zestawy)', async () => {
    const five = await openTicketWithLink(tv, { externalRef: 'ZD-7002' });
    const first = await submitIn('pl', five.linkToken, 'Serwer 1');
    for (let i = 2; i <= 5; i++) await submitIn('pl', five.linkToken, `Serwer ${i}`, first.receiptToken);
    const two = await openTicketWithLink(tv, { externalRef: 'ZD-7003' });
    const pair = await submitIn('pl-PL', two.linkToken, 'Sklep A');
    await submitIn('pl-PL', two.linkToken, 'Sklep B', pair.receiptToken);

    for (const { ticketId } of [five, two]) await tv.http.post(`/api/v1/tickets/${ticketId}/close`).set(tv.auth()).expect(200);
    await tv.vault.purge.runPurge();
    await tv.vault.notices.sendDueNotices();
    const mails = ofKind('destruction');
    expect(mails.map((m) => m.headers.subject).sort()).toEqual([
      '[ZD-7002] Zniszczono 5 zestawów Twoich danych dostępowych',
      '[ZD-7003] Zniszczono 2 zestawy Twoich danych dostępowych',
    ]);
    const ofFive = mails.find((m) => m.headers.subject!.startsWith('[ZD-7002]'))!;
    expect(ofFive.body).toContain('Dzień dobry, Casey Customer,');
    expect(ofFive.body).toMatch(/ {2}- „Serwer 1” \(dostęp FTP \/ SFTP\): zniszczono .+ UTC, bo zgłoszenie zostało zamknięte/);
    expect(ofFive.body).toContain(`https://vault.example.test/r/${first.receiptToken}`);
  });

  it('follows the customer’s later choice: notice preferences set on a page in French make the next e-mail French', async () => {
    const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-7004' });
    const { credentialId, receiptToken } = await submitIn('en', linkToken, 'Shop FTP');
    await tv.http.put(`/api/v1/receipts/${receiptToken}/preferences`).set('Accept-Language', 'fr').send({ notifyOnReveal: true }).expect(200);
    await revealAs(tv, credentialId).expect(200);
    await tv.vault.notices.sendDueNotices();
    expect(ofKind('reveal')[0]!.headers.subject).toBe('[ZD-7004] Engineer Person a consulté vos identifiants « Shop FTP »');
  });

  it('writes to a customer who named no language in DEFAULT_LANGUAGE', async () => {
    const { linkToken } = await openTicketWithLink(tv, { externalRef: 'ZD-7005' });
    const res = await tv.http.post(`/api/v1/intake/${linkToken}/credentials`).send({ kind: 'ftp', label: 'Shop FTP', fields: FTP_FIELDS }).expect(201);
    await revealAs(tv, res.body.credentialId).expect(200);
    await tv.vault.notices.sendDueNotices();
    expect(ofKind('reveal')[0]!.headers.subject).toBe('[ZD-7005] Engineer Person revealed your credential "Shop FTP"');
  });
});
