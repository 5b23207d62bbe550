/** The weft dashboard: runs, a run's live dependency graph, task detail, metrics. Hash routes: #/, #/runs/ID, #/metrics. */
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, getToken, setToken, type WhoAmI } from './api';
import { MetricsView } from './components/MetricsView';
import { RunList } from './components/RunList';
import { RunView } from './components/RunView';
import './styles.css';

function useHash(): [string, (h: string) => void] {
  const [hash, setHash] = useState(location.hash || '#/');
  useEffect(() => {
    const on = () => setHash(location.hash || '#/');
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return [hash, (h: string) => (location.hash = h)];
}

function TokenForm({ message, onSaved }: { message: string; onSaved: () => void }) {
  const [value, setValue] = useState('');
  return (
    <form
      class="token"
      onSubmit={(e) => {
        e.preventDefault();
        setToken(value.trim());
        onSaved();
      }}
    >
      <p class="error">{message}</p>
      <label for="token">API token (WEFT_API_TOKEN)</label>
      <input id="token" type="password" placeholder="API token (WEFT_API_TOKEN)" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} autocomplete="off" />
      <button type="submit">Use token</button>
    </form>
  );
}

function App() {
  const [hash, navigate] = useHash();
  const [me, setMe] = useState<WhoAmI | null>(null);
  const [authError, setAuthError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    api<WhoAmI>('/api/v1/whoami')
      .then((w) => (setMe(w), setAuthError(null)))
      .catch((e) => setAuthError(e instanceof ApiError && (e.status === 401 || e.status === 403) ? e.message : `Cannot reach the API: ${(e as Error).message}`));
  }, [attempt]);

  const route = /^#\/runs\/([0-9a-z]+)(?:\/tasks\/([^/?]+))?/.exec(hash);
  const run = route?.[1];
  const task = route?.[2] ? decodeURIComponent(route[2]) : null;
  let body;
  if (authError) body = <><h1>Sign in</h1><TokenForm message={authError} onSaved={() => setAttempt((n) => n + 1)} /></>;
  else if (!me) body = <><h1>weft</h1><p>Loading…</p></>;
  else if (run) body = <RunView runId={run} taskId={task} canOperate={me.role !== 'viewer'} navigate={navigate} />;
  else if (hash.startsWith('#/metrics')) body = <MetricsView />;
  else body = <RunList />;

  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="top">
        <a class="brand" href="#/">weft</a>
        <nav aria-label="Main">
          <a href="#/" class={!run && !hash.startsWith('#/metrics') ? 'on' : ''} aria-current={!run && !hash.startsWith('#/metrics') ? 'page' : undefined}>Runs</a>
          <a href="#/metrics" class={hash.startsWith('#/metrics') ? 'on' : ''} aria-current={hash.startsWith('#/metrics') ? 'page' : undefined}>Metrics</a>
          <a href="/api/docs">API</a>
        </nav>
        <span class="who">
          {me ? (me.auth ? `${me.actor} (${me.role})` : 'no auth (local)') : ''}
          {getToken() ? (
            <button class="plain" onClick={() => (setToken(null), setAttempt((n) => n + 1))}>forget token</button>
          ) : null}
        </span>
      </header>
      <main id="main" tabIndex={-1}>{body}</main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
