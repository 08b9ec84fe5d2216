// Writes dataset rows as a Parquet file (zstd), through Apache Arrow and parquet-wasm (arrow-rs' writer):
// standard LIST<STRUCT> columns for the chats, which pyarrow and Hugging Face `datasets` read as they are.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import {
  Field,
  Float64,
  Int64,
  List,
  Struct,
  Table,
  Utf8,
  tableToIPC,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import * as parquet from 'parquet-wasm/esm';
import type { ColumnKind } from './columns.ts';

let ready = false;

/** Loads the WebAssembly writer once (its Node build is CommonJS in an ESM package, so the ESM build is fed the bytes). */
function init(): void {
  if (ready) return;
  parquet.initSync({
    module: readFileSync(createRequire(import.meta.url).resolve('parquet-wasm/esm/parquet_wasm_bg.wasm')),
  });
  ready = true;
}

const CHAT = new List(
  new Field('item', new Struct([new Field('role', new Utf8(), false), new Field('content', new Utf8(), false)]), false),
);
const TYPES: Record<ColumnKind, DataType> = {
  string: new Utf8(),
  int64: new Int64(),
  float64: new Float64(),
  chat: CHAT,
};

/** The Parquet bytes of rows whose columns are declared in order. */
export function parquetBytes(rows: Array<Record<string, unknown>>, columns: Array<[string, ColumnKind]>): Uint8Array {
  init();
  const vectors: Record<string, Vector> = {};
  for (const [name, kind] of columns) {
    const values = rows.map((row) => (kind === 'int64' ? BigInt(row[name] as number) : row[name]));
    vectors[name] = vectorFromArray(values, TYPES[kind]);
  }
  const table = parquet.Table.fromIPCStream(tableToIPC(new Table(vectors), 'stream'));
  const properties = new parquet.WriterPropertiesBuilder().setCompression(parquet.Compression.ZSTD).build();
  return parquet.writeParquet(table, properties);
}
