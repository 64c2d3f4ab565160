/**
 * The package's ReplicationConnection and ReplicationStream: the driver's
 * classes (src/replication, which know nothing of rxjs) with Observables.
 *
 * `messages$` emits every message the stream hands out (from the moment of
 * subscription; messages wait in the stream's bounded buffer until someone
 * consumes them) and completes when the stream stops, or errors with the
 * error that ended it. Backpressure is the acknowledgement: messages not
 * yet acknowledged count against the stream's high-water mark, so a
 * subscriber that acknowledges late slows the server down instead of
 * filling memory. `state$` is the stream's state, starting with the current
 * one; `gaps$` emits one {@link ReplicationGap} per outage the stream
 * resumed from. Every value is delivered from the reactor, never from
 * inside the read handler.
 */
import { Observable } from 'rxjs';
import type { Deferred } from '../defer';
import { ReplicationConnection as DriverReplicationConnection } from '../replication/connection';
import type { ConnectionState } from '../connection/state';
import type { ReplicationMessage } from '../replication/message';
import {
  ReplicationStream as DriverReplicationStream, type ReplicationGap, type ReplicationStreamState, type StreamHost, type StreamSetup, type StreamTuning,
} from '../replication/stream';

/** A ReplicationStream with Observables. */
export class ReplicationStream extends DriverReplicationStream {
  /** Every message handed out from subscription on; completes when the stream stops, errors when it fails. */
  get messages$(): Observable<ReplicationMessage> {
    return new Observable<ReplicationMessage>((sub) => {
      const off = this.onMessage((m) => sub.next(m));
      const offEnd = this.onEnd((error) => {
        off();
        if (error === null) sub.complete();
        else sub.error(error);
      });
      return () => {
        off();
        offEnd();
      };
    });
  }

  /** The current state, then every change. */
  get state$(): Observable<ReplicationStreamState> {
    return new Observable<ReplicationStreamState>((sub) => {
      sub.next(this.state);
      return this.onStateChange((state) => this.host.reactor.callSoon(() => sub.next(state)));
    });
  }

  /** One gap per outage the stream resumed from. */
  get gaps$(): Observable<ReplicationGap> {
    return new Observable<ReplicationGap>((sub) => {
      const off = this.onGap((gap) => sub.next(gap));
      const offEnd = this.onEnd(() => sub.complete());
      return () => {
        off();
        offEnd();
      };
    });
  }
}

/** A ReplicationConnection whose streams have Observables, and whose state is one too. */
export class ReplicationConnection extends DriverReplicationConnection {
  /** The connection's state, starting with the current one. */
  get state$(): Observable<ConnectionState> {
    return new Observable<ConnectionState>((sub) => {
      sub.next(this.state);
      return this.onStateChange((state) => this.reactor.callSoon(() => sub.next(state)));
    });
  }

  /** START_REPLICATION; see the driver's `startReplication`. */
  override startReplication(...args: Parameters<DriverReplicationConnection['startReplication']>): ReplicationStream {
    return super.startReplication(...args) as ReplicationStream;
  }

  protected override createStream(host: StreamHost, mode: 'logical' | 'physical', setup: () => Deferred<StreamSetup>, tuning: StreamTuning): ReplicationStream {
    return new ReplicationStream(host, mode, setup, tuning);
  }
}
