/**
 * The ledger benchmark (issue #10): what a GB/T 28181 camera, a softphone and a call cost in the units
 * Cloudflare bills, counted by the Worker's own ledger (`LEDGER=on`, src/objects/ledger.ts) and turned into
 * dollars a month per 100,000 devices (bench/ledger-cost.ts). Also the lease renewal (once a lease term) (a Worker whose
 * leases end at once), a cross-check of the ledger by the outside counting shim (bench/ledger-shim.ts), and
 * the same scenarios on the code before the leases, counted by that shim.
 *
 *   npx tsx bench/ledger.ts                     full size, prints the section
 *   npx tsx bench/ledger.ts --quick             tiny size, no "before" run
 *   npx tsx bench/ledger.ts --before <rev|none> the code to compare with (default {@link BEFORE_REV})
 *   npx tsx bench/ledger.ts --after <rev>       measure a commit instead of the working tree
 * @module
 */
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { allScenarios, renewals, type ScenarioResults, type ScenarioSizes, type Units } from './ledger-scenarios.js';
import { prepareTree, REPO, startLedgerWorker, type Counters } from './ledger-worker.js';
import { LEDGER_TITLE, ledgerMarkdown } from './ledger-report.js';

/** The commit before "Leases: the flow answers REGISTER refreshes…" (9f092d2). */
export const BEFORE_REV = 'ff92318';
/** The hour as the issue states it: a keepalive a minute, Expires 600, a CRLF every 30 s. */
export const LEDGER_FULL: ScenarioSizes = { keepalives: 60, refreshes: 6, crlf: 120 };
/** Enough to run every step. */
export const LEDGER_QUICK: ScenarioSizes = { keepalives: 2, refreshes: 1, crlf: 2 };

/** Everything the ledger benchmark measured. */
export interface LedgerResult {
  sizes: ScenarioSizes;
  /** This tree's commit (and whether its working tree had changes). */
  commit: string;
  after: ScenarioResults;
  /** A camera's and a softphone's refresh once the lease has ended (LEASE_SECONDS=1): the renewal. */
  renewal: { camera: Units; phone: Units };
  /** Distinct service counters (`sip_*`) seen: the most rows a metrics shard writes per persist. */
  metricNames: number;
  /** Counters where the shim and the built-in ledger disagreed (empty: they agree), or null when not run. */
  check: { compared: number; differences: string[] } | null;
  before: { rev: string; commit: string; results: ScenarioResults } | null;
}

/** Options of {@link runLedger}. */
export interface LedgerOptions {
  sizes: ScenarioSizes;
  /** Commit to measure as "this code" (checked out with `git worktree`), or null for the working tree. */
  after?: string | null;
  /** Commit to measure for the "before" column, or null. */
  before: string | null;
  /** Run the shim beside the built-in ledger and compare (default true). */
  check?: boolean;
  log?: (line: string) => void;
}

function describeTree(dir: string): string {
  const git = (...a: string[]) => execFileSync('git', ['-C', dir, ...a], { encoding: 'utf8' }).trim();
  const dirty = git('status', '--porcelain', '--', 'src', 'wrangler.toml').length > 0;
  return `${git('rev-parse', '--short', 'HEAD')}${dirty ? ' + uncommitted changes under src/' : ''}`;
}

/** Compare `ledger_*` with `shim_*` counters of one run (the shim's `ws_closes` has no built-in twin). */
function compare(all: Counters): { compared: number; differences: string[] } {
  const differences: string[] = [];
  let compared = 0;
  const names = new Set([...all.keys()].filter((k) => /^(ledger|shim)_/.test(k) && !k.includes('ws_closes')).map((k) => k.replace(/^(ledger|shim)_/, '')));
  for (const n of names) {
    compared++;
    const [a, b] = [all.get(`ledger_${n}`) ?? 0, all.get(`shim_${n}`) ?? 0];
    if (a !== b) differences.push(`${n}: ledger ${a}, shim ${b}`);
  }
  return { compared, differences };
}

/** Run every scenario on this tree (ledger), the renewal, the cross-check and, if asked, the "before" tree. */
export async function runLedger(o: LedgerOptions): Promise<LedgerResult> {
  const log = o.log ?? (() => undefined);
  const own = o.after ? prepareTree(o.after) : null;
  try {
    const tree = own?.dir ?? REPO;
    const commit = own ? `${own.commit.slice(0, 7)} (\`${o.after}\`, checked out with \`git worktree\`)` : `${describeTree(REPO)} (the working tree)`;
    const w = await startLedgerWorker({ tree, shim: false });
    let after: ScenarioResults;
    let metricNames: number;
    try {
      after = await allScenarios(w, o.sizes);
      metricNames = [...(await w.settled()).keys()].filter((k) => !k.startsWith('ledger_')).length;
    } finally {
      await w.close();
    }
    log(`ledger: this code measured (${commit})`);
    const wl = await startLedgerWorker({ tree, shim: false, vars: { LEASE_SECONDS: '1' } });
    let renewal: LedgerResult['renewal'];
    try {
      renewal = await renewals(wl);
    } finally {
      await wl.close();
    }
    log('ledger: lease renewal measured');
    let check: LedgerResult['check'] = null;
    if (o.check ?? true) {
      const wc = await startLedgerWorker({ tree, shim: true, both: true });
      try {
        await allScenarios(wc, o.sizes);
        check = compare(await wc.settled());
      } finally {
        await wc.close();
      }
      log(`ledger: cross-check, ${check.differences.length} differences in ${check.compared} counters`);
    }
    return { sizes: o.sizes, commit, after, renewal, metricNames, check, before: o.before ? await runBefore(o.before, o.sizes, log) : null };
  } finally {
    own?.remove();
  }
}

async function runBefore(rev: string, sizes: ScenarioSizes, log: (l: string) => void): Promise<LedgerResult['before']> {
  const tree = prepareTree(rev);
  try {
    const wb = await startLedgerWorker({ tree: tree.dir, shim: true });
    try {
      const results = await allScenarios(wb, sizes);
      log(`ledger: before (${rev}) measured`);
      return { rev, commit: tree.commit.slice(0, 7), results };
    } finally {
      await wb.close();
    }
  } finally {
    tree.remove();
  }
}

/** Options of {@link runLedger} from command-line flags (`--before <rev|none>`, `--after <rev>`; `prefix` names them for run.ts). */
export function ledgerArgs(argv: readonly string[], quick: boolean, prefix = ''): Pick<LedgerOptions, 'before' | 'after'> {
  const flag = (name: string) => argv.find((_, i) => argv[i - 1] === `--${prefix}${name}`);
  const b = flag('before');
  return { before: b === 'none' ? null : b ?? (quick ? null : BEFORE_REV), after: flag('after') ?? null };
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const quick = argv.includes('--quick');
  const r = await runLedger({ sizes: quick ? LEDGER_QUICK : LEDGER_FULL, ...ledgerArgs(argv, quick), log: (l) => console.error(l) });
  console.log(`### ${LEDGER_TITLE}\n\n${ledgerMarkdown(r)}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main();
  process.exit(0);
}
