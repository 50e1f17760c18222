// Every string the customer pages show, server-rendered or set by the browser script. A translation
// is another object of type Strings; nothing here may import Node or browser-only modules.

export const en = {
  lang: 'en',
  /** Locale and shape of every date and time shown (Intl); the server renders UTC, the page script local time. */
  locale: 'en-GB',
  dateTime: { day: 'numeric', month: 'long', year: 'numeric', hour: '2-digit', minute: '2-digit', timeZoneName: 'short' } as Intl.DateTimeFormatOptions,
  skipToContent: 'Skip to main content',
  secureRequest: 'Secure credential request',
  receiptTag: 'Your credential receipt',
  footer: 'Details you send here are encrypted in your browser before they leave it, and stored encrypted.',
  poweredBy: 'Protected by ticketvault',
  noScript:
    'This page needs JavaScript to encrypt your details on your device before they are sent. Nothing is sent without it. Turn JavaScript on, or ask support for another way.',
  required: 'required',
  optional: 'optional',
  show: 'Show',
  hide: 'Hide',
  cancel: 'Cancel',

  kinds: {
    ftp: { title: 'FTP / SFTP', description: 'File transfer login' },
    ssh: { title: 'SSH', description: 'Server shell login' },
    teamviewer: { title: 'TeamViewer', description: 'Remote desktop ID and password' },
    api: { title: 'API key', description: 'Key for a web service' },
    'web-login': { title: 'Web login', description: 'Shop or admin panel login' },
    other: { title: 'Other', description: 'Anything else, as text' },
  } as Record<string, { title: string; description: string }>,

  /** Each field's label, hint, and what to say when a required one is left empty. */
  fields: {
    host: { label: 'Host', hint: 'Server name or IP address, e.g. ftp.example.com', missing: 'Enter the host name or IP address.' },
    username: { label: 'User name', hint: '', missing: 'Enter the user name.' },
    protocol: { label: 'Protocol', hint: '', missing: 'Choose a protocol.' },
    port: { label: 'Port', hint: 'Leave empty for the usual port.', missing: 'Enter the port.' },
    password: { label: 'Password', hint: '', missing: 'Enter the password.' },
    privateKey: { label: 'Private key', hint: 'Paste the whole key, including its BEGIN and END lines.', missing: 'Paste the private key.' },
    path: { label: 'Folder', hint: 'The folder to start in, if it matters.', missing: 'Enter the folder.' },
    notes: { label: 'Notes', hint: 'Anything else support should know.', missing: 'Enter the details as text.' },
    partnerId: { label: 'TeamViewer ID', hint: 'The ID shown in TeamViewer under “Allow remote control”.', missing: 'Enter the TeamViewer ID.' },
    key: { label: 'API key', hint: '', missing: 'Enter the API key.' },
    baseUrl: { label: 'API address', hint: 'e.g. https://api.example.com', missing: 'Enter the API address.' },
    secret: { label: 'API secret', hint: '', missing: 'Enter the API secret.' },
    url: { label: 'Login page address', hint: 'e.g. https://shop.example.com/admin', missing: 'Enter the login page address.' },
  } as Record<string, { label: string; hint: string; missing: string }>,

  protocols: { sftp: 'SFTP (recommended)', ftps: 'FTPS', ftp: 'FTP (unencrypted)' } as Record<string, string>,

  intake: {
    title: (vendor: string) => `Send access details to ${vendor}`,
    heading: (vendor: string) => `Send access details to ${vendor}`,
    lead: (vendor: string) =>
      `${vendor} asked you for access to help with your support ticket. What you enter here is encrypted on your device before it is sent. Only their support engineers can reveal it, each time giving a reason, and you can see every reveal.`,
    aboutHeading: 'About this request',
    ticket: 'Ticket',
    requestedBy: 'Requested by',
    linkValidUntil: 'This link works until',
    destroyed: 'What you send is destroyed',
    /** Around the date: "when the ticket is closed, or on <date> at the latest". */
    destroyedWhen: { before: 'When the ticket is closed, or on ', after: ' at the latest.' },
    tipHeading: 'Tip',
    tip: (vendor: string) =>
      `If you can, create a separate account just for ${vendor} instead of sharing your own, and delete it once the ticket is done.`,
    formHeading: 'Add access details',
    kindLegend: 'What kind of access?',
    labelLabel: 'Name for this credential',
    labelHint: 'So you recognise it later, e.g. “Shop FTP”.',
    fieldsLegend: (kind: string) => `${kind} details`,
    submit: 'Encrypt and send',
    submitting: 'Encrypting and sending…',
    submitHint: 'Encrypted on this device before it is sent.',
    loading: 'Getting encryption ready…',
    sentHeading: 'Sent securely',
    sentItem: (label: string) => `“${label}” was encrypted and sent.`,
    receiptLabel: (label: string) => `Receipt link for “${label}”`,
    receiptLabelAll: 'Receipt link for everything you sent from this page',
    receiptHint: 'Keep this link. It shows who revealed what you sent, and lets you freeze, replace or withdraw it at any time.',
    copy: 'Copy link',
    copied: 'Copied',
    copyFailed: 'Select the link and copy it by hand.',
    sendAnother: 'You can add another one below.',
  },

  receipt: {
    title: (vendor: string) => `Your credentials held by ${vendor}`,
    heading: 'What you sent, and who revealed it',
    lead: (vendor: string, ref: string) =>
      `${vendor} holds the access details below for ticket ${ref}. You can see every time support revealed them, and freeze, replace or withdraw them at any time.`,
    ticket: 'Ticket',
    ticketStatus: 'Ticket status',
    ticketOpen: 'Open',
    ticketClosed: 'Closed',
    kind: 'Kind',
    submitted: 'Sent',
    rectified: 'Replaced',
    expires: 'Destroyed automatically',
    ended: 'Ended',
    reveals: 'Who revealed it',
    revealWhen: 'When',
    revealWho: 'Who',
    revealWhy: 'Reason given',
    noReveals: 'Nobody has revealed it.',
    unknownPerson: 'Support engineer',
    noReason: '—',
    restrict: 'Freeze',
    restrictHint: 'While it is frozen nobody can reveal it, until you unfreeze it. Nothing is deleted.',
    unrestrict: 'Unfreeze',
    rectify: 'Replace',
    rectifyHeading: (label: string) => `Replace “${label}”`,
    rectifyHint: 'Enter the new details. They replace the old ones, which are destroyed.',
    rectifySubmit: 'Encrypt and replace',
    withdraw: 'Withdraw',
    withdrawConfirm: (label: string) =>
      `Withdraw “${label}”? It is destroyed at once and support can no longer use it. This cannot be undone.`,
    withdrawYes: 'Yes, withdraw and destroy it',
    preferencesHeading: 'Notices and your data',
    notifyOnReveal: 'E-mail me each time someone reveals one of these credentials',
    export: 'Download my data (JSON)',
    exportHint: 'Everything held about this submission, and who revealed it. Secrets are never included.',
    done: {
      restrict: (label: string) => `“${label}” is frozen: nobody can reveal it.`,
      unrestrict: (label: string) => `“${label}” is unfrozen: support can reveal it again.`,
      rectify: (label: string) => `“${label}” was replaced. The old details are destroyed.`,
      withdraw: (label: string) => `“${label}” was withdrawn and destroyed.`,
      notifyOn: 'You will get an e-mail each time someone reveals a credential.',
      notifyOff: 'You will not get e-mails when someone reveals a credential.',
      exported: 'Your data was downloaded.',
    },
  },

  status: {
    active: { badge: 'Active', text: 'Support can reveal it when they need it; each reveal is listed here.' },
    restricted: { badge: 'Frozen', text: 'Nobody can reveal it until you unfreeze it.' },
    expired: { badge: 'Expired', text: 'It can no longer be revealed and is being destroyed.' },
    revoked: { badge: 'Revoked', text: 'Support revoked it; it can no longer be revealed and is being destroyed.' },
    withdrawn: { badge: 'Withdrawn', text: 'You withdrew it; it can no longer be revealed.' },
    purged: { badge: 'Destroyed', text: 'It was destroyed; only this record of it is kept.' },
  } as Record<string, { badge: string; text: string }>,

  endedBecause: {
    ticket_closed: 'the ticket was closed',
    expired: 'it reached its end date',
    revoked: 'support revoked it',
    withdrawn: 'you withdrew it',
  } as Record<string, string>,
  endedBecauseLine: (why: string) => `Ended because ${why}.`,

  validation: {
    heading: 'Please check the highlighted fields.',
    required: 'Fill this in.',
    tooLong: 'This is too long: at most 16 KiB is allowed.',
    port: 'Enter a port number from 1 to 65535, or leave it empty.',
    protocol: 'Choose SFTP, FTPS or FTP.',
    label: 'Use at most 200 characters for the name.',
  },

  errors: {
    network: 'We could not reach the server. Check your connection and try again; nothing was sent.',
    generic: 'Something went wrong and nothing was changed. Please try again.',
    sealedInvalid: 'The page is out of date. Reload it and try again; nothing was sent.',
    linkGone: 'This link no longer accepts details. Ask support for a new link.',
    ended: 'This credential has ended and can no longer be changed.',
    notFound: 'This receipt link no longer works.',
    invalid: 'Some details were not accepted. Check them and try again.',
    tooMany: 'Too many requests came from your network in the last minute. Wait a minute, then try again; nothing was changed.',
  },

  problems: {
    intakeNotFound: {
      title: 'Link not found',
      heading: 'This link does not work',
      text: 'Check that you opened the whole link from the message. If it still does not work, ask support for a new link.',
    },
    receiptNotFound: {
      title: 'Receipt not found',
      heading: 'This receipt link does not work',
      text: 'Check that you opened the whole link. If you still need help, contact support.',
    },
    gone: {
      intake_link_expired: { title: 'Link expired', heading: 'This link has expired' },
      intake_link_revoked: { title: 'Link revoked', heading: 'This link was revoked' },
      intake_link_used_up: { title: 'Link used', heading: 'This link has already been used' },
      ticket_closed: { title: 'Ticket closed', heading: 'This ticket is closed' },
      support_period_ended: { title: 'Support period ended', heading: 'The support period has ended' },
    } as Record<string, { title: string; heading: string }>,
    goneDefault: { title: 'Link no longer valid', heading: 'This link no longer works' },
    goneText: (vendor: string) =>
      `For your safety, it no longer accepts any details. If ${vendor} still needs access, ask them for a new link.`,
    error: { title: 'Something went wrong', heading: 'Something went wrong', text: 'Please try again in a moment.' },
    tooManyRequests: {
      title: 'Too many requests',
      heading: 'Please wait a minute',
      text: 'This page was asked for too often from your network in the last minute. Wait a minute, then reload the page.',
    },
  },
};

export type Strings = typeof en;

/** The strings for a page; one language is shipped, the seam for more is here. */
export function stringsFor(_lang?: string): Strings {
  return en;
}
