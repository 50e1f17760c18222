import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { problemJson, type ProblemInput } from './problems.js';

// Requests Node's parser refuses never reach Express: without this, their answer is a bare status
// line. The contract says every refusal is a problem body, so these get one too.

/** A problem whose title is also the status line's reason phrase. */
type ParserRefusal = ProblemInput;

const HEADERS_TOO_LARGE: ParserRefusal = {
  status: 431,
  title: 'Request Header Fields Too Large',
  code: 'headers_too_large',
  detail: 'The request line and headers are larger than this server accepts (16 KiB).',
};
const TIMED_OUT: ParserRefusal = { status: 408, title: 'Request Timeout', code: 'request_timeout', detail: 'The request was not received in time.' };
const MALFORMED: ParserRefusal = { status: 400, title: 'Bad Request', code: 'malformed_request', detail: 'The request is not valid HTTP.' };

function refusalOf(error: NodeJS.ErrnoException): ParserRefusal {
  if (error.code === 'HPE_HEADER_OVERFLOW') return HEADERS_TOO_LARGE;
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return TIMED_OUT;
  return MALFORMED;
}

/** Answers what Node's HTTP parser refuses with a problem+json body (never echoing the request). */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    // A reset connection, or an answer already under way (Node's own handler checks the same): nobody to tell.
    const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } | null })._httpMessage?.headersSent === true;
    if (error.code === 'ECONNRESET' || !socket.writable || answering) {
      socket.destroy();
      return;
    }
    const refusal = refusalOf(error);
    const body = problemJson(refusal);
    socket.end(
      `HTTP/1.1 ${refusal.status} ${refusal.title}\r\n` +
        'Content-Type: application/problem+json\r\n' +
        'Cache-Control: no-store\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  });
}
