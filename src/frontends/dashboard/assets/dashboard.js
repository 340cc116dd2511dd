// Errand dashboard: live updates on top of server-rendered pages. Plain browser JavaScript, no
// build step, no dependencies. Every page works without it; this only keeps pages fresh.
// Text from the server's event stream is inserted with textContent, never as HTML.
(function () {
  'use strict';

  var LOG_LINES_KEPT = 400;
  var statusLabels = { queued: 'Queued', preparing: 'Preparing', running: 'Running', finished: 'Finished', failed: 'Failed', stopped: 'Stopped', expired: 'Expired' };
  var phaseLabels = { environment: 'Environment', build: 'Image build', install: 'Install', start: 'Start command', terminal: 'Terminals', git: 'Git', agent: 'Agent commands' };

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === 'text') node.textContent = attrs[name];
      else node.setAttribute(name, attrs[name]);
    });
    (children || []).forEach(function (child) {
      if (child) node.appendChild(typeof child === 'string' ? document.createTextNode(child) : child);
    });
    return node;
  }

  // "3 min ago", kept fresh; the same words as the server's.
  function relative(iso) {
    var seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (seconds < 45) return 'just now';
    var minutes = Math.round(seconds / 60);
    if (minutes < 60) return minutes + ' min ago';
    var hours = Math.round(minutes / 60);
    if (hours < 36) return hours + ' h ago';
    return Math.round(hours / 24) + ' days ago';
  }
  function timeEl(iso) {
    return el('time', { datetime: iso, title: iso.replace('T', ' ').slice(0, 19) + ' UTC', 'data-ago': '', text: relative(iso) });
  }
  function refreshTimes() {
    document.querySelectorAll('time[data-ago]').forEach(function (node) {
      node.textContent = relative(node.getAttribute('datetime'));
    });
  }
  setInterval(refreshTimes, 30000);

  // Copy buttons (the `errand attach` command).
  document.addEventListener('click', function (event) {
    var button = event.target.closest && event.target.closest('[data-copy]');
    if (!button) return;
    var input = document.getElementById(button.getAttribute('data-copy'));
    if (!input) return;
    var done = function () {
      button.textContent = 'Copied';
      setTimeout(function () { button.textContent = 'Copy'; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      try { document.execCommand('copy'); done(); } catch { /* selected; the person copies it */ }
    }
  });

  // A form sent once is not sent twice by a double click.
  document.addEventListener('submit', function (event) {
    var buttons = event.target.querySelectorAll('button[type="submit"]');
    setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; }); }, 0);
  });

  // The agents list: poll the rows (an unchanged list costs a 304) and swap them in when they change.
  var rows = document.getElementById('agent-rows');
  if (rows && rows.getAttribute('data-poll')) {
    var pollUrl = rows.getAttribute('data-poll');
    var pollMs = Number(rows.getAttribute('data-poll-ms')) || 4000;
    var current = rows.innerHTML.trim();
    var pollTimer = null;
    var poll = function () {
      pollTimer = null;
      if (document.hidden) return;
      fetch(pollUrl, { credentials: 'same-origin', cache: 'no-cache', headers: { accept: 'text/html' }, redirect: 'manual' })
        .then(function (response) {
          if (response.status !== 200) throw new Error('status ' + response.status);
          return response.text();
        })
        .then(function (text) {
          var next = text.trim();
          if (next !== current) {
            var before = {};
            rows.querySelectorAll('tr[data-id]').forEach(function (tr) { before[tr.getAttribute('data-id')] = tr.innerHTML; });
            rows.innerHTML = next;
            current = next;
            rows.querySelectorAll('tr[data-id]').forEach(function (tr) {
              if (before[tr.getAttribute('data-id')] !== tr.innerHTML) tr.classList.add('changed');
            });
          }
          schedule();
        })
        .catch(function () { schedule(pollMs * 3); });
    };
    var schedule = function (delay) {
      if (!pollTimer) pollTimer = setTimeout(poll, delay || pollMs);
    };
    document.addEventListener('visibilitychange', function () { if (!document.hidden) { clearTimeout(pollTimer); pollTimer = null; poll(); } });
    schedule();
  }

  // One agent's page: follow its event stream and render each event as the server would.
  var article = document.querySelector('article.agent[data-agent]');
  if (!article) return;
  var agentId = article.getAttribute('data-agent');
  var transcript = document.getElementById('transcript');

  function argsPreview(args) {
    try {
      var parsed = JSON.parse(args);
      var fields = ['command', 'path', 'pattern', 'query', 'window', 'summary'];
      for (var i = 0; i < fields.length; i += 1) {
        var value = parsed && parsed[fields[i]];
        if (typeof value === 'string' && value) return value.length > 120 ? value.slice(0, 119) + '…' : value;
      }
    } catch { /* not JSON */ }
    return args.length > 120 ? args.slice(0, 119) + '…' : args;
  }

  function append(node) {
    transcript.appendChild(node);
  }

  function appendLog(event) {
    var container = document.getElementById(event.phase === 'terminal' ? 'terminals' : 'logs');
    if (!container) return;
    var empty = container.querySelector('.empty-note');
    if (empty) empty.remove();
    var details = container.querySelector('details[data-phase="' + event.phase + '"]');
    if (!details) {
      details = el('details', { class: 'phase', 'data-phase': event.phase, open: '' }, [
        el('summary', {}, [(phaseLabels[event.phase] || event.phase) + ' ', el('span', { class: 'count' })]),
        el('pre', { tabindex: '0' }),
      ]);
      container.appendChild(details);
    }
    var pre = details.querySelector('pre');
    var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    var lines = (pre.textContent ? pre.textContent.split('\n') : []).concat(event.text.replace(/\n$/, '').split('\n'));
    if (lines.length > LOG_LINES_KEPT) lines = lines.slice(lines.length - LOG_LINES_KEPT);
    pre.textContent = lines.join('\n');
    details.querySelector('.count').textContent = lines.length + (lines.length === 1 ? ' line' : ' lines');
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }

  // Tool steps: live command output while a step runs, then its outcome (failed with the exit code,
  // or ok) and duration. Mirrors views/events.ts toolStep and core/current-step.ts stepOutcome.
  var STEP_OUTPUT_CHARS = 64000;
  function durationText(ms) {
    if (ms < 1000) return ms + ' ms';
    if (ms < 60000) return (ms / 1000).toFixed(1) + ' s';
    return Math.floor(ms / 60000) + ' min ' + Math.round((ms % 60000) / 1000) + ' s';
  }
  function stepOutcome(result) {
    var parts = [result.timedOut ? 'timed out' : result.ok ? 'ok' : 'failed'];
    if (typeof result.exitCode === 'number' && (result.exitCode !== 0 || !result.ok)) parts.push('exit ' + result.exitCode);
    if (typeof result.durationMs === 'number') parts.push(durationText(result.durationMs));
    return parts.join(' · ');
  }
  function toolStepNode(event) {
    return el('li', { class: 'step', 'data-event-id': event.id, 'data-call': event.callId }, [
      el('details', { open: '' }, [
        el('summary', {}, [el('span', { class: 'tool', text: event.name }), ' ', el('code', { text: argsPreview(event.args) }), ' ', el('span', { class: 'result pending', text: 'running…' })]),
        el('pre', { class: 'args', text: event.args }),
        el('pre', { class: 'output', tabindex: '0' }),
      ]),
    ]);
  }
  function stepFor(callId) {
    return transcript.querySelector('li.step[data-call="' + CSS.escape(callId) + '"]');
  }
  function appendToolOutput(event) {
    var step = stepFor(event.callId);
    if (!step || step.getAttribute('data-settled')) return;
    var pre = step.querySelector('pre.output');
    var atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    var text = pre.textContent + event.text;
    if (text.length > STEP_OUTPUT_CHARS) text = text.slice(text.length - STEP_OUTPUT_CHARS);
    pre.textContent = text;
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  }
  function settleToolStep(event) {
    var step = stepFor(event.callId);
    if (!step) return;
    step.setAttribute('data-settled', 'yes');
    step.querySelector('pre.output').textContent = event.output;
    var state = step.querySelector('.result');
    state.className = 'result ' + (event.ok ? 'ok' : 'fail');
    state.textContent = stepOutcome(event);
    if (typeof event.exitCode === 'number') state.setAttribute('data-exit', String(event.exitCode));
    if (!event.ok) step.classList.add('failed');
  }

  // Messages and summaries are Markdown: shown as plain text at once, then swapped for the server's
  // rendering (views/markdown.ts: raw HTML escaped, links only http(s)/mailto), one fetch per message.
  function renderMarkdownLater(item, event) {
    fetch('/agents/' + encodeURIComponent(agentId) + '/rendered/' + encodeURIComponent(event.id), { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        var plain = item.querySelector('div.text');
        if (!text || !plain) return;
        var holder = document.createElement('div');
        holder.innerHTML = text;
        if (holder.firstElementChild) plain.replaceWith(holder.firstElementChild);
      })
      .catch(function () { /* the plain text stays */ });
  }

  function render(event) {
    switch (event.type) {
      case 'model_message':
        if (event.text.trim()) {
          var message = el('li', { class: 'msg agent', 'data-event-id': event.id }, [el('p', { class: 'who', text: 'Agent' }), el('div', { class: 'text', text: event.text })]);
          append(message);
          renderMarkdownLater(message, event);
        }
        break;
      case 'thinking':
        if (event.text.trim()) {
          append(el('li', { class: 'msg thinking', 'data-event-id': event.id }, [
            el('details', {}, [el('summary', { class: 'who', text: 'Thinking' }), el('div', { class: 'text', text: event.text })]),
          ]));
        }
        break;
      case 'tool_call':
        append(toolStepNode(event));
        break;
      case 'tool_output':
        appendToolOutput(event);
        break;
      case 'tool_result':
        settleToolStep(event);
        break;
      case 'follow_up':
        append(el('li', { class: 'msg user', 'data-event-id': event.id }, [
          el('p', { class: 'who' }, [event.author.name + ' followed up ', timeEl(event.at)]),
          el('div', { class: 'text', text: event.text }),
        ]));
        break;
      case 'status':
        append(el('li', { class: 'note', 'data-event-id': event.id }, [(statusLabels[event.status] || event.status) + (event.message ? ' · ' + event.message : '') + ' ', timeEl(event.at)]));
        break;
      case 'milestone':
        append(el('li', { class: 'note milestone', 'data-event-id': event.id, text: event.text }));
        break;
      case 'summary': {
        var parts = [el('p', { class: 'who', text: 'Summary' }), el('div', { class: 'text', text: event.text })];
        if (event.diffstat) parts.push(el('pre', { class: 'diffstat', text: event.diffstat }));
        if (event.prUrl && /^https?:\/\//.test(event.prUrl)) parts.push(el('p', {}, [el('a', { href: event.prUrl, rel: 'noopener noreferrer', text: 'Pull request' })]));
        var summary = el('li', { class: 'msg summary', 'data-event-id': event.id }, parts);
        append(summary);
        renderMarkdownLater(summary, event);
        break;
      }
      case 'error':
        append(el('li', { class: 'note error', 'data-event-id': event.id }, [el('strong', { text: event.code }), ': ' + event.message]));
        break;
      case 'log':
        appendLog(event);
        break;
    }
  }

  // The status panel (badge, progress, outcome, Stop) is the server's to render: fetch it again.
  var statusTimer = null;
  function refreshStatus(delay) {
    if (statusTimer) return;
    statusTimer = setTimeout(function () {
      statusTimer = null;
      fetch('/agents/' + encodeURIComponent(agentId) + '/status', { credentials: 'same-origin', cache: 'no-store', headers: { accept: 'text/html' } })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          var old = document.getElementById('agent-status');
          if (!text || !old) return;
          var hadFocus = old.contains(document.activeElement);
          var holder = document.createElement('div');
          holder.innerHTML = text;
          var fresh = holder.firstElementChild;
          if (!fresh) return;
          old.replaceWith(fresh);
          if (hadFocus) {
            var target = fresh.querySelector('button, a') || fresh;
            if (target === fresh) fresh.setAttribute('tabindex', '-1');
            target.focus();
          }
        })
        .catch(function () { /* the next event tries again */ });
    }, delay || 150);
  }

  if (article.getAttribute('data-live') !== 'yes' || !window.EventSource) return;
  var after = article.getAttribute('data-last-event');
  var source = new EventSource('/agents/' + encodeURIComponent(agentId) + '/events' + (after ? '?after=' + encodeURIComponent(after) : ''));
  var seen = {};
  ['status', 'log', 'milestone', 'model_message', 'thinking', 'tool_call', 'tool_output', 'tool_result', 'follow_up', 'summary', 'error'].forEach(function (type) {
    source.addEventListener(type, function (message) {
      if (!message.data) return; // a connection error, not an event: EventSource reconnects by itself
      var event;
      try { event = JSON.parse(message.data); } catch { return; }
      if (!event.type || !event.id || seen[event.id]) return;
      seen[event.id] = true;
      article.setAttribute('data-last-event', event.id);
      render(event);
      if (event.type === 'status' || event.type === 'summary' || event.type === 'error' || event.type === 'milestone') refreshStatus();
      // While preparing, the panel shows the latest output: refresh it, at most once a second.
      else if (event.type === 'log' && document.querySelector('#agent-status[data-status="preparing"]')) refreshStatus(1000);
      // While running, the panel names the step in flight.
      else if (event.type === 'tool_call' || event.type === 'tool_result') refreshStatus(500);
    });
  });
  source.addEventListener('end', function () {
    source.close();
    article.setAttribute('data-live', 'no');
    refreshStatus();
  });
})();
