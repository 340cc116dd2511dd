interface RequestOptions {
  method: string;
  url: string;
}

type Request = (options: RequestOptions) => Promise<unknown>;

/** The slice of an Octokit a plugin hooks into. */
interface Hookable {
  hook: { wrap(name: 'request', wrapper: (request: Request, options: RequestOptions) => Promise<unknown>): void };
}

/**
 * 👀 before anything else, per installation. Probot's throttling lets one write a second through per
 * installation, in the order they arrive, so under a burst of mentions later comments' 👀 queued
 * behind earlier agents' tracking comments and replies. This Octokit plugin holds every other write
 * of an installation back (before it reaches the throttle) while a reaction of that installation is
 * on its way; reads pass. Installations are independent.
 */
export class ReactionsFirst {
  private readonly reacting = new Map<number, number>();
  private readonly held = new Map<number, (() => void)[]>();

  /** For `Octokit.plugin(...)`: hooks installation clients (Probot's `auth(installationId)`), not the app's. */
  readonly plugin = (octokit: Hookable, options: { auth?: unknown }): void => {
    const installationId = (options.auth as { installationId?: unknown } | undefined)?.installationId;
    if (typeof installationId !== 'number') return;
    octokit.hook.wrap('request', async (request, opts) => {
      const method = opts.method.toUpperCase();
      if (method === 'GET' || method === 'HEAD') return request(opts);
      if (method === 'POST' && /\/reactions(\?|$)/.test(opts.url)) return this.react(installationId, () => request(opts));
      await this.clear(installationId);
      return request(opts);
    });
  };

  private async react(installationId: number, send: () => Promise<unknown>): Promise<unknown> {
    this.reacting.set(installationId, (this.reacting.get(installationId) ?? 0) + 1);
    try {
      return await send();
    } finally {
      const left = (this.reacting.get(installationId) ?? 1) - 1;
      if (left > 0) this.reacting.set(installationId, left);
      else {
        this.reacting.delete(installationId);
        const waiting = this.held.get(installationId) ?? [];
        this.held.delete(installationId);
        for (const release of waiting) release();
      }
    }
  }

  /** Resolves once no reaction of the installation is pending. */
  private async clear(installationId: number): Promise<void> {
    while (this.reacting.has(installationId)) {
      await new Promise<void>((resolve) => this.held.set(installationId, [...(this.held.get(installationId) ?? []), resolve]));
    }
  }
}
