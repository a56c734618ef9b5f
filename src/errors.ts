/*
 * Errors, as named classes (one place, so every layer throws the same kinds).
 *
 * Two families:
 *  - PyException and its subclasses mirror Python's built-in exceptions. A thread program can
 *    catch them as it would in Python (`catch (e) { if (e instanceof KeyError) ... }`), and
 *    `e.pyType` gives the Python name for reports.
 *  - GilsimError and its subclasses are the simulator's own: misuse of the machine itself
 *    (a free of a pointer that is not a live block, a deadlock found by the watchdog, a bad
 *    configuration). They are never something Python code could see in CPython.
 *
 * No Node imports: this file is shared by the core.
 */

export class PyException extends Error {
  /** The Python exception type name, e.g. 'KeyError'. */
  readonly pyType: string;
  constructor(pyType: string, message: string) {
    super(message);
    this.pyType = pyType;
    this.name = pyType;
  }
}

/** Raised when the heap's maximum is reached. The heap stays valid. */
export class MemoryError extends PyException {
  constructor(message: string) {
    super('MemoryError', message);
  }
}
export class IndexError extends PyException {
  constructor(message: string) {
    super('IndexError', message);
  }
}
export class KeyError extends PyException {
  constructor(message: string) {
    super('KeyError', message);
  }
}
export class AttributeError extends PyException {
  constructor(message: string) {
    super('AttributeError', message);
  }
}
export class PyTypeError extends PyException {
  constructor(message: string) {
    super('TypeError', message);
  }
}
export class ValueError extends PyException {
  constructor(message: string) {
    super('ValueError', message);
  }
}
export class OverflowError extends PyException {
  constructor(message: string) {
    super('OverflowError', message);
  }
}
export class ZeroDivisionError extends PyException {
  constructor(message: string) {
    super('ZeroDivisionError', message);
  }
}
/** Python's ReferenceError: used for a handle to an object that is dead or was freed. */
export class PyReferenceError extends PyException {
  constructor(message: string) {
    super('ReferenceError', message);
  }
}
/** queue.Empty / queue.Full */
export class QueueEmpty extends PyException {
  constructor(message = 'queue is empty') {
    super('Empty', message);
  }
}
export class QueueFull extends PyException {
  constructor(message = 'queue is full') {
    super('Full', message);
  }
}
/** RuntimeError, e.g. releasing an unlocked lock. */
export class PyRuntimeError extends PyException {
  constructor(message: string) {
    super('RuntimeError', message);
  }
}

/** The simulator's own errors. */
export class GilsimError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** free()/realloc() of a pointer that is not a live block (double free included). */
export class InvalidFree extends GilsimError {
  readonly pointer: number;
  constructor(pointer: number, reason: string) {
    super(`invalid free of ${pointer}: ${reason}`);
    this.pointer = pointer;
  }
}

/** A configuration or parameter the simulator cannot accept. */
export class ConfigError extends GilsimError {}

/** The watchdog found threads blocked on each other (or beyond the limit). */
export class DeadlockError extends GilsimError {}

/** A Python thread raised; the run was aborted. */
export class ThreadError extends GilsimError {
  readonly threadName: string;
  readonly threadStack: string;
  constructor(threadName: string, message: string, stack: string) {
    super(`thread '${threadName}' raised: ${message}`);
    this.threadName = threadName;
    this.threadStack = stack;
  }
}

/** The run was aborted because another thread failed; raised in the threads still running. */
export class AbortError extends GilsimError {}

/** A scenario name that is neither built in nor a file; `known` lists the built-in names. */
export class UnknownScenarioError extends ConfigError {
  readonly scenario: string;
  readonly known: readonly string[];
  constructor(scenario: string, known: readonly string[]) {
    super(`unknown scenario '${scenario}' (known: ${known.join(', ')}; or give a path to a .ts file)`);
    this.scenario = scenario;
    this.known = known;
  }
}
