/** DESIGN "Attachments": at most this many files per credential (each at most ATTACHMENT_MAX_BYTES). */
export const MAX_FILES = 5;
