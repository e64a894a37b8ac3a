/**
 * Tensors on one WebAssembly memory. An `Arena` owns the memory and the kernels that
 * compute on it and hands out 16-byte-aligned regions; a `Tensor` is a region plus a
 * shape. Kernels see only byte offsets, so the same tensors work with the native, the
 * WebAssembly and the TypeScript kernels.
 */
import type { Kernels } from "./kernels/abi.js";
import {
  type BackendKind,
  createKernels,
  createKernelsOf,
  createThreadedKernels,
  defaultBackend,
  defaultThreads,
  KERNEL_RESERVED_BYTES,
  KERNEL_RESERVED_BYTES_THREADED,
  KERNEL_SCRATCH_PTR,
  KERNEL_THREAD_CTRL_PTR,
  type KernelsFactory,
  SHARED_MEMORY_MAX_PAGES,
  threadsAvailable,
  usingBuiltinKernels,
} from "./kernels/index.js";

const PAGE = 65536;
const ALIGN = 16;

export interface ArenaOptions {
  /** Memory to allocate in (default: a new growable one). */
  memory?: WebAssembly.Memory;
  /** Kernels for that memory, or a factory building them (default: the selected backend). */
  kernels?: Kernels | KernelsFactory;
  /**
   * Bytes at the start of the memory left untouched, for the kernel module's own
   * static data and GEMM scratch (default `KERNEL_RESERVED_BYTES`, or
   * `KERNEL_RESERVED_BYTES_THREADED` with two threads).
   */
  reservedBytes?: number;
  /**
   * Backend of the kernels the arena builds (default `defaultBackend()`: DEEPQ_KERNELS, else
   * native when built, else WebAssembly). Ignored when `kernels` is given.
   */
  backend?: BackendKind;
  /**
   * Threads for the kernels. Native: any count (default DEEPQ_THREADS, else every online CPU);
   * calls too small to gain run on one. WebAssembly: 1 or 2 (default `defaultThreads()`); 2 puts
   * the tensors in a shared memory and splits big GEMMs with a worker thread (kernels/threads.ts),
   * and quietly becomes 1 where shared memory or workers are unavailable, or when
   * `memory`/`kernels` are given.
   */
  threads?: number;
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/**
 * First-fit allocator over the memory: freed blocks are kept sorted and merged with
 * their neighbours, and the memory grows when nothing fits. Networks allocate their
 * buffers once per batch size, so this runs at setup, not per update.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  private top: number;
  private readonly freeList: Array<{ ptr: number; size: number }> = [];
  private buffer: ArrayBuffer | null = null;
  private f32View = new Float32Array(0);

  constructor(opts: ArenaOptions = {}) {
    const k = opts.kernels;
    // An explicit backend, or the default one unless a custom factory was registered (createKernels honours it).
    const kind = k === undefined ? (opts.backend ?? (usingBuiltinKernels() ? defaultBackend() : undefined)) : undefined;
    const threaded = opts.memory === undefined && kind === "wasm" && (opts.threads ?? defaultThreads()) === 2 && threadsAvailable();
    const reserved = opts.reservedBytes ?? (threaded ? KERNEL_RESERVED_BYTES_THREADED : KERNEL_RESERVED_BYTES);
    if (!Number.isInteger(reserved) || reserved < 0) {
      throw new RangeError(`Arena: reservedBytes must be a non-negative integer, got ${reserved}`);
    }
    const initial = Math.max(16, Math.ceil(reserved / PAGE) + 1);
    if (threaded && reserved >= KERNEL_RESERVED_BYTES_THREADED) {
      const memory = new WebAssembly.Memory({ initial, maximum: SHARED_MEMORY_MAX_PAGES, shared: true });
      const tk = createThreadedKernels(memory, { scratchPtr: KERNEL_SCRATCH_PTR, ctrlPtr: KERNEL_THREAD_CTRL_PTR });
      this.memory = tk ? memory : new WebAssembly.Memory({ initial });
      this.kernels = tk ?? createKernels(this.memory);
    } else {
      this.memory = opts.memory ?? new WebAssembly.Memory({ initial });
      if (k !== undefined) this.kernels = typeof k === "function" ? (k(this.memory) ?? createKernels(this.memory)) : k;
      else if (opts.backend !== undefined || kind === "native") this.kernels = createKernelsOf(kind!, this.memory, opts.threads);
      else this.kernels = createKernels(this.memory);
    }
    if (this.kernels.memory !== this.memory) throw new Error("Arena: the kernels were built for a different WebAssembly.Memory");
    this.top = Math.ceil(reserved / ALIGN) * ALIGN;
  }

  /** Threads the kernels use (native: the pool's size; WebAssembly: 2 only with the threaded kernels). */
  get threads(): number {
    return (this.kernels as { threads?: number }).threads ?? 1;
  }

  /** Bytes handed out or held in the free list (the high-water mark). */
  get usedBytes(): number {
    return this.top;
  }

  /** Allocates `bytes` (rounded up to 16), 16-byte aligned. Contents are unspecified. */
  alloc(bytes: number): number {
    if (!Number.isInteger(bytes) || bytes < 0) throw new RangeError(`Arena.alloc: byte count must be a non-negative integer, got ${bytes}`);
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.freeList.length; i++) {
      const blk = this.freeList[i]!;
      if (blk.size < size) continue;
      const ptr = blk.ptr;
      if (blk.size === size) this.freeList.splice(i, 1);
      else {
        blk.ptr += size;
        blk.size -= size;
      }
      return ptr;
    }
    const ptr = this.top;
    const end = ptr + size;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      // Grow geometrically so a run of allocations does not regrow (and detach views) each time.
      const needPages = Math.ceil((end - have) / PAGE);
      const growPages = Math.max(needPages, Math.ceil(have / PAGE / 2));
      try {
        this.memory.grow(growPages);
      } catch {
        this.memory.grow(needPages);
      }
    }
    this.top = end;
    return ptr;
  }

  /** Returns a block from `alloc` (same byte count) for reuse. */
  free(ptr: number, bytes: number): void {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    const list = this.freeList;
    let i = 0;
    while (i < list.length && list[i]!.ptr < ptr) i++;
    list.splice(i, 0, { ptr, size });
    if (i + 1 < list.length && ptr + size === list[i + 1]!.ptr) {
      list[i]!.size += list[i + 1]!.size;
      list.splice(i + 1, 1);
    }
    if (i > 0 && list[i - 1]!.ptr + list[i - 1]!.size === ptr) {
      list[i - 1]!.size += list[i]!.size;
      list.splice(i, 1);
      i--;
    }
    if (list[i]!.ptr + list[i]!.size === this.top) {
      this.top = list[i]!.ptr;
      list.splice(i, 1);
    }
  }

  /** A Float32Array over the whole memory, rebuilt if the memory grew since the last call. */
  f32(): Float32Array {
    if (this.buffer !== this.memory.buffer) {
      this.buffer = this.memory.buffer;
      this.f32View = new Float32Array(this.buffer);
    }
    return this.f32View;
  }

  /** A new tensor of the given shape, zero-filled or copied from `init`. */
  tensor(shape: readonly number[], init?: ArrayLike<number>): Tensor {
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new RangeError(`tensor shape ${formatShape(shape)}: dimensions must be non-negative integers`);
    }
    const n = shapeSize(shape);
    const t = new Tensor(this, this.alloc(n * 4), shape);
    if (init === undefined) t.data.fill(0);
    else {
      if (init.length !== n) throw new RangeError(`tensor shape ${formatShape(shape)} has ${n} elements, init has ${init.length}`);
      t.data.set(init);
    }
    return t;
  }
}

/** A row-major float32 region of an arena's memory with a shape. */
export class Tensor {
  readonly size: number;
  private viewBuffer: ArrayBuffer | null = null;
  private view = new Float32Array(0);

  constructor(
    readonly arena: Arena,
    readonly ptr: number,
    readonly shape: readonly number[],
  ) {
    if (ptr % 4 !== 0) throw new RangeError(`Tensor: pointer ${ptr} is not 4-byte aligned`);
    this.size = shapeSize(shape);
  }

  /** The elements as a Float32Array view (recreated only after the memory grew). Do not keep it across allocations. */
  get data(): Float32Array {
    const buf = this.arena.memory.buffer;
    if (this.viewBuffer !== buf) {
      this.viewBuffer = buf;
      this.view = new Float32Array(buf, this.ptr, this.size);
    }
    return this.view;
  }

  /** A tensor sharing this one's memory with another shape of the same size. */
  reshape(shape: readonly number[]): Tensor {
    if (shapeSize(shape) !== this.size) {
      throw new RangeError(`reshape: cannot view ${formatShape(this.shape)} (${this.size} elements) as ${formatShape(shape)}`);
    }
    return new Tensor(this.arena, this.ptr, shape);
  }

  /** Copies the elements out of the arena. */
  toArray(): Float32Array {
    return this.data.slice();
  }

  /** Gives the memory back to the arena; the tensor must not be used afterwards. */
  dispose(): void {
    this.arena.free(this.ptr, this.size * 4);
  }
}

let defaultArenaInstance: Arena | null = null;

/** The process-wide arena modules use unless given one (created on first use with the selected backend). */
export function defaultArena(): Arena {
  return (defaultArenaInstance ??= new Arena());
}

/** Replaces the process-wide arena (call before building networks; existing tensors stay in the old one). */
export function setDefaultArena(arena: Arena): void {
  defaultArenaInstance = arena;
}

/** The kernels of the process-wide arena. */
export function kernels(): Kernels {
  return defaultArena().kernels;
}
