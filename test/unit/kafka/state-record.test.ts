import type { ObjectState } from '../../../src/capture/contracts';
import { StateStore, objectValue } from '../../../src/kafka/state-store';

describe('state records of objects', () => {
  it.each<[string, ObjectState]>([
    ['a timestamped object', { u: 1734537424000, h: 'dVNFt1x5Wd3AEfl0tN3i1gwBuc6kEM4mO8q8lD2kPQI' }],
    ['an object without timestamps', { u: null, h: 'abc-_XYZ019' }],
    ['a hash that needs escaping', { u: 5, h: 'a"b\\c\u2028' }],
    ['a fractional updated_at', { u: 1.5, h: 'x' }],
  ])('write the text JSON.stringify writes: %s', (_what, state) => {
    expect(objectValue(state)).toBe(JSON.stringify({ v: 1, u: state.u, h: state.h }));
  });

  it('restore what they wrote', () => {
    const store = new StateStore('cdc');
    const state = { u: 1734537424000, h: 'h1' };
    const record = store.objectRecord('contacts', '42', state);
    const restored = new StateStore('cdc');
    restored.apply(Buffer.from(String(record.key)), Buffer.from(String(record.value)));
    expect(restored.object('contacts', '42')).toEqual(state);
    expect(store.objectRecord('contacts', '42', null).value).toBeNull();
  });
});
