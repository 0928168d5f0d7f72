/**
 * @module core/ids
 * Run ids sort by creation time (a ULID, lower-cased so prefixes are easy to type);
 * names are human handles that need not be unique, resolved with care elsewhere.
 */
import { monotonicFactory } from 'ulid';

const nextUlid = monotonicFactory();

/** A new time-sortable id, 26 characters of Crockford base32 in lower case. */
export function newRunId(now: number = Date.now()): string {
  return nextUlid(now).toLowerCase();
}

/** The creation time (UTC ms) encoded in a run id. */
export function runIdTime(id: string): number {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  let ms = 0;
  for (const ch of id.slice(0, 10).toLowerCase()) {
    const v = alphabet.indexOf(ch);
    if (v < 0) return NaN;
    ms = ms * 32 + v;
  }
  return ms;
}

export const RUN_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{26}$/;

const ADJECTIVES = [
  'amber', 'bold', 'brave', 'bright', 'calm', 'clever', 'cosmic', 'crisp', 'curious', 'daring',
  'eager', 'fair', 'fast', 'fierce', 'gentle', 'glad', 'golden', 'grand', 'happy', 'hidden',
  'humble', 'jolly', 'keen', 'kind', 'lively', 'lucky', 'merry', 'mighty', 'misty', 'noble',
  'polite', 'proud', 'quick', 'quiet', 'rapid', 'rare', 'silent', 'silver', 'sleek', 'smooth',
  'solid', 'steady', 'sunny', 'swift', 'tidy', 'vivid', 'warm', 'wild', 'wise', 'zesty',
];
const NOUNS = [
  'badger', 'bear', 'bison', 'crane', 'deer', 'dolphin', 'eagle', 'falcon', 'finch', 'fox',
  'gecko', 'hare', 'hawk', 'heron', 'ibis', 'jay', 'koala', 'lark', 'lemur', 'lynx',
  'marten', 'mole', 'moose', 'newt', 'orca', 'otter', 'owl', 'panda', 'pike', 'puffin',
  'quail', 'raven', 'robin', 'salmon', 'seal', 'shrike', 'sparrow', 'stoat', 'swan', 'tapir',
  'tern', 'tiger', 'toad', 'trout', 'viper', 'vole', 'walrus', 'wolf', 'wren', 'yak',
];

/** A name like `brave-otter-417`. `random` is injectable so tests can pin it. */
export function newRunName(random: () => number = Math.random): string {
  const pick = (list: readonly string[]): string => list[Math.floor(random() * list.length)] ?? list[0]!;
  return `${pick(ADJECTIVES)}-${pick(NOUNS)}-${1 + Math.floor(random() * 999)}`;
}
