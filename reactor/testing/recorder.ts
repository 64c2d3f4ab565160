/**
 * A {@link TransportHandler} for tests that records what happens to it.
 *
 * Theory of operation. Every event (`made`, `data`, `eof`, `lost`) is
 * appended to `events`, bytes are counted and (unless told not to) kept, and
 * optional hooks run after the recording, so a test can answer, close or
 * check a pattern from inside the reactor's call. A test then drives the
 * reactor until a field says what it waits for (`transport`, `isLost`,
 * `received`).
 */
import type { Transport, TransportHandler } from '../interfaces';

/** Hooks a {@link Recorder} runs after recording each event; `keep: false` counts bytes without keeping them. */
export interface RecorderHooks {
  made?: (t: Transport, r: Recorder) => void;
  data?: (bytes: Uint8Array, r: Recorder) => void;
  /** When given, the recorder has `eofReceived` (and so keeps its side open on EOF). */
  eof?: (r: Recorder) => void;
  keep?: boolean;
}

/** A TransportHandler that records what happens and runs optional hooks. */
export class Recorder implements TransportHandler {
  /** The transport, once `connectionMade` has run. */
  transport: Transport | undefined;
  /** Copies of the bytes received (empty with `keep: false`). */
  readonly chunks: Uint8Array[] = [];
  /** `made`, `data`, `eof`, `lost`, in the order they happened. */
  readonly events: string[] = [];
  /** How many bytes arrived. */
  received = 0;
  /** True once `eofReceived` ran (only with an `eof` hook). */
  eof = false;
  /** undefined until connectionLost; then the reason. */
  lost: Error | null | undefined = undefined;
  /** Present only when an `eof` hook was given. */
  eofReceived?: () => void;
  /** The first offset whose byte was not the test pattern (for handlers that check it), or -1. */
  mismatch = -1;

  /** A recorder running `hooks`. */
  constructor(private readonly hooks: RecorderHooks = {}) {
    if (hooks.eof) this.eofReceived = () => {
      this.eof = true;
      this.events.push('eof');
      hooks.eof?.(this);
    };
  }

  /** Records `made` and keeps the transport. */
  connectionMade(transport: Transport): void {
    this.transport = transport;
    this.events.push('made');
    this.hooks.made?.(transport, this);
  }

  /** Records `data`, counts (and keeps) the bytes. */
  dataReceived(bytes: Uint8Array): void {
    this.received += bytes.length;
    if (this.hooks.keep !== false) this.chunks.push(bytes.slice());
    this.events.push('data');
    this.hooks.data?.(bytes, this);
  }

  /** Records `lost` and its reason. */
  connectionLost(reason: Error | null): void {
    this.events.push('lost');
    this.lost = reason;
  }

  /** Everything received, decoded as latin1 text. */
  text(): string {
    return Buffer.concat(this.chunks).toString('latin1');
  }

  /** True once `connectionLost` ran. */
  get isLost(): boolean {
    return this.lost !== undefined;
  }
}
