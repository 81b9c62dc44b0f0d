/**
 * The live chat demo: a page where browser tabs chat through the bus. It listens on a websocket
 * (/websocket — on http_port the master hands it to the long-polling worker) and falls back to
 * long polling (/longpolling/poll); it sends through POST /bus/publish, served by an HTTP worker
 * that publishes on the bus. After a reconnect it resumes from the last id it saw.
 */
export const CHAT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>odoo-prefork live chat</title>
<style>
body{font-family:system-ui,sans-serif;max-width:44rem;margin:2rem auto}
#log{border:1px solid #ccc;height:22rem;overflow-y:auto;padding:.5rem;background:#fafafa}
#log p{margin:.2rem 0}.me{color:#0a5}.sys{color:#888;font-size:.9em}
form{display:flex;gap:.5rem;margin-top:.5rem}#text{flex:1}
</style></head><body>
<h1>Live chat</h1>
<p class="sys">Open this page in two tabs. Messages go through the bus: an HTTP worker publishes,
the master numbers and relays, the long-polling worker delivers. Transport: <strong id="transport">connecting…</strong></p>
<div id="log"></div>
<form id="form"><input id="name" size="10" aria-label="name"><input id="text" autocomplete="off" placeholder="say something" aria-label="message"><button>Send</button></form>
<script>
const room = new URLSearchParams(location.search).get('room') || 'lobby';
const channel = 'chat:' + room;
const log = document.getElementById('log');
const transport = document.getElementById('transport');
const nameInput = document.getElementById('name');
nameInput.value = localStorage.getItem('chat-name') || 'guest' + Math.floor(Math.random() * 1000);
let last = 0;
let failures = 0;

function show(text, cls) {
  const p = document.createElement('p');
  if (cls) p.className = cls;
  p.textContent = text;
  log.appendChild(p);
  log.scrollTop = log.scrollHeight;
}

function receive(notifications) {
  for (const n of notifications) {
    if (n.id <= last) continue;
    last = n.id;
    const m = n.message || {};
    show((m.from || '?') + ': ' + (m.text || JSON.stringify(m)), m.from === nameInput.value ? 'me' : '');
  }
}

function viaWebsocket() {
  const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/websocket');
  ws.onopen = () => {
    failures = 0;
    transport.textContent = 'websocket';
    ws.send(JSON.stringify({ event_name: 'subscribe', data: { channels: [channel], last } }));
  };
  ws.onmessage = (event) => receive(JSON.parse(event.data));
  ws.onclose = () => {
    failures += 1;
    transport.textContent = 'reconnecting…';
    if (failures > 3) viaLongpolling();
    else setTimeout(viaWebsocket, 1000);
  };
}

async function viaLongpolling() {
  transport.textContent = 'long polling';
  for (;;) {
    try {
      const response = await fetch('/longpolling/poll', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channels: [channel], last }) });
      if (!response.ok) throw new Error(response.status);
      receive(await response.json());
    } catch (error) {
      transport.textContent = 'long polling (retrying)';
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

document.getElementById('form').onsubmit = async (event) => {
  event.preventDefault();
  const text = document.getElementById('text').value.trim();
  if (!text) return;
  localStorage.setItem('chat-name', nameInput.value);
  document.getElementById('text').value = '';
  try {
    const response = await fetch('/bus/publish', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ channel, message: { from: nameInput.value, text, at: Date.now() } }) });
    if (!response.ok) show('not sent (' + response.status + '): ' + (await response.text()), 'sys');
  } catch (error) {
    show('not sent: ' + error.message, 'sys');
  }
};

show('room ' + room + ': messages of the last minutes are shown on arrival', 'sys');
if ('WebSocket' in window) viaWebsocket(); else viaLongpolling();
</script>
</body></html>
`;
