/**
 * Installs a capture of unhandled Deferred failures around every test of the
 * calling file and fails the test if any was left unhandled.
 */
import { captureUnhandledFailures, type CapturedFailures } from '../../../src/defer/hooks';

export function failOnUnhandledFailures(): void {
  let capture: CapturedFailures | undefined;
  beforeEach(() => {
    capture = captureUnhandledFailures();
  });
  afterEach(() => {
    const left = (capture as CapturedFailures).restore();
    expect(left).toEqual([]);
  });
}
