// emitter.js — a tiny synchronous event emitter shared by doc.js, sync.js,
// store.js and undo.js. Owned by the sync/store/undo helper.
//
// Listeners run in registration order; a listener that throws does not stop
// the others (the error is reported asynchronously so it still surfaces).

export class Emitter {
  constructor() {
    this._listeners = new Map();
  }

  on(type, fn) {
    let set = this._listeners.get(type);
    if (!set) {
      set = new Set();
      this._listeners.set(type, set);
    }
    set.add(fn);
    return () => this.off(type, fn);
  }

  off(type, fn) {
    const set = this._listeners.get(type);
    if (set) set.delete(fn);
  }

  emit(type, value) {
    const set = this._listeners.get(type);
    if (!set || set.size === 0) return;
    // Copy so listeners may unsubscribe while we iterate.
    for (const fn of [...set]) {
      try {
        fn(value);
      } catch (err) {
        queueMicrotask(() => { throw err; });
      }
    }
  }
}
