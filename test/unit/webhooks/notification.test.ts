import {
  MalformedNotification,
  notificationKey,
  parseNotification,
} from '../../../src/webhooks/notification';

/** A notification shaped as Intercom's docs show one. */
const notification = (over: Record<string, unknown> = {}) => ({
  type: 'notification_event',
  app_id: 'abc123',
  data: { type: 'notification_event_data', item: { type: 'contact', id: '6650a1b2c3', role: 'user' } },
  links: {},
  id: 'notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e',
  topic: 'contact.user.created',
  delivery_status: 'pending',
  delivery_attempts: 1,
  delivered_at: 0,
  first_sent_at: 1571080403,
  created_at: 1571080403,
  self: null,
  ...over,
});
const parse = (v: unknown) => parseNotification(Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)));
const reason = (v: unknown) => {
  try {
    parse(v);
    return 'parsed';
  } catch (error) {
    return error instanceof MalformedNotification ? error.reason : String(error);
  }
};

describe('a webhook notification', () => {
  it('is read from its envelope: workspace, notification id, topic, object and item id', () => {
    expect(parse(notification())).toEqual({
      kind: 'notification',
      appId: 'abc123',
      id: 'notif_4e3504a3-ba3f-46dc-ab48-8e4d5bdfdf4e',
      topic: 'contact.user.created',
      object: 'contact',
      itemId: '6650a1b2c3',
      createdAt: 1571080403,
    });
  });

  it('is keyed by workspace and object, so every notification of one object shares a partition', () => {
    const created = parse(notification());
    const deleted = parse(
      notification({ topic: 'contact.deleted', id: 'notif_2', data: { item: { id: '6650a1b2c3' } } }),
    );
    if (created.kind !== 'notification' || deleted.kind !== 'notification') throw new Error('not parsed');
    expect(notificationKey(created)).toBe('abc123:contact:6650a1b2c3');
    expect(notificationKey(deleted)).toBe(notificationKey(created));
    const conversation = parse(
      notification({ topic: 'conversation.admin.replied', data: { item: { type: 'conversation', id: 42 } } }),
    );
    expect(conversation).toMatchObject({ object: 'conversation', itemId: '42' });
  });

  it('is a ping when its topic is ping (no item needed)', () => {
    expect(parse(notification({ topic: 'ping', data: { item: { type: 'ping', message: 'hi' } } }))).toEqual({
      kind: 'ping',
      appId: 'abc123',
    });
  });

  it('is malformed without JSON, the notification_event type, app_id, id, topic or data.item.id', () => {
    expect(reason('{not json')).toBe('not JSON');
    expect(reason([1])).toBe('not a JSON object');
    expect(reason(notification({ type: 'event' }))).toBe('type is not notification_event');
    expect(reason(notification({ app_id: undefined }))).toBe('app_id missing');
    expect(reason(notification({ id: '' }))).toBe('id missing');
    expect(reason(notification({ topic: 7 }))).toBe('topic missing');
    expect(reason(notification({ topic: 'Contact Created!' }))).toBe('topic is not a topic name');
    expect(reason(notification({ data: {} }))).toBe('data.item missing');
    expect(reason(notification({ data: { item: { type: 'contact' } } }))).toBe('data.item.id missing');
  });
});
