/**
 * The API docs page at /api/docs: a small renderer of /api/v1/openapi.json, written here so nothing
 * is fetched from the internet. With auth on, it asks for the token once (kept in localStorage, the
 * same key the dashboard uses).
 */

export const DOCS_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>weft API</title>
<style>
  body { font: 14px/1.5 system-ui, sans-serif; margin: 0; color: #1f2328; background: #f6f8fa; }
  header { background: #24292f; color: #fff; padding: 12px 24px; display: flex; gap: 16px; align-items: baseline; }
  header a { color: #9ecbff; }
  main { max-width: 1100px; margin: 0 auto; padding: 16px 24px 64px; }
  h2 { margin: 32px 0 8px; text-transform: capitalize; }
  details { background: #fff; border: 1px solid #d0d7de; border-radius: 6px; margin: 6px 0; }
  summary { cursor: pointer; padding: 8px 12px; display: flex; gap: 12px; align-items: center; }
  .m { font: 600 12px ui-monospace, monospace; color: #fff; border-radius: 4px; padding: 2px 8px; min-width: 52px; text-align: center; }
  .GET { background: #0969da; } .POST { background: #1a7f37; } .PUT { background: #9a6700; } .DELETE { background: #cf222e; }
  code, .path { font-family: ui-monospace, monospace; }
  .body { padding: 0 16px 12px; border-top: 1px solid #d0d7de; }
  ul.schema { list-style: none; padding-left: 16px; margin: 2px 0; border-left: 2px solid #eaeef2; }
  .t { color: #8250df; } .req { color: #cf222e; } .d { color: #57606a; }
  form { display: flex; gap: 8px; margin: 16px 0; }
  input { flex: 1; padding: 6px; font: inherit; }
  .err { color: #cf222e; }
</style>
</head>
<body>
<header><strong>weft API</strong><span id="version"></span><a href="/api/v1/openapi.json">openapi.json</a><a href="/">dashboard</a></header>
<main id="root">Loading…</main>
<script src="/api/docs/docs.js"></script>
</body>
</html>
`;

export const DOCS_SCRIPT = String.raw`(function () {
  'use strict';
  var KEY = 'weft.apiToken';
  var root = document.getElementById('root');
  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { if (k === 'text') e.textContent = attrs[k]; else e.setAttribute(k, attrs[k]); });
    (children || []).forEach(function (c) { if (c) e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c); });
    return e;
  }
  function typeOf(s) {
    if (!s) return 'any';
    if (s.enum) return s.enum.map(function (v) { return JSON.stringify(v); }).join(' | ');
    if (s.const !== undefined) return JSON.stringify(s.const);
    if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map(typeOf).join(' | ');
    var t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type || 'any');
    if (t === 'array') return typeOf(s.items) + '[]';
    if (s.nullable) t += ' | null';
    return t;
  }
  function schemaList(s, depth) {
    var ul = el('ul', { class: 'schema' });
    if (!s || depth > 6) return ul;
    var target = s.type === 'array' ? s.items : s;
    var props = (target && target.properties) || {};
    var required = (target && target.required) || [];
    Object.keys(props).forEach(function (name) {
      var p = props[name];
      var li = el('li', {}, [
        el('code', { text: name }), required.indexOf(name) >= 0 ? el('span', { class: 'req', text: ' *' }) : null, ' ',
        el('span', { class: 't', text: typeOf(p) }),
        p.default !== undefined ? el('span', { class: 'd', text: ' = ' + JSON.stringify(p.default) }) : null,
        p.description ? el('span', { class: 'd', text: ' — ' + p.description }) : null,
      ]);
      var inner = p.type === 'array' ? p.items : p;
      if (inner && inner.properties) li.appendChild(schemaList(inner, depth + 1));
      ul.appendChild(li);
    });
    return ul;
  }
  function operation(path, method, op) {
    var body = el('div', { class: 'body' });
    if (op.description) body.appendChild(el('p', { text: op.description }));
    var params = op.parameters || [];
    if (params.length) {
      body.appendChild(el('h4', { text: 'Parameters' }));
      var ul = el('ul', { class: 'schema' });
      params.forEach(function (p) {
        ul.appendChild(el('li', {}, [el('code', { text: p.name }), p.required ? el('span', { class: 'req', text: ' *' }) : null,
          el('span', { class: 'd', text: ' (' + p.in + ') ' }), el('span', { class: 't', text: typeOf(p.schema) }),
          p.description || (p.schema && p.schema.description) ? el('span', { class: 'd', text: ' — ' + (p.description || p.schema.description) }) : null]));
      });
      body.appendChild(ul);
    }
    var rb = op.requestBody && op.requestBody.content && op.requestBody.content['application/json'];
    if (rb) { body.appendChild(el('h4', { text: 'Request body (JSON)' })); body.appendChild(schemaList(rb.schema, 0)); }
    Object.keys(op.responses || {}).forEach(function (code) {
      var r = op.responses[code];
      var c = r.content && (r.content['application/json'] || r.content[Object.keys(r.content)[0]]);
      body.appendChild(el('h4', { text: 'Response ' + code + (r.description && r.description !== 'Default Response' ? ' — ' + r.description : '') }));
      if (c && c.schema) body.appendChild(c.schema.properties || (c.schema.items && c.schema.items.properties) ? schemaList(c.schema, 0) : el('p', { class: 't', text: typeOf(c.schema) }));
    });
    return el('details', {}, [el('summary', {}, [el('span', { class: 'm ' + method.toUpperCase(), text: method.toUpperCase() }), el('span', { class: 'path', text: path }), el('span', { class: 'd', text: op.summary || '' })]), body]);
  }
  function render(spec) {
    document.getElementById('version').textContent = 'v' + spec.info.version;
    root.textContent = '';
    root.appendChild(el('p', { text: spec.info.description || '' }));
    var groups = {};
    Object.keys(spec.paths).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method];
        var tag = (op.tags && op.tags[0]) || 'other';
        (groups[tag] = groups[tag] || []).push(operation(path, method, op));
      });
    });
    var order = (spec.tags || []).map(function (t) { return t.name; });
    Object.keys(groups).sort(function (a, b) { return (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99); }).forEach(function (tag) {
      root.appendChild(el('h2', { text: tag }));
      groups[tag].forEach(function (d) { root.appendChild(d); });
    });
  }
  function askToken(message) {
    root.textContent = '';
    var input = el('input', { type: 'password', placeholder: 'API token (WEFT_API_TOKEN)', autocomplete: 'off' });
    var form = el('form', {}, [input, el('button', { type: 'submit', text: 'Use token' })]);
    form.addEventListener('submit', function (ev) { ev.preventDefault(); localStorage.setItem(KEY, input.value.trim()); load(); });
    root.appendChild(el('p', { class: 'err', text: message }));
    root.appendChild(form);
  }
  function load() {
    var token = localStorage.getItem(KEY);
    fetch('/api/v1/openapi.json', { headers: token ? { Authorization: 'Bearer ' + token } : {} })
      .then(function (res) {
        if (res.status === 401 || res.status === 403) return res.json().then(function (b) { askToken(b.error ? b.error.message : 'A token is needed.'); });
        if (!res.ok) throw new Error('HTTP ' + res.status);
        return res.json().then(render);
      })
      .catch(function (err) { root.textContent = 'Could not load the API description: ' + err.message; });
  }
  load();
})();
`;
