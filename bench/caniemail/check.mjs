// Check email HTML files against caniemail.com's data (the npm package `caniemail`).
// Usage: node check.mjs CLIENT_GLOB,... FILE...   (run by caniemail_bench.py)
// Prints JSON: {file: {client: {unsupported: {feature: n}, partial: {...}, unknown: [...]}}}
import fs from 'node:fs';
import { caniemail, rawData } from 'caniemail';

const [globs, ...files] = process.argv.slice(2);
const clients = globs.split(',');

// caniemail 2.0.2 throws (RangeError "not found on <client>") for a feature its data has no
// entry for on one client. Fill those gaps with "u" (unknown) before the first check and list
// them as unknown, instead of counting them as partial support.
const gaps = new Set();
for (const feature of rawData.data) {
  for (const client of clients) {
    const [family, platform] = client.split('.');
    feature.stats[family] ??= {};
    if (feature.stats[family][platform] === undefined) {
      feature.stats[family][platform] = { '0000-00': 'u' };
      gaps.add(`${client}\u0000${feature.title}`);
    }
  }
}

const tally = (map, client, kind) => {
  const counts = {};
  const unknown = [];
  for (const issue of map.get(client) || []) {
    if (kind === 'partial' && gaps.has(`${client}\u0000${issue.title}`)) unknown.push(issue.title);
    else counts[issue.title] = (counts[issue.title] || 0) + 1;
  }
  return [counts, [...new Set(unknown)]];
};

const report = {};
for (const file of files) {
  const { issues } = caniemail({ clients, html: fs.readFileSync(file, 'utf8') });
  report[file] = {};
  for (const client of clients) {
    const [unsupported] = tally(issues.errors, client, 'unsupported');
    const [partial, unknown] = tally(issues.warnings, client, 'partial');
    report[file][client] = { unsupported, partial, unknown };
  }
}
console.log(JSON.stringify(report));
