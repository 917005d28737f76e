import { rand } from '../rng';
import { type RenderContext, STREAM_CODE, times } from './context';
import { PLANS } from './vocab';

export type AttributeType = 'string' | 'integer' | 'float' | 'boolean' | 'date';

export interface AttributeSpec {
  model: 'contact' | 'company';
  name: string;
  dataType: AttributeType;
  custom: boolean;
  options?: readonly string[];
}

/** The first data attributes of every workspace; rows past this list get generated custom names. */
const BASE_ATTRIBUTES: readonly AttributeSpec[] = [
  { model: 'contact', name: 'plan', dataType: 'string', custom: true, options: PLANS },
  { model: 'contact', name: 'seats', dataType: 'integer', custom: true },
  { model: 'contact', name: 'vip', dataType: 'boolean', custom: true },
  { model: 'contact', name: 'trial_ends_at', dataType: 'date', custom: true },
  { model: 'contact', name: 'nps', dataType: 'float', custom: true },
  { model: 'company', name: 'region', dataType: 'string', custom: true },
  { model: 'company', name: 'account_tier', dataType: 'string', custom: true },
  { model: 'contact', name: 'name', dataType: 'string', custom: false },
  { model: 'contact', name: 'email', dataType: 'string', custom: false },
  { model: 'contact', name: 'created_at', dataType: 'date', custom: false },
  { model: 'company', name: 'name', dataType: 'string', custom: false },
  { model: 'company', name: 'monthly_spend', dataType: 'float', custom: false },
];

export function attributeSpec(row: number): AttributeSpec {
  return (
    BASE_ATTRIBUTES[row] ?? {
      model: row % 2 === 0 ? 'contact' : 'company',
      name: `attribute_${row}`,
      dataType: 'string',
      custom: true,
    }
  );
}

/** Custom attributes the generated workspace's objects of `model` carry (fixed at generation). */
export function customAttributes(ctx: RenderContext, model: 'contact' | 'company'): AttributeSpec[] {
  const specs: AttributeSpec[] = [];
  for (let row = 0; row < ctx.size.dataAttributes; row++) {
    const spec = attributeSpec(row);
    if (spec.model === model && spec.custom) specs.push(spec);
  }
  return specs;
}

export function renderDataAttribute(ctx: RenderContext, row: number): Record<string, unknown> {
  const spec = attributeSpec(row);
  const { created, updated } = times(ctx, 'data_attributes', row);
  const version = ctx.table('data_attributes').version[row] as number;
  const r = rand(ctx.seed, STREAM_CODE.data_attributes, row, version);
  const label = spec.name.replace(/_/g, ' ').replace(/^\w/, (c) => c.toUpperCase());
  return {
    type: 'data_attribute',
    id: Number(ctx.id('data_attributes', row)),
    model: spec.model,
    name: spec.name,
    full_name: spec.custom ? `custom_attributes.${spec.name}` : spec.name,
    label: version === 0 ? label : `${label} (v${version})`,
    description: `${label} of the ${spec.model}`,
    data_type: spec.dataType,
    ...(spec.options ? { options: [...spec.options] } : {}),
    api_writable: spec.custom,
    messenger_writable: spec.custom && r.bool(0.3),
    ui_writable: true,
    custom: spec.custom,
    archived: false,
    created_at: created,
    updated_at: updated,
    ...(spec.custom ? { admin_id: ctx.id('admins', 0) } : {}),
  };
}
