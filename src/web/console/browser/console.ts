// Entry point of the staff console's script (bundled by scripts/build-web.mjs into /assets/console.js).
import { startAccountPage } from './account-page.js';
import { callApi } from './console-api.js';
import { startAuditPage } from './audit-page.js';
import { startNewTicketPage } from './new-ticket-page.js';
import { showLocalTimes, strings, wireDialogClosers } from './page-kit.js';
import { startSignInPage } from './sign-in-page.js';
import { startStaffPage } from './staff-page.js';
import { startTicketPage } from './ticket-page.js';
import { startWebhooksPage } from './webhooks-page.js';

const t = strings();
showLocalTimes(document.body, t);
wireDialogClosers();

document.querySelector<HTMLButtonElement>('[data-sign-out]')?.addEventListener('click', async (event) => {
  (event.currentTarget as HTMLButtonElement).disabled = true;
  await callApi('POST', '/auth/logout');
  location.assign('/console/sign-in?reason=signed_out');
});

switch (document.body.dataset.page) {
  case 'sign-in':
    startSignInPage(t);
    break;
  case 'new-ticket':
    startNewTicketPage(t);
    break;
  case 'ticket':
    startTicketPage(t);
    break;
  case 'audit':
    startAuditPage(t);
    break;
  case 'staff':
    startStaffPage(t);
    break;
  case 'account':
    startAccountPage(t);
    break;
  case 'webhooks':
    startWebhooksPage(t);
    break;
}
