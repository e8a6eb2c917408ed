/**
 * Compile-only tests of the error registry (see `workers/engine-api.type-test.ts`
 * for how these work): every code maps to its class, and a class left out of
 * the registry does not compile.
 */
import { HearthError, type HearthErrorCode, type HearthErrorOf, type SerializedError } from './errors.ts';

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Expect<T extends true> = T;

// Each class is filed under its own code.
export type FiledUnderOwnCode = Expect<Equal<{ [Code in HearthErrorCode]: HearthErrorOf<Code>['code'] }, { [Code in HearthErrorCode]: Code }>>;
export type EveryClassIsAHearthError = Expect<Equal<HearthErrorOf<HearthErrorCode> extends HearthError ? true : false, true>>;
// What crosses the thread names a registered code, or says it is none.
export type SerializedCodes = Expect<Equal<SerializedError['code'], HearthErrorCode | 'unknown'>>;

export class Stray extends HearthError {
  // @ts-expect-error a code missing from ERROR_CLASSES: the class must be filed there first
  readonly code = 'stray';
}
