// What a Mosquitto log with every packet (startMosquitto({ logPackets: true })) says about a miscount: whether the
// publisher sent a reading twice (a resend after its own reconnect: the broker then holds two copies), and whether
// the broker sent a message to the subscriber twice without DUP (it does after a send that failed because the
// subscriber had just died: the first copy never arrived). A reading counted twice with neither is Sluice's.
const PUBLISH = /^(\S+) (Received|Sending) PUBLISH (from|to) (\S+) \(d(\d), q\d, r\d, m(\d+), '([^']*)'/;

export interface PublishTally {
  /** PUBLISH packets from the publisher, without and with DUP. */
  fromPublisher: { d0: number; d1: number };
  /** PUBLISH packets to the subscriber, without and with DUP. */
  toSubscriber: { d0: number; d1: number };
  /** Messages sent to the subscriber without DUP more than once (its n-th message from the publisher, counted
   * from 0, with the log lines of both sends and whatever the broker logged between them about the client). */
  resentWithoutDup: { message: number; sends: string[] }[];
}

/**
 * Tallies the PUBLISH packets between one publisher and one subscriber. Assumes the publisher's messages reach the
 * subscriber in order (one publisher, one subscription, QoS 1), so the n-th first send to the subscriber is the
 * n-th message the publisher sent.
 */
export function publishTally(log: string, publisher: string, subscriber: string): PublishTally {
  const tally: PublishTally = {
    fromPublisher: { d0: 0, d1: 0 },
    toSubscriber: { d0: 0, d1: 0 },
    resentWithoutDup: [],
  };
  // First sends (d0) to the subscriber in order; a d0 send of the same packet id and topic as an earlier d0 send
  // that was never acknowledged in between is a resend without DUP.
  const lines = log.split('\n');
  const open = new Map<string, { message: number; line: number }>(); // `${mid} ${topic}` of unacknowledged sends
  let firstSends = 0;
  for (const [i, line] of lines.entries()) {
    const m = PUBLISH.exec(line);
    if (m === null) {
      const ack = /Received PUBACK from (\S+) \(Mid: (\d+)/.exec(line);
      if (ack?.[1] === subscriber) {
        for (const key of open.keys()) if (key.startsWith(`${ack[2] ?? ''} `)) open.delete(key);
      }
      continue;
    }
    const [, , direction, , client, dup, mid, topic] = m;
    if (direction === 'Received' && client === publisher) {
      tally.fromPublisher[dup === '1' ? 'd1' : 'd0']++;
    } else if (direction === 'Sending' && client === subscriber) {
      tally.toSubscriber[dup === '1' ? 'd1' : 'd0']++;
      if (dup === '1') continue;
      const key = `${mid ?? ''} ${topic ?? ''}`;
      const earlier = open.get(key);
      if (earlier === undefined) {
        open.set(key, { message: firstSends++, line: i });
        continue;
      }
      const between = lines
        .slice(earlier.line + 1, i)
        .filter((l) => l.includes(subscriber) && !l.includes('PUBLISH') && !l.includes('PUBACK'));
      tally.resentWithoutDup.push({
        message: earlier.message,
        sends: [lines[earlier.line] ?? '', ...between, line],
      });
    }
  }
  return tally;
}

/** A tally as lines for a failure message. */
export function brokerSide(tally: PublishTally): string {
  return [
    `broker: from the publisher ${tally.fromPublisher.d0} PUBLISH + ${tally.fromPublisher.d1} with DUP; to the ` +
      `subscriber ${tally.toSubscriber.d0} + ${tally.toSubscriber.d1} with DUP`,
    ...tally.resentWithoutDup.map(
      (r) => `broker sent message #${r.message} again without DUP:\n  ${r.sends.join('\n  ')}`,
    ),
  ].join('\n');
}
