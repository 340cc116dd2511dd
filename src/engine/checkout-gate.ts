import type { SandboxHandle } from '../core/index.js';

/**
 * A warm machine's follow-up starts thinking while its host checkout is still being checked
 * against the remote (and, if the branch or base moved, cloned again and copied in): the model
 * call needs none of it. Nothing reaches the machine before that is done: every call on the
 * handle waits for it, and fails with its error. `failed` aborts when the check fails, so the
 * agent loop stops and the run fails with that error.
 */
export interface CheckoutGate {
  handle: SandboxHandle;
  /** Settles when the checkout is ready in the machine; rejects with why it is not. */
  ready: Promise<void>;
  failed: AbortSignal;
}

export function gateHandle(handle: SandboxHandle, ready: Promise<void>): CheckoutGate {
  const failing = new AbortController();
  // Rejections are seen through `failed` and `ready`; this keeps them from counting as unhandled.
  ready.catch((error: unknown) => failing.abort(error));
  const gated = new Proxy(handle, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => ready.then(() => (value as (...a: unknown[]) => unknown).apply(target, args));
    },
  });
  return { handle: gated, ready, failed: failing.signal };
}
