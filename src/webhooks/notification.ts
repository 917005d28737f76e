/**
 * An Intercom webhook notification (`notification_event`), read from a verified body: what the receiver
 * needs to file it (README, "Webhooks"). Pure. Only the envelope is read; `data.item` is kept as sent,
 * in the raw body the receiver writes, for the connector to treat as a hint, never as data.
 */

/** A verified body, understood: a ping (acknowledged, not kept) or a notification to keep. */
export type Notification =
  | { kind: 'ping'; appId: string }
  | {
      kind: 'notification';
      appId: string;
      /** Intercom's notification id (`notif_…`): the same on every delivery attempt of one notification. */
      id: string;
      /** e.g. `contact.user.created`, `conversation.admin.replied`, `contact.deleted`. */
      topic: string;
      /** The object type the topic is about: its first segment (`contact`, `conversation`, `company`, …). */
      object: string;
      /** `data.item.id`, as a string. */
      itemId: string;
      /** `created_at`, unix seconds (0 when absent). */
      createdAt: number;
    };

/** Why a body is not a notification the receiver can file (the reason label of a 400). */
export class MalformedNotification extends Error {
  constructor(readonly reason: string) {
    super(`malformed notification: ${reason}`);
  }
}

const PING_TOPIC = 'ping';
const TOPIC = /^[a-z_]+(\.[a-z_]+)*$/;

/**
 * Reads `body` (bytes whose signature was checked) as a notification. Throws MalformedNotification
 * when it is not JSON, not a `notification_event`, or lacks `app_id`, `id`, `topic` or (but for a ping)
 * `data.item.id`; the message names the field, never its value.
 */
export function parseNotification(body: Buffer): Notification {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedNotification('not JSON');
  }
  if (!isObject(value)) throw new MalformedNotification('not a JSON object');
  if (value.type !== 'notification_event') throw new MalformedNotification('type is not notification_event');
  const appId = text(value.app_id, 'app_id');
  const topic = text(value.topic, 'topic');
  if (!TOPIC.test(topic) || topic.length > 100) throw new MalformedNotification('topic is not a topic name');
  if (topic === PING_TOPIC) return { kind: 'ping', appId };
  const id = text(value.id, 'id');
  const item = isObject(value.data) ? value.data.item : undefined;
  if (!isObject(item)) throw new MalformedNotification('data.item missing');
  const itemId = typeof item.id === 'number' && Number.isSafeInteger(item.id) ? String(item.id) : item.id;
  return {
    kind: 'notification',
    appId,
    id,
    topic,
    object: topic.split('.')[0] as string,
    itemId: text(itemId, 'data.item.id'),
    createdAt: typeof value.created_at === 'number' ? value.created_at : 0,
  };
}

/**
 * The Kafka key of a notification: `<app_id>:<object>:<item id>`. Every notification of one object of
 * one workspace lands in one partition, in the order the receivers wrote them.
 */
export function notificationKey(n: { appId: string; object: string; itemId: string }): string {
  return `${n.appId}:${n.object}:${n.itemId}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function text(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '' || v.length > 200)
    throw new MalformedNotification(`${field} missing`);
  return v;
}
