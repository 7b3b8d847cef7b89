/**
 * Exact node count of a rax (rax.c radix tree) holding 16-byte big-endian stream IDs, fed in ascending order
 * (stream node master IDs and PEL IDs are saved in rax order). Constant memory: a stack of at most 16 depths.
 *
 * For insert-only trees of equal-length keys, rax.c's node layout is canonical: the root, every branching point
 * (a non-compressed node with >= 2 children), every node a branching node points to (either a compressed node
 * covering a run of single-child bytes, or directly the next branching node or leaf) and every key's leaf.
 */
export class RaxCounter {
  nodes = 1;
  keys = 0;
  private prevMs = 0n;
  private prevSeq = 0n;
  private readonly stack = new Int8Array(17);
  private sp = 0;

  reset(): void {
    this.nodes = 1; this.keys = 0; this.sp = 0;
  }

  add(ms: bigint, seq: bigint): void {
    if (this.keys++ === 0) {
      this.nodes = 2; // the root (compressed over all 16 bytes) and the key's leaf
    } else {
      const l = lcp(this.prevMs ^ ms, this.prevSeq ^ seq);
      if (l < 16) this.branch(l); // an equal key adds nothing
    }
    this.prevMs = ms; this.prevSeq = seq;
  }

  private branch(l: number): void {
    const st = this.stack;
    let poppedNext = false;
    while (this.sp > 0 && st[this.sp - 1]! > l) {
      if (st[this.sp - 1] === l + 1) poppedNext = true;
      this.sp--;
    }
    if (this.sp > 0 && st[this.sp - 1] === l) {
      this.nodes += l + 1 < 16 ? 2 : 1; // new child (+ its leaf) under an existing branching node
      return;
    }
    // A new branching node at depth l: it was already a node if it is the root or a branching node's child.
    if (!(l === 0 || (this.sp > 0 && st[this.sp - 1] === l - 1))) this.nodes++;
    // The previous key's side now hangs from a child pointer: a node unless it already was one.
    if (!(l + 1 === 16 || poppedNext)) this.nodes++;
    this.nodes += l + 1 < 16 ? 2 : 1;
    st[this.sp++] = l;
  }
}

/** Length in bytes of the common prefix of two IDs given as XORs of their halves. */
function lcp(xms: bigint, xseq: bigint): number {
  if (xms !== 0n) return 8 - byteLen(xms);
  if (xseq !== 0n) return 16 - byteLen(xseq);
  return 16;
}

function byteLen(x: bigint): number {
  let n = 0;
  while (x > 0n) { x >>= 8n; n++; }
  return n;
}
