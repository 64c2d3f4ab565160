/**
 * Notifications (LISTEN/NOTIFY) and the gap marker that follows an outage.
 */

/** A NOTIFY received from the server. */
export class Notification {
  /**
   * @param channel the channel name
   * @param payload the payload ('' when none)
   * @param pid the process id of the notifying backend
   */
  constructor(
    readonly channel: string,
    readonly payload: string,
    readonly pid: number,
  ) {}
}

/**
 * Emitted by `listen(channel)` after an outage, before the first notification
 * received after recovery: the connection was down from `from` to `to`
 * (reactor milliseconds) and notifications sent meanwhile may be lost.
 */
export class NotificationGap {
  constructor(
    readonly channel: string,
    readonly from: number,
    readonly to: number,
  ) {}
}
