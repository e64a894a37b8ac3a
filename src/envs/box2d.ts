/**
 * Box2D helpers shared by the Box2D envs.
 *
 * `polygonMass` is Box2D 2.3's `b2PolygonShape::ComputeMass`. planck 1.3.0 computes the
 * centroid's y as `center.x + s.y` (a typo in its `addVec2`), which would put the lunar
 * lander's centre of mass 0.024 m too low; the envs set mass data from this instead.
 */
import type { Vec2 } from "planck";

/** Mass, centre of mass (cx, cy) and inertia about the body origin of a polygon of `density`. */
export function polygonMass(vertices: readonly Vec2[], density: number): { mass: number; cx: number; cy: number; I: number } {
  const n = vertices.length;
  let sx = 0;
  let sy = 0;
  for (const v of vertices) {
    sx += v.x;
    sy += v.y;
  }
  sx *= 1.0 / n;
  sy *= 1.0 / n;
  const kInv3 = 1.0 / 3.0;
  let area = 0;
  let cx = 0;
  let cy = 0;
  let I = 0;
  for (let i = 0; i < n; i++) {
    const a = vertices[i]!;
    const b = vertices[i + 1 < n ? i + 1 : 0]!;
    const ex1 = a.x - sx;
    const ey1 = a.y - sy;
    const ex2 = b.x - sx;
    const ey2 = b.y - sy;
    const D = ex1 * ey2 - ey1 * ex2;
    const triangleArea = 0.5 * D;
    area += triangleArea;
    cx += triangleArea * kInv3 * (ex1 + ex2);
    cy += triangleArea * kInv3 * (ey1 + ey2);
    const intx2 = ex1 * ex1 + ex2 * ex1 + ex2 * ex2;
    const inty2 = ey1 * ey1 + ey2 * ey1 + ey2 * ey2;
    I += 0.25 * kInv3 * D * (intx2 + inty2);
  }
  const mass = density * area;
  cx *= 1.0 / area;
  cy *= 1.0 / area;
  const ccx = cx + sx;
  const ccy = cy + sy;
  const inertia = density * I + mass * (ccx * ccx + ccy * ccy - (cx * cx + cy * cy));
  return { mass, cx: ccx, cy: ccy, I: inertia };
}
