// gqlauth's errors, told to people. The app branches on extensions.code
// (and extensions.field, extensions.retryAfter), never on the message: the
// codes are the API's contract, listed in the README's error table.
import { CombinedGraphQLErrors } from '@apollo/client';

/**
 * The first GraphQL error of an Apollo error as { code, field, reason,
 * retryAfter, message }; a failure to reach the server is code NETWORK.
 * Null for no error.
 */
export function errorInfo(error) {
  if (!error) return null;
  if (CombinedGraphQLErrors.is(error)) {
    const e = error.errors[0];
    const x = e.extensions ?? {};
    return { code: x.code ?? 'UNKNOWN', field: x.field, reason: x.reason, retryAfter: x.retryAfter, message: e.message };
  }
  return { code: 'NETWORK', message: error.message };
}

/** Whether any GraphQL error of error has extensions.code === code. */
export const hasCode = (error, code) =>
  CombinedGraphQLErrors.is(error) && error.errors.some((e) => e.extensions?.code === code);

/** "15 minutes", "1 second": how long retryAfter seconds is, rounded up. */
export function waitText(seconds) {
  const s = Math.max(1, Math.ceil(Number(seconds) || 1));
  const [n, unit] = s < 60 ? [s, 'second'] : s < 3600 ? [Math.ceil(s / 60), 'minute'] : [Math.ceil(s / 3600), 'hour'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

const sentence = (m) => (m ? m[0].toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? '' : '.') : '');

/** What to tell the user about an errorInfo. */
export function errorMessage(info) {
  switch (info.code) {
    case 'INVALID_CREDENTIALS':
      return 'Wrong email or password.';
    case 'EMAIL_TAKEN':
      return 'An account with this email already exists. Sign in instead?';
    case 'ACCOUNT_DISABLED':
      return 'This account is disabled. Ask an administrator to enable it.';
    case 'EMAIL_NOT_VERIFIED':
      return 'Verify your address first: we mailed you a link. Open it, then sign in.';
    case 'RATE_LIMITED':
      return `Too many attempts. Try again in ${waitText(info.retryAfter)}.`;
    case 'SERVICE_UNAVAILABLE':
      return `The service is busy. Try again in ${waitText(info.retryAfter)}.`;
    case 'FORBIDDEN':
      return 'Only administrators can do this.';
    case 'FRESH_TOKEN_REQUIRED':
      return 'Confirm your password to continue.';
    case 'MFA_REQUIRED':
      return 'This needs a sign-in with your authenticator app. Sign out and in again with a code.';
    case 'MFA_ENROLLMENT_REQUIRED':
      return 'This needs two-factor authentication. Set it up on the Account page, then sign in again with a code.';
    case 'UNAUTHENTICATED':
      return 'Your session has ended. Sign in again.';
    case 'NETWORK':
      return 'Cannot reach the server. Check the connection and try again.';
    default:
      // BAD_USER_INPUT and the request limits have messages written for
      // people; anything else is shown as the server put it.
      return sentence(info.message);
  }
}

/**
 * The form field an error belongs to ('email', 'password', …), or '' for
 * the whole form: BAD_USER_INPUT names it in extensions.field (e.g.
 * 'input.email'); EMAIL_TAKEN is about the email.
 */
export function errorField(info) {
  if (info?.code === 'EMAIL_TAKEN') return 'email';
  if (info?.code === 'BAD_USER_INPUT' && info.field) return info.field.replace(/^input\./, '');
  return '';
}
