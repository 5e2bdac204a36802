/** A standard normal draw from two uniform ones (Box–Muller), for the seeded simulations of the gate's tests. */
export function normal(random: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}
