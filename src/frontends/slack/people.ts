import type { webApi } from '@slack/bolt';
import { z } from 'zod';
import type { Principal } from '../../core/index.js';

/** The part of users.info we use; Slack sends much more, which we keep and ignore. */
export const SlackUser = z.looseObject({
  id: z.string(),
  name: z.string().optional(),
  real_name: z.string().optional(),
  is_admin: z.boolean().optional(),
  is_owner: z.boolean().optional(),
  is_bot: z.boolean().optional(),
  /** Present with the `users:read.email` scope: the Co-authored-by trailer of the person's agents. */
  profile: z.looseObject({ real_name: z.string().optional(), display_name: z.string().optional(), email: z.string().optional() }).optional(),
});
export type SlackUser = z.infer<typeof SlackUser>;

export interface Person {
  principal: Principal;
  /** A Slack workspace admin or owner: passed to the core as `platformAdmin`. */
  platformAdmin: boolean;
}

const ttlMs = 10 * 60_000;

/** Looks people up with users.info, cached for ten minutes. */
export class People {
  private readonly cache = new Map<string, { person: Person; until: number }>();

  constructor(private readonly client: webApi.WebClient) {}

  /** Without a Slack call: for the acknowledgement path, where only the payload's name is known. */
  quick(teamId: string, userId: string, name: string | undefined): Principal {
    const cached = this.cache.get(`${teamId}:${userId}`);
    if (cached && cached.until > Date.now()) return cached.person.principal;
    return { kind: 'slack', workspace: teamId, id: userId, name: name || userId };
  }

  /**
   * The person as users.info describes them (cached), or, when Slack cannot answer, what the
   * payload says (no admin rights, no e-mail): a lookup failure never blocks a launch.
   */
  async lookup(teamId: string, userId: string, name: string | undefined): Promise<Person> {
    try {
      return await this.get(teamId, userId);
    } catch {
      return { principal: this.quick(teamId, userId, name), platformAdmin: false };
    }
  }

  async get(teamId: string, userId: string): Promise<Person> {
    const key = `${teamId}:${userId}`;
    const cached = this.cache.get(key);
    if (cached && cached.until > Date.now()) return cached.person;
    const result = await this.client.users.info({ user: userId });
    const user = SlackUser.parse(result.user);
    const name = user.profile?.real_name || user.real_name || user.profile?.display_name || user.name || userId;
    const principal: Principal = { kind: 'slack', workspace: teamId, id: userId, name };
    const email = user.profile?.email?.trim();
    if (email && z.email().safeParse(email).success) principal.email = email;
    if (user.is_bot) principal.isBot = true;
    const person = { principal, platformAdmin: Boolean(user.is_admin || user.is_owner) };
    this.cache.set(key, { person, until: Date.now() + ttlMs });
    return person;
  }
}
