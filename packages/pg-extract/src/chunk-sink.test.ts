import { readFile } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { createTempDir } from '@sluice/testing';
import { ChunkSink } from './chunk-sink.js';

describe('ChunkSink', () => {
  let remove: (() => Promise<void>) | undefined;
  afterEach(async () => remove?.());

  async function sinkOf(pieces: string[], chunkBytes: number, flagged = false) {
    const dir = await createTempDir();
    remove = dir.remove;
    const sink = new ChunkSink({ dir: dir.path, prefix: 't', chunkBytes, flagged });
    await pipeline(Readable.from(pieces.map((p) => Buffer.from(p))), sink);
    const contents = await Promise.all(sink.files.map((f) => readFile(f.path, 'utf8')));
    return { sink, contents };
  }

  it('cuts files only between records, even when quoted values hold newlines and doubled quotes', async () => {
    const records = ['1,"a\nb",x\n', '2,"say ""hi""\n,",y\n', '3,,""\n', '4,plain,z\n', '5,"ü\n€",w\n'];
    // Split the stream at awkward places: inside quotes, between \n and the next record.
    const text = records.join('');
    const pieces = [text.slice(0, 3), text.slice(3, 9), text.slice(9, 20), text.slice(20)];
    const { sink, contents } = await sinkOf(pieces, 12);
    expect(contents.join('')).toBe(text);
    expect(sink.rows).toBe(records.length);
    expect(sink.files.reduce((n, f) => n + f.rows, 0)).toBe(records.length);
    // Every file holds whole records only.
    let index = 0;
    for (const [i, content] of contents.entries()) {
      let rebuilt = '';
      while (rebuilt.length < content.length) rebuilt += records[index++];
      expect(rebuilt).toBe(content);
      expect(sink.files[i]?.bytes).toBe(Buffer.byteLength(content));
    }
    expect(sink.files.length).toBeGreaterThan(1);
  });

  it('writes a large stream of small pieces exactly, gathered into few writes, and still cuts only between records', async () => {
    // 8 kB pieces, as Postgres sends them, over more than a write's worth (256 kB) per file; files of about 600 kB.
    const records = Array.from(
      { length: 20_000 },
      (_, i) => `${i},"row ${i}, with a quoted, comma",${'x'.repeat(i % 40)}\n`,
    );
    const text = Buffer.from(records.join(''));
    const pieces = Array.from({ length: Math.ceil(text.length / 8192) }, (_, i) =>
      text.subarray(i * 8192, (i + 1) * 8192),
    );
    const dir = await createTempDir();
    remove = dir.remove;
    const sink = new ChunkSink({ dir: dir.path, prefix: 't', chunkBytes: 600 * 1024, flagged: false });
    const writes: number[] = [];
    const { WriteStream } = await import('node:fs');
    const write = WriteStream.prototype.write;
    WriteStream.prototype.write = function (this: InstanceType<typeof WriteStream>, ...args: Parameters<typeof write>) {
      writes.push(Buffer.byteLength(args[0] as Buffer));
      return write.apply(this, args);
    } as typeof write;
    try {
      await pipeline(Readable.from(pieces), sink);
    } finally {
      WriteStream.prototype.write = write;
    }
    const contents = await Promise.all(sink.files.map((f) => readFile(f.path)));
    expect(Buffer.concat(contents).equals(text)).toBe(true);
    expect(sink.files.length).toBeGreaterThan(1);
    for (const [i, content] of contents.entries()) {
      expect(content.at(-1)).toBe(0x0a);
      expect(sink.files[i]?.bytes).toBe(content.length);
    }
    expect(sink.files.reduce((n, f) => n + f.rows, 0)).toBe(records.length);
    // A write per 256 kB gathered (and one at each file's end), not one per piece.
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(text.length / (256 * 1024)) + sink.files.length);
    expect(pieces.length).toBeGreaterThan(writes.length * 10);
  });

  it('never begins a file with a byte order mark: a first field that would is written quoted, wherever the stream is split', async () => {
    const bom = '\ufeff';
    const records = [`${bom}a,1\n`, `${bom}b\n`, `${bom},3\n`, `x${bom},4\n`, `"${bom}q",5\n`];
    const text = records.join('');
    const bytes = Buffer.from(text);
    // One record per file; the stream split inside the byte order mark's three bytes.
    const pieces = [bytes.subarray(0, 1), bytes.subarray(1, 2), bytes.subarray(2, 9), bytes.subarray(9)];
    const dir = await createTempDir();
    remove = dir.remove;
    const sink = new ChunkSink({ dir: dir.path, prefix: 't', chunkBytes: 1 });
    await pipeline(Readable.from(pieces), sink);
    const contents = await Promise.all(sink.files.map((f) => readFile(f.path, 'utf8')));
    expect(contents).toEqual([`"${bom}a",1\n`, `"${bom}b"\n`, `"${bom}",3\n`, `x${bom},4\n`, `"${bom}q",5\n`]);
    expect(sink.files.map((f) => f.rows)).toEqual([1, 1, 1, 1, 1]);
    for (const [i, content] of contents.entries()) expect(sink.files[i]?.bytes).toBe(Buffer.byteLength(content));
  });

  it('notes a value written as Postgres writes years before 1, wherever the stream is split, and nothing else', async () => {
    const dir = await createTempDir();
    remove = dir.remove;
    let run = 0;
    const seen = async (pieces: string[]) => {
      const sink = new ChunkSink({ dir: dir.path, prefix: `t${run++}`, chunkBytes: 1 << 20, watchBc: true });
      await pipeline(Readable.from(pieces.map((p) => Buffer.from(p))), sink);
      return sink.bcSeen;
    };
    const record = '1,0044-03-15 12:00:00 BC,x\n';
    // Split in three anywhere: a middle piece may lie wholly inside " BC," (a socket read can end on any byte).
    for (let a = 0; a <= record.length; a++) {
      for (let b = a; b <= record.length; b++) {
        expect(await seen([`0,a\n${record.slice(0, a)}`, record.slice(a, b), record.slice(b)])).toBe(true);
      }
    }
    expect(await seen(['1,0044-03-15', ' ', 'B', 'C', '\n'])).toBe(true); // a byte at a time
    expect(await seen(['1,0044-03-15 BC\n'])).toBe(true); // last field of a record
    // Postgres never quotes a date: quoted, it is text.
    expect(await seen(['1,ABC,x BC,44 BCE\n', '2,"BC, 44"\n', '3,"Caesar, 44 BC"\n'])).toBe(false);
  });

  it('writes no file for an empty stream', async () => {
    const { sink } = await sinkOf([], 100);
    expect(sink.files).toEqual([]);
    expect(sink.rows).toBe(0);
  });

  it('flagged: counts and strips the trailing boolean of every record, wherever the stream is split', async () => {
    const records = ['1,"a\nb,t",x', '2,"say ""f""\n,"', '3,,""', '4,plain,z', '5,"ü\n€",w'];
    const flags = ['t', 'f', 'f', 't', 'f'];
    const text = records.map((record, i) => `${record},${flags[i]}\n`).join('');
    const expected = records.map((record) => `${record}\n`).join('');
    for (let cut = 1; cut < text.length; cut++) {
      const { sink, contents } = await sinkOf([text.slice(0, cut), text.slice(cut)], 16, true);
      expect(contents.join(''), `split at ${cut}`).toBe(expected);
      expect(sink.rows).toBe(5);
      expect(sink.trueFlags).toBe(2);
      expect(sink.files.reduce((n, f) => n + f.bytes, 0)).toBe(Buffer.byteLength(expected));
      await remove?.();
      remove = undefined;
    }
  });

  it('counts and cuts right when a buffer holds many records and its quotes come late, early or not at all', async () => {
    // Plain records, then quoted ones (newlines inside), then plain again, in one buffer and split unevenly: the
    // quote found once per buffer must be the one used when the scan reaches it.
    const plain = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `${from + i},plain ${from + i},2024-01-01 00:00:00\n`);
    const quoted = (from: number, count: number) =>
      Array.from({ length: count }, (_, i) => `${from + i},"q ""${i}""\n, x",\n`);
    const records = [...plain(0, 200), ...quoted(200, 5), ...plain(205, 300), ...quoted(505, 3), ...plain(508, 50)];
    const text = records.join('');
    for (const pieces of [[text], [text.slice(0, 7000), text.slice(7000, 7001), text.slice(7001)]]) {
      const { sink, contents } = await sinkOf(pieces, 4096);
      expect(contents.join('')).toBe(text);
      expect(sink.rows).toBe(records.length);
      let index = 0;
      for (const [i, content] of contents.entries()) {
        let rebuilt = '';
        const first = index;
        while (rebuilt.length < content.length) rebuilt += records[index++];
        expect(rebuilt).toBe(content);
        expect(sink.files[i]?.rows).toBe(index - first);
      }
      await remove?.();
      remove = undefined;
    }
  });

  it('flagged: refuses a record without its flag, and a stream ending inside a record', async () => {
    await expect(sinkOf(['1,x\n'], 100, true)).rejects.toThrow(/does not end in a boolean field/);
    await expect(sinkOf(['1,x,t\n2,y'], 100, true)).rejects.toThrow(/ended inside a record/);
  });
});
