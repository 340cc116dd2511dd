import type { types } from '@slack/bolt';
import { z } from 'zod';
import { isAdmin, parseRepoRef, type Settings } from '../../core/index.js';
import type { SlackContext } from './context.js';

export const settingsCallbackId = 'errand_settings';

/** What we keep in the modal's private_metadata: the channel it was opened from. */
const ModalMetadata = z.object({ channelId: z.string() });

const fields = {
  channelRepo: 'channel_repo',
  defaultRepo: 'default_repo',
  defaultModel: 'default_model',
  baseBranch: 'base_branch',
} as const;

function input(blockId: string, label: string, initial: string, hint: string): types.InputBlock {
  return {
    type: 'input',
    block_id: blockId,
    optional: true,
    label: { type: 'plain_text', text: label },
    hint: { type: 'plain_text', text: hint },
    element: { type: 'plain_text_input', action_id: 'value', ...(initial ? { initial_value: initial } : {}) },
  };
}

/** `/agent settings`: the channel's default repo for anyone; workspace defaults for admins. */
export async function openSettings(ctx: SlackContext, triggerId: string, teamId: string, channelId: string, userId: string): Promise<void> {
  const person = await ctx.people.get(teamId, userId);
  const settings = await ctx.settings.get(teamId);
  const admin = isAdmin(person.principal, settings, person.platformAdmin);
  const blocks: types.KnownBlock[] = [
    input(fields.channelRepo, 'Default repository for this channel', settings.channelRepos[channelId] ?? '', 'owner/name or a git URL; empty uses the workspace default'),
  ];
  if (admin) {
    blocks.push(
      { type: 'header', text: { type: 'plain_text', text: 'Workspace defaults (admins)' } },
      input(fields.defaultModel, 'Default model', settings.defaultModel, 'provider:model, e.g. openai:gpt-4.1; empty uses the server default'),
      input(fields.defaultRepo, 'Default repository', settings.defaultRepo, 'owner/name or a git URL'),
      input(fields.baseBranch, 'Base branch', settings.baseBranch, "empty uses each repository's default branch"),
    );
  } else {
    blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: 'Workspace defaults (model, repository, base branch) are for admins.' }] });
  }
  await ctx.client.views.open({
    trigger_id: triggerId,
    view: {
      type: 'modal',
      callback_id: settingsCallbackId,
      private_metadata: JSON.stringify({ channelId }),
      title: { type: 'plain_text', text: 'Errand settings' },
      submit: { type: 'plain_text', text: 'Save' },
      close: { type: 'plain_text', text: 'Cancel' },
      blocks,
    },
  });
}

type ViewState = Record<string, Record<string, { value?: string | null | undefined }>>;

export type SettingsSubmission = { ok: true; save: (ctx: SlackContext) => Promise<void> } | { ok: false; errors: Record<string, string> };

/**
 * Checks a submitted settings modal. Admin rights are checked again here (the modal may be old),
 * so a non-admin's workspace fields are never saved; repositories must parse.
 */
export async function readSettingsSubmission(ctx: SlackContext, teamId: string, userId: string, privateMetadata: string, state: ViewState): Promise<SettingsSubmission> {
  const { channelId } = ModalMetadata.parse(JSON.parse(privateMetadata || '{}'));
  const value = (block: string) => state[block]?.value?.value?.trim();
  const errors: Record<string, string> = {};
  for (const block of [fields.channelRepo, fields.defaultRepo]) {
    const repo = value(block);
    if (!repo) continue;
    try {
      parseRepoRef(repo);
    } catch (error) {
      errors[block] = error instanceof Error ? error.message : 'not a repository';
    }
  }
  const model = value(fields.defaultModel);
  if (model && !/^[\w.-]+:\S+$/.test(model)) errors[fields.defaultModel] = 'write it as provider:model, e.g. openai:gpt-4.1';
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  const person = await ctx.people.get(teamId, userId);
  return {
    ok: true,
    save: async () => {
      const current = await ctx.settings.get(teamId);
      const channelRepos = { ...current.channelRepos };
      const channelRepo = value(fields.channelRepo);
      if (channelRepo) channelRepos[channelId] = channelRepo;
      else delete channelRepos[channelId];
      if (isAdmin(person.principal, current, person.platformAdmin) && state[fields.defaultModel]) {
        // Admins: through the core's settings service (checked again there, and audited).
        const patch = { channelRepos, defaultModel: value(fields.defaultModel) ?? '', defaultRepo: value(fields.defaultRepo) ?? '', baseBranch: value(fields.baseBranch) ?? '' };
        await ctx.settingsAdmin.update(teamId, person.principal, patch, { platformAdmin: person.platformAdmin });
        return;
      }
      // Anyone may set their channel's default repository; nothing else.
      const next: Settings = { ...current, channelRepos };
      await ctx.settings.set(teamId, next);
      ctx.log.info({ teamId, channelId, userId }, 'slack channel repository set');
    },
  };
}
