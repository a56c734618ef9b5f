/*
 * A Node MessagePort as a comlink Endpoint (what comlink's node-adapter does, typed).
 */

import type { MessagePort } from 'node:worker_threads';
import type { Endpoint } from 'comlink';

type Listener = Parameters<Endpoint['addEventListener']>[1];

export function portEndpoint(port: MessagePort): Endpoint {
  const wrapped = new WeakMap<Listener, (data: unknown) => void>();
  return {
    postMessage: (message: unknown, transfer?: unknown[]) => port.postMessage(message, transfer as never),
    addEventListener(_type: string, listener: Listener) {
      const l = (data: unknown): void => {
        const ev = { data } as never;
        if (typeof listener === 'function') listener(ev);
        else listener.handleEvent(ev);
      };
      wrapped.set(listener, l);
      port.on('message', l);
    },
    removeEventListener(_type: string, listener: Listener) {
      const l = wrapped.get(listener);
      if (l) port.off('message', l);
    },
    start: () => port.start(),
  };
}
