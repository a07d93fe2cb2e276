/** The sign-in form, shown when the API answers 401: the token goes in a POST body, never a URL. */
import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { signIn } from './api.js';

export function SignIn({ onSignedIn }: { readonly onSignedIn: () => void }) {
  const [token, setToken] = useState('');
  const [message, setMessage] = useState('');
  const submit = async (event: Event) => {
    event.preventDefault();
    setMessage('');
    try {
      if (await signIn(token)) onSignedIn();
      else setMessage('That token was refused.');
    } catch (error) {
      setMessage(String(error));
    }
  };
  return html`
    <form class="sign-in" id="sign-in" onSubmit=${submit}>
      <h2>Sign in</h2>
      <p>This tower needs its API token.</p>
      <input id="token" type="password" autocomplete="current-password" placeholder="API token" value=${token}
        onInput=${(e: Event) => setToken((e.target as HTMLInputElement).value)} />
      <button id="sign-in-submit" disabled=${token === ''}>Sign in</button>
      ${message ? html`<p class="error" id="sign-in-error">${message}</p>` : null}
    </form>
  `;
}
