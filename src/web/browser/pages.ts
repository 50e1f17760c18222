// Entry point of the customer pages' script (bundled by scripts/build-web.mjs into /assets/pages.js).
import { wireSecretToggles } from './credential-form.js';
import { startIntakePage } from './intake-page.js';
import { showLocalTimes } from './local-times.js';
import { startReceiptPage } from './receipt-page.js';

showLocalTimes(document.body);
wireSecretToggles(document);
const page = document.body.dataset.page;
if (page === 'intake') startIntakePage();
if (page === 'receipt') startReceiptPage();
