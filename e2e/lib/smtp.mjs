// A real SMTP server for end-to-end tests (the smtp-server package, the
// one Nodemailer's authors keep), on a loopback port, that parses each
// message it accepts with mailparser and hands it to the test by
// recipient. gqlauth reaches it as SMTP_URL=smtp://127.0.0.1:PORT: no
// credentials and no STARTTLS offered, so it speaks plain SMTP, as to a
// local relay.
//
//   const mail = await startMailServer();
//   ... SMTP_URL: mail.url ...
//   const m = await mail.next('ada@example.com');   // { subject, text, html, ... }
//   await mail.close();
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/**
 * Starts the server. Resolves to:
 *   url          'smtp://127.0.0.1:PORT', for SMTP_URL
 *   next(to)     the next message to `to` not handed out yet (waiting up to
 *                timeoutMs for it): { from, to, subject, text, html, headers }
 *   received(to) every message to `to` so far, handed out or not
 *   close()
 */
export async function startMailServer() {
  const messages = []; // { to, mail, taken }
  const waiters = new Set(); // wake-ups of next() calls waiting for mail
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    banner: 'gqlauth e2e',
    onData(stream, session, callback) {
      simpleParser(stream).then((parsed) => {
        for (const rcpt of session.envelope.rcptTo) {
          messages.push({
            to: rcpt.address.toLowerCase(),
            taken: false,
            mail: {
              from: session.envelope.mailFrom?.address,
              to: rcpt.address,
              subject: parsed.subject,
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              headers: parsed.headers,
            },
          });
        }
        for (const wake of waiters) wake();
        callback();
      }, callback);
    },
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.server.address();

  return {
    url: `smtp://127.0.0.1:${port}`,
    async next(to, { timeoutMs = 30_000 } = {}) {
      to = to.toLowerCase();
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const m = messages.find((x) => x.to === to && !x.taken);
        if (m) {
          m.taken = true;
          return m.mail;
        }
        const left = deadline - Date.now();
        if (left <= 0) {
          const seen = messages.map((x) => `${x.to}: ${x.mail.subject}`).join('\n  ');
          throw new Error(`no mail to ${to} within ${timeoutMs} ms; received:\n  ${seen || '(nothing)'}`);
        }
        await new Promise((resolve) => {
          const wake = () => { clearTimeout(timer); waiters.delete(wake); resolve(); };
          const timer = setTimeout(wake, left);
          waiters.add(wake);
        });
      }
    },
    received: (to) => messages.filter((x) => x.to === to.toLowerCase()).map((x) => x.mail),
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/**
 * The link to appURL + page ('verify-email', …) in mail: the same in the
 * text and the HTML part, with a token of 43 base64url characters (256
 * bits). Resolves to { link, token }.
 */
export function mailedLink(mail, appURL, page) {
  const base = appURL.replace(/\/$/, '').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const m = new RegExp(`${base}/${page}\\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`).exec(mail.text);
  if (!m) throw new Error(`no ${page} link in the mail "${mail.subject}":\n${mail.text}`);
  if (!mail.html.includes(m[0])) throw new Error(`the HTML part lacks the link ${m[0]}:\n${mail.html}`);
  return { link: m[0], token: m[1] };
}
