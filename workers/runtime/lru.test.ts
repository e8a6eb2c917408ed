import { describe, expect, it } from 'vitest';
import { Lru } from './lru.ts';

const filled = (...keys: string[]) => {
  const lru = new Lru<string>();
  for (const key of keys) lru.set(key, key.toUpperCase());
  return lru;
};

describe('Lru', () => {
  it('evicts the least recently used first, keeping the newest', () => {
    const lru = filled('a', 'b', 'c');
    expect(lru.evictBeyond(1)).toEqual(['A', 'B']);
    expect(lru.values()).toEqual(['C']);
  });

  it('counts a use as recent', () => {
    const lru = filled('a', 'b', 'c');
    expect(lru.use('a')).toBe('A');
    expect(lru.evictBeyond(2)).toEqual(['B']);
    expect(lru.values()).toEqual(['A', 'C']);
  });

  it('evicts everything for a budget of 0 and nothing within budget', () => {
    const lru = filled('a', 'b');
    expect(lru.evictBeyond(2)).toEqual([]);
    expect(lru.evictBeyond(0)).toEqual(['A', 'B']);
    expect(lru.values()).toEqual([]);
  });

  it('take removes one entry; an unknown key gives undefined', () => {
    const lru = filled('a', 'b');
    expect(lru.take('a')).toBe('A');
    expect(lru.take('a')).toBeUndefined();
    expect(lru.use('zzz')).toBeUndefined();
    expect(lru.values()).toEqual(['B']);
  });
});
