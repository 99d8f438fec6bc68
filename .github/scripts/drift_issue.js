// Opens (or comments on) the issue "Drift on <stack>", labelled `drift`, with the refreshed preview, when the
// stack's preview (.github/scripts/preview.sh) failed. Called from drift.yml through actions/github-script.
const fs = require('fs');

module.exports = async ({ github, context }) => {
  const dir = process.env.RUNNER_TEMP;
  if (fs.readFileSync(`${dir}/preview.rc`, 'utf8').trim() === '0') return;
  const stack = process.env.STACK;
  const title = `Drift on ${stack}`;
  const run = `${context.serverUrl}/${context.repo.owner}/${context.repo.repo}/actions/runs/${context.runId}`;
  const preview = fs.readFileSync(`${dir}/preview.txt`, 'utf8').slice(-60000);
  const body = `The ${stack} stack no longer matches the program ([run](${run})).\n\n` +
    '<details><summary>Refreshed preview</summary>\n\n<pre>' +
    preview.replace(/&/g, '&amp;').replace(/</g, '&lt;') + '</pre>\n</details>\n';
  const open = await github.paginate(github.rest.issues.listForRepo,
    { ...context.repo, state: 'open', labels: 'drift', per_page: 100 });
  const existing = open.find((issue) => issue.title === title);
  if (existing) {
    await github.rest.issues.createComment({ ...context.repo, issue_number: existing.number, body });
  } else {
    await github.rest.issues.create({ ...context.repo, title, body, labels: ['drift'] });
  }
};
