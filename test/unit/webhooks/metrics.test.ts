/**
 * The webhook metrics of the connector (README, "Operations"): deletes counted by what saw them first (a
 * webhook hint, a reconciliation, a poll), and the notification-to-event histogram.
 */
import { Metrics } from '../../../src/observability/metrics';
import { CLOCK_MS, FakeIntercom, aTicket, engineOf } from '../capture/fakes';

const NOW_S = CLOCK_MS / 1000;

describe('webhook metrics', () => {
  it('count deletes by what saw them first: a webhook hint, a reconciliation or a poll', async () => {
    const client = new FakeIntercom();
    for (const id of ['1', '2']) client.put('/tickets', aTicket(id, 100, NOW_S - 10));
    client.put('/admins', { type: 'admin', id: 'a1', name: 'A', email: 'a@example.com' });
    client.put('/admins', { type: 'admin', id: 'a2', name: 'B', email: 'b@example.com' });
    const m = new Metrics();
    const observer = m.engineObserver(() => 0);
    const { engine } = engineOf(client, ['tickets', 'admins'], { deps: { observer } });
    await engine.poll('tickets');
    await engine.poll('admins');
    client.delete('/tickets', '1');
    client.delete('/tickets', '2');
    client.delete('/admins', 'a2');
    expect(await engine.hint('tickets', ['1'])).toBe(1);
    await engine.reconcile('tickets');
    await engine.poll('admins');
    const text = await m.registry.metrics();
    expect(text).toContain('intercom_cdc_deletes_first_seen_total{stream="tickets",by="webhook"} 1');
    expect(text).toContain('intercom_cdc_deletes_first_seen_total{stream="tickets",by="reconciliation"} 1');
    expect(text).toContain('intercom_cdc_deletes_first_seen_total{stream="admins",by="poll"} 1');
  });

  it('time a notification to the commit of its events', async () => {
    const m = new Metrics();
    m.webhookNotificationToEvent.observe({ stream: 'contacts' }, 0.8);
    const text = await m.registry.metrics();
    expect(text).toContain(
      'intercom_cdc_webhook_notification_to_event_seconds_bucket{le="1",stream="contacts"} 1',
    );
    expect(text).toContain(
      'intercom_cdc_webhook_notification_to_event_seconds_bucket{le="0.5",stream="contacts"} 0',
    );
  });
});
