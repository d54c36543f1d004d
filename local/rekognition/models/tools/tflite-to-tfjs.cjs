// Minimal TFLite (flatbuffer) -> TF.js graph-model converter, written for this project: no package
// converts .tflite to TF.js in Node, and the vendored classifier is published only as .tflite.
// See ../NOTICE.md for the source file, its checksum and the command that produced mobilenet-v2/.
// Supports the ops used by MobileNet-style classifiers: CONV_2D, DEPTHWISE_CONV_2D, ADD,
// AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, RESHAPE, SQUEEZE, SOFTMAX, FULLY_CONNECTED,
// QUANTIZE/DEQUANTIZE (treated as identity), HARD_SWISH, MUL, RELU, RELU6, LOGISTIC, CONCATENATION.
// Activations run in float32. Weights:
//   * uint8 per-tensor affine  -> stored as uint8 with tfjs {min, scale} quantization (lossless)
//   * int8 per-tensor          -> re-expressed as uint8 (q+128, min = -scale*(zp+128)) (lossless)
//   * int8 per-channel         -> dequantized, stored as float16 (or float32 with --f32)
//   * int32 bias               -> dequantized to float32
//   * float32 / float16        -> stored as-is (float32)
// Usage: node tflite-to-tfjs.cjs model.tflite outDir [--f32]
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const file = process.argv[2];
const outDir = process.argv[3];
const forceF32 = process.argv.includes('--f32');
const buf = fs.readFileSync(file);
const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);

// ---- flatbuffer helpers ----
const u32 = (o) => dv.getUint32(o, true);
const i32 = (o) => dv.getInt32(o, true);
const table = (pos) => {
  const vt = pos - i32(pos);
  const vtLen = dv.getUint16(vt, true);
  const field = (id) => {
    const off = 4 + 2 * id;
    if (off >= vtLen) return 0;
    const o = dv.getUint16(vt + off, true);
    return o ? pos + o : 0;
  };
  return {
    pos,
    has: (id) => field(id) !== 0,
    u8: (id, d = 0) => {
      const f = field(id);
      return f ? dv.getUint8(f) : d;
    },
    i8: (id, d = 0) => {
      const f = field(id);
      return f ? dv.getInt8(f) : d;
    },
    i32: (id, d = 0) => {
      const f = field(id);
      return f ? i32(f) : d;
    },
    u32: (id, d = 0) => {
      const f = field(id);
      return f ? u32(f) : d;
    },
    f32: (id, d = 0) => {
      const f = field(id);
      return f ? dv.getFloat32(f, true) : d;
    },
    table: (id) => {
      const f = field(id);
      return f ? table(f + u32(f)) : null;
    },
    str: (id) => {
      const f = field(id);
      if (!f) return null;
      const s = f + u32(f);
      return buf.toString('utf8', s + 4, s + 4 + u32(s));
    },
    vec: (id) => {
      const f = field(id);
      if (!f) return null;
      const s = f + u32(f);
      return { len: u32(s), start: s + 4 };
    },
  };
};
const vecI32 = (v) => (v ? Array.from({ length: v.len }, (_, i) => i32(v.start + 4 * i)) : []);
const vecF32 = (v) =>
  v ? Array.from({ length: v.len }, (_, i) => dv.getFloat32(v.start + 4 * i, true)) : [];
const vecI64 = (v) =>
  v ? Array.from({ length: v.len }, (_, i) => Number(dv.getBigInt64(v.start + 8 * i, true))) : [];
const vecTables = (v) =>
  v
    ? Array.from({ length: v.len }, (_, i) => {
        const p = v.start + 4 * i;
        return table(p + u32(p));
      })
    : [];

// ---- parse model ----
const root = table(u32(0));
const opcodes = vecTables(root.vec(1)).map((t) => {
  const dep = t.i8(0, 0);
  const bc = t.i32(3, 0);
  return Math.max(dep, bc);
});
const buffers = vecTables(root.vec(4)).map((t) => {
  const v = t.vec(0);
  return v ? buf.subarray(v.start, v.start + v.len) : null;
});
const sg = vecTables(root.vec(2))[0];
const TT = { 0: 'float32', 1: 'float16', 2: 'int32', 3: 'uint8', 4: 'int64', 9: 'int8', 7: 'int16' };
const tensors = vecTables(sg.vec(0)).map((t, idx) => {
  const q = t.table(4);
  return {
    idx,
    shape: vecI32(t.vec(0)),
    type: TT[t.u8(1)] || `t${t.u8(1)}`,
    buffer: t.u32(2),
    name: t.str(3),
    scale: q ? vecF32(q.vec(2)) : [],
    zp: q ? vecI64(q.vec(3)) : [],
    qdim: q ? q.i32(6, 0) : 0,
  };
});
const sgInputs = vecI32(sg.vec(1));
const sgOutputs = vecI32(sg.vec(2));
const OPS = {
  0: 'ADD',
  1: 'AVERAGE_POOL_2D',
  2: 'CONCATENATION',
  3: 'CONV_2D',
  4: 'DEPTHWISE_CONV_2D',
  6: 'DEQUANTIZE',
  9: 'FULLY_CONNECTED',
  14: 'LOGISTIC',
  17: 'MAX_POOL_2D',
  18: 'MUL',
  19: 'RELU',
  21: 'RELU6',
  22: 'RESHAPE',
  34: 'PAD',
  25: 'SOFTMAX',
  40: 'MEAN',
  43: 'SQUEEZE',
  114: 'QUANTIZE',
  117: 'HARD_SWISH',
};
const operators = vecTables(sg.vec(3)).map((t) => ({
  op: OPS[opcodes[t.u32(0)]] || `OP${opcodes[t.u32(0)]}`,
  inputs: vecI32(t.vec(1)),
  outputs: vecI32(t.vec(2)),
  opt: t.table(4),
}));

// ---- tensor data helpers ----
const dataOf = (t) => {
  const b = buffers[t.buffer];
  return b?.length ? b : null;
};
const isConst = (t) => dataOf(t) !== null;
const numel = (shape) => shape.reduce((a, b) => a * b, 1);
function toFloat(t) {
  const b = dataOf(t);
  const n = numel(t.shape);
  const out = new Float32Array(n);
  const bdv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const perCh = t.scale.length > 1;
  const qd = t.qdim;
  const inner = perCh ? numel(t.shape.slice(qd + 1)) : 1;
  const chN = perCh ? t.shape[qd] : 1;
  for (let i = 0; i < n; i++) {
    const c = perCh ? Math.floor(i / inner) % chN : 0;
    const s = t.scale.length ? t.scale[c] : 1;
    const z = t.zp.length ? t.zp[c] : 0;
    let q;
    switch (t.type) {
      case 'float32':
        out[i] = bdv.getFloat32(4 * i, true);
        continue;
      case 'float16':
        out[i] = f16(bdv.getUint16(2 * i, true));
        continue;
      case 'uint8':
        q = bdv.getUint8(i);
        break;
      case 'int8':
        q = bdv.getInt8(i);
        break;
      case 'int32':
        q = bdv.getInt32(4 * i, true);
        break;
      case 'int16':
        q = bdv.getInt16(2 * i, true);
        break;
      default:
        throw new Error(`type ${t.type}`);
    }
    out[i] = t.scale.length ? s * (q - z) : q;
  }
  return out;
}
function f16(h) {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const f = h & 0x3ff;
  if (e === 0) return s * 2 ** -14 * (f / 1024);
  if (e === 31) return f ? NaN : s * Infinity;
  return s * 2 ** (e - 15) * (1 + f / 1024);
}
function toF16Bits(v) {
  const f32 = new Float32Array([v]);
  const x = new Uint32Array(f32.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 127 + 15;
  let m = x & 0x7fffff;
  if (e <= 0) {
    if (e < -10) return sign;
    m |= 0x800000;
    const sh = 14 - e;
    let r = m >> sh;
    if ((m >> (sh - 1)) & 1) r++;
    return sign | r;
  }
  if (e >= 31) return sign | 0x7c00;
  let r = sign | (e << 10) | (m >> 13);
  if (m & 0x1000) r++;
  return r;
}
// permute a flat array (any typed array) from shape by perm
function transpose(arr, shape, perm) {
  const n = arr.length;
  const out = new arr.constructor(n);
  const nd = shape.length;
  const newShape = perm.map((p) => shape[p]);
  const strides = new Array(nd);
  strides[nd - 1] = 1;
  for (let i = nd - 2; i >= 0; i--) strides[i] = strides[i + 1] * shape[i + 1];
  const idx = new Array(nd).fill(0);
  for (let o = 0; o < n; o++) {
    let src = 0;
    for (let d = 0; d < nd; d++) src += idx[d] * strides[perm[d]];
    out[o] = arr[src];
    for (let d = nd - 1; d >= 0; d--) {
      idx[d]++;
      if (idx[d] < newShape[d]) break;
      idx[d] = 0;
    }
  }
  return { data: out, shape: newShape };
}

// ---- build graph ----
const nodes = [];
const weights = [];
const chunks = [];
const b64 = (s) => Buffer.from(s).toString('base64');
const tname = (t) => `t${t.idx}`;
const ints = (a) => ({ list: { i: a.map(String) } });
const DT = { type: 'DT_FLOAT' };
let wBytes = 0;
function addConst(name, t, perm = null, reshape = null) {
  // returns const node name; stores weights (quantized where lossless)
  let shape = t.shape.slice();
  let spec;
  let bytes;
  const perTensorQ = t.scale.length === 1 && (t.type === 'uint8' || t.type === 'int8');
  if (perTensorQ && !forceF32) {
    const b = dataOf(t);
    let q = new Uint8Array(b.length);
    if (t.type === 'uint8') q.set(b);
    else for (let i = 0; i < b.length; i++) q[i] = ((b[i] << 24) >> 24) + 128;
    const zp = t.type === 'uint8' ? t.zp[0] : t.zp[0] + 128;
    if (perm) {
      const r = transpose(q, shape, perm);
      q = r.data;
      shape = r.shape;
    }
    if (reshape) shape = reshape;
    spec = {
      name,
      shape,
      dtype: 'float32',
      quantization: { dtype: 'uint8', min: -t.scale[0] * zp, scale: t.scale[0] },
    };
    bytes = Buffer.from(q.buffer, q.byteOffset, q.byteLength);
  } else {
    let f = toFloat(t);
    if (perm) {
      const r = transpose(f, shape, perm);
      f = r.data;
      shape = r.shape;
    }
    if (reshape) shape = reshape;
    const useF16 = !forceF32 && t.type === 'int8' && f.length > 1024;
    if (useF16) {
      const h = new Uint16Array(f.length);
      for (let i = 0; i < f.length; i++) h[i] = toF16Bits(f[i]);
      spec = { name, shape, dtype: 'float32', quantization: { dtype: 'float16' } };
      bytes = Buffer.from(h.buffer);
    } else {
      spec = { name, shape, dtype: 'float32' };
      bytes = Buffer.from(f.buffer);
    }
  }
  weights.push(spec);
  chunks.push(bytes);
  wBytes += bytes.length;
  nodes.push({
    name,
    op: 'Const',
    attr: {
      value: { tensor: { dtype: 'DT_FLOAT', tensorShape: { dim: shape.map((s) => ({ size: String(s) })) } } },
      dtype: DT,
    },
  });
  return name;
}
function addIntConst(name, values) {
  const a = new Int32Array(values);
  weights.push({ name, shape: [values.length], dtype: 'int32' });
  chunks.push(Buffer.from(a.buffer));
  wBytes += a.byteLength;
  nodes.push({
    name,
    op: 'Const',
    attr: {
      value: { tensor: { dtype: 'DT_INT32', tensorShape: { dim: [{ size: String(values.length) }] } } },
      dtype: { type: 'DT_INT32' },
    },
  });
  return name;
}
const ACT = { 0: null, 1: 'Relu', 3: 'Relu6' };
function activation(name, input, code) {
  if (!code) return input;
  if (!(code in ACT)) throw new Error(`fused act ${code}`);
  nodes.push({ name, op: ACT[code], input: [input], attr: { T: DT } });
  return name;
}
const alias = {}; // tensor idx -> node name
const inName = (i) => alias[i] || tname(tensors[i]);

const inputT = tensors[sgInputs[0]];
nodes.push({
  name: 'input',
  op: 'Placeholder',
  attr: {
    dtype: DT,
    shape: { shape: { dim: inputT.shape.map((s, k) => ({ size: String(k === 0 ? -1 : s) })) } },
  },
});
alias[sgInputs[0]] = 'input';
const pad = (o) => b64(o.i8(0, 0) === 1 ? 'VALID' : 'SAME');
const counts = {};
for (const [k, op] of operators.entries()) {
  counts[op.op] = (counts[op.op] || 0) + 1;
  const out = tensors[op.outputs[0]];
  const oname = `n${k}_${op.op.toLowerCase()}`;
  const x = inName(op.inputs[0]);
  const o = op.opt;
  let result;
  switch (op.op) {
    case 'CONV_2D':
    case 'DEPTHWISE_CONV_2D': {
      const w = tensors[op.inputs[1]];
      const b = op.inputs[2] >= 0 ? tensors[op.inputs[2]] : null;
      const dw = op.op === 'DEPTHWISE_CONV_2D';
      // tflite conv: [O,H,W,I] -> HWIO ; depthwise: [1,H,W,C*M] -> [H,W,C,M] (M=1 assumed)
      let wn;
      if (dw) {
        const [, h, ww, c] = w.shape;
        const m = o.i32(3, 1);
        wn = addConst(`${oname}/w`, w, null, [h, ww, c / m, m]);
      } else wn = addConst(`${oname}/w`, w, [1, 2, 3, 0]);
      const bn = b ? addConst(`${oname}/b`, b) : null;
      const act = dw ? o.i8(4, 0) : o.i8(3, 0);
      const sw = o.i32(1, 1);
      const sh = o.i32(2, 1);
      const dil = dw ? [o.i32(5, 1), o.i32(6, 1)] : [o.i32(4, 1), o.i32(5, 1)];
      const fused = [];
      if (bn) fused.push(b64('BiasAdd'));
      if (act === 1) fused.push(b64('Relu'));
      else if (act === 3) fused.push(b64('Relu6'));
      else if (act) throw new Error(`act ${act}`);
      nodes.push({
        name: oname,
        op: dw ? 'FusedDepthwiseConv2dNative' : '_FusedConv2D',
        input: bn ? [x, wn, bn] : [x, wn],
        attr: {
          T: DT,
          data_format: { s: b64('NHWC') },
          strides: ints([1, sh, sw, 1]),
          padding: { s: pad(o) },
          dilations: ints([1, dil[1], dil[0], 1]),
          fused_ops: { list: { s: fused } },
          num_args: { i: bn ? '1' : '0' },
          epsilon: { f: 0 },
          explicit_paddings: { list: {} },
        },
      });
      result = oname;
      break;
    }
    case 'ADD':
    case 'MUL': {
      const y = op.inputs[1];
      const yt = tensors[y];
      const yn = isConst(yt) ? addConst(`${oname}/c`, yt) : inName(y);
      nodes.push({ name: oname, op: op.op === 'ADD' ? 'AddV2' : 'Mul', input: [x, yn], attr: { T: DT } });
      result = activation(`${oname}/act`, oname, o ? o.i8(0, 0) : 0);
      break;
    }
    case 'AVERAGE_POOL_2D':
    case 'MAX_POOL_2D': {
      nodes.push({
        name: oname,
        op: op.op === 'AVERAGE_POOL_2D' ? 'AvgPool' : 'MaxPool',
        input: [x],
        attr: {
          T: DT,
          data_format: { s: b64('NHWC') },
          strides: ints([1, o.i32(2, 1), o.i32(1, 1), 1]),
          ksize: ints([1, o.i32(4, 1), o.i32(3, 1), 1]),
          padding: { s: pad(o) },
        },
      });
      result = activation(`${oname}/act`, oname, o.i8(5, 0));
      break;
    }
    case 'MEAN': {
      const axes = Array.from(toFloat(tensors[op.inputs[1]])).map(Math.round);
      const an = addIntConst(`${oname}/axes`, axes);
      nodes.push({
        name: oname,
        op: 'Mean',
        input: [x, an],
        attr: { T: DT, Tidx: { type: 'DT_INT32' }, keep_dims: { b: o ? o.u8(0, 0) === 1 : false } },
      });
      result = oname;
      break;
    }
    case 'RESHAPE':
    case 'SQUEEZE': {
      const shp = out.shape.slice();
      shp[0] = -1;
      const sn = addIntConst(`${oname}/shape`, shp);
      nodes.push({
        name: oname,
        op: 'Reshape',
        input: [x, sn],
        attr: { T: DT, Tshape: { type: 'DT_INT32' } },
      });
      result = oname;
      break;
    }
    case 'SOFTMAX':
      nodes.push({ name: oname, op: 'Softmax', input: [x], attr: { T: DT } });
      result = oname;
      break;
    case 'LOGISTIC':
      nodes.push({ name: oname, op: 'Sigmoid', input: [x], attr: { T: DT } });
      result = oname;
      break;
    case 'RELU':
      nodes.push({ name: oname, op: 'Relu', input: [x], attr: { T: DT } });
      result = oname;
      break;
    case 'RELU6':
      nodes.push({ name: oname, op: 'Relu6', input: [x], attr: { T: DT } });
      result = oname;
      break;
    case 'HARD_SWISH':
      throw new Error('HARD_SWISH not implemented (needed for MobileNetV3)');
    case 'FULLY_CONNECTED': {
      const w = tensors[op.inputs[1]];
      const b = op.inputs[2] >= 0 ? tensors[op.inputs[2]] : null;
      const wn = addConst(`${oname}/w`, w, [1, 0]);
      const rn = addIntConst(`${oname}/flat`, [-1, w.shape[1]]);
      nodes.push({
        name: `${oname}/flatten`,
        op: 'Reshape',
        input: [x, rn],
        attr: { T: DT, Tshape: { type: 'DT_INT32' } },
      });
      nodes.push({
        name: oname,
        op: 'MatMul',
        input: [`${oname}/flatten`, wn],
        attr: { T: DT, transpose_a: { b: false }, transpose_b: { b: false } },
      });
      let r = oname;
      if (b) {
        const bn = addConst(`${oname}/b`, b);
        nodes.push({
          name: `${oname}/bias`,
          op: 'BiasAdd',
          input: [oname, bn],
          attr: { T: DT, data_format: { s: b64('NHWC') } },
        });
        r = `${oname}/bias`;
      }
      result = activation(`${oname}/act`, r, o ? o.i8(0, 0) : 0);
      break;
    }
    case 'CONCATENATION': {
      const ins = op.inputs.map(inName);
      const an = addIntConst(`${oname}/axis`, [o.i32(0, 0)]);
      nodes.push({
        name: oname,
        op: 'ConcatV2',
        input: [...ins, an],
        attr: { T: DT, N: { i: String(ins.length) }, Tidx: { type: 'DT_INT32' } },
      });
      result = activation(`${oname}/act`, oname, o.i8(1, 0));
      break;
    }
    case 'PAD': {
      const pads = Array.from(toFloat(tensors[op.inputs[1]])).map(Math.round);
      const pn = `${oname}/paddings`;
      weights.push({ name: pn, shape: [pads.length / 2, 2], dtype: 'int32' });
      const a = new Int32Array(pads);
      chunks.push(Buffer.from(a.buffer));
      wBytes += a.byteLength;
      nodes.push({
        name: pn,
        op: 'Const',
        attr: {
          value: {
            tensor: {
              dtype: 'DT_INT32',
              tensorShape: { dim: [{ size: String(pads.length / 2) }, { size: '2' }] },
            },
          },
          dtype: { type: 'DT_INT32' },
        },
      });
      nodes.push({
        name: oname,
        op: 'Pad',
        input: [x, pn],
        attr: { T: DT, Tpaddings: { type: 'DT_INT32' } },
      });
      result = oname;
      break;
    }
    case 'QUANTIZE':
    case 'DEQUANTIZE':
      result = x;
      break;
    default:
      throw new Error(`unsupported op ${op.op}`);
  }
  alias[op.outputs[0]] = result;
}
const outNode = inName(sgOutputs[0]);
nodes.push({ name: 'output', op: 'Identity', input: [outNode], attr: { T: DT } });

fs.mkdirSync(outDir, { recursive: true });
const all = Buffer.concat(chunks);
const SHARD = 4000000; // keep every file well below the 4 MB snapshot limit
const paths = [];
for (let i = 0, _k = 1; i < all.length; i += SHARD, _k++) paths.push(all.subarray(i, i + SHARD));
const names = paths.map((_, i) => `group1-shard${i + 1}of${paths.length}.bin`);
for (const [i, n] of names.entries()) fs.writeFileSync(path.join(outDir, n), paths[i]);
const modelJson = {
  format: 'graph-model',
  generatedBy: `tflite:${path.basename(file)}`,
  convertedBy: 'local/rekognition/models/tools/tflite-to-tfjs.cjs',
  modelTopology: { node: nodes, library: {}, versions: { producer: 1 } },
  signature: {
    inputs: {
      input: {
        name: 'input:0',
        dtype: 'DT_FLOAT',
        tensorShape: { dim: inputT.shape.map((s, k) => ({ size: String(k === 0 ? -1 : s) })) },
      },
    },
    outputs: { output: { name: 'output:0', dtype: 'DT_FLOAT' } },
  },
  weightsManifest: [{ paths: names, weights }],
};
fs.writeFileSync(path.join(outDir, 'model.json'), JSON.stringify(modelJson));
console.log(
  JSON.stringify({
    ops: counts,
    tensors: tensors.length,
    input: { shape: inputT.shape, type: inputT.type, scale: inputT.scale, zp: inputT.zp },
    output: { shape: tensors[sgOutputs[0]].shape, type: tensors[sgOutputs[0]].type },
    weightBytes: wBytes,
    shards: names.length,
  }),
);
