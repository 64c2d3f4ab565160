// The page's script (no build step): one WebSocket to the bridge at /ws,
// subscribe/unsubscribe messages from the form and the buttons, and every
// message of the bridge rendered into the page as text (payloads are
// untrusted: textContent only, never HTML). When the WebSocket itself drops,
// the page reconnects with a growing delay, subscribes again and shows a gap
// of its own: notifications sent meanwhile were not forwarded to it.
/* global document, location, WebSocket, window */
'use strict';

(function bridgePage() {
  const MAX_EVENTS = 200;
  const wanted = new Set(); // channels the user subscribed to
  const status = document.getElementById('status');
  const events = document.getElementById('events');
  const subscriptions = document.getElementById('subscriptions');
  const input = document.getElementById('channel');
  let ws = null;
  let retryMs = 500;
  let everOpened = false;

  function show(kind, text, fields) {
    const li = document.createElement('li');
    li.className = kind;
    li.textContent = `${new Date().toLocaleTimeString()} ${text}`;
    for (const [k, v] of Object.entries(fields || {})) li.dataset[k] = String(v);
    events.prepend(li);
    while (events.children.length > MAX_EVENTS) events.lastElementChild.remove();
  }

  function setStatus(state, text) {
    status.dataset.state = state;
    status.textContent = text;
  }

  function chip(channel) {
    for (const li of subscriptions.children) if (li.dataset.channel === channel) return li;
    return null;
  }

  function addChip(channel) {
    if (chip(channel) !== null) return;
    const li = document.createElement('li');
    li.dataset.channel = channel;
    li.dataset.listening = 'false';
    li.append(channel);
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'unsubscribe';
    button.textContent = 'unsubscribe';
    button.addEventListener('click', () => unsubscribe(channel));
    li.append(button);
    subscriptions.append(li);
  }

  function send(message) {
    if (ws !== null && ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(message));
  }

  function subscribe(channel) {
    wanted.add(channel);
    addChip(channel);
    send({ op: 'subscribe', channel });
  }

  function unsubscribe(channel) {
    wanted.delete(channel);
    chip(channel)?.remove();
    send({ op: 'unsubscribe', channel });
  }

  const handlers = {
    hello(m) {
      setStatus(m.state, m.state);
    },
    state(m) {
      setStatus(m.state, m.state);
      show('state', `database ${m.state}`, { state: m.state });
    },
    subscribed(m) {
      const li = chip(m.channel);
      if (li !== null) li.dataset.listening = 'true';
      show('subscribed', `listening on ${m.channel}`, { channel: m.channel });
    },
    unsubscribed(m) {
      show('unsubscribed', `stopped listening on ${m.channel}`, { channel: m.channel });
    },
    notification(m) {
      show('notification', `${m.channel}: ${m.payload} (pid ${m.pid})`, { channel: m.channel, payload: m.payload });
    },
    gap(m) {
      show('gap', `${m.channel}: missed notifications may exist (the database connection was down for ${m.durationMs} ms)`, { channel: m.channel });
    },
    error(m) {
      if (m.channel !== undefined && m.code !== 'ERR_BRIDGE_BAD_MESSAGE') {
        wanted.delete(m.channel);
        chip(m.channel)?.remove();
      }
      show('error', `refused${m.channel !== undefined ? ` ${JSON.stringify(m.channel)}` : ''}: ${m.message}`, { code: m.code });
    },
  };

  function connect() {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(`${scheme}//${location.host}/ws`);
    ws.onopen = () => {
      retryMs = 500;
      if (everOpened) {
        for (const channel of wanted) show('gap', `${channel}: missed notifications may exist (the page lost the bridge)`, { channel });
      }
      everOpened = true;
      for (const channel of wanted) send({ op: 'subscribe', channel });
    };
    ws.onmessage = (event) => {
      let m;
      try {
        m = JSON.parse(event.data);
      } catch {
        return;
      }
      if (Object.prototype.hasOwnProperty.call(handlers, m.type)) handlers[m.type](m);
    };
    ws.onclose = () => {
      ws = null;
      setStatus('offline', 'bridge unreachable, retrying');
      for (const li of subscriptions.children) li.dataset.listening = 'false';
      window.setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  document.getElementById('subscribe-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const channel = input.value.trim();
    if (channel !== '') subscribe(channel);
    input.value = '';
  });
  connect();
})();
