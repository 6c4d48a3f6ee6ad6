import type { QtyRule } from './types.js';

/** One line of a kit: `units` of the component go into one kit. */
export interface KitComponent {
  /** The component's SKU key (see skuKey) and its SKU as written in the kits file. */
  key: string;
  sku: string;
  units: number;
}

/** `rules.kits` (SPEC §14), read once: kit SKU key → its SKU as written and its components. */
export type Kits = ReadonlyMap<string, { sku: string; components: readonly KitComponent[] }>;

/** A component's combined quantity (after aggregate), or why it is unknown. */
export type ComponentSupply = (key: string) => number | { unknown: string };

/** Components named in a kit's detail before "… and N more". */
const SHOWN_COMPONENTS = 5;

/**
 * A kit's quantity is the minimum over its components of ⌊component's combined quantity ÷ units⌋;
 * it replaces whatever a source says about the kit SKU itself. A component whose supply is
 * unknown (no source lists it, or its row was rejected or listed twice) makes the kit unknown:
 * the caller reports it and leaves the kit unchanged. Not a kit: null (the rule does not apply).
 */
export function kitRule(kits: Kits, supply: ComponentSupply): QtyRule {
  return {
    rule: 'kit',
    apply: (_qty, key) => {
      const kit = kits.get(key);
      if (!kit) return null;
      let qty = Number.POSITIVE_INFINITY;
      const parts: string[] = [];
      for (const c of kit.components) {
        const have = supply(c.key);
        if (typeof have !== 'number') return { unknown: `kit component ${c.sku}: ${have.unknown}` };
        qty = Math.min(qty, Math.floor(have / c.units));
        if (parts.length < SHOWN_COMPONENTS) parts.push(`${c.sku} ${have}÷${c.units}`);
      }
      const more = kit.components.length - parts.length;
      return { qty, detail: `min(${parts.join(', ')}${more > 0 ? `, … and ${more} more` : ''})` };
    },
  };
}

/** Every SKU key a kit needs besides its own: its components (for `explain`, which reads only those). */
export function kitComponentKeys(kits: Kits | undefined, key: string): string[] {
  return kits?.get(key)?.components.map((c) => c.key) ?? [];
}
