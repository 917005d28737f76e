import { Metrics, statusClass } from '../../../src/observability/metrics';
import { packageVersion } from '../../../src/version';

describe('Metrics', () => {
  it('exposes request latency by method, route and status class, process metrics and build info', async () => {
    const m = new Metrics(() => 0);
    const observer = m.clientObserver();
    observer.request?.({ method: 'POST', route: '/contacts/search', status: 200, durationMs: 120 });
    observer.request?.({ method: 'GET', route: '/admins', status: 429, durationMs: 30 });
    const text = await m.registry.metrics();
    expect(text).toMatch(
      /intercom_cdc_api_request_duration_seconds_bucket\{le="0.25",method="POST",route="\/contacts\/search",status_class="2xx"\} 1/,
    );
    expect(text).toMatch(
      /intercom_cdc_api_request_duration_seconds_count\{method="GET",route="\/admins",status_class="429"\} 1/,
    );
    expect(text).toMatch(/^process_cpu_seconds_total /m);
    expect(text).toMatch(/^nodejs_heap_size_used_bytes /m);
    expect(text).toContain(
      `intercom_cdc_build_info{version="${packageVersion()}",node_version="${process.version}"} 1`,
    );
  });

  it('counts header waits that were capped, by header', async () => {
    const m = new Metrics(() => 0);
    const o = m.clientObserver();
    o.headerWaitCapped?.({ header: 'retry-after', waitMs: 1e12, capMs: 600_000 });
    o.headerWaitCapped?.({ header: 'retry-after', waitMs: 1e12, capMs: 600_000 });
    o.headerWaitCapped?.({ header: 'x-ratelimit-reset', waitMs: 1e9, capMs: 600_000 });
    const text = await m.registry.metrics();
    expect(text).toContain('intercom_cdc_api_header_waits_capped_total{header="retry-after"} 2');
    expect(text).toContain('intercom_cdc_api_header_waits_capped_total{header="x-ratelimit-reset"} 1');
  });

  it('adds up the time the rate limiter held requests back, by reason', async () => {
    const m = new Metrics(() => 0);
    const o = m.clientObserver();
    o.throttled?.({ waitMs: 1500, reason: '429' });
    o.throttled?.({ waitMs: 500, reason: '429' });
    o.throttled?.({ waitMs: 250, reason: 'budget' });
    const text = await m.registry.metrics();
    expect(text).toMatch(/^intercom_cdc_api_rate_limit_wait_seconds_total\{reason="429"\} 2$/m);
    expect(text).toMatch(/^intercom_cdc_api_rate_limit_wait_seconds_total\{reason="budget"\} 0.25$/m);
  });

  it('tells the seconds since each stream last published an event', async () => {
    let now = 1_000_000;
    const m = new Metrics(() => now);
    const engine = m.engineObserver(() => 0);
    engine.committed?.('tags', { events: { tags: { c: 2 } }, dlq: {} } as never);
    now += 42_000;
    expect(await m.registry.metrics()).toMatch(
      /intercom_cdc_stream_seconds_since_last_event\{stream="tags"\} 42/,
    );
  });

  it("sets each committed stream's state objects and estimated bytes from the store", async () => {
    const m = new Metrics(() => 0);
    const sizes: Record<string, number> = { contacts: 3, tags: 1 };
    const bytes: Record<string, number> = { contacts: 192, tags: 64 };
    const engine = m.engineObserver(
      (s) => sizes[s] ?? 0,
      (s) => bytes[s] ?? 0,
    );
    engine.committed?.('contacts', { events: { contacts: { c: 3 }, tags: { c: 1 } }, dlq: {} } as never);
    let text = await m.registry.metrics();
    expect(text).toMatch(/^intercom_cdc_state_objects\{stream="contacts"\} 3$/m);
    expect(text).toMatch(/^intercom_cdc_state_bytes\{stream="contacts"\} 192$/m);
    expect(text).toMatch(/^intercom_cdc_state_bytes\{stream="tags"\} 64$/m);
    // A later commit sets the gauge again: it follows the store, it does not add up.
    bytes.contacts = 128;
    engine.committed?.('contacts', { events: { contacts: { d: 1 } }, dlq: {} } as never);
    text = await m.registry.metrics();
    expect(text).toMatch(/^intercom_cdc_state_bytes\{stream="contacts"\} 128$/m);
  });

  it("offers the engine's concurrency and snapshot gauges", async () => {
    const m = new Metrics();
    m.setRequestsInFlight(3);
    m.setMaxInFlight(8);
    m.snapshotProgress('contacts', {
      slicesDone: 4,
      slicesTotal: 10,
      objectsRead: 600,
      estimatedCompletionSeconds: 90,
    });
    const text = await m.registry.metrics();
    expect(text).toMatch(/^intercom_cdc_api_requests_in_flight 3$/m);
    expect(text).toMatch(/^intercom_cdc_api_max_in_flight 8$/m);
    expect(text).toMatch(/^intercom_cdc_snapshot_slices_done\{stream="contacts"\} 4$/m);
    expect(text).toMatch(/^intercom_cdc_snapshot_slices_total\{stream="contacts"\} 10$/m);
    expect(text).toMatch(/^intercom_cdc_snapshot_objects_read\{stream="contacts"\} 600$/m);
    expect(text).toMatch(/^intercom_cdc_snapshot_estimated_completion_seconds\{stream="contacts"\} 90$/m);
  });

  it('takes in-flight requests from the client and snapshot progress, with an estimate, from the engine', async () => {
    let now = 100_000;
    const m = new Metrics(() => now);
    m.clientObserver().inFlight?.({ inFlight: 41, bound: 64 });
    const engine = m.engineObserver(() => 0);
    // 3,000 of 12,000 objects read in the 30 s since the snapshot started: 90 s to go at that pace.
    engine.slices?.('contacts', 'snapshot', {
      slicesDone: 5,
      slicesTotal: 20,
      objectsRead: 3000,
      objectsTotal: 12_000,
      startedAtMs: now - 30_000,
    });
    engine.slices?.('tickets', 'reconcile', {
      slicesDone: 1,
      slicesTotal: 2,
      objectsRead: 5,
      startedAtMs: now,
    });
    now += 1;
    const text = await m.registry.metrics();
    expect(text).toMatch(/^intercom_cdc_api_requests_in_flight 41$/m);
    expect(text).toMatch(/^intercom_cdc_api_max_in_flight 64$/m);
    expect(text).toMatch(/^intercom_cdc_snapshot_slices_done\{stream="contacts"\} 5$/m);
    expect(text).toMatch(/^intercom_cdc_snapshot_estimated_completion_seconds\{stream="contacts"\} 90$/m);
    expect(text).not.toMatch(/snapshot_slices_done\{stream="tickets"\}/); // a reconciliation is not a snapshot
  });

  it("sets each stream's completeness gauges at the engine's measure; no count, no gap series", async () => {
    const m = new Metrics(() => 0);
    const observer = m.engineObserver(() => 0);
    observer.completeness?.({
      stream: 'conversations',
      reported: 12,
      held: 10,
      gap: 2,
      partsGaps: [{ id: '7', counted: 640, captured: 500 }],
      partsMissing: 140,
    });
    observer.completeness?.({
      stream: 'admins',
      reported: null,
      held: 3,
      gap: null,
      partsGaps: [],
      partsMissing: 0,
    });
    const text = await m.registry.metrics();
    expect(text).toContain('intercom_cdc_completeness_gap{stream="conversations"} 2');
    expect(text).not.toContain('intercom_cdc_completeness_gap{stream="admins"}');
    expect(text).toContain('intercom_cdc_completeness_parts_missing{stream="conversations"} 140');
    expect(text).toContain('intercom_cdc_completeness_parents_missing_parts{stream="conversations"} 1');
    expect(text).toContain('intercom_cdc_completeness_parts_missing{stream="admins"} 0');
  });

  it('classes statuses with few label values', () => {
    expect([200, 201, 404, 429, 503, 'error' as const].map(statusClass)).toEqual([
      '2xx',
      '2xx',
      '4xx',
      '429',
      '5xx',
      'error',
    ]);
  });
});
