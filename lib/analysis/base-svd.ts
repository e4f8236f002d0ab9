/**
 * The SVD of a base-model matrix through the on-disk SvdCache (lib/io/svd-cache.ts): computed once per
 * tensor content, then read back for every adapter or checkpoint analysed against the same base.
 */
import { type Matrix, svd, type SvdResult } from "../linalg";
import { type SvdCache, svdCacheKey } from "../io/svd-cache";

/**
 * s and U of `a` (V is not kept: the intruder analysis compares left singular vectors only); `cached`
 * says whether they came from the cache. Without a cache this is svd(a).
 */
export function baseSvd(a: Matrix, cache?: SvdCache, source = ""): { svd: SvdResult; cached: boolean } {
  if (!cache) return { svd: svd(a), cached: false };
  const key = svdCacheKey(a.rows, a.cols, a.data);
  const hit = cache.get(key);
  if (hit) return { svd: { m: hit.m, n: hit.n, s: hit.s, u: hit.u, v: null }, cached: true };
  const r = svd(a);
  cache.set(key, { m: r.m, n: r.n, s: r.s, u: r.u! }, source);
  return { svd: r, cached: false };
}
