/** This process's CPU time so far (user + system, every thread: V8's GC helpers included), in ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}
