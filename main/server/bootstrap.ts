/**
 * The page served before a session exists: it trades the URL fragment's token for the session cookie, then reloads.
 * Its icon is inline, so the browser never asks for /favicon.ico without the cookie (a 401 in the console).
 */
import crypto from 'node:crypto';

const script = `
(function () {
  var m = /[#&]token=([^&]+)/.exec(location.hash);
  var msg = document.getElementById('msg');
  if (!m) { msg.textContent = 'Open Lifeboat with the address it printed when it started (it ends with #token=...).'; return; }
  fetch('/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: decodeURIComponent(m[1]) }), credentials: 'same-origin' })
    .then(function (r) {
      if (r.status === 204) { history.replaceState(null, '', '/'); location.reload(); }
      else { msg.textContent = 'This link is not valid for the running Lifeboat. Use the address it printed most recently.'; }
    })
    .catch(function () { msg.textContent = 'Lifeboat is not reachable. Is it still running?'; });
})();
`;

export function bootstrapPage(): { html: string; scriptHash: string } {
  const scriptHash = `sha256-${crypto.createHash('sha256').update(script).digest('base64')}`;
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Lifeboat</title><link rel="icon" href="data:,"></head>
<body style="font-family: system-ui, sans-serif; margin: 3rem"><h1>Lifeboat</h1><p id="msg">Signing in…</p><script>${script}</script></body></html>`;
  return { html, scriptHash };
}
