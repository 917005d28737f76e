/**
 * From filed notifications to hints (README, "Webhooks"): which objects of which stream a batch of
 * webhooks topic records says may have changed in one workspace. Pure. A notification is a hint,
 * never data: only the object's stream and id are taken from it; the capture reads the object itself.
 */
import type { StreamName } from '../streams/names';

/** The stream each notification object type is read from (the first segment of its topic). */
export const HINTED_STREAMS: Readonly<Record<string, StreamName>> = {
  contact: 'contacts',
  conversation: 'conversations',
  company: 'companies',
  ticket: 'tickets',
};

/** One record of the webhooks topic, as the hints need it. */
export interface FiledNotification {
  /** `<app_id>:<object>:<item id>` (notification.ts). */
  key: string;
  /** The `intercom-notification-id` header. */
  notificationId: string;
}

/** The notification ids seen lately (the last `capacity`), so that a redelivery costs no second read. */
export class SeenNotifications {
  private readonly ids = new Set<string>();

  constructor(private readonly capacity = 100_000) {}

  /** Whether `id` was seen before; remembers it (the oldest is forgotten past the capacity). */
  seen(id: string): boolean {
    if (this.ids.has(id)) return true;
    this.ids.add(id);
    if (this.ids.size > this.capacity) this.ids.delete(this.ids.values().next().value as string);
    return false;
  }
}

/**
 * The stream and the object id a record's key names for `workspaceId` (`<workspace>:<object>:<item id>`),
 * or undefined for another workspace's record, an object type no stream reads or a malformed key.
 */
export function hintKey(key: string, workspaceId: string): { stream: StreamName; id: string } | undefined {
  const prefix = `${workspaceId}:`;
  if (!key.startsWith(prefix)) return undefined;
  const rest = key.slice(prefix.length);
  const colon = rest.indexOf(':');
  if (colon <= 0 || colon === rest.length - 1) return undefined;
  const stream = HINTED_STREAMS[rest.slice(0, colon)];
  return stream && { stream, id: rest.slice(colon + 1) };
}

/**
 * The objects to read per stream for `workspaceId`, each id once, from a batch of filed notifications:
 * other workspaces' records, object types no stream reads, malformed keys and notifications already
 * seen are left out.
 */
export function hintsOf(
  records: readonly FiledNotification[],
  workspaceId: string,
  seen: SeenNotifications,
): Map<StreamName, string[]> {
  const byStream = new Map<StreamName, Set<string>>();
  for (const { key, notificationId } of records) {
    const hint = hintKey(key, workspaceId);
    if (!hint) continue;
    if (notificationId !== '' && seen.seen(notificationId)) continue;
    const ids = byStream.get(hint.stream) ?? new Set<string>();
    ids.add(hint.id);
    byStream.set(hint.stream, ids);
  }
  return new Map([...byStream].map(([stream, ids]) => [stream, [...ids]]));
}
