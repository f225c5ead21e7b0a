/**
 * Stands in for `@vladfrangu/async_event_emitter` in the Worker bundle (wrangler.toml `[alias]`): @discordjs/rest
 * only extends it to emit debug, sweep and rate-limit events, and the package bundles a Node `util.inspect` copy
 * (~140 KiB) the Worker never needs. Same surface REST and its users touch: on/once/off/emit/listenerCount.
 */
type Listener = (...args: unknown[]) => unknown;

export class AsyncEventEmitter {
  private readonly listeners = new Map<PropertyKey, Listener[]>();

  on(event: PropertyKey, listener: Listener): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener]);
    return this;
  }

  addListener(event: PropertyKey, listener: Listener): this {
    return this.on(event, listener);
  }

  once(event: PropertyKey, listener: Listener): this {
    const wrapped: Listener = (...args) => {
      this.off(event, wrapped);
      return listener(...args);
    };
    return this.on(event, wrapped);
  }

  off(event: PropertyKey, listener: Listener): this {
    const left = (this.listeners.get(event) ?? []).filter((l) => l !== listener);
    if (left.length) this.listeners.set(event, left);
    else this.listeners.delete(event);
    return this;
  }

  removeListener(event: PropertyKey, listener: Listener): this {
    return this.off(event, listener);
  }

  removeAllListeners(event?: PropertyKey): this {
    if (event === undefined) this.listeners.clear();
    else this.listeners.delete(event);
    return this;
  }

  listenerCount(event: PropertyKey): number {
    return this.listeners.get(event)?.length ?? 0;
  }

  /** Listeners run in order; one that throws or rejects is reported, never thrown into the REST call. */
  emit(event: PropertyKey, ...args: unknown[]): boolean {
    const listeners = this.listeners.get(event);
    if (!listeners?.length) return false;
    for (const listener of [...listeners]) {
      try {
        const result = listener(...args);
        if (result instanceof Promise)
          result.catch((error) => console.error(JSON.stringify({ level: "error", event: "rest.listener_failed", error: String(error) })));
      } catch (error) {
        console.error(JSON.stringify({ level: "error", event: "rest.listener_failed", error: String(error) }));
      }
    }
    return true;
  }
}
