/** reactorScheduler on VirtualReactor: time-based operators move only with advance(). */
import { debounceTime, interval, Subject, take, timer } from 'rxjs';
import { VirtualReactor } from '../../reactor/virtual/virtual';
import { reactorScheduler } from '../../src/rx/scheduler';

describe('reactorScheduler', () => {
  it('reports the reactor clock as now()', () => {
    const reactor = new VirtualReactor();
    const s = reactorScheduler(reactor);
    reactor.advance(1234);
    expect(s.now()).toBe(reactor.now());
  });

  it('fires timer() only when the virtual clock reaches its delay', () => {
    const reactor = new VirtualReactor();
    const fired: number[] = [];
    timer(100, reactorScheduler(reactor)).subscribe(() => fired.push(reactor.now()));
    reactor.advance(99);
    expect(fired).toEqual([]);
    reactor.advance(1);
    expect(fired).toHaveLength(1);
  });

  it('repeats interval() through rescheduling, and stops on unsubscribe', () => {
    const reactor = new VirtualReactor();
    const got: number[] = [];
    const sub = interval(10, reactorScheduler(reactor)).subscribe((i) => got.push(i));
    for (let i = 0; i < 5; i++) reactor.advance(10);
    expect(got).toEqual([0, 1, 2, 3, 4]);
    sub.unsubscribe();
    reactor.advance(100);
    expect(got).toHaveLength(5);
  });

  it('debounces on virtual time: only the last value of a burst, after the quiet period', () => {
    const reactor = new VirtualReactor();
    const input = new Subject<string>();
    const out: string[] = [];
    input.pipe(debounceTime(50, reactorScheduler(reactor))).subscribe((v) => out.push(v));
    input.next('a');
    reactor.advance(30);
    input.next('b');
    reactor.advance(49);
    expect(out).toEqual([]);
    reactor.advance(1);
    expect(out).toEqual(['b']);
  });

  it('takes a finite number of ticks and completes', () => {
    const reactor = new VirtualReactor();
    let completed = false;
    interval(5, reactorScheduler(reactor)).pipe(take(3)).subscribe({ complete: () => (completed = true) });
    reactor.advance(14);
    expect(completed).toBe(false);
    reactor.advance(1);
    expect(completed).toBe(true);
  });
});
