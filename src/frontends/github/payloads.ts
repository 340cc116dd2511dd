import { z } from 'zod';

/** The parts of GitHub's webhook payloads the front end reads. Tolerant: unknown fields are kept. */
export const GitHubUser = z.looseObject({
  login: z.string(),
  type: z.string().default('User'),
});
export type GitHubUser = z.infer<typeof GitHubUser>;

const Installation = z.looseObject({ id: z.number().int() });
const Repository = z.looseObject({ full_name: z.string() });

/** What every event the front end handles carries: the action, the installation, the repository and who acted. */
const envelope = { action: z.string(), installation: Installation, repository: Repository, sender: GitHubUser };

/** The fields an issue and a pull request share in a payload. */
const thread = {
  number: z.number().int(),
  title: z.string(),
  body: z.string().nullable().default(null),
  user: GitHubUser,
  author_association: z.string().default('NONE'),
};

/** On an `edited` comment: the body before the edit. */
const CommentChanges = z.looseObject({ body: z.looseObject({ from: z.string() }).optional() }).optional();

export const IssueCommentPayload = z.looseObject({
  ...envelope,
  issue: z.looseObject({
    ...thread,
    pull_request: z.looseObject({}).nullish(),
    html_url: z.string().optional(),
  }),
  comment: z.looseObject({
    id: z.number().int(),
    body: z.string().nullable().default(''),
    user: GitHubUser,
    html_url: z.string().optional(),
  }),
  changes: CommentChanges,
});
export type IssueCommentPayload = z.infer<typeof IssueCommentPayload>;

export const ReviewCommentPayload = z.looseObject({
  ...envelope,
  pull_request: z.looseObject({
    ...thread,
    html_url: z.string().optional(),
    head: z.looseObject({ ref: z.string(), sha: z.string(), repo: Repository.nullable().default(null) }),
    base: z.looseObject({ ref: z.string(), repo: Repository }),
  }),
  comment: z.looseObject({
    id: z.number().int(),
    body: z.string().nullable().default(''),
    user: GitHubUser,
    path: z.string(),
    line: z.number().int().nullable().optional(),
    original_line: z.number().int().nullable().optional(),
    start_line: z.number().int().nullable().optional(),
    side: z.string().nullable().optional(),
    diff_hunk: z.string().default(''),
    in_reply_to_id: z.number().int().optional(),
    html_url: z.string().optional(),
  }),
  changes: CommentChanges,
});
export type ReviewCommentPayload = z.infer<typeof ReviewCommentPayload>;

export const IssueEventPayload = z.looseObject({
  ...envelope,
  issue: z.looseObject({
    ...thread,
    pull_request: z.looseObject({}).nullish(),
  }),
  assignee: GitHubUser.nullish(),
  label: z.looseObject({ name: z.string() }).nullish(),
});
export type IssueEventPayload = z.infer<typeof IssueEventPayload>;
