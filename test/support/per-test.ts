/**
 * A fresh harness for every test of the enclosing `describe`: made before each test, checked and
 * closed after it. The returned object stands for the current test's harness.
 */
export function perTest<H extends object>(name: string, make: () => Promise<H>, finish: (harness: H) => Promise<void>): H {
  let current: H | undefined;
  beforeEach(async () => {
    current = await make();
  });
  afterEach(async () => {
    const harness = current;
    current = undefined;
    if (harness) await finish(harness);
  });
  return new Proxy({} as H, {
    get(_target, key) {
      if (!current) throw new Error(`the ${name} harness is only there while a test runs`);
      return Reflect.get(current, key) as unknown;
    },
  });
}
