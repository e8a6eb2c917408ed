import { describe, expect, it } from 'vitest';
import { parseLfsPointer } from './lfs-pointer.ts';

// A real pointer, from https://huggingface.co/onnxruntime-web-temp/demo/commit/a5630e8caca26a74c38c76c73c2d82d6128189fb
const OID = '0b4333f3f0aff615eb26fe9b117bf5c7921db2207a67d18ca3421cc7b2d2c080';
const pointer = (oid = OID, size = '1732687681') => `version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`;

describe('parseLfsPointer', () => {
  it('reads the hash and size of a v1 pointer', () => expect(parseLfsPointer(pointer())).toEqual({ sha256: OID, size: 1732687681 }));
  it('reads a zero-byte file', () => expect(parseLfsPointer(pointer(OID, '0'))?.size).toBe(0));
  it('reads sizes above 4 GiB', () => expect(parseLfsPointer(pointer(OID, '10300000000'))?.size).toBe(10_300_000_000));

  it.each([
    ['a small file served as is', '{ "_class_name": "EulerDiscreteScheduler" }\n'],
    ['an empty answer', ''],
    ['a missing final newline', pointer().slice(0, -1)],
    ['Windows line ends', pointer().replaceAll('\n', '\r\n')],
    ['another spec version', pointer().replace('spec/v1', 'spec/v2')],
    ['an uppercase hash', pointer(OID.toUpperCase())],
    ['a short hash', pointer(OID.slice(1))],
    ['another hash method', pointer().replace('sha256:', 'sha512:')],
    ['a negative size', pointer(OID, '-1')],
    ['a size with a leading zero', pointer(OID, '012')],
    ['a size with a decimal point', pointer(OID, '1.5')],
    ['a size beyond 2^53', pointer(OID, '9007199254740993')],
    ['keys out of order', `version https://git-lfs.github.com/spec/v1\nsize 12\noid sha256:${OID}\n`],
    ['an extension key', `version https://git-lfs.github.com/spec/v1\next-0-foo sha256:${OID}\noid sha256:${OID}\nsize 12\n`],
    ['text after the pointer', `${pointer()}more\n`],
    ['two spaces after a key', pointer().replace('size ', 'size  ')],
  ])('refuses %s', (_, text) => expect(parseLfsPointer(text)).toBeUndefined());
});
