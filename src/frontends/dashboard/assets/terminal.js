// Errand's web terminal: xterm.js (served by Errand from node_modules) over a WebSocket to the
// tmux session in the agent's machine. Each connection presents a fresh one-time ticket, which
// the page asks for with the session's CSRF token. Keystrokes go as binary frames, size changes
// as JSON text frames; output comes back as binary frames, notices as JSON text frames.
(function () {
  'use strict';
  var box = document.getElementById('terminal');
  if (!box || typeof window.Terminal !== 'function' || !window.FitAddon) return;
  var status = document.getElementById('terminal-status');
  var again = document.getElementById('terminal-reconnect');
  var watching = box.dataset.mode !== 'type';
  var encoder = new TextEncoder();
  var closeReasons = {
    4401: 'Signed out: sign in again to reconnect.',
    4403: 'You no longer have access to this terminal.',
    4404: "This agent's machine is gone.",
    4410: 'This agent expired: its machine was removed.',
    1001: 'The server is restarting.',
  };

  var term = new window.Terminal({
    cursorBlink: !watching,
    disableStdin: watching,
    scrollback: 5000,
    fontSize: window.matchMedia('(max-width: 760px)').matches ? 12 : 14,
    fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace',
    theme: { background: '#101216' },
  });
  var fit = new window.FitAddon.FitAddon();
  term.loadAddon(fit);
  term.open(box.querySelector('.terminal-screen'));
  fit.fit();
  // Measure again once the monospace font is in: a fallback font's width makes lines overflow.
  if (document.fonts && document.fonts.ready) document.fonts.ready.then(function () { fit.fit(); });

  var socket = null;
  function say(text, isError) {
    status.textContent = text;
    status.classList.toggle('error', Boolean(isError));
  }

  function send(data) {
    if (socket && socket.readyState === WebSocket.OPEN) socket.send(data);
  }

  term.onData(function (data) {
    if (!watching) send(encoder.encode(data));
  });
  term.onResize(function (size) {
    send(JSON.stringify({ type: 'resize', cols: size.cols, rows: size.rows }));
  });
  window.addEventListener('resize', function () {
    fit.fit();
  });

  function connect() {
    again.hidden = true;
    say('Connecting…');
    fetch(box.dataset.tickets, { method: 'POST', credentials: 'same-origin', headers: { 'x-csrf-token': box.dataset.csrf } })
      .then(function (response) {
        if (response.status === 401) throw new Error('Signed out: sign in again to reconnect.');
        if (response.status === 403) throw new Error('You may not open this terminal.');
        if (response.status === 410) throw new Error('This agent expired: its machine was removed.');
        if (!response.ok) throw new Error('Could not connect (HTTP ' + response.status + ').');
        return response.json();
      })
      .then(function (body) {
        var url = new URL(box.dataset.socket, window.location.href);
        url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
        url.searchParams.set('ticket', body.ticket);
        url.searchParams.set('cols', String(term.cols));
        url.searchParams.set('rows', String(term.rows));
        socket = new WebSocket(url.toString());
        socket.binaryType = 'arraybuffer';
        socket.onmessage = function (event) {
          if (typeof event.data !== 'string') {
            term.write(new Uint8Array(event.data));
            return;
          }
          var message;
          try {
            message = JSON.parse(event.data);
          } catch {
            return;
          }
          // The machine's terminal is ready once the server sends an empty status; keys typed before then are kept.
          if (message.type === 'hello') say('Opening the machine\u2019s terminal\u2026');
          else if (message.type === 'status' && message.text) say(message.text);
          else if (message.type === 'status') say(watching ? 'Connected, read-only: you see the machine but cannot type.' : 'Connected: you can type.');
          else if (message.type === 'error') say(message.text, true);
        };
        socket.onopen = function () {
          fit.fit();
          send(JSON.stringify({ type: 'resize', cols: term.cols, rows: term.rows }));
          if (!watching) term.focus();
        };
        socket.onclose = function (event) {
          socket = null;
          var reason = closeReasons[event.code] || event.reason || 'Disconnected.';
          if (!status.classList.contains('error')) say(reason, event.code !== 1000);
          again.hidden = event.code === 4410 || event.code === 4404 || event.code === 4403;
        };
      })
      .catch(function (error) {
        say(error.message, true);
        again.hidden = false;
      });
  }

  again.addEventListener('click', connect);
  connect();
})();
