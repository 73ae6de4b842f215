#!/usr/bin/env node
// Times the npm DCAP verifiers @phala/dcap-qvl (pure JS) and
// @phala/dcap-qvl-web (WASM) on the dcap-qvl TDX and SGX samples, the
// reference figures that bench/run.sh compares bench_verify against.
//
// Prints one JSON line per (package, sample) to stdout:
//   {"package":"@phala/dcap-qvl","version":"0.3.9","sample":"tdx_quote",
//    "now":1752919234,"status":"UpToDate","median_ms":…,"p10_ms":…,
//    "p90_ms":…,"min_ms":…,"iterations":200,"warmup":30,"rounds":5,"node":"v20…"}
// Exits with status 1, and prints no timing, if either package returns an
// unexpected verdict for a sample.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { initSync as initWasm, js_verify as verifyWasm } from '@phala/dcap-qvl-web';

const require = createRequire(import.meta.url);
const dcapQvlJs = require('@phala/dcap-qvl');

const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SAMPLE_SUBDIR = 'Phala-Network__dcap-qvl/sample';

// Each time is the last second inside the validity windows of the sample's
// collateral: one second before the TDX PCK CRL nextUpdate (2025-07-19
// 10:00:35 UTC) and before the SGX QE identity nextUpdate (10:01:18 UTC).
// Both packages return the verdicts below at these times.
const SAMPLES = [
  {
    name: 'tdx_quote',
    now: 1752919234,
    status: 'UpToDate',
    advisoryIds: [],
  },
  {
    name: 'sgx_quote',
    now: 1752919277,
    status: 'ConfigurationAndSWHardeningNeeded',
    advisoryIds: ['INTEL-SA-00289', 'INTEL-SA-00615'],
  },
];

const USAGE = `Usage: node anchor.mjs [--iterations N] [--warmup N] [--rounds N] [--corpus DIR]

Times @phala/dcap-qvl and @phala/dcap-qvl-web on the dcap-qvl tdx_quote and
sgx_quote samples and prints one JSON line per (package, sample).

  --iterations N  timed verify calls per (package, sample) (default 200)
  --warmup N      untimed verify calls per (package, sample) before timing (default 30)
  --rounds N      the timed calls are split into N rounds, and each round
                  runs every (package, sample) in turn (default 5)
  --corpus DIR    corpus folder (default: $RATLS_CORPUS_DIR, else
                  ../shared/corpus next to the repository)
  --help          print this text`;

function parsePositiveInt(name, text) {
  if (!/^[0-9]+$/.test(text) || Number(text) < 1) {
    throw new Error(`invalid --${name} value "${text}": expected a positive integer`);
  }
  return Number(text);
}

function parseOptions(argv) {
  const { values } = parseArgs({
    args: argv,
    options: {
      iterations: { type: 'string', default: '200' },
      warmup: { type: 'string', default: '30' },
      rounds: { type: 'string', default: '5' },
      corpus: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
    strict: true,
  });

  const options = {
    help: values.help,
    iterations: parsePositiveInt('iterations', values.iterations),
    warmup: parsePositiveInt('warmup', values.warmup),
    rounds: parsePositiveInt('rounds', values.rounds),
    corpusDir:
      values.corpus ?? process.env.RATLS_CORPUS_DIR ?? resolve(REPO_ROOT, '..', 'shared', 'corpus'),
  };
  if (options.rounds > options.iterations) {
    throw new Error(
      `--rounds ${options.rounds} exceeds --iterations ${options.iterations}: ` +
        'each round needs at least one timed call',
    );
  }
  return options;
}

function readPackageVersion(packageName) {
  return require(`${packageName}/package.json`).version;
}

// Both packages take the same inputs: the quote bytes, the collateral object
// as dcap-qvl serializes it (hex strings for CRLs and signatures, PEM chains,
// JSON strings for TCB info and QE identity) and the time in Unix seconds.
// The collateral JSON is parsed once here, so the timed calls exclude it.
function loadSample(corpusDir, sample) {
  const quotePath = resolve(corpusDir, SAMPLE_SUBDIR, sample.name);
  const collateralPath = resolve(corpusDir, SAMPLE_SUBDIR, `${sample.name}_collateral.json`);
  let quote;
  let collateral;
  try {
    quote = new Uint8Array(readFileSync(quotePath));
    collateral = JSON.parse(readFileSync(collateralPath, 'utf8'));
  } catch (error) {
    throw new Error(
      `failed to load sample ${sample.name} from ${corpusDir}: ${error.message}. ` +
        'Set RATLS_CORPUS_DIR or --corpus to the corpus folder.',
    );
  }
  return { ...sample, quote, collateral };
}

// Each verifier maps (sample) to { status, advisoryIds } and throws on a
// verification error, as the package does.
function makeVerifiers() {
  const wasmPath = require.resolve('@phala/dcap-qvl-web/dcap-qvl-web_bg.wasm');
  initWasm({ module: readFileSync(wasmPath) });

  return [
    {
      package: '@phala/dcap-qvl',
      version: readPackageVersion('@phala/dcap-qvl'),
      verify(sample) {
        const report = dcapQvlJs.verify(sample.quote, sample.collateral, sample.now);
        return { status: report.status, advisoryIds: report.advisory_ids };
      },
    },
    {
      package: '@phala/dcap-qvl-web',
      version: readPackageVersion('@phala/dcap-qvl-web'),
      verify(sample) {
        const report = verifyWasm(sample.quote, sample.collateral, BigInt(sample.now));
        return { status: report.status, advisoryIds: report.advisory_ids };
      },
    },
  ];
}

// The WASM package throws plain strings, so this wraps every failure in an
// Error that names the package and the sample.
function callVerifier(verifier, sample) {
  try {
    return verifier.verify(sample);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(
      `${verifier.package} ${verifier.version} failed to verify ${sample.name} ` +
        `at ${sample.now}: ${reason}`,
    );
  }
}

function checkVerdict(verifier, sample, verdict) {
  const advisoryIds = JSON.stringify([...verdict.advisoryIds].sort());
  const expectedIds = JSON.stringify([...sample.advisoryIds].sort());
  if (verdict.status !== sample.status || advisoryIds !== expectedIds) {
    throw new Error(
      `${verifier.package} ${verifier.version} returned status ${verdict.status} ` +
        `with advisories ${advisoryIds} for ${sample.name} at ${sample.now}, ` +
        `expected ${sample.status} with ${expectedIds}`,
    );
  }
}

// Computes the q-quantile of sorted values by linear interpolation between
// the closest ranks (NumPy's default method).
function quantile(sortedValues, q) {
  const position = (sortedValues.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const weight = position - lower;
  return sortedValues[lower] * (1 - weight) + sortedValues[upper] * weight;
}

function summarize(durationsMs) {
  const sorted = [...durationsMs].sort((a, b) => a - b);
  const round3 = (value) => Math.round(value * 1000) / 1000;
  return {
    median_ms: round3(quantile(sorted, 0.5)),
    p10_ms: round3(quantile(sorted, 0.1)),
    p90_ms: round3(quantile(sorted, 0.9)),
    min_ms: round3(sorted[0]),
  };
}

function runBenchmark(options) {
  const samples = SAMPLES.map((sample) => loadSample(options.corpusDir, sample));
  const verifiers = makeVerifiers();

  const cases = [];
  for (const verifier of verifiers) {
    for (const sample of samples) {
      cases.push({ verifier, sample, durationsMs: [] });
    }
  }

  // The warm-up calls also check every verdict before any timing starts.
  for (const benchCase of cases) {
    for (let i = 0; i < options.warmup; i++) {
      const verdict = callVerifier(benchCase.verifier, benchCase.sample);
      checkVerdict(benchCase.verifier, benchCase.sample, verdict);
    }
  }

  // Interleaving the cases spreads slow phases of a noisy machine (other
  // load, CPU frequency changes) across all of them. Each round starts at a
  // different case, so no case always runs right after the same other case.
  for (let round = 0; round < options.rounds; round++) {
    const callsThisRound =
      Math.floor(options.iterations / options.rounds) +
      (round < options.iterations % options.rounds ? 1 : 0);

    for (let offset = 0; offset < cases.length; offset++) {
      const benchCase = cases[(round + offset) % cases.length];
      for (let i = 0; i < callsThisRound; i++) {
        const start = process.hrtime.bigint();
        const verdict = callVerifier(benchCase.verifier, benchCase.sample);
        const end = process.hrtime.bigint();
        checkVerdict(benchCase.verifier, benchCase.sample, verdict);
        benchCase.durationsMs.push(Number(end - start) / 1e6);
      }
    }
  }

  return cases.map(({ verifier, sample, durationsMs }) => ({
    package: verifier.package,
    version: verifier.version,
    sample: sample.name,
    now: sample.now,
    status: sample.status,
    ...summarize(durationsMs),
    iterations: durationsMs.length,
    warmup: options.warmup,
    rounds: options.rounds,
    node: process.version,
  }));
}

function main() {
  let options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`anchor.mjs: ${error.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }

  let results;
  try {
    results = runBenchmark(options);
  } catch (error) {
    console.error(`anchor.mjs: ${error.message}`);
    process.exit(1);
  }
  for (const result of results) {
    console.log(JSON.stringify(result));
  }
}

main();
