export default async function globalTeardown() {
  await globalThis.errandTestRedis?.stop();
}
