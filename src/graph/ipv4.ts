// IPv4 arithmetic on validated dotted-quad strings.

export function toInt(addr: string): number {
  return addr.split(".").reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function toDotted(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

export interface Cidr {
  readonly base: number;
  readonly prefix: number;
  readonly size: number;
}

export function parseCidr(cidr: string): Cidr {
  const [addr = "0.0.0.0", len = "32"] = cidr.split("/");
  const prefix = Number(len);
  return { base: toInt(addr), prefix, size: 2 ** (32 - prefix) };
}

/** The network address: the CIDR with its host bits cleared. */
export function networkOf(c: Cidr): number {
  return c.base - (c.base % c.size);
}

export function hasHostBits(c: Cidr): boolean {
  return c.base % c.size !== 0;
}

export function contains(c: Cidr, addr: string): boolean {
  const a = toInt(addr);
  const net = networkOf(c);
  return a >= net && a < net + c.size;
}

export function broadcastOf(c: Cidr): number {
  return networkOf(c) + c.size - 1;
}

export function netmaskOf(c: Cidr): string {
  return toDotted(2 ** 32 - c.size);
}
