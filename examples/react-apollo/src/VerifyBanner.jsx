// "Verify your address": shown above the signed-in pages while the
// account's address is not verified (register mails the first link), with
// a button that mails a new one (sendVerificationEmail, throttled per
// account: RATE_LIMITED tells how long to wait).
import { useMutation, useQuery } from '@apollo/client/react';
import { useEffect, useState } from 'react';

import './email.css';
import { ME_VERIFIED, SEND_VERIFICATION_EMAIL } from './emailOperations.js';
import { errorInfo, errorMessage } from './errors.js';

export default function VerifyBanner() {
  const { data, refetch } = useQuery(ME_VERIFIED);
  const me = data?.me;
  const unverified = me && !me.emailVerified;

  // Verified in another tab (the mail's link opens one): look again when
  // this one is shown.
  useEffect(() => {
    if (!unverified) return undefined;
    const onShow = () => { if (document.visibilityState === 'visible') refetch().catch(() => {}); };
    document.addEventListener('visibilitychange', onShow);
    return () => document.removeEventListener('visibilitychange', onShow);
  }, [unverified, refetch]);

  if (!unverified) return null;
  return (
    <section className="banner" data-testid="verify-banner" aria-labelledby="verify-banner-title">
      <p>
        <strong id="verify-banner-title">Verify your address.</strong>{' '}
        We sent a link to <strong>{me.email}</strong>: open it to show the address is yours.
      </p>
      <ResendVerification email={me.email} />
    </section>
  );
}

/**
 * "Send the link again": mails a new verification link (the older one
 * stops working) and says what happened.
 */
export function ResendVerification({ email, label = 'Send the link again' }) {
  const [send, { loading }] = useMutation(SEND_VERIFICATION_EMAIL, { refetchQueries: [ME_VERIFIED] });
  const [result, setResult] = useState(null); // { sent } or { error }

  async function onClick() {
    setResult(null);
    try {
      const { data } = await send();
      // false: already verified (elsewhere), nothing sent; the refetched
      // `me` hides the banner.
      setResult({ sent: data.sendVerificationEmail });
    } catch (e) {
      setResult({ error: errorInfo(e) });
    }
  }

  return (
    <div className="resend">
      <button type="button" onClick={onClick} disabled={loading}>{label}</button>
      <span aria-live="polite" data-testid="resend-result">
        {result?.sent === true && <>A new link is on its way to <strong>{email}</strong>. Links sent before it no longer work.</>}
        {result?.sent === false && 'Your address is already verified.'}
        {result?.error && <span role="alert" className="error">{errorMessage(result.error)}</span>}
      </span>
    </div>
  );
}
