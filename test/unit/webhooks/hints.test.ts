import { SeenNotifications, hintsOf } from '../../../src/webhooks/hints';

const filed = (key: string, notificationId: string) => ({ key, notificationId });

describe('hints from filed notifications', () => {
  it("are this workspace's objects per stream, each once, whatever the order or repetition", () => {
    const hints = hintsOf(
      [
        filed('ws1:contact:c1', 'n1'),
        filed('ws1:conversation:9', 'n2'),
        filed('ws1:contact:c1', 'n3'),
        filed('ws2:contact:c2', 'n4'),
        filed('ws1:company:co1', 'n5'),
        filed('ws1:ticket:t1', 'n6'),
        filed('ws1:visitor:v1', 'n7'),
        filed('ws1:contact:', 'n8'),
        filed('ws1:nonsense', 'n9'),
      ],
      'ws1',
      new SeenNotifications(),
    );
    expect(Object.fromEntries(hints)).toEqual({
      contacts: ['c1'],
      conversations: ['9'],
      companies: ['co1'],
      tickets: ['t1'],
    });
  });

  it('skip a notification already seen (a redelivery), within a batch and across batches', () => {
    const seen = new SeenNotifications(2);
    expect(
      Object.fromEntries(hintsOf([filed('ws:contact:a', 'n1'), filed('ws:contact:b', 'n1')], 'ws', seen)),
    ).toEqual({
      contacts: ['a'],
    });
    expect(hintsOf([filed('ws:contact:a', 'n1')], 'ws', seen).size).toBe(0);
    // Past its capacity the oldest id is forgotten: a very late redelivery costs one more read, no more.
    hintsOf([filed('ws:contact:x', 'n2'), filed('ws:contact:y', 'n3')], 'ws', seen);
    expect(Object.fromEntries(hintsOf([filed('ws:contact:a', 'n1')], 'ws', seen))).toEqual({
      contacts: ['a'],
    });
  });
});
