/** What the app says in issues and pull requests, besides the tracking comment. */
export const replies = {
  denied: (login: string, trigger: string) =>
    `Hi @${login}, thanks for the suggestion! Only people with write access to this repository can ask ${trigger} to work here, ` +
    `so I haven't started anything. A maintainer can mention ${trigger} to pick this up.`,
  unchecked: (login: string, trigger: string) =>
    `@${login} I couldn't check your access to this repository (GitHub didn't answer), so I haven't started anything. ` +
    `Please mention ${trigger} again in a minute.`,
  queued: (login: string, position: number) =>
    `@${login} queued for the running agent${position > 1 ? ` (${position} messages waiting)` : ''}: it reads your message before its next step.`,
  fork: (repo: string, branch: string) =>
    `This pull request comes from a fork, which I can't push to. I'll work on a new branch \`${branch}\` in ${repo} and open a pull request from there.`,
  refused: (login: string, message: string) => `@${login} ${message}`,
};
