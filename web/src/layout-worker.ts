/** The Web Worker that lays graphs out, so a 10,000-task layout never blocks the page. */
import { computeLayout, type LayoutInput } from './graph-layout';

self.onmessage = (e: MessageEvent<{ id: number; input: LayoutInput }>) => {
  const layout = computeLayout(e.data.input);
  (self as unknown as Worker).postMessage({ id: e.data.id, layout });
};
