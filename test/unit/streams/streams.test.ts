import { SIM_STREAMS, TABLE_STREAMS } from '../../../src/sim/types';
import { STREAM_DEFS, STREAMS } from '../../../src/streams';

describe('the streams', () => {
  it('the simulator models the same twelve streams the connector captures', () => {
    expect(STREAMS).toHaveLength(12);
    expect([...SIM_STREAMS].sort()).toEqual([...STREAMS].sort());
  });

  it('the simulator keeps in tables of their own every stream but the children the connector reads from a parent', () => {
    const children = STREAMS.filter((s) => STREAM_DEFS[s].parent !== undefined);
    expect(children).toEqual(['conversation_parts']);
    expect([...TABLE_STREAMS].sort()).toEqual(STREAMS.filter((s) => !children.includes(s)).sort());
  });

  it('every stream has one definition, under its own name', () => {
    expect(Object.keys(STREAM_DEFS).sort()).toEqual([...STREAMS].sort());
    for (const s of STREAMS) expect(STREAM_DEFS[s].name).toBe(s);
  });
});
